"""The pages and status a visitor of a sleeping or starting app sees (pure).

The holding page is small and self-contained (inline CSS and script, no external assets). Its script:
1. asks for the wake (POST <prefix>_zerodash/wake with the page's token), and again every REWAKE_SECONDS
   while the app is seen asleep or the last request was not accepted (a throttle, a race);
2. polls <prefix>_zerodash/status every POLL_SECONDS and shows the step;
3. reloads the page as soon as a poll is answered by something other than the waker (its responses carry
   the WAKER_HEADER): the listener rule then forwards to the app, so the reload lands on it;
4. on an app behind the load balancer's login, recovers from a session that expired while it waits, as the
   runtime's login.js does for a Dash tab: the load balancer then answers every request with a 302 to the
   identity provider, fetch follows it to the IdP's origin, which sends no CORS headers, and the wake or poll
   fails with a TypeError. On such a TypeError the script asks for its own URL without following redirects;
   an opaque redirect (or a 401) means the login is gone, and the page reloads (the load balancer takes it
   through the login and back here), at most once per LOGIN_RELOAD_GAP_SECONDS, remembered in sessionStorage
   under login.js's key, so a login that does not stick cannot loop. Any other answer, or none, is a network
   blip: polling goes on.
A failed wake stops the polling and shows why. Without JavaScript the page says what is needed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from enum import Enum
from typing import Any

from common.facts import TaskStatus

POLL_SECONDS = 1.0
# The script asks for the wake again when the app is seen asleep, or its last request was not accepted
# (a throttled AWS call, a wake lost to a race), at most this often.
REWAKE_SECONDS = 3.0
WAKER_HEADER = "X-ZeroDash-Waker"
# A session that expired while the page waits: at most one reload into the login per this many seconds
# (as zerodash_runtime/static/login.js RELOAD_GAP_MS; both use the sessionStorage key LOGIN_RELOAD_KEY).
LOGIN_RELOAD_GAP_SECONDS = 30
LOGIN_RELOAD_KEY = "zerodash:login-reload"
TOKEN_HEADER = "X-ZeroDash-Token"


class Step(Enum):
    REQUESTED = "Requesting a server"
    PROVISIONING = "Provisioning the task"
    PULLING = "Pulling the container image"
    STARTING = "Starting the app"
    HEALTH_CHECK = "Waiting for the health check"
    READY = "Ready"


STEPS = tuple(Step)
_TASK_ORDER = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


def current_step(tasks: Sequence[TaskStatus], target_states: Sequence[str]) -> Step:
    """The furthest step any of the service's tasks or targets has reached."""
    if "healthy" in target_states:
        return Step.READY
    if any(state in ("initial", "unhealthy") for state in target_states):
        return Step.HEALTH_CHECK
    known = [task for task in tasks if task.last_status in _TASK_ORDER]
    if not known:
        return Step.REQUESTED
    task = max(known, key=lambda item: _TASK_ORDER.index(item.last_status))
    if task.last_status == "RUNNING" or task.pull_stopped:
        return Step.STARTING
    if task.pull_started or task.last_status == "ACTIVATING":
        return Step.PULLING
    return Step.PROVISIONING


def status_body(
    *, state: str, step: Step, elapsed_seconds: float | None, expected_seconds: int, failed: str | None = None
) -> str:
    """What <prefix>_zerodash/status answers (JSON); the holding page's script renders it."""
    return json.dumps(
        {
            "state": state,
            "step": step.value,
            "stepIndex": STEPS.index(step),
            "elapsedSeconds": None if elapsed_seconds is None else max(0, round(elapsed_seconds)),
            "expectedSeconds": expected_seconds,
            "failed": failed,
        }
    )


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}"
    "li{margin:.3rem 0;color:#999}li.done{color:#2a7}li.now{color:#222;font-weight:600}"
    "#failed{color:#b00}"
)

# The script of the holding page. CONFIG is filled in as JSON; nothing else in it varies.
_SCRIPT = """
(function () {
  var c = CONFIG, lastWake = 0, accepted = false, stopped = false;
  var items = document.querySelectorAll("#steps li"), note = document.getElementById("note");
  function checkLogin(e) {
    if (!(e instanceof TypeError)) { return; }
    fetch(location.href, {redirect: "manual", cache: "no-store", credentials: "same-origin"})
      .then(function (r) {
        if (r.type !== "opaqueredirect" && r.status !== 401) { return; }
        var last = Number(sessionStorage.getItem(c.reloadKey) || 0), now = Date.now();
        if (now - last >= 0 && now - last < c.reloadGapMs) { return; }
        sessionStorage.setItem(c.reloadKey, String(now));
        stopped = true;
        location.reload();
      })
      .catch(function () {});
  }
  function wake() {
    lastWake = Date.now();
    fetch(c.wakeUrl, {method: "POST", cache: "no-store", credentials: "same-origin",
                      headers: {"X-ZeroDash-Token": c.token}})
      .then(function (r) {
        if (r.status === 403) { stopped = true; location.reload(); }
        accepted = r.status === 202;
      })
      .catch(function (e) { accepted = false; checkLogin(e); });
  }
  function show(s) {
    for (var i = 0; i < items.length; i++) {
      items[i].className = i < s.stepIndex ? "done" : (i === s.stepIndex ? "now" : "todo");
    }
    if (s.elapsedSeconds !== null) { note.textContent = s.elapsedSeconds + " s so far"; }
    if (s.failed) {
      stopped = true;
      document.getElementById("failed").textContent = "The app could not start: " + s.failed;
    }
  }
  function poll() {
    if (stopped) { return; }
    fetch(c.statusUrl, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) {
        if (!r.headers.get(c.header)) {
          if (r.status < 500) { stopped = true; location.reload(); }
          return null;
        }
        return r.json();
      })
      .then(function (s) {
        if (!s) { return; }
        show(s);
        var again = s.state === "SLEEPING" || !accepted;
        if (again && !s.failed && Date.now() - lastWake > c.rewakeMs) { wake(); }
      })
      .catch(checkLogin)
      .then(function () { if (!stopped) { setTimeout(poll, c.pollMs); } });
  }
  wake();
  setTimeout(poll, c.pollMs);
})();
"""


def render_holding_page(
    *, title: str, token: str, wake_url: str, status_url: str, expected_seconds: int, step: Step = Step.REQUESTED
) -> str:
    name = html.escape(title)
    config: dict[str, Any] = {
        "token": token,
        "wakeUrl": wake_url,
        "statusUrl": status_url,
        "header": WAKER_HEADER,
        "pollMs": int(POLL_SECONDS * 1000),
        "rewakeMs": int(REWAKE_SECONDS * 1000),
        "reloadKey": LOGIN_RELOAD_KEY,
        "reloadGapMs": LOGIN_RELOAD_GAP_SECONDS * 1000,
    }
    # JSON inside <script>: "</" would end the script early, so it is escaped.
    script = _SCRIPT.replace("CONFIG", json.dumps(config).replace("</", "<\\/"))
    items = "".join(
        f'<li class="{_css_class(candidate, step)}">{html.escape(candidate.value)}</li>'
        for candidate in STEPS
        if candidate is not Step.READY
    )
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>Starting {name}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{name} is starting</h1>"
        f"<p>Nobody used it for a while, so it was asleep. Starting usually takes about {int(expected_seconds)} s;"
        ' this page opens the app as soon as it is ready. <span id="note"></span></p>'
        f'<ol id="steps" aria-live="polite">{items}</ol>'
        '<p id="failed" role="alert"></p>'
        "<noscript><p>This page needs JavaScript to start the app: turn it on and reload.</p></noscript>"
        f"<script>{script}</script>"
        "</body></html>"
    )


def render_failure_page(*, title: str, reason: str, retry_minutes: int) -> str:
    name = html.escape(title)
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{name} could not start</title><style>{_STYLE}</style></head><body>"
        f"<h1>{name} could not start</h1>"
        f'<p id="failed">{html.escape(reason)}</p>'
        f"<p>Its owners have been alerted. Starting it again is possible in about {int(retry_minutes)} min,"
        " or as soon as a fixed version is deployed.</p>"
        "</body></html>"
    )


RETRY_PAGE_SECONDS = 3


def render_retry_page() -> str:
    """What a page load gets when the waker cannot reach AWS yet: the browser tries again by itself."""
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="{RETRY_PAGE_SECONDS}">'
        '<meta name="robots" content="noindex">'
        f"<title>Starting</title><style>{_STYLE}</style></head><body>"
        "<h1>Starting</h1><p>One moment: this page reloads by itself.</p>"
        "</body></html>"
    )


def _css_class(candidate: Step, current: Step) -> str:
    if STEPS.index(candidate) < STEPS.index(current):
        return "done"
    return "now" if candidate is current else "todo"
