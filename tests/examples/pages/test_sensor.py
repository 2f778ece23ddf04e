"""The live page's readings: a pure function of the clock, so every worker and every refresh agree."""

from __future__ import annotations

from tests.examples.conftest import EXAMPLES, imported_from

with imported_from(EXAMPLES / "pages"):
    from sensor import STEP_SECONDS, WINDOW_STEPS, figure, reading, window

NOW = 1_700_000_003.0  # a few seconds past a step


def test_window_ends_at_the_last_step_before_now_oldest_first() -> None:
    times, _ = window(NOW)

    assert (len(times), times[-1], times[1] - times[0]) == (WINDOW_STEPS, 1_700_000_000, STEP_SECONDS)


def test_same_step_gives_the_same_reading_on_every_call() -> None:
    assert reading(340_000_000) == reading(340_000_000)


def test_a_later_refresh_extends_the_same_curve() -> None:
    _, earlier = window(NOW)
    _, later = window(NOW + STEP_SECONDS)

    assert later[:-1] == earlier[1:]


def test_readings_stay_in_the_charts_range() -> None:
    _, values = window(NOW, steps=2000)

    assert all(10 < value < 30 for value in values)


def test_figure_plots_the_window_with_utc_times() -> None:
    trace = figure(NOW)["data"][0]

    assert (len(trace["x"]), trace["x"][-1]) == (WINDOW_STEPS, "2023-11-14T22:13:20Z")
