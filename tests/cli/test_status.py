"""`zerodash status` against a moto deployment: states, tasks, last request, time to sleep, notes, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from common.lifecycle import DOZE_MINUTES
from tests.cli.conftest import APPS_PATH, now_minute
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
    assert apps["ops"]["minutes_to_sleep"] is None
    assert apps["sales"]["state"] == "AWAKE"


def test_a_dozing_app_shows_dozing_and_sleeps_at_the_end_of_its_doze(deployment, cli):
    deployment.put_dozing("sales", since=datetime.now(UTC) - timedelta(minutes=2))

    code, out, _ = cli("status")

    cells = row(out, "sales")
    assert code == 0
    assert (cells[1], cells[-1]) == ("DOZING", "waker")
    assert cells[-2] == f"{DOZE_MINUTES - 2} min"  # 3 min left, give or take the seconds the CLI took
    assert "sales: dozing: the rule is on the waker, the tasks still run" in out


def test_a_dozing_app_past_its_doze_sleeps_at_the_next_scaler_run(deployment, cli):
    deployment.put_dozing("sales", since=datetime.now(UTC) - timedelta(minutes=DOZE_MINUTES + 1))

    apps = status_json(cli)

    assert (apps["sales"]["state"], apps["sales"]["minutes_to_sleep"]) == ("DOZING", 0.0)


def test_minutes_since_the_last_request_count_from_the_end_of_its_minute(deployment, cli):
    deployment.put_requests("sales", now_minute() - timedelta(minutes=10), 3)
    deployment.put_requests("sales", now_minute() - timedelta(minutes=40), 5)

    apps = status_json(cli)

    # The minute ended 9 minutes before the current minute began; the CLI reads the clock itself, so a minute
    # boundary may pass between putting the datapoint and the run.
    assert 9 <= apps["sales"]["minutes_since_request"] < 11
    assert apps["ops"]["minutes_since_request"] is None


def test_time_to_sleep_is_the_idle_window_left_after_the_last_request_then_the_doze(deployment, cli):
    deployment.put_requests("sales", now_minute() - timedelta(minutes=10), 3)

    apps = status_json(cli)

    # idleMinutes 15 from the end of the request's minute, 9 to 10 minutes ago (up to 11 if a minute boundary
    # passes before the CLI reads the clock): dozing in 4 to 6 min, asleep DOZE_MINUTES later.
    assert 4 <= apps["sales"]["minutes_to_doze"] <= 6
    assert apps["sales"]["minutes_to_sleep"] == apps["sales"]["minutes_to_doze"] + DOZE_MINUTES


def test_an_idle_app_past_its_minimum_awake_time_dozes_at_the_next_run_and_sleeps_after_the_doze(deployment, cli):
    _, out, _ = cli("status")

    cells = row(out, "ops")
    assert cells[5:7] == ["none in 3 h", f"{DOZE_MINUTES} min"]


def test_an_awake_app_in_a_keep_warm_window_has_no_time_to_sleep(deployment, cli):
    always = [
        {"days": "daily", "start": "00:00", "end": "12:00", "timeZone": "UTC"},
        {"days": "daily", "start": "12:00", "end": "00:00", "timeZone": "UTC"},
    ]
    deployment.set_app_objects({**deployment.app_objects["sales"], "keepWarm": always})

    code, out, _ = cli("status")

    assert code == 0
    assert row(out, "sales")[6] == "- (keep-warm window)"


def test_a_recent_failed_wake_is_noted_with_its_reason_and_the_cooldown(deployment, cli):
    deployment.put_asleep("sales")
    deployment.put_wake_failed("sales", datetime.now(UTC) - timedelta(minutes=3), "CannotPullContainerError")

    code, out, _ = cli("status")

    assert code == 0
    note = next(line for line in out.splitlines() if line.startswith("sales: wake failed"))
    assert "(sales:1): CannotPullContainerError" in note
    assert "visitors get the failure page for 7 more min" in note


def test_json_reports_the_wake_failure(deployment, cli):
    deployment.put_asleep("ops")
    deployment.put_wake_failed("ops", datetime.now(UTC) - timedelta(minutes=30), "Essential container exited")

    failed = status_json(cli)["ops"]["wake_failed"]

    assert (failed["task_definition"], failed["reason"]) == ("ops:1", "Essential container exited")
    assert (failed["blocking"], failed["current"]) == (False, True)  # past the cooldown; no wake since


def test_json_output_describes_every_app_and_the_deployment(deployment, cli):
    code, out, _ = cli("status", "--json")

    document = json.loads(out)
    assert code == 0
    assert (document["stack_prefix"], document["apps_path"], document["region"]) == ("ZeroDash", APPS_PATH, "us-east-1")
    assert (document["lookback_minutes"], document["doze_minutes"]) == (180, DOZE_MINUTES)
    assert [app["app"] for app in document["apps"]] == ["ops", "sales"]
    assert document["apps"][0]["capacity_range"] == [1, 2]
    assert document["apps"][0]["awake_since"] is not None


def _count_calls(monkeypatch, operations: tuple[str, ...]) -> dict[str, int]:
    calls = dict.fromkeys(operations, 0)
    make_clients = deployment_module.make_clients

    def counting_clients(session, *, policy):
        clients = make_clients(session, policy=policy)
        for client in (clients.ecs, clients.elbv2, clients.autoscaling, clients.cloudwatch):
            for operation in operations:

                def count(operation=operation, **_):
                    calls[operation] += 1

                client.meta.events.register(f"before-call.*.{operation}", count)
        return clients

    monkeypatch.setattr(deployment_module, "make_clients", counting_clients)
    return calls


def test_traffic_of_all_apps_is_read_with_one_get_metric_data_call(deployment, cli, monkeypatch):
    calls = _count_calls(monkeypatch, ("GetMetricData",))

    cli("status")

    assert calls == {"GetMetricData": 1}


def test_services_rules_and_ranges_are_read_in_one_batched_call_each(deployment, cli, monkeypatch):
    calls = _count_calls(monkeypatch, ("DescribeServices", "DescribeRules", "DescribeScalableTargets"))

    cli("status")

    assert calls == {"DescribeServices": 1, "DescribeRules": 1, "DescribeScalableTargets": 1}
