"""Security headers on every response the runtime serves, whatever the app's code sets (or forgets).

- `Content-Security-Policy: frame-ancestors <FRAME_ANCESTORS or 'none'>`: who may put the app in a frame. Added as
  a header of its own: an app's own Content-Security-Policy is kept, and browsers enforce every CSP header they get
  (a response must pass each), so the app can tighten its policy but not lift the framing rule.
- `X-Frame-Options`, for browsers without frame-ancestors: DENY when nobody may frame the app, SAMEORIGIN when only
  'self' may; none for a list of origins, which it cannot express (browsers that know frame-ancestors ignore it
  when a frame-ancestors policy is present). The stricter of the app's and the runtime's wins.
- `X-Content-Type-Options: nosniff`: a file is only ever run or styled as the type it is served with.
- `Referrer-Policy: strict-origin-when-cross-origin` unless the app chose one: other sites see the app's origin,
  not its URLs (which carry a dashboard's query strings).

The waker's holding page sends the same headers for a sleeping app (lambdas/waker), and the load balancer's and
CloudFront's framing headers follow the same rule, written once for them in lambdas/common/framing.py; the app's
image does not carry that package, hence this copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zerodash_runtime.prefix import StartResponse, WSGIApp

REFERRER_POLICY = "strict-origin-when-cross-origin"
_STRICTNESS = {"DENY": 2, "SAMEORIGIN": 1}  # an X-Frame-Options value the app set that is neither is replaced


def frame_ancestors_policy(frame_ancestors: tuple[str, ...]) -> str:
    return "frame-ancestors " + (" ".join(frame_ancestors) or "'none'")


def frame_options(frame_ancestors: tuple[str, ...]) -> str | None:
    if not frame_ancestors:
        return "DENY"
    return "SAMEORIGIN" if frame_ancestors == ("'self'",) else None


class SecurityHeaders:
    """Wrap `app` (the whole runtime): every response it starts gets the headers above."""

    def __init__(self, app: WSGIApp, *, frame_ancestors: tuple[str, ...]) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors
        self.policy = frame_ancestors_policy(frame_ancestors)
        self.frame_options = frame_options(frame_ancestors)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, self.secured(headers), exc_info)

        return self.app(environ, start)

    def secured(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """`headers` (the app's) with the security headers added; the app's are kept unless stated above."""
        names = {name.lower() for name, _ in headers}
        kept = [(name, value) for name, value in headers if name.lower() != "x-content-type-options"]
        added = [("Content-Security-Policy", self.policy), ("X-Content-Type-Options", "nosniff")]
        if self.frame_options is not None:
            chosen = self.frame_options
            for name, value in headers:
                if name.lower() == "x-frame-options":
                    theirs = value.strip().upper()
                    if _STRICTNESS.get(theirs, 0) > _STRICTNESS[chosen]:
                        chosen = theirs
            kept = [(name, value) for name, value in kept if name.lower() != "x-frame-options"]
            added.append(("X-Frame-Options", chosen))
        if "referrer-policy" not in names:
            added.append(("Referrer-Policy", REFERRER_POLICY))
        return kept + added
