"""The holding page a visitor of a starting app sees, and the live step it shows (pure).

The page is small, self-contained (no external assets, inline CSS) and reloads itself every few
seconds; once a target is healthy the waker answers the reload with a redirect to the same URL.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import Enum

from common.facts import TaskStatus


class Step(Enum):
    REQUESTED = "Requesting a server"
    PROVISIONING = "Provisioning the task"
    PULLING = "Pulling the container image"
    STARTING = "Starting the app"
    HEALTH_CHECK = "Waiting for the health check"
    READY = "Ready"


STEPS = tuple(Step)
_TASK_ORDER = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


def current_step(tasks: Sequence[TaskStatus], target_states: Sequence[str]) -> Step:
    """The furthest step any of the service's tasks or targets has reached."""
    if "healthy" in target_states:
        return Step.READY
    if any(state in ("initial", "unhealthy") for state in target_states):
        return Step.HEALTH_CHECK
    known = [task for task in tasks if task.last_status in _TASK_ORDER]
    if not known:
        return Step.REQUESTED
    task = max(known, key=lambda item: _TASK_ORDER.index(item.last_status))
    if task.last_status in ("ACTIVATING", "RUNNING") or task.pull_stopped:
        return Step.STARTING
    if task.last_status == "PENDING" or task.pull_started:
        return Step.PULLING
    return Step.PROVISIONING


def render_page(
    *, title: str, step: Step, expected_seconds: int, elapsed_seconds: float | None, refresh_seconds: int
) -> str:
    name = html.escape(title)
    items = "".join(
        f'<li class="{_css_class(candidate, step)}">{html.escape(candidate.value)}</li>'
        for candidate in STEPS
        if candidate is not Step.READY
    )
    elapsed = "" if elapsed_seconds is None else f" &middot; {max(0, round(elapsed_seconds))} s so far"
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>Starting {name}</title>"
        "<style>"
        "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}"
        "li{margin:.3rem 0;color:#999}li.done{color:#2a7}li.now{color:#222;font-weight:600}"
        "</style></head><body>"
        f"<h1>{name} is starting</h1>"
        f"<p>Nobody used it for a while, so it was asleep. Starting usually takes about {int(expected_seconds)} s"
        f"{elapsed}. This page reloads by itself.</p>"
        f'<ol aria-live="polite">{items}</ol>'
        f"<p><small>Now: {html.escape(step.value)}</small></p>"
        "</body></html>"
    )


def _css_class(candidate: Step, current: Step) -> str:
    if STEPS.index(candidate) < STEPS.index(current):
        return "done"
    return "now" if candidate is current else "todo"
