"""The waker's pure parts: request classification, the live step, the holding page and responses."""

from __future__ import annotations

import pytest

from common.facts import TaskStatus
from waker.classify import Kind, classify, request_from_event
from waker.page import Step, current_step, render_page
from waker.responses import json_unavailable, redirect

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
NAVIGATE = {"user-agent": CHROME, "accept": "text/html,application/xhtml+xml,*/*;q=0.8", "sec-fetch-mode": "navigate"}


def event(method="GET", path="/", headers=None, query=None, multi=False):
    headers = NAVIGATE if headers is None else headers
    base = {"httpMethod": method, "path": path, "body": "", "isBase64Encoded": False}
    if multi:
        return {
            **base,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "multiValueQueryStringParameters": {key: [value] for key, value in (query or {}).items()},
        }
    return {**base, "headers": headers, "queryStringParameters": query or {}}


def kind_of(**kwargs) -> Kind:
    return classify(request_from_event(event(**kwargs)))


def test_browser_navigation_is_a_page_load():
    assert kind_of() is Kind.PAGE


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
        "ELB-HealthChecker/2.0",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "",
    ],
)
def test_bots_monitors_and_scripts_never_wake(agent):
    assert kind_of(headers={**NAVIGATE, "user-agent": agent}) is Kind.BOT


def test_robots_txt_is_answered_without_waking_even_for_browsers():
    assert kind_of(path="/sales/robots.txt") is Kind.ROBOTS


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("POST", "/_dash-update-component", {"accept": "application/json", "sec-fetch-mode": "cors"}),
        ("GET", "/_dash-layout", {"accept": "application/json"}),
        ("GET", "/data", {"x-requested-with": "XMLHttpRequest", "accept": "*/*"}),
        ("GET", "/report", {"accept": "application/json", "sec-fetch-mode": ""}),
        ("GET", "/assets/style.css", {"accept": "text/css,*/*;q=0.1", "sec-fetch-mode": "no-cors"}),
    ],
)
def test_callbacks_fetches_and_assets_are_api_requests(method, path, extra):
    assert kind_of(method=method, path=path, headers={**NAVIGATE, **extra}) is Kind.API


def test_head_requests_are_probes():
    assert kind_of(method="HEAD") is Kind.PROBE


def test_multi_value_events_are_read_and_remembered():
    request = request_from_event(event(query={"tab": "2"}, multi=True))

    assert request.multi_value
    assert request.header("user-agent") == CHROME
    assert request.url == "/?tab=2"


def test_url_keeps_the_query_as_received():
    request = request_from_event(event(path="/sales/", query={"q": "a%20b", "page": "2"}))

    assert request.url == "/sales/?q=a%20b&page=2"


@pytest.mark.parametrize(
    ("tasks", "targets", "step"),
    [
        ((), (), Step.REQUESTED),
        ((TaskStatus(last_status="PROVISIONING"),), (), Step.PROVISIONING),
        ((TaskStatus(last_status="PENDING", pull_started=True),), (), Step.PULLING),
        ((TaskStatus(last_status="PENDING", pull_started=True, pull_stopped=True),), (), Step.STARTING),
        ((TaskStatus(last_status="RUNNING"),), (), Step.STARTING),
        ((TaskStatus(last_status="RUNNING"),), ("initial",), Step.HEALTH_CHECK),
        ((TaskStatus(last_status="RUNNING"),), ("draining", "healthy"), Step.READY),
    ],
)
def test_live_step_follows_the_furthest_task_and_target(tasks, targets, step):
    assert current_step(tasks, targets) is step


def test_holding_page_escapes_the_title_and_refreshes_itself():
    page = render_page(
        title="<script>x</script>", step=Step.PULLING, expected_seconds=60, elapsed_seconds=12.4, refresh_seconds=5
    )

    assert "<script>x" not in page
    assert "&lt;script&gt;" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "about 60 s" in page and "12 s so far" in page


def test_holding_page_is_small_and_self_contained():
    page = render_page(title="Sales", step=Step.STARTING, expected_seconds=60, elapsed_seconds=None, refresh_seconds=5)

    assert len(page.encode()) < 4096
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_json_answer_carries_retry_after():
    answer = json_unavailable("starting", 5, multi_value=False)

    assert answer["statusCode"] == 503
    assert answer["headers"]["Retry-After"] == "5"
    assert answer["headers"]["Content-Type"] == "application/json"


def test_responses_use_multi_value_headers_when_the_request_did():
    answer = redirect("/?a=1", multi_value=True)

    assert answer["multiValueHeaders"]["Location"] == ["/?a=1"]
    assert "headers" not in answer
