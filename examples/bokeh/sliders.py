"""The classic Bokeh sliders app: a sine wave redrawn as you move four sliders or retitle the plot.

Every change travels over the session's WebSocket and is handled here, in Python, on the server. The load
balancer counts a WebSocket once, when it opens, so the page also sends a small "presence" request while
someone works in it (see PRESENCE_JS): that is what keeps a scaled-to-zero app awake under a busy user.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from bokeh.document import Document
from bokeh.events import DocumentReady
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, CustomJS, Slider, TextInput
from bokeh.plotting import figure

POINTS = 200
# The same rule as the runtime's attention script for Dash apps: the page counts as attended while it is
# visible and had input (pointer, key, touch, wheel, scroll) within ATTENTION_SECONDS (default 300).
DEFAULT_ATTENTION_SECONDS = 300
PRESENCE_EVERY_SECONDS = 60  # one request a minute: the scaler counts requests per minute
PRESENCE_JS = """
let last = Date.now();
for (const type of ["pointerdown", "pointermove", "keydown", "touchstart", "wheel", "scroll"]) {
  window.addEventListener(type, () => { last = Date.now(); }, {capture: true, passive: true});
}
document.addEventListener("visibilitychange", () => { if (!document.hidden) last = Date.now(); });
setInterval(() => {
  if (!document.hidden && Date.now() - last < attention * 1000) {
    fetch(url, {cache: "no-store"}).catch(() => {});
  }
}, every * 1000);
"""
X = np.linspace(0, 4 * np.pi, POINTS)


def sine(amplitude: float, offset: float, phase: float, frequency: float) -> dict[str, np.ndarray]:
    """The curve's columns for the plot's data source."""
    return {"x": X, "y": amplitude * np.sin(frequency * X + phase) + offset}


def build(doc: Document) -> None:
    """Fill a new session's document (one per browser tab)."""
    source = ColumnDataSource(data=sine(1.0, 0.0, 0.0, 1.0))
    plot = figure(height=400, width=400, title="my sine wave", x_range=(0, 4 * np.pi), y_range=(-2.5, 2.5))
    plot.line("x", "y", source=source, line_width=3, line_alpha=0.6)

    text = TextInput(title="title", value="my sine wave")
    offset = Slider(title="offset", value=0.0, start=-5.0, end=5.0, step=0.1)
    amplitude = Slider(title="amplitude", value=1.0, start=-5.0, end=5.0, step=0.1)
    phase = Slider(title="phase", value=0.0, start=0.0, end=2 * np.pi)
    frequency = Slider(title="frequency", value=1.0, start=0.1, end=5.1, step=0.1)

    def retitle(attr: str, old: str, new: str) -> None:
        plot.title.text = new

    def redraw(attr: str, old: float, new: float) -> None:
        source.data = sine(amplitude.value, offset.value, phase.value, frequency.value)

    text.on_change("value", retitle)
    for slider in (offset, amplitude, phase, frequency):
        slider.on_change("value", redraw)

    doc.add_root(row(column(text, offset, amplitude, phase, frequency), plot, width=800))
    doc.title = "Sliders"
    add_presence(doc, os.environ)


def add_presence(doc: Document, env: Mapping[str, str]) -> None:
    """While someone works in the page, GET <prefix>health once a minute through the load balancer.

    Slider moves go over the WebSocket, which the load balancer's RequestCount does not see: without this a
    person busy in the page for longer than idleMinutes would see the app go to sleep under them.
    """
    prefix = "/" + env.get("URL_PREFIX", "/").strip("/")
    url = prefix.rstrip("/") + "/health"
    try:
        attention = int(env.get("ATTENTION_SECONDS") or DEFAULT_ATTENTION_SECONDS)
    except ValueError:  # a typo must not break every session
        attention = DEFAULT_ATTENTION_SECONDS
    if attention <= 0:  # 0 turns it off, as for the runtime's attention script
        return
    callback = CustomJS(args={"url": url, "attention": attention, "every": PRESENCE_EVERY_SECONDS}, code=PRESENCE_JS)
    doc.js_on_event(DocumentReady, callback)
