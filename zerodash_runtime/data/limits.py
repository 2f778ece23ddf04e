"""Bounds on what a data file may cost: the length of a line (so of a field), the memory a load may take, and the
length of a reason or warning kept in a dataset's state (shown on /health, the page and in every log line).

DATA_MAX_LINE_BYTES (default 1 MiB): a CSV line longer than this is refused before pandas buffers it (a 200 MB
field otherwise loads and is sent in every callback that shows it). Parquet text values are held to the same bound.
DATA_MAX_BYTES (default: the memory the task has left, from its cgroup or /proc/meminfo): a file whose
estimated size in memory is larger is refused before it is read, and a CSV (gzip or not) whose decompressed text
grows past it is refused while streaming, before it exhausts the task.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MAX_LINE_BYTES = 1 << 20
MAX_REASON_CHARS = 500
MAX_WARNINGS = 20
# Bytes of memory per byte of file while loading (measured: a 98 MB CSV read in full peaks at +207 MB; Parquet's
# uncompressed pages become pandas columns, strings as Python objects, ~1.5x their Arrow size).
CSV_MEMORY_FACTOR = 2.0
PARQUET_MEMORY_FACTOR = 1.5
# Leave this much of the available memory to the serving process itself (requests, figures, the previous version).
AVAILABLE_SHARE = 0.8

_CGROUP = Path("/sys/fs/cgroup")


def bounded(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` if it is at most `limit` characters, else its start, "…" and how long it was."""
    if len(text) <= limit:
        return text
    suffix = f"… ({len(text):,} characters in all)"
    return text[: max(0, limit - len(suffix))] + suffix


def bounded_list(messages: list[str], limit: int = MAX_WARNINGS) -> tuple[str, ...]:
    """At most `limit` bounded messages, the last one saying how many more there were."""
    kept = [bounded(message) for message in messages[:limit]]
    if len(messages) > limit:
        kept[-1] = f"{kept[-1]} (and {len(messages) - limit} more)"
    return tuple(kept)


def max_line_bytes() -> int:
    return _env_int("DATA_MAX_LINE_BYTES") or DEFAULT_MAX_LINE_BYTES


def memory_budget() -> int | None:
    """Bytes a load may use: DATA_MAX_BYTES when set, else a share of the memory left in the task (None: unknown)."""
    configured = _env_int("DATA_MAX_BYTES")
    if configured:
        return configured
    available = _cgroup_available()
    if available is None:
        available = _meminfo_available()
    return None if available is None else int(available * AVAILABLE_SHARE)


def describe_bytes(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _env_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(float(raw)) if raw else None
    except (ValueError, OverflowError):  # a typo must not keep the app from starting: the default applies
        return None
    return value if value is not None and value > 0 else None


def _cgroup_available() -> int | None:
    """memory.max - memory.current (cgroup v2), or limit_in_bytes - usage_in_bytes (v1); None without a limit."""
    for limit_name, usage_name in (
        ("memory.max", "memory.current"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):
        try:
            limit_text = (_CGROUP / limit_name).read_text().strip()
            usage = int((_CGROUP / usage_name).read_text().strip())
        except (OSError, ValueError):
            continue
        if not limit_text.isdigit() or int(limit_text) >= 1 << 60:  # "max", or v1's "no limit" huge number
            return None
        return max(0, int(limit_text) - usage)
    return None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
