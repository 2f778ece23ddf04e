"""The Bokeh page's presence request: slider moves travel over the WebSocket, which the load balancer counts
once, so the page itself GETs <prefix>health while someone works in it (what keeps the app awake)."""

from __future__ import annotations

import pytest
from bokeh.document import Document

from tests.examples.conftest import EXAMPLES, imported_from

with imported_from(EXAMPLES / "bokeh"):
    import sliders


def presence_callbacks(env: dict[str, str]) -> list:
    doc = Document()
    sliders.add_presence(doc, env)
    return doc.callbacks.js_event_callbacks.get("document_ready", [])


def test_every_session_gets_the_presence_request():
    doc = Document()

    sliders.build(doc)  # as the server fills each new session

    assert len(doc.callbacks.js_event_callbacks["document_ready"]) == 1


@pytest.mark.parametrize(("prefix", "url"), [("/", "/health"), ("/sales/", "/sales/health")])
def test_the_page_sends_its_presence_to_the_health_path_under_its_prefix(prefix, url):
    (callback,) = presence_callbacks({"URL_PREFIX": prefix})

    assert callback.args == {"url": url, "attention": 300, "every": 60}
    assert "fetch(url" in callback.code and "document.hidden" in callback.code


def test_the_attention_time_comes_from_the_environment_and_a_typo_falls_back_to_the_default():
    assert presence_callbacks({"ATTENTION_SECONDS": "120"})[0].args["attention"] == 120
    assert presence_callbacks({"ATTENTION_SECONDS": "soon"})[0].args["attention"] == 300


def test_attention_seconds_zero_turns_the_presence_request_off():
    assert presence_callbacks({"ATTENTION_SECONDS": "0"}) == []
