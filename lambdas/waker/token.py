"""The wake token: proof that a holding page was loaded by a browser that runs its script (pure).

The holding page carries a token; its script sends it back in the wake request. A client that runs no
JavaScript never sends it, so never starts a task. A scanner that replays a captured wake request can
start the app only within TOKEN_SECONDS of the page it came from, and only with the same User-Agent.

    token = "<issued unix seconds>.<HMAC-SHA256(key, app | issued | user agent), 32 hex>"

The key is a random secret of the deployment (Secrets Manager, created by the platform stack).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

TOKEN_SECONDS = 120
CLOCK_SKEW_SECONDS = 5  # Lambda instances' clocks agree closely; a little tolerance for the issuing one


def _mac(key: bytes, app: str, issued: int, user_agent: str) -> str:
    message = f"{app}|{issued}|{user_agent}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def mint(key: bytes, *, app: str, user_agent: str, now: datetime) -> str:
    issued = int(now.timestamp())
    return f"{issued}.{_mac(key, app, issued, user_agent)}"


def check(key: bytes, token: str, *, app: str, user_agent: str, now: datetime) -> bool:
    issued_text, _, mac = token.strip().partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    age = now.timestamp() - issued
    if not -CLOCK_SKEW_SECONDS <= age <= TOKEN_SECONDS:
        return False
    return hmac.compare_digest(mac, _mac(key, app, issued, user_agent))
