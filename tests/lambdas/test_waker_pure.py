"""The waker's pure parts: request classification, safe redirects, tokens, the pages and responses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from common.facts import TaskStatus
from waker.classify import Kind, classify, request_from_event
from waker.handler import answer
from waker.page import Step, current_step, render_failure_page, render_holding_page, status_body
from waker.responses import json_unavailable, resend
from waker.token import TOKEN_SECONDS, check, mint

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
def test_callbacks_fetches_and_assets_are_not_page_loads(method, path, extra):
    assert kind_of(method=method, path=path, headers={**NAVIGATE, **extra}) in (Kind.CALLBACK, Kind.API)


def test_dash_endpoints_are_callbacks_of_an_open_tab():
    callback = {**NAVIGATE, "accept": "application/json", "sec-fetch-mode": "cors"}

    assert kind_of(method="POST", path="/sales/_dash-update-component", headers=callback) is Kind.CALLBACK


def test_the_load_balancers_stickiness_cookie_marks_a_request_from_an_open_tab():
    fetch = {**NAVIGATE, "accept": "*/*", "sec-fetch-mode": "cors", "cookie": "a=1; AWSALB=abc; b=2"}

    assert kind_of(path="/sales/api/data", headers=fetch) is Kind.CALLBACK
    assert kind_of(path="/sales/api/data", headers={**fetch, "cookie": "a=1"}) is Kind.API


@pytest.mark.parametrize(
    "path",
    ["/wp-login.php", "/.env", "/cgi-bin/luci", "/admin", "/"],
)
def test_a_scanners_post_is_neither_a_wake_nor_a_callback(path):
    assert kind_of(method="POST", path=path, headers={**NAVIGATE, "accept": "*/*"}) is Kind.API


def test_the_holding_pages_own_requests_are_recognised_under_any_prefix():
    assert kind_of(method="POST", path="/sales/_zerodash/wake", headers={**NAVIGATE, "accept": "*/*"}) is Kind.WAKE
    assert kind_of(path="/sales/_zerodash/status", headers={**NAVIGATE, "accept": "*/*"}) is Kind.STATUS
    assert kind_of(method="GET", path="/_zerodash/wake", headers={**NAVIGATE, "accept": "*/*"}) is Kind.API


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
    ("path", "location"),
    [
        ("//evil.example/x", "/evil.example/x"),
        ("/\\evil.example/x", "/evil.example/x"),
        ("/\t/evil.example", "/evil.example"),
        ("///evil.example", "/evil.example"),
        ("/sales/page", "/sales/page"),
    ],
)
def test_a_location_built_from_the_request_never_leaves_the_host(path, location):
    assert request_from_event(event(path=path)).local_url == location


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


def holding_page(title: str = "Sales") -> str:
    return render_holding_page(
        title=title,
        token="123.abc",
        wake_url="/s/_zerodash/wake",
        status_url="/s/_zerodash/status",
        expected_seconds=60,
    )


def test_holding_page_escapes_the_title():
    page = holding_page("<script>x</script>")

    assert "<script>x" not in page
    assert "&lt;script&gt;x" in page


def test_holding_page_carries_its_config_for_the_script_and_no_meta_refresh():
    config = json.loads(re.search(r"var c = (\{.*?\}), lastWake", holding_page()).group(1))

    assert config == {
        "token": "123.abc",
        "wakeUrl": "/s/_zerodash/wake",
        "statusUrl": "/s/_zerodash/status",
        "header": "X-ZeroDash-Waker",
        "pollMs": 1000,
        "rewakeMs": 3000,
    }
    assert "http-equiv" not in holding_page()


def test_a_title_cannot_end_the_script_early():
    page = render_holding_page(
        title="x", token="</script><script>alert(1)</script>", wake_url="/w", status_url="/s", expected_seconds=60
    )

    assert page.count("</script>") == 1


def test_holding_page_is_small_and_self_contained():
    page = holding_page()

    assert len(page.encode()) < 6144
    assert "http://" not in page and "https://" not in page and "<noscript>" in page


def test_failure_page_says_what_failed_and_when_to_retry():
    page = render_failure_page(title="Sales", reason="CannotPullContainerError: <tag> not found", retry_minutes=10)

    assert "CannotPullContainerError: &lt;tag&gt; not found" in page
    assert "about 10 min" in page


def test_status_body_names_the_step_for_the_script():
    body = json.loads(status_body(state="WAKING", step=Step.PULLING, elapsed_seconds=12.4, expected_seconds=60))

    assert body == {
        "state": "WAKING",
        "step": "Pulling the container image",
        "stepIndex": 2,
        "elapsedSeconds": 12,
        "expectedSeconds": 60,
        "failed": None,
    }


KEY = b"k" * 32
NOW = datetime(2024, 5, 15, 3, 0, tzinfo=UTC)


def test_a_token_is_valid_for_its_app_and_user_agent_within_its_lifetime():
    token = mint(KEY, app="sales", user_agent=CHROME, now=NOW)

    assert check(KEY, token, app="sales", user_agent=CHROME, now=NOW + timedelta(seconds=TOKEN_SECONDS))
    assert not check(KEY, token, app="sales", user_agent=CHROME, now=NOW + timedelta(seconds=TOKEN_SECONDS + 1))
    assert not check(KEY, token, app="ops", user_agent=CHROME, now=NOW)
    assert not check(KEY, token, app="sales", user_agent="curl/8", now=NOW)
    assert not check(b"other" * 8, token, app="sales", user_agent=CHROME, now=NOW)


@pytest.mark.parametrize("token", ["", ".", "abc.def", "9" * 40 + ".x", "1715742000"])
def test_malformed_tokens_are_refused(token):
    assert not check(KEY, token, app="sales", user_agent=CHROME, now=NOW)


def test_json_answer_carries_retry_after():
    answer = json_unavailable("starting", 5, multi_value=False)

    assert answer["statusCode"] == 503
    assert answer["headers"]["Retry-After"] == "5"
    assert answer["headers"]["Content-Type"] == "application/json"


def test_responses_use_multi_value_headers_when_the_request_did():
    answer = resend("/?a=1", multi_value=True)

    assert (answer["statusCode"], answer["multiValueHeaders"]["Location"]) == (307, ["/?a=1"])
    assert "headers" not in answer


def test_every_waker_response_names_the_waker():
    assert json_unavailable("x", 5, multi_value=False)["headers"]["X-ZeroDash-Waker"] == "1"


def test_a_cold_start_that_cannot_reach_aws_still_answers_every_kind_of_request():
    def throttled():
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParameter")

    page = answer(throttled, event(path="/ops/"))
    status = answer(throttled, event(path="/ops/_zerodash/status", headers={**NAVIGATE, "accept": "*/*"}))
    callback = answer(throttled, event(method="POST", path="/ops/_dash-update-component"))

    assert page["statusCode"] == 200 and 'http-equiv="refresh"' in page["body"]
    assert json.loads(status["body"])["state"] == "UNKNOWN"
    assert callback["statusCode"] == 503 and callback["headers"]["Retry-After"] == "3"
