"""A multi-page Dash app (Dash pages): a nav bar, a home page, a live page refreshed every 5 s, an about page.

Written for "/": every link comes from `dash.page_registry`'s `relative_path` or `dash.get_relative_path`,
which put in front the path prefix the app is served under, so the same code works at "/" and under "/sales/".
"""

from __future__ import annotations

import os
from html import escape

import dash
from dash import Dash, dcc, html

TITLE = os.environ.get("APP_TITLE") or "Pages and a live chart"

# use_pages imports every module of pages/ that calls dash.register_page, here, while the app is built.
# Dash writes `title` into the page's <title> as it is: escaped here, since APP_TITLE is free text.
app = Dash(__name__, use_pages=True, title=escape(TITLE))


def nav() -> html.Nav:
    """One link per registered page, in their `order`."""
    links = [dcc.Link(page["name"], href=page["relative_path"]) for page in dash.page_registry.values()]
    return html.Nav(links, style={"display": "flex", "gap": "1.5em"}, **{"aria-label": "pages"})


app.layout = html.Div(
    [html.Header([html.H1(TITLE), nav()]), html.Main(dash.page_container)],
    style={"fontFamily": "sans-serif", "maxWidth": "60em", "margin": "0 auto"},
)
