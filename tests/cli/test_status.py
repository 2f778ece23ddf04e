"""`zerodash status` against a moto deployment: states, tasks, last request, time to sleep, JSON."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.cli.conftest import now_minute
from zerodash import deployment as deployment_module


def row(out: str, app: str) -> list[str]:
    """The table row of one app, split on runs of two or more spaces (cells may contain one space)."""
    line = next(line for line in out.splitlines() if line.startswith(f"{app} "))
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def status_json(cli) -> dict:
    code, out, _ = cli("status", "--json")
    assert code == 0
    return {app["app"]: app for app in json.loads(out)["apps"]}


def test_an_awake_app_shows_awake_with_its_tasks_and_the_rule_on_the_service(deployment, cli):
    code, out, _ = cli("status")

    assert code == 0
    cells = row(out, "sales")
    assert cells[:5] == ["sales", "AWAKE", "1", "0", "1"]  # desired 1; moto runs no task; 1 healthy target
    assert cells[-1] == "service"


def test_a_sleeping_app_shows_sleeping_with_no_time_to_sleep_and_the_rule_on_the_waker(deployment, cli):
    deployment.put_asleep("sales")

    _, out, _ = cli("status")

    cells = row(out, "sales")
    assert (cells[1], cells[2], cells[-2], cells[-1]) == ("SLEEPING", "0", "-", "waker")


def test_a_waking_app_shows_waking_while_the_rule_is_still_on_the_waker(deployment, cli):
    deployment.put_waking("ops")

    apps = status_json(cli)

    assert (apps["ops"]["state"], apps["ops"]["desired"], apps["ops"]["rule"]) == ("WAKING", 1, "waker")
    assert apps["sales"]["state"] == "AWAKE"


def test_minutes_since_the_last_request_come_from_the_request_count_datapoints(deployment, cli):
    deployment.put_requests("sales", now_minute() - timedelta(minutes=10), 3)
    deployment.put_requests("sales", now_minute() - timedelta(minutes=40), 5)

    apps = status_json(cli)

    # The CLI reads the clock itself: a minute boundary may pass between putting the datapoint and the run.
    assert 10 <= apps["sales"]["minutes_since_request"] < 12
    assert apps["ops"]["minutes_since_request"] is None


def test_time_to_sleep_is_the_idle_window_left_after_the_last_request(deployment, cli):
    deployment.put_requests("sales", now_minute() - timedelta(minutes=10), 3)

    apps = status_json(cli)

    # idleMinutes 15; the request's minute ended 9 to 10 minutes ago (up to 11 if a minute boundary passes
    # between putting the datapoint and the CLI reading the clock).
    assert 4 <= apps["sales"]["minutes_to_sleep"] <= 6


def test_an_idle_app_past_its_minimum_awake_time_sleeps_at_the_next_scaler_run(deployment, cli):
    _, out, _ = cli("status")

    cells = row(out, "ops")
    assert cells[5:7] == ["none in 3 h", "next scaler run"]


def test_json_output_describes_every_app_and_the_deployment(deployment, cli):
    code, out, _ = cli("status", "--json")

    document = json.loads(out)
    assert code == 0
    assert (document["stack"], document["region"], document["lookback_minutes"]) == (
        "ZeroDash-Scaler",
        "us-east-1",
        180,
    )
    assert [app["app"] for app in document["apps"]] == ["sales", "ops"]
    assert document["apps"][0]["capacity_range"] == [1, 2]


def test_traffic_of_all_apps_is_read_with_one_get_metric_data_call(deployment, cli, monkeypatch):
    calls = []
    make_clients = deployment_module.make_clients

    def counting_clients(session):
        clients = make_clients(session)
        clients.cloudwatch.meta.events.register(
            "before-call.cloudwatch.GetMetricData", lambda **kwargs: calls.append(kwargs)
        )
        return clients

    monkeypatch.setattr(deployment_module, "make_clients", counting_clients)

    cli("status")

    assert len(calls) == 1
