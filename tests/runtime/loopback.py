"""Small HTTP servers on loopback for the browser tests: a page from another origin, and a stand-in for the ALB's
login (authenticate-oidc) with a fake identity provider, in front of the runtime's gunicorn.

The login stand-in follows the ALB's documented flow (docs.aws.amazon.com/elasticloadbalancing/latest/application/
listener-authenticate-users.html): a request without a valid session cookie is answered 302 to the IdP's
authorization endpoint, whatever its method (OnUnauthenticatedRequest "authenticate", the default; see
API_AuthenticateOidcActionConfig), with a `state` that carries the original URL; the IdP sends the browser back to
/oauth2/idpresponse with a code; the ALB redeems the code, sets its session cookie (AWSELBAuthSessionCookie-0) and
redirects to the original URL. A request with a valid cookie is forwarded to the target.

What it does not model: TLS, the token and user-info calls (the code is checked in-process), the JWT headers the
ALB adds (X-Amzn-Oidc-*), the cookie's encryption and its sharding over several cookies, the IdP's own session and
login form (the fake IdP logs anyone in at once), and the real ALB's session lifetime: `expire_sessions()` makes
every cookie issued so far invalid, as the ALB treats an expired session cookie (the browser keeps sending it).
"""

from __future__ import annotations

import base64
import http.client
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

SESSION_COOKIE = "AWSELBAuthSessionCookie-0"
IDP_RESPONSE = "/oauth2/idpresponse"
# Hop-by-hop headers, and the framing ones the forwarder sets itself.
_NOT_FORWARDED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"})
_OWN = frozenset({"date", "server"})  # send_response writes its own


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # the tests read counters, not logs
        return

    def answer(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` on a free loopback port in a thread; yields the base URL (no trailing "/")."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"loopback-{handler.__name__}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Page:
    """A page on its own loopback port: another origin than the app's. Set `html` (and any response `headers`)
    before loading `url`."""

    url: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def page() -> Iterator[Page]:
    served = Page()

    class Handler(_Quiet):
        def do_GET(self) -> None:
            self.answer(200, {"Content-Type": "text/html; charset=utf-8", **served.headers}, served.html.encode())

    with serving(Handler) as base:
        served.url = base + "/"
        yield served


@dataclass
class Login:
    """The ALB's authenticate action in front of `upstream` (the runtime), and the IdP it sends browsers to."""

    upstream: str  # http://127.0.0.1:PORT of the target
    alb_url: str = ""  # set once serving
    idp_url: str = ""
    logins: int = 0  # sessions started (codes redeemed at /oauth2/idpresponse)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (method, path) answered 302 to the IdP
    authorizations: list[str | None] = field(default_factory=list)  # the Origin header of each IdP /authorize
    forwarded: list[tuple[str, str]] = field(default_factory=list)  # (method, path) sent to the target
    _codes: set[str] = field(default_factory=set)
    _sessions: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_sessions(self) -> None:
        """Every session cookie issued so far is no longer accepted."""
        with self._lock:
            self._sessions.clear()

    def callbacks(self, seen: list[tuple[str, str]]) -> int:
        return sum(1 for method, path in seen if method == "POST" and path.endswith("/_dash-update-component"))

    # --- the IdP ------------------------------------------------------------------------------------------------

    def _issue_code(self) -> str:
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes.add(code)
        return code

    def _redeem(self, code: str) -> str | None:
        with self._lock:
            if code not in self._codes:
                return None
            self._codes.discard(code)
            session = secrets.token_urlsafe(24)
            self._sessions.add(session)
            self.logins += 1
            return session

    def _valid(self, session: str | None) -> bool:
        with self._lock:
            return session is not None and session in self._sessions


@contextmanager
def alb_login(upstream: str) -> Iterator[Login]:
    """The login stand-in on two loopback ports (ALB, IdP), forwarding to `upstream`."""
    login = Login(upstream=upstream)

    class Idp(_Quiet):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            login.authorizations.append(self.headers.get("Origin"))
            if url.path != "/authorize" or not query.get("redirect_uri", "").startswith(login.alb_url + IDP_RESPONSE):
                self.answer(400, {"Content-Type": "text/plain"}, b"bad authorization request\n")
                return
            back = f"{query['redirect_uri']}?{urlencode({'code': login._issue_code(), 'state': query['state']})}"
            self.answer(302, {"Location": back})

    class Alb(_Quiet):
        def do_GET(self) -> None:
            self.handle_any()

        def do_HEAD(self) -> None:
            self.handle_any()

        def do_POST(self) -> None:
            self.handle_any()

        def handle_any(self) -> None:
            url = urlsplit(self.path)
            if url.path == IDP_RESPONSE:
                self.finish_login(parse_qs(url.query))
            elif login._valid(self.session()):
                self.forward()
            else:
                self.read_body()
                login.refused.append((self.command, url.path))
                state = base64.urlsafe_b64encode(self.path.encode()).decode()
                query = urlencode({"redirect_uri": login.alb_url + IDP_RESPONSE, "state": state, "scope": "openid"})
                self.answer(302, {"Location": f"{login.idp_url}/authorize?{query}", "Cache-Control": "no-cache"})

        def session(self) -> str | None:
            for part in (self.headers.get("Cookie") or "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == SESSION_COOKIE:
                    return value
            return None

        def finish_login(self, query: dict[str, list[str]]) -> None:
            session = login._redeem((query.get("code") or [""])[0])
            original = base64.urlsafe_b64decode((query.get("state") or [""])[0].encode()).decode()
            if session is None or not original.startswith("/"):
                self.answer(401, {"Content-Type": "text/plain"}, b"login failed\n")
                return
            cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly"
            self.answer(302, {"Location": original, "Set-Cookie": cookie})

        def forward(self) -> None:
            body = self.read_body()
            login.forwarded.append((self.command, urlsplit(self.path).path))
            target = urlsplit(login.upstream)
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _NOT_FORWARDED | _OWN]
            finally:
                connection.close()
            self.send_response(response.status)
            for name, value in kept:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    with serving(Idp) as idp_url, serving(Alb) as alb_url:
        login.idp_url, login.alb_url = idp_url, alb_url
        yield login
