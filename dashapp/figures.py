"""Plotly figures as plain functions of the data, so they can be tested without a server."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def population_figure(frame: pd.DataFrame, country: str) -> go.Figure:
    """Population over the years for one country, as a line chart."""
    rows = frame.loc[frame["country"] == country, ["year", "pop"]].sort_values("year")
    figure = go.Figure(go.Scatter(x=rows["year"], y=rows["pop"], mode="lines+markers", name=country))
    figure.update_layout(
        title=f"Population of {country}",
        xaxis_title="Year",
        yaxis_title="Population",
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return figure


def message_figure(message: str) -> go.Figure:
    """An empty chart that shows `message` where the line would be."""
    figure = go.Figure()
    figure.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}],
    )
    return figure
