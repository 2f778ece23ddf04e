"""How this app is hosted: where it is served and what an open tab costs."""

from __future__ import annotations

import dash
from dash import html

dash.register_page(__name__, path="/about", name="About", order=2)

layout = html.Section(
    [
        html.H2("About"),
        html.P(
            "ZeroDash serves this app under its own path and stops it when nobody uses it. "
            "The live page polls every 5 seconds only while you look at it: with the tab hidden, or after a "
            "few minutes without a click, key or scroll, the polling pauses and the app may go to sleep."
        ),
        html.P(["Health check: ", html.Code(dash.get_relative_path("/health"))]),
    ]
)
