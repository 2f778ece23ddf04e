"""A page that refreshes itself: a dcc.Interval fires every 5 s and a callback redraws the clock and chart."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import dash
from dash import Input, Output, callback, dcc, html

import sensor

dash.register_page(__name__, path="/live", name="Live", order=1)

CLOCK_ID = "live-clock"
GRAPH_ID = "live-graph"
INTERVAL_ID = "live-interval"
REFRESH_MS = sensor.STEP_SECONDS * 1000

layout = html.Section(
    [
        html.H2("Live"),
        html.P(id=CLOCK_ID, role="status"),
        dcc.Graph(id=GRAPH_ID),
        # The interval's requests stop while nobody looks at the tab (the runtime's attention script), so an
        # open tab does not keep the app awake.
        dcc.Interval(id=INTERVAL_ID, interval=REFRESH_MS),
    ]
)


def clock_text(now: float) -> str:
    return "Updated " + dt.datetime.fromtimestamp(now, dt.UTC).strftime("%H:%M:%S UTC")


@callback(Output(CLOCK_ID, "children"), Output(GRAPH_ID, "figure"), Input(INTERVAL_ID, "n_intervals"))
def refresh(_ticks: int | None) -> tuple[str, dict[str, Any]]:
    # Also runs when the page opens (no prevent_initial_call), so the chart is drawn at once.
    now = time.time()
    return clock_text(now), sensor.figure(now)
