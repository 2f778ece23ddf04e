"""What kind of request reached a sleeping app, from the ALB Lambda event (pure).

ROBOTS   /robots.txt: answered by the waker itself, never wakes.
BOT      crawlers, link previewers, uptime monitors, scripted HTTP clients, no user agent: never wakes.
PROBE    HEAD / OPTIONS: never wakes (monitors and preflights, not people).
API      POST/PUT/..., XHR, fetch(), JSON, Dash's own endpoints and static assets: wakes, answered with
         a JSON 503 + Retry-After (a Dash callback from a tab left open must not get HTML).
PAGE     a browser loading a page: wakes, answered with the holding page.
"""

from __future__ import annotations

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
ASSET_SUFFIXES = (".js", ".css", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".json")


class Kind(Enum):
    ROBOTS = "robots"
    BOT = "bot"
    PROBE = "probe"
    API = "api"
    PAGE = "page"

    @property
    def wakes(self) -> bool:
        return self in (Kind.API, Kind.PAGE)


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


def classify(request: Request) -> Kind:
    if request.path.lower().endswith("/robots.txt"):
        return Kind.ROBOTS
    if is_bot(request.header("user-agent")):
        return Kind.BOT
    if request.method in ("HEAD", "OPTIONS"):
        return Kind.PROBE
    return Kind.PAGE if is_page_load(request) else Kind.API
