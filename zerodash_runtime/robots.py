"""robots.txt that keeps crawlers away: a crawler's visit would wake a sleeping app or keep it awake."""

from __future__ import annotations

from flask import Flask, Response

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


def add_robots(server: Flask, path: str = "/robots.txt") -> None:
    server.add_url_rule(path, endpoint=f"robots:{path}", view_func=lambda: Response(ROBOTS_TXT, mimetype="text/plain"))
