"""The waker's pure parts: request classification, safe redirects, tokens, the pages and responses."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from common.facts import TaskStatus
from waker.classify import Kind, classify, request_from_event
from waker.handler import answer
from waker.page import (
    LOGIN_RELOAD_GAP_SECONDS,
    LOGIN_RELOAD_KEY,
    Step,
    current_step,
    render_failure_page,
    render_holding_page,
    status_body,
)
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
        "reloadKey": "zerodash:login-reload",
        "reloadGapMs": 30000,
    }
    assert "http-equiv" not in holding_page()


LOGIN_JS = Path(__file__).resolve().parents[2] / "zerodash_runtime" / "static" / "login.js"


def test_the_holding_pages_login_check_shares_login_js_key_and_gap():
    """A tab that reloads into the login from the holding page and then from the Dash page (or back) counts both
    against one 30 s gap: the same sessionStorage key, the same gap."""
    login_js = LOGIN_JS.read_text()

    assert f"var LAST_RELOAD = '{LOGIN_RELOAD_KEY}';" in login_js
    assert f"var RELOAD_GAP_MS = {LOGIN_RELOAD_GAP_SECONDS * 1000};" in login_js


def test_the_holding_pages_login_check_probes_its_own_url_without_following_redirects():
    script = holding_page().split("<script>")[1].split("</script>")[0]

    assert 'fetch(location.href, {redirect: "manual", cache: "no-store", credentials: "same-origin"})' in script
    assert "if (!(e instanceof TypeError)) { return; }" in script
    assert 'r.type !== "opaqueredirect" && r.status !== 401' in script
    assert ".catch(function (e) { accepted = false; checkLogin(e); });" in script  # the wake request
    assert ".catch(checkLogin)" in script  # the status poll


# The holding page's script run by Node with a stand-in browser: `fail` is how its own requests fail (a TypeError,
# as when fetch followed the load balancer's 302 to the IdP; or another error), `probe` what the check of its own URL
# gets (an opaque redirect, a status, or a rejection: a network blip), `last` when sessionStorage says it last
# reloaded into the login (ms before now), `blocked` a sessionStorage that throws.
NODE_HARNESS = r"""
const fs = require("fs");
const src = fs.readFileSync(process.argv[2], "utf8");
const sc = JSON.parse(process.argv[3]);
let now = 1e12;
const store = {}, timers = [], out = {reloads: 0, probes: [], wakes: 0, polls: 0};
if (sc.last !== null) { store["zerodash:login-reload"] = String(now - sc.last); }
Date.now = () => now;
global.document = {querySelectorAll: () => [], getElementById: () => ({})};
global.location = {href: "https://example.com/sales/", reload: () => { out.reloads++; }};
global.sessionStorage = sc.blocked
  ? {getItem() { throw new Error("SecurityError"); }, setItem() { throw new Error("SecurityError"); }}
  : {getItem: (k) => (k in store ? store[k] : null), setItem: (k, v) => { store[k] = String(v); }};
global.setTimeout = (f) => { timers.push(f); };
global.fetch = (url, init) => {
  if (url === location.href) {
    out.probes.push(init);
    if (sc.probe === "reject") { return Promise.reject(new TypeError("Failed to fetch")); }
    const redirect = sc.probe === "opaqueredirect";
    return Promise.resolve({type: redirect ? "opaqueredirect" : "basic", status: redirect ? 0 : sc.probe});
  }
  if (init && init.method === "POST") { out.wakes++; } else { out.polls++; }
  return Promise.reject(sc.fail === "TypeError" ? new TypeError("Failed to fetch") : new Error("AbortError"));
};
const settle = () => new Promise((r) => setImmediate(r));
(async () => {
  eval(src);  // wake() at once; the first poll is a timer
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 10; j++) { await settle(); }
    now += 1000;
    const next = timers.shift();
    if (next) { next(); }
  }
  for (let j = 0; j < 10; j++) { await settle(); }
  out.stored = store["zerodash:login-reload"] === undefined ? null : Number(store["zerodash:login-reload"]) - 1e12;
  console.log(JSON.stringify(out));
})();
"""


def run_holding_script(tmp_path: Path, *, fail="TypeError", probe="opaqueredirect", last=None, blocked=False) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path / "holding.js"
    script.write_text(holding_page().split("<script>")[1].split("</script>")[0])
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS)
    scenario = json.dumps({"fail": fail, "probe": probe, "last": last, "blocked": blocked})
    done = subprocess.run([node, str(harness), str(script), scenario], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("probe", ["opaqueredirect", 401])
def test_a_session_gone_while_the_page_waits_reloads_it_into_the_login(tmp_path, probe):
    out = run_holding_script(tmp_path, probe=probe)

    assert out["reloads"] == 1
    assert out["probes"][0] == {"redirect": "manual", "cache": "no-store", "credentials": "same-origin"}
    assert out["stored"] is not None  # remembered for the next page
    assert out["polls"] == 0  # the wake's failure found it first; the page stopped polling


@pytest.mark.parametrize(
    ("situation", "options"),
    [
        ("a network blip: the probe gets no answer", {"probe": "reject"}),
        ("the login is fine: the probe gets the page", {"probe": 200}),
        ("the server's own error", {"probe": 503}),
        ("not a TypeError (an abort): no probe at all", {"fail": "Error"}),
        ("reloaded into the login 10 s ago", {"last": 10_000}),
        ("sessionStorage blocked: never a loop", {"blocked": True}),
    ],
)
def test_the_login_check_reloads_nothing_otherwise_and_the_page_keeps_polling(tmp_path, situation, options):
    out = run_holding_script(tmp_path, **options)

    assert out["reloads"] == 0, situation
    assert out["polls"] == 3, situation  # it goes on polling
    assert len(out["probes"]) == (0 if options.get("fail") == "Error" else 4), situation  # the wake, three polls


def test_the_last_reload_into_the_login_31_s_ago_does_not_hold_the_next_one(tmp_path):
    out = run_holding_script(tmp_path, last=31_000)

    assert out["reloads"] == 1 and out["stored"] == 0


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
