"""health_report: 200 once the app imported and every dataset is ready, 503 with the reason otherwise."""

from __future__ import annotations

from zerodash_runtime.data.state import DataState, Status
from zerodash_runtime.health import health_report

READY = DataState(Status.READY, etag='"abc"', rows=3)


def test_an_app_without_datasets_is_healthy_once_imported() -> None:
    assert health_report([]) == ({"status": "ok"}, 200)


def test_an_app_still_importing_is_loading() -> None:
    assert health_report([], imported=False) == (
        {"status": "loading", "reason": "the app is still being imported"},
        503,
    )


def test_a_dataset_still_loading_makes_the_app_loading() -> None:
    report = health_report([("a.csv", READY), ("b.csv", DataState())])

    assert report == ({"status": "loading", "reason": "loading b.csv"}, 503)


def test_a_failed_dataset_makes_the_app_an_error_with_the_reason() -> None:
    report = health_report([("a.csv", DataState(Status.FAILED, error="not found")), ("b.csv", DataState())])

    assert report == ({"status": "error", "reason": "a.csv: not found"}, 503)


def test_a_reason_that_already_names_its_dataset_is_not_prefixed_again() -> None:
    failed = DataState(Status.FAILED, error="a.csv: pop must be positive")  # as a failed `prepare` reports it

    assert health_report([("a.csv", failed)]) == ({"status": "error", "reason": "a.csv: pop must be positive"}, 503)


def test_ready_datasets_are_summarized() -> None:
    assert health_report([("a.csv", READY)]) == (
        {"status": "ok", "datasets": {"a.csv": {"rows": 3, "etag": '"abc"'}}},
        200,
    )


def test_a_failed_reload_stays_healthy_and_says_why() -> None:
    body, status = health_report([("a.csv", DataState(Status.READY, error="bad CSV", rows=3))])

    assert (status, body["datasets"]["a.csv"]["reload_error"]) == (200, "bad CSV")


def test_warnings_about_loaded_data_are_shown_with_the_dataset() -> None:
    suspicious = DataState(Status.READY, etag='"abc"', rows=3, warnings=("2 duplicate (country, year) rows",))

    body, status = health_report([("a.csv", suspicious)])

    assert status == 200
    assert body["datasets"]["a.csv"]["warnings"] == ["2 duplicate (country, year) rows"]
