"""ALB Lambda target responses (pure).

When the target group has multi-value headers enabled, the ALB ignores `headers` in the response and
reads `multiValueHeaders` instead, so every response is built in the form the request arrived in. Every
response carries WAKER_HEADER, so the holding page's script can tell the waker's answers from the app's.

Every response also carries the security headers the app's runtime sends (`with_security_headers`): who may
frame it (CSP frame-ancestors from FRAME_ANCESTORS, space-separated sources, empty or absent = 'none', and
X-Frame-Options where it can say the same: common/framing.py), nosniff, and the referrer policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from common.framing import NO_SOURCE, frame_ancestors_policy, frame_options
from common.route import CLOSED_MESSAGE
from waker.page import WAKER_HEADER

NO_STORE = {"Cache-Control": "no-store"}
FRAME_ANCESTORS_ENV = "FRAME_ANCESTORS"


def frame_ancestors_sources(value: str | None) -> tuple[str, ...]:
    """FRAME_ANCESTORS as CSP sources; a token that could end the directive (";" or ",") is dropped."""
    sources = tuple(token for token in (value or "").split() if ";" not in token and "," not in token)
    return () if sources == (NO_SOURCE,) else sources


def security_headers(frame_ancestors: str | None) -> dict[str, str]:
    """The headers every waker response carries, for the app's FRAME_ANCESTORS value."""
    sources = frame_ancestors_sources(frame_ancestors)
    headers = {
        "Content-Security-Policy": frame_ancestors_policy(sources),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    options = frame_options(sources)
    if options is not None:
        headers["X-Frame-Options"] = options
    return headers


def with_security_headers(answer: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """`answer` with `headers` added, in the form (single or multi-value) it was built in."""
    if "multiValueHeaders" in answer:
        return {**answer, "multiValueHeaders": {**answer["multiValueHeaders"], **{k: [v] for k, v in headers.items()}}}
    return {**answer, "headers": {**(answer.get("headers") or {}), **headers}}


def response(status: int, body: str, headers: Mapping[str, str], *, multi_value: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "statusCode": status,
        "statusDescription": f"{status} {HTTPStatus(status).phrase}",
        "isBase64Encoded": False,
        "body": body,
    }
    headers = {**headers, WAKER_HEADER: "1"}
    if multi_value:
        answer["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        answer["headers"] = dict(headers)
    return answer


def holding_page(body: str, *, multi_value: bool) -> dict[str, Any]:
    headers = {"Content-Type": "text/html; charset=utf-8", **NO_STORE}
    return response(200, body, headers, multi_value=multi_value)


def failure_page(body: str, retry_after: int, *, multi_value: bool) -> dict[str, Any]:
    headers = {"Content-Type": "text/html; charset=utf-8", "Retry-After": str(retry_after), **NO_STORE}
    return response(503, body, headers, multi_value=multi_value)


def resend(location: str, *, multi_value: bool) -> dict[str, Any]:
    """307: the browser sends the same request again, method and body kept (`location` must be local)."""
    return response(307, "", {"Location": location, **NO_STORE}, multi_value=multi_value)


def json_answer(status: int, body: str, *, multi_value: bool) -> dict[str, Any]:
    return response(status, body, {"Content-Type": "application/json", **NO_STORE}, multi_value=multi_value)


def json_unavailable(message: str, retry_after: int, *, multi_value: bool) -> dict[str, Any]:
    body = json.dumps({"error": "starting", "message": message, "retryAfter": retry_after})
    headers = {"Content-Type": "application/json", "Retry-After": str(retry_after), **NO_STORE}
    return response(503, body, headers, multi_value=multi_value)


def asleep_for_bots(*, multi_value: bool) -> dict[str, Any]:
    """503 + Retry-After is what crawlers treat as "temporarily unavailable, come back later"."""
    headers = {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "3600", **NO_STORE}
    return response(503, "This app is asleep.\n", headers, multi_value=multi_value)


def robots_txt(*, multi_value: bool) -> dict[str, Any]:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    return response(200, "User-agent: *\nDisallow: /\n", headers, multi_value=multi_value)


def login_missing(*, multi_value: bool) -> dict[str, Any]:
    """The app must authenticate and its rule lost its login: nothing is served or woken until a redeploy."""
    headers = {"Content-Type": "text/plain; charset=utf-8", **NO_STORE}
    return response(503, CLOSED_MESSAGE + "\n", headers, multi_value=multi_value)
