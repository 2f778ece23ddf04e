"""Generate the request traces the simulation replays (fixed seed, so the CSVs are reproducible).

    python bench/make_traces.py     # writes bench/traces/office.csv, public.csv and scanner.csv

Columns (bench/README.md): timestamp (UTC, ISO 8601), session (a person whose browser runs JavaScript;
empty for any other client), method, path, user_agent, accept, and optionally host (empty: the load
balancer's name; "ip": a bare address, as scanners of address ranges send).
office   an internal dashboard, March 2024: on weekdays a handful of people open it between 09:00 and
         17:00 UTC, mostly around a morning stand-up and an afternoon review, and click around for a few
         minutes (Dash callbacks). No bots (internal).
public   a public app, March 2024: a trickle of daytime visitors, a few bursts after the link is shared,
         crawlers (Googlebot, Bingbot, link previews) and an uptime monitor every 15 minutes.
scanner  nobody but scanners, March 2024, day and night: browser-like and unknown User-Agents probing
         common exploit paths (GET and POST), most at the load balancer's bare addresses, some at its name.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20240301
START = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 31
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"
JSON = "application/json"
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
)
MONITOR = "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)"
Row = tuple[str, ...]
SCANNER_AGENTS = (
    BROWSER,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0",
    "",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Expanse, a Palo Alto Networks company, searches across the global IPv4 space multiple times per day",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "l9explore/1.2.2",
    "Go-http-client/1.1",
)
SCANNER_PATHS = (
    "/",
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/wp-admin/setup-config.php",
    "/xmlrpc.php",
    "/cgi-bin/luci/;stok=/locale",
    "/cgi-bin/.%2e/.%2e/bin/sh",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/actuator/health",
    "/boaform/admin/formLogin",
    "/HNAP1",
    "/_dash-update-component",
    "/_dash-layout",
    "/favicon.ico",
)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def session(rng: random.Random, start: datetime, name: str, max_minutes: float) -> list[Row]:
    """A page load, then callbacks every few seconds to two minutes; sometimes a reload."""
    rows = [(stamp(start), name, "GET", "/", BROWSER, HTML)]
    moment, end = start, start + timedelta(minutes=rng.uniform(1, max_minutes))
    while True:
        moment += timedelta(seconds=rng.expovariate(1 / 40))
        if moment > end:
            return rows
        if rng.random() < 0.05:
            rows.append((stamp(moment), name, "GET", "/", BROWSER, HTML))
        else:
            rows.append((stamp(moment), name, "POST", "/_dash-update-component", BROWSER, JSON))


def office(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for day in range(DAYS):
        date = START + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        for index in range(rng.randint(3, 9)):
            centre = rng.choice((9.5, 9.5, 14.0, rng.uniform(9, 17)))
            hour = min(16.9, max(9.0, rng.gauss(centre, 0.4)))
            rows += session(rng, date + timedelta(hours=hour), f"o{day}-{index}", 15)
    return rows


def public(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    end = START + timedelta(days=DAYS)
    moment, count = START, 0
    while moment < end:  # a trickle: about one visitor every three daytime hours
        moment += timedelta(hours=rng.expovariate(1 / 3))
        if 7 <= moment.hour < 22:
            count += 1
            rows += session(rng, moment, f"p{count}", 10)
    for burst in range(6):  # the link is shared: 20-60 visitors within two hours
        burst_start = START + timedelta(days=rng.uniform(0, DAYS - 1))
        for index in range(rng.randint(20, 60)):
            visit = burst_start + timedelta(minutes=rng.expovariate(1 / 30))
            rows += session(rng, visit, f"b{burst}-{index}", 8)
            if rng.random() < 0.3:
                rows.append((stamp(visit + timedelta(seconds=2)), "", "GET", "/", rng.choice(BOTS[2:]), "*/*"))
    moment = START
    while moment < end:  # crawlers, with robots.txt first
        moment += timedelta(hours=rng.expovariate(1 / 4))
        agent = rng.choice(BOTS[:2])
        rows.append((stamp(moment), "", "GET", "/robots.txt", agent, "*/*"))
        rows.append((stamp(moment + timedelta(seconds=1)), "", "GET", "/", agent, HTML))
    for minute in range(0, DAYS * 24 * 60, 15):  # an uptime monitor
        rows.append((stamp(START + timedelta(minutes=minute)), "", "HEAD", "/", MONITOR, "*/*"))
    return rows


def scanner(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    end = START + timedelta(days=DAYS)
    moment = START
    while moment < end:  # a scan every 20 minutes on average, day and night
        moment += timedelta(minutes=rng.expovariate(1 / 20))
        agent = rng.choice(SCANNER_AGENTS)
        host = "ip" if rng.random() < 0.7 else ""
        for index in range(rng.randint(1, 8)):
            method = "POST" if rng.random() < 0.2 else "GET"
            accept = rng.choice(("*/*", HTML, JSON, "text/html"))
            rows.append(
                (stamp(moment + timedelta(seconds=index)), "", method, rng.choice(SCANNER_PATHS), agent, accept, host)
            )
    return rows


def write(path: Path, rows: list[Row]) -> None:
    rows = sorted(row for row in rows if row[0] < stamp(START + timedelta(days=DAYS)))
    header = ("timestamp", "session", "method", "path", "user_agent", "accept")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header + (("host",) if any(len(row) > len(header) for row in rows) else ()))
        writer.writerows(rows)


def main() -> None:
    folder = Path(__file__).parent / "traces"
    folder.mkdir(exist_ok=True)
    write(folder / "office.csv", office(random.Random(SEED)))
    write(folder / "public.csv", public(random.Random(SEED + 1)))
    write(folder / "scanner.csv", scanner(random.Random(SEED + 2)))


if __name__ == "__main__":
    main()
