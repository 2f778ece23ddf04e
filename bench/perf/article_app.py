"""The article's way, reimplemented small and faithfully, as the benchmarks' baseline. Not for production.

- data read at import time with get_object()["Body"].read().decode() wrapped in StringIO for pd.read_csv;
- a dropdown of every country and a graph, redrawn by px.line over the filtered frame on each callback;
- served by the Flask development server through app.run(debug=True), reloader included: the reloader
  runs this file in a child process, which loads the data a second time (that is part of its cost).

    BUCKET_NAME=... DATA_KEY=... AWS_ENDPOINT_URL=... PORT=8050 python bench/perf/article_app.py
"""

import os
from io import StringIO

import boto3
import pandas as pd
import plotly.express as px
from dash import Dash, Input, Output, dcc, html

s3 = boto3.client("s3")
obj = s3.get_object(Bucket=os.environ["BUCKET_NAME"], Key=os.environ["DATA_KEY"])
df = pd.read_csv(StringIO(obj["Body"].read().decode("utf-8")))

app = Dash(__name__)
app.layout = html.Div(
    [
        html.H1("Population by country"),
        dcc.Dropdown(id="country", options=df.country.unique(), value="Canada"),
        dcc.Graph(id="population-graph"),
    ]
)


@app.callback(Output("population-graph", "figure"), Input("country", "value"))
def update_graph(value):
    dff = df[df.country == value]
    return px.line(dff, x="year", y="pop")


if __name__ == "__main__":
    app.run(debug=True, host="127.0.0.1", port=int(os.environ.get("PORT", "8050")))
