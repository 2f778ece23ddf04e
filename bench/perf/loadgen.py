"""Drive a server with wrk: a RANDOM country per callback request (each wrk thread draws from the whole list),
or plain GETs; returns requests per second and latency percentiles. Needs Debian's `wrk` package.

Callbacks accept compressed answers like a browser does (ZeroDash compresses JSON over 4 KB; the article's app
does not compress), so the cost of compressing is in the figures."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chrome and Firefox send

LUA = r"""
local bodies = {}
local path = "%(path)s"
function init(args)
  for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 100000)
end
function request()
  local body = bodies[math.random(#bodies)]
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["Accept-Encoding"] = "%(encodings)s"}, body)
end
"""

DONE = r"""
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), errors))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def callback_body(country: str) -> str:
    """What the Dash renderer POSTs when the dropdown changes to `country` (same ids in both apps)."""
    return json.dumps(
        {
            "output": "population-graph.figure",
            "outputs": {"id": "population-graph", "property": "figure"},
            "inputs": [{"id": "country", "property": "value", "value": country}],
            "changedPropIds": ["country.value"],
            "state": [],
        }
    )


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> LoadResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    threads = min(2, connections)
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s"]
    output = subprocess.run([*command, str(script), url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration_us, p50_us, p99_us, errors = (int(field) for field in line.split()[1:])
    return LoadResult(requests, requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, errors)


def callbacks(base_url: str, countries: list[str], work_dir: Path, seconds: int, connections: int) -> LoadResult:
    """POST _dash-update-component with a random country per request."""
    bodies = work_dir / "bodies.txt"
    bodies.write_text("\n".join(callback_body(country) for country in countries) + "\n")
    script = work_dir / "callbacks.lua"
    script.write_text(LUA % {"path": "/_dash-update-component", "bodies": bodies, "encodings": ACCEPT_ENCODING} + DONE)
    return run_wrk(base_url + "/_dash-update-component", script, seconds, connections)


def gets(url: str, work_dir: Path, seconds: int, connections: int) -> LoadResult:
    script = work_dir / "gets.lua"
    script.write_text(DONE)
    return run_wrk(url, script, seconds, connections)
