"""Waker Lambda: the ALB target behind an app's listener rule while it sleeps, wakes or dozes.

Environment (lambdas/README.md): ZERODASH_APP_PARAMETER (the SSM parameter holding this app's object) and
ZERODASH_TOKEN_SECRET (the Secrets Manager secret that signs wake tokens). The waker only ever touches its
own app's service, scalable target and listener rule; nothing in a request selects a resource.

What each kind of request (waker/classify.py) gets:
- ROBOTS, BOT, PROBE: answered at once, nothing read.
- PAGE: the holding page with a fresh wake token, or the failure page after a failed wake.
- WAKE (the page's script, with a valid token): wakes a sleeping app; sends a dozing or starting app's
  visitor back to its healthy tasks (rule to the service); counts the visit.
- STATUS (the page's script): the current step as JSON; finishes a wake once a target is healthy.
- CALLBACK (a tab that was using the app): if the tasks still run, the rule goes back to the service and
  the browser is told to send the same request again (307); otherwise a JSON 503 with Retry-After.
- API: resent (307) if the app is awake (the rule change is still reaching the load balancer), else 503.
Reads are cached for 2 s (waker/runtime.py: a holding page polls every second); anything that writes
re-reads first.

Login. If the app must authenticate (its object's `auth`) and its rule has lost its authenticate action, a
request reached the waker without any login: nothing is served or woken. The waker closes the rule (a fixed
503) and stops the tasks, as the scaler would (common/lifecycle.py close_for_missing_login), answers 503, and
logs an ERROR asking for a redeploy.

Every answer carries the security headers of waker/responses.py, framing as FRAME_ANCESTORS allows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from common.apps import AppSpec
from common.aws import make_clients
from common.emf import emit, log_record
from common.facts import Facts
from common.lifecycle import (
    FAILED_WAKE_COOLDOWN_MINUTES,
    LOGIN_MISSING,
    State,
    close_for_missing_login,
    login_missing,
    may_send_back,
    recent_wake_failure,
    send_back,
    state_of,
    visit,
    wake,
    wake_deadline,
)
from common.retry import WAKER_RETRIES, is_retryable
from common.route import CLOSED_MESSAGE, Route
from waker import responses
from waker.classify import STATUS_PATH, WAKE_PATH, Kind, Request, classify, request_from_event
from waker.page import (
    RETRY_PAGE_SECONDS,
    TOKEN_HEADER,
    Step,
    render_failure_page,
    render_holding_page,
    render_retry_page,
    status_body,
)
from waker.runtime import Runtime, build_runtime
from waker.token import check, mint

# Before telling a browser to resend a request to the app, give the rule change time to reach the load
# balancer (ELB documents no propagation time; the twin models a few seconds, tests/twin/elb.py).
RESEND_WAIT_SECONDS = 1.0


@cache
def _runtime() -> Runtime:
    return build_runtime(
        lambda budget: make_clients(policy=WAKER_RETRIES, budget=budget),
        os.environ,
        now=lambda: datetime.now(UTC),
        sleep=time.sleep,
    )


def handle(runtime: Runtime, event: dict[str, Any]) -> dict[str, Any]:
    if runtime.budget is not None:
        runtime.budget.start()
    request = request_from_event(event)
    kind = classify(request)
    multi = request.multi_value
    log: dict[str, Any] = {"level": "INFO", "kind": kind.value, "method": request.method, "path": request.path}
    if kind is Kind.ROBOTS:
        return responses.robots_txt(multi_value=multi)
    if not kind.from_browser:
        emit(log_record(runtime.app.name, runtime.now(), {**log, "user_agent": request.header("user-agent")}))
        return responses.asleep_for_bots(multi_value=multi)
    try:
        closed = _closed_without_login(runtime, request, kind, log)
        answer = closed if closed is not None else _ANSWERS[kind](runtime, request, log)
    except Exception as error:
        if not is_retryable(error):
            raise  # a real fault (access denied, a bug): the invocation fails and the alarm on it fires
        # AWS still throttled or unavailable after the retries: the visitor gets an answer the page's
        # script copes with (it polls and asks again), never the load balancer's 502.
        log.update(level="WARNING", action="degraded", error=f"{type(error).__name__}: {error}")
        answer = _degraded(runtime, request, kind)
    if log.get("action") or log.get("metrics"):
        emit(log_record(runtime.app.name, runtime.now(), log, log.pop("metrics", None)))
    return answer


def _closed_without_login(runtime: Runtime, request: Request, kind: Kind, log: dict[str, Any]) -> dict[str, Any] | None:
    """Fail closed when the app must authenticate and its rule has no login (a fresh read confirms it)."""
    if not login_missing(runtime.facts(), runtime.app):
        return None
    facts = runtime.facts(fresh=True)
    if not login_missing(facts, runtime.app):
        return None
    decision = close_for_missing_login(facts, runtime.now())
    runtime.change(facts, decision)
    log.update(level="ERROR", action=", ".join(decision.actions) or "none: already closed", error=LOGIN_MISSING)
    if kind is Kind.STATUS:  # the holding page's script shows it and stops polling
        body = status_body(
            state=State.SLEEPING.value,
            step=Step.REQUESTED,
            elapsed_seconds=None,
            expected_seconds=runtime.app.expected_start_seconds,
            failed=CLOSED_MESSAGE,
        )
        return responses.json_answer(200, body, multi_value=request.multi_value)
    return responses.login_missing(multi_value=request.multi_value)


def _degraded(runtime: Runtime, request: Request, kind: Kind) -> dict[str, Any]:
    if kind is Kind.PAGE:
        return _holding_page(runtime, request)
    if kind is Kind.STATUS:
        body = _unknown_status(expected_seconds=runtime.app.expected_start_seconds)
        return responses.json_answer(200, body, multi_value=request.multi_value)
    if kind is Kind.CALLBACK:
        return _resend(runtime, request)  # the next try is another chance; browsers stop after 20
    message = f"{runtime.app.title} is asleep or starting; reload the page to open it."
    return responses.json_unavailable(message, runtime.app.refresh_seconds, multi_value=request.multi_value)


def _unknown_status(*, expected_seconds: int) -> str:
    """The status when AWS could not be read: the page's script keeps polling, and asks for the wake again."""
    return status_body(state="UNKNOWN", step=Step.REQUESTED, elapsed_seconds=None, expected_seconds=expected_seconds)


def _page(runtime: Runtime, request: Request, log: dict[str, Any]) -> dict[str, Any]:
    app, now = runtime.app, runtime.now()
    failed = _failure(runtime.facts(), app, now)
    if failed is not None:
        log["action"] = "failure page"
        page = render_failure_page(title=app.title, reason=failed, retry_minutes=FAILED_WAKE_COOLDOWN_MINUTES)
        return responses.failure_page(page, FAILED_WAKE_COOLDOWN_MINUTES * 60, multi_value=request.multi_value)
    return _holding_page(runtime, request)


def _holding_page(runtime: Runtime, request: Request) -> dict[str, Any]:
    app = runtime.app
    # The script's endpoints sit beside the page, so they match the app's listener rule whatever its path.
    folder = request.path[: request.path.rfind("/") + 1] or "/"
    page = render_holding_page(
        title=app.title,
        token=mint(runtime.token_key, app=app.name, user_agent=request.header("user-agent"), now=runtime.now()),
        wake_url=folder.rstrip("/") + WAKE_PATH,
        status_url=folder.rstrip("/") + STATUS_PATH,
        expected_seconds=app.expected_start_seconds,
    )
    return responses.holding_page(page, multi_value=request.multi_value)


def _status(runtime: Runtime, request: Request, log: dict[str, Any]) -> dict[str, Any]:
    app, now = runtime.app, runtime.now()
    facts = runtime.facts()
    if state_of(facts) is State.WAKING and may_send_back(facts, app, now):
        facts = _send_back(runtime, log)
    state = state_of(facts)
    failed = _failure(facts, app, now)
    started = facts.marks.wake_started
    if state in (State.AWAKE, State.SLEEPING):
        step = Step.READY if state is State.AWAKE else Step.REQUESTED
    else:
        step = runtime.step()
    body = status_body(
        state=state.value,
        step=step,
        elapsed_seconds=None if started is None else (now - started).total_seconds(),
        expected_seconds=app.expected_start_seconds,
        failed=failed,
    )
    return responses.json_answer(200, body, multi_value=request.multi_value)


def _wake(runtime: Runtime, request: Request, log: dict[str, Any]) -> dict[str, Any]:
    app, now = runtime.app, runtime.now()
    token = request.header(TOKEN_HEADER)
    if not check(runtime.token_key, token, app=app.name, user_agent=request.header("user-agent"), now=now):
        log["action"] = "refused: no valid token"
        return responses.json_answer(403, json.dumps({"error": "token"}), multi_value=request.multi_value)
    facts = runtime.facts(fresh=True)
    state = state_of(facts)
    log["metrics"] = {"WakeRequests": 1.0}
    if state is State.SLEEPING:
        failed = _failure(facts, app, now)
        if failed is not None:
            log["action"] = "refused: failed wake"
            body = json.dumps({"error": "failed", "message": failed})
            return responses.json_answer(503, body, multi_value=request.multi_value)
        decision = wake(facts, app, now, "a visitor")
        runtime.change(facts, decision)
        log["action"] = f"desired=0->{app.policy.min_tasks}"
        log["metrics"].update(decision.metrics)
        state = State.WAKING
    elif state is State.DOZING and not may_send_back(facts, app, now):
        # Too close to the scaler's deadline to move the rule: the mark makes its next run keep the app.
        runtime.change(facts, visit(facts, now, "a visitor"))
        log["action"] = "visit marked"
    elif state in (State.DOZING, State.WAKING):
        state = state_of(_send_back(runtime, log, facts))
    return responses.json_answer(202, json.dumps({"state": state.value}), multi_value=request.multi_value)


def _callback(runtime: Runtime, request: Request, log: dict[str, Any]) -> dict[str, Any]:
    facts = runtime.facts()
    if state_of(facts) is not State.AWAKE and may_send_back(facts, runtime.app, runtime.now()):
        facts = _send_back(runtime, log)
    return _resend_or_unavailable(runtime, request, facts)


def _api(runtime: Runtime, request: Request, log: dict[str, Any]) -> dict[str, Any]:
    return _resend_or_unavailable(runtime, request, runtime.facts())


def _resend_or_unavailable(runtime: Runtime, request: Request, facts: Facts) -> dict[str, Any]:
    if state_of(facts) is State.AWAKE:
        return _resend(runtime, request)
    message = f"{runtime.app.title} is asleep or starting; reload the page to open it."
    return responses.json_unavailable(message, runtime.app.refresh_seconds, multi_value=request.multi_value)


def _resend(runtime: Runtime, request: Request) -> dict[str, Any]:
    """The browser sends the request again, once the rule change has had a moment to reach the ALB."""
    runtime.sleep(RESEND_WAIT_SECONDS)
    return responses.resend(request.local_url, multi_value=request.multi_value)


def _send_back(runtime: Runtime, log: dict[str, Any], fresh: Facts | None = None) -> Facts:
    """Rule to the service if a fresh read still allows it; a dozing app's visit is marked first, so the
    scaler counts it at once. Returns the facts as they are afterwards."""
    facts = fresh or runtime.facts(fresh=True)  # cached facts never decide a write
    now = runtime.now()
    if not may_send_back(facts, runtime.app, now):
        return facts
    runtime.change(facts, send_back(facts, now, "a visitor"))
    log["action"] = "rule->service"
    started = facts.marks.wake_started
    if state_of(facts) is not State.DOZING and started is not None:
        log.setdefault("metrics", {})["WakeSeconds"] = (now - started).total_seconds()
    return replace(facts, route=Route.SERVICE)


def _failure(facts: Facts, app: AppSpec, now: datetime) -> str | None:
    """Why the app cannot be woken now: a recent failed wake, or a wake past its deadline without a target."""
    if state_of(facts) is State.SLEEPING:
        failure = recent_wake_failure(facts, now)
        return None if failure is None else failure.reason
    deadline = wake_deadline(facts, app)
    if state_of(facts) is State.WAKING and not facts.healthy_targets and deadline is not None and now >= deadline:
        events = facts.service.events
        detail = f": {events[0]}" if events else ""
        return f"no healthy task within {app.wake_timeout_seconds} s{detail}"
    return None


_ANSWERS: dict[Kind, Callable[[Runtime, Request, dict[str, Any]], dict[str, Any]]] = {
    Kind.PAGE: _page,
    Kind.STATUS: _status,
    Kind.WAKE: _wake,
    Kind.CALLBACK: _callback,
    Kind.API: _api,
}


def answer(
    get_runtime: Callable[[], Runtime], event: dict[str, Any], *, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """Handle the event, and add the security headers (FRAME_ANCESTORS from `environ`) to the answer."""
    headers = responses.security_headers(environ.get(responses.FRAME_ANCESTORS_ENV))
    return responses.with_security_headers(_answer(get_runtime, event), headers)


def _answer(get_runtime: Callable[[], Runtime], event: dict[str, Any]) -> dict[str, Any]:
    """Get the runtime (built at the first invocation of an execution environment), then handle the event.

    If AWS is throttled or unavailable while the runtime is built, the visitor still gets an answer: a
    page that reloads itself, or a JSON 503; the next invocation builds it again.
    """
    try:
        runtime = get_runtime()
    except Exception as error:
        if not is_retryable(error):
            raise
        request = request_from_event(event)
        emit({"level": "WARNING", "action": "cold start failed", "error": f"{type(error).__name__}: {error}"})
        kind, multi = classify(request), request.multi_value
        if kind is Kind.PAGE:
            return responses.holding_page(render_retry_page(), multi_value=multi)
        if kind is Kind.STATUS:  # the page's script keeps polling, and asks for the wake again
            return responses.json_answer(200, _unknown_status(expected_seconds=0), multi_value=multi)
        return responses.json_unavailable("Starting; retry shortly.", RETRY_PAGE_SECONDS, multi_value=multi)
    return handle(runtime, event)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return answer(_runtime, event)
