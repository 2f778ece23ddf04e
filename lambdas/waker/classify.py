"""What kind of request reached the waker, from the ALB Lambda event (pure).

Only people wake apps, and a person's browser runs JavaScript: no request kind but WAKE starts a task,
and WAKE carries a token that only the holding page's script sends (waker/token.py).

ROBOTS    /robots.txt: answered by the waker itself.
BOT       crawlers, link previewers, uptime monitors, scripted HTTP clients, no user agent.
PROBE     HEAD / OPTIONS (monitors and preflights, not people).
WAKE      POST <prefix>_zerodash/wake: the holding page's script asking for the app, with its token.
STATUS    GET <prefix>_zerodash/status: the holding page's script polling for progress.
PAGE      a browser loading a page: answered with the holding page.
CALLBACK  a request from a tab that was using the app (a Dash endpoint, or the ALB's stickiness cookie):
          sent back to the app if it still runs (dozing), else a JSON 503 + Retry-After.
API       anything else (other XHR/fetch, assets, POSTs to other paths): a JSON 503 + Retry-After.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

# Lowercase substrings of user agents that must never wake an app. Generic words first, then names that
# do not contain them. Scripted clients (curl, python-requests, ...) are here on purpose: uptime checks
# and scripts use them; a person wakes an app with a browser or `python -m zerodash wake APP`.
BOT_MARKERS: tuple[str, ...] = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrapy",
    "archiver",
    "preview",
    "monitor",
    "uptime",
    "pingdom",
    "statuscake",
    "site24x7",
    "newrelicpinger",
    "datadog",
    "synthetic",
    "elb-healthchecker",
    "health",
    "facebookexternalhit",
    "meta-externalagent",
    "whatsapp",
    "embedly",
    "quora link preview",
    "ia_archiver",
    "mediapartners-google",
    "adsbot-google",
    "google-inspectiontool",
    "google-read-aloud",
    "feedfetcher",
    "bingpreview",
    "yahoo! slurp",
    "baiduspider",
    "yandex",
    "petalbot",
    "bytespider",
    "gptbot",
    "chatgpt-user",
    "claude",
    "anthropic-ai",
    "ccbot",
    "perplexity",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "axios/",
    "node-fetch",
    "postmanruntime",
    "insomnia",
    "httpie",
    "powershell",
)

DASH_PATH_MARKERS = ("/_dash-", "/_reload-hash", "/_favicon")
WAKE_PATH = "/_zerodash/wake"
STATUS_PATH = "/_zerodash/status"
# The load balancer's stickiness cookie: a browser that has it was answered by the app's service recently.
STICKINESS_COOKIES = ("AWSALB=", "AWSALBCORS=")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
ASSET_SUFFIXES = (".js", ".css", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".json")


class Kind(Enum):
    ROBOTS = "robots"
    BOT = "bot"
    PROBE = "probe"
    WAKE = "wake"
    STATUS = "status"
    PAGE = "page"
    CALLBACK = "callback"
    API = "api"

    @property
    def from_browser(self) -> bool:
        """Requests a browser makes for a person (the others are turned away without reading any state)."""
        return self in (Kind.WAKE, Kind.STATUS, Kind.PAGE, Kind.CALLBACK, Kind.API)


@dataclass(frozen=True, kw_only=True)
class Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # lowercase names
    multi_value: bool = False  # the target group has multi-value headers on: answer in the same form

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def url(self) -> str:
        """Path and query as received (the ALB passes query values still URL-encoded)."""
        if not self.query:
            return self.path
        return self.path + "?" + "&".join(f"{key}={value}" if value else key for key, value in self.query)

    @property
    def local_url(self) -> str:
        """`url` made safe for a Location header: always a path on this host.

        Browsers read "//host/x" and "/\\host/x" as another host, and drop tabs and newlines first, so
        control characters go, then every leading slash and backslash but one.
        """
        clean = _CONTROL.sub("", self.url)
        return "/" + clean.lstrip("/\\")


def request_from_event(event: Mapping[str, Any]) -> Request:
    """Read either event form: `headers`/`queryStringParameters`, or the multi-value ones."""
    multi = "multiValueHeaders" in event
    if multi:
        raw_headers = {name: values[-1] for name, values in (event.get("multiValueHeaders") or {}).items() if values}
        query = tuple(
            (key, value)
            for key, values in (event.get("multiValueQueryStringParameters") or {}).items()
            for value in values
        )
    else:
        raw_headers = dict(event.get("headers") or {})
        query = tuple((event.get("queryStringParameters") or {}).items())
    return Request(
        method=str(event.get("httpMethod", "GET")).upper(),
        path=str(event.get("path") or "/"),
        query=query,
        headers={str(name).lower(): str(value) for name, value in raw_headers.items()},
        multi_value=multi,
    )


def is_bot(user_agent: str) -> bool:
    agent = user_agent.strip().lower()
    return not agent or any(marker in agent for marker in BOT_MARKERS)


def is_page_load(request: Request) -> bool:
    """A browser navigation: GET, not XHR/fetch, wants HTML, and not one of Dash's endpoints or assets."""
    if request.method != "GET":
        return False
    if request.header("x-requested-with"):
        return False
    fetch_mode = request.header("sec-fetch-mode").lower()
    if fetch_mode and fetch_mode != "navigate":
        return False
    path = request.path.lower()
    if any(marker in path for marker in DASH_PATH_MARKERS) or path.endswith(ASSET_SUFFIXES):
        return False
    accept = request.header("accept").lower()
    if not accept or "text/html" in accept:
        return True
    return "*/*" in accept and "application/json" not in accept


def from_open_tab(request: Request) -> bool:
    """A request from a tab that was using the app: one of Dash's endpoints, or the ALB's stickiness cookie."""
    path = request.path.lower()
    cookies = request.header("cookie")
    return any(marker in path for marker in DASH_PATH_MARKERS) or any(name in cookies for name in STICKINESS_COOKIES)


def classify(request: Request) -> Kind:
    path = request.path.lower()
    if path.endswith("/robots.txt"):
        return Kind.ROBOTS
    if is_bot(request.header("user-agent")):
        return Kind.BOT
    if request.method in ("HEAD", "OPTIONS"):
        return Kind.PROBE
    if path.endswith(WAKE_PATH):
        return Kind.WAKE if request.method == "POST" else Kind.API
    if path.endswith(STATUS_PATH):
        return Kind.STATUS if request.method == "GET" else Kind.API
    if is_page_load(request):
        return Kind.PAGE
    return Kind.CALLBACK if from_open_tab(request) else Kind.API
