"""robots.txt that keeps crawlers away: a crawler's visit would wake a sleeping app or keep it awake."""

from __future__ import annotations

from flask import Flask, Response

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


def robots_txt() -> Response:
    return Response(ROBOTS_TXT, mimetype="text/plain")


def register_robots(server: Flask, url_prefix: str) -> None:
    # Crawlers only ask for /robots.txt; the prefixed copy covers an app whose listener rule only matches its prefix.
    for path in dict.fromkeys(("/robots.txt", f"{url_prefix}robots.txt")):
        server.add_url_rule(path, endpoint=f"robots:{path}", view_func=robots_txt)
