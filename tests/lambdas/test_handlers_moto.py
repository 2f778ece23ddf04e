"""The handlers' AWS calls against moto: the shape of every call, read and write (the behaviour: test_loop_*)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from common.aws import with_retries
from common.marks import DOZING_SINCE, format_time
from common.retry import SCALER_RETRIES, WAKER_RETRIES
from common.route import Route
from scaler import handler as scaler
from tests.lambdas.test_waker_pure import NAVIGATE, event
from tests.moto_apps import put_app_object, tag_service
from waker import handler as waker
from waker.runtime import build_runtime as build_waker_runtime


def scaler_runtime(moto, now: datetime):
    clients = with_retries(moto.clients, policy=SCALER_RETRIES, sleep=lambda seconds: None)
    return scaler.build_runtime(clients, {"ZERODASH_APPS_PATH": moto.platform.apps_path}, now=lambda: now)


def waker_runtime(moto, name: str, now: datetime):
    environ = {
        "ZERODASH_APP_PARAMETER": moto.platform.parameter_name(name),
        "ZERODASH_TOKEN_SECRET": moto.platform.token_secret_arn,
    }

    def clients(budget):
        return with_retries(moto.clients, policy=WAKER_RETRIES, sleep=lambda seconds: None, budget=budget)

    return build_waker_runtime(clients, environ, now=lambda: now, sleep=lambda seconds: None)


def test_the_scaler_finds_every_app_in_ssm_and_logs_one_record_each(moto):
    records = scaler.run(scaler_runtime(moto, datetime.now(UTC)))

    assert sorted(record["app"] for record in records) == ["ops", "sales"]


def test_an_idle_awake_app_dozes_its_rule_moves_to_the_waker_and_the_mark_is_written(moto):
    now = datetime.now(UTC)

    scaler.run(scaler_runtime(moto, now))

    assert moto.facts("sales").route is Route.WAKER
    assert moto.tags("sales")[DOZING_SINCE] == format_time(now)
    assert moto.facts("sales").desired_count == 1


def test_a_dozing_app_past_the_doze_is_scaled_to_zero_through_its_range(moto):
    now = datetime.now(UTC)
    scaler.run(scaler_runtime(moto, now))

    scaler.run(scaler_runtime(moto, now + timedelta(minutes=6)))

    assert moto.capacity("sales") == (0, 0)
    assert moto.facts("sales").desired_count == 0


def test_one_broken_app_object_is_reported_and_the_others_still_run(moto):
    put_app_object(moto.platform, {"name": "broken"}, name="broken")

    records = scaler.run(scaler_runtime(moto, datetime.now(UTC)))

    by_app = {record["app"]: record for record in records}
    assert by_app["broken"]["level"] == "ERROR" and "missing" in by_app["broken"]["error"]
    assert by_app["sales"]["level"] == "INFO"


def test_the_waker_reads_its_app_and_key_at_cold_start(moto):
    runtime = waker_runtime(moto, "ops", datetime.now(UTC))

    assert runtime.app.name == "ops" and runtime.token_key == b"moto-token-key"


def test_a_page_load_gets_the_holding_page_and_starts_nothing(moto):
    runtime = waker_runtime(moto, "ops", datetime.now(UTC))

    answer = waker.handle(runtime, event(path="/ops/"))

    assert answer["statusCode"] == 200 and "_zerodash/wake" in answer["body"]
    assert moto.facts("ops").desired_count == 0


def test_the_pages_wake_request_sets_the_range_the_count_and_the_mark(moto):
    now = datetime.now(UTC)
    runtime = waker_runtime(moto, "ops", now)
    page = waker.handle(runtime, event(path="/ops/"))["body"]
    token = json.loads(page.split("var c = ")[1].split(", lastWake")[0])["token"]
    wake = event(method="POST", path="/ops/_zerodash/wake", headers={**NAVIGATE, "x-zerodash-token": token})

    answer = waker.handle(runtime, wake)

    assert answer["statusCode"] == 202
    assert (moto.capacity("ops"), moto.facts("ops").desired_count) == ((1, 2), 1)
    assert moto.tags("ops")["zerodash:awake-since"] == format_time(now)


def test_a_status_poll_that_sees_a_healthy_target_moves_the_rule_to_the_service(moto):
    now = datetime.now(UTC)
    moto.clients.elbv2.modify_rule(
        RuleArn=moto.apps["sales"].rule_arn,
        Actions=[{"Type": "forward", "TargetGroupArn": moto.apps["sales"].waker_target_group_arn}],
    )
    tag_service(moto.clients, moto.facts("sales").service.service_arn, {"zerodash:awake-since": format_time(now)})
    runtime = waker_runtime(moto, "sales", now + timedelta(seconds=30))

    answer = waker.handle(runtime, event(path="/sales/_zerodash/status", headers={**NAVIGATE, "accept": "*/*"}))

    assert json.loads(answer["body"])["state"] == "AWAKE"
    assert moto.facts("sales").route is Route.SERVICE


def test_a_missing_rule_hides_only_its_own_app(moto):
    moto.clients.elbv2.delete_rule(RuleArn=moto.apps["ops"].rule_arn)

    records = {record["app"]: record for record in scaler.run(scaler_runtime(moto, datetime.now(UTC)))}

    assert "listener rule not found" in records["ops"]["error"]
    assert records["sales"]["level"] == "INFO"
