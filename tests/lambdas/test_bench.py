"""The simulation benchmark replays traces through the real decision and classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.simulate import Hit, zerodash
from waker.classify import Kind

DAY = datetime(2024, 3, 4, 9, tzinfo=UTC)


def test_a_visit_to_a_sleeping_app_sees_the_holding_page_and_never_an_error():
    hits = [Hit(at=DAY, session="s", kind=Kind.PAGE)]
    hits += [Hit(at=DAY + timedelta(seconds=10 * i), session="s", kind=Kind.API) for i in range(1, 30)]

    result = zerodash(hits, start_seconds=60)

    assert (result.cold_starts, result.holding_pages, result.errors) == (1, 1, 0)


def test_bots_alone_never_start_a_task():
    hits = [Hit(at=DAY + timedelta(minutes=7 * i), session="", kind=Kind.BOT) for i in range(100)]

    result = zerodash(hits, start_seconds=60)

    assert (result.cold_starts, result.task_hours) == (0, 0)
