"""The landing page: what this example shows, with links that work under any path prefix."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/", name="Home", order=0)

layout = html.Section(
    [
        html.H2("A multi-page Dash app"),
        html.P("Each page is a module of pages/ that calls dash.register_page; the bar above links them."),
        html.P(
            [
                "The ",
                dcc.Link("live page", href=dash.get_relative_path("/live")),
                " redraws a chart every 5 seconds with a dcc.Interval.",
            ]
        ),
    ]
)
