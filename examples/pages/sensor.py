"""Generated readings for the live page: a function of the clock, so every worker draws the same line.

No state and no data file: the reading at each 5 s step is a slow wave plus noise seeded by the step number,
so a refresh on any worker (or any task) extends the same curve.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

STEP_SECONDS = 5
WINDOW_STEPS = 60  # five minutes of readings on the chart
PERIOD_SECONDS = 600


def reading(step: int) -> float:
    """The temperature-like reading at `step` (seconds since the epoch // STEP_SECONDS)."""
    wave = 5 * math.sin(2 * math.pi * step * STEP_SECONDS / PERIOD_SECONDS)
    return round(20 + wave + random.Random(step).gauss(0, 0.4), 2)


def window(now: float, steps: int = WINDOW_STEPS) -> tuple[list[int], list[float]]:
    """The last `steps` steps up to `now`: their times (epoch seconds) and readings, oldest first."""
    last = int(now // STEP_SECONDS)
    numbers = range(last - steps + 1, last + 1)
    return [number * STEP_SECONDS for number in numbers], [reading(number) for number in numbers]


def figure(now: float) -> dict[str, Any]:
    """The chart as a plain figure dict (cheaper to build than a plotly Figure, serialised the same)."""
    times, values = window(now)
    x = [_iso(seconds) for seconds in times]
    return {
        "data": [{"type": "scatter", "mode": "lines", "x": x, "y": values, "name": "reading"}],
        "layout": {
            "title": {"text": "Sensor reading, last five minutes"},
            "yaxis": {"title": {"text": "°C"}, "range": [10, 30]},
            "margin": {"l": 50, "r": 20, "t": 50, "b": 40},
        },
    }


def _iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
