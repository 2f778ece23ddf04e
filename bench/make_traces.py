"""Generate the two request traces the simulation replays (fixed seed, so the CSVs are reproducible).

    python bench/make_traces.py            # writes bench/traces/office.csv and bench/traces/public.csv

Columns: timestamp (UTC, ISO 8601), session (empty for bots), method, path, user_agent, accept.
office  an internal dashboard, March 2024: on weekdays a handful of people open it between 09:00 and
        17:00 UTC, mostly around a morning stand-up and an afternoon review, and click around for a few
        minutes (Dash callbacks). No bots (internal).
public  a public app, March 2024: a trickle of daytime visitors, a few bursts after the link is shared,
        crawlers (Googlebot, Bingbot, link previews) and an uptime monitor every 15 minutes.
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
Row = tuple[str, str, str, str, str, str]


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


def write(path: Path, rows: list[Row]) -> None:
    rows = sorted(row for row in rows if row[0] < stamp(START + timedelta(days=DAYS)))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("timestamp", "session", "method", "path", "user_agent", "accept"))
        writer.writerows(rows)


def main() -> None:
    folder = Path(__file__).parent / "traces"
    folder.mkdir(exist_ok=True)
    write(folder / "office.csv", office(random.Random(SEED)))
    write(folder / "public.csv", public(random.Random(SEED + 1)))


if __name__ == "__main__":
    main()
