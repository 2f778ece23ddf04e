"""Observability: a dashboard per app, alarms that stay quiet while an app sleeps, and the optional alarm topic."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match, Template

from tests.infra.conftest import ALARM_EMAIL, Build


def _alarms(template: Template) -> dict[str, dict]:
    return {key: value["Properties"] for key, value in template.find_resources("AWS::CloudWatch::Alarm").items()}


def _alarm(template: Template, name: str) -> dict:
    found = [properties for key, properties in _alarms(template).items() if name in key]
    assert len(found) == 1, (name, list(_alarms(template)))
    return found[0]


def _dashboard_body(template: Template) -> str:
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_each_app_stack_has_one_dashboard(nat_build: Build) -> None:
    for stack in nat_build.stacks.apps:
        nat_build.template(stack).resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_dashboards_can_be_turned_off_but_alarms_stay(always_on_build: Build) -> None:
    template = always_on_build.template(always_on_build.stacks.apps[0])
    template.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    assert len(_alarms(template)) == 2  # 5xx rate and unhealthy targets; no waker without scale to zero


def test_dashboard_graphs_requests_latency_errors_tasks_state_and_wakes(app_stack: Template) -> None:
    body = _dashboard_body(app_stack)
    for expected in (
        "RequestCount",
        "requests (waker)",
        "TargetResponseTime",
        '\\"stat\\":\\"p50\\"',
        '\\"stat\\":\\"p99\\"',
        "HTTPCode_Target_4XX_Count",
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "HealthyHostCount",
        "UnHealthyHostCount",
        '\\"State\\"',
        "AWS/ECS",
        '\\"ZeroDash\\",\\"ColdStarts\\",\\"App\\",\\"dashboard\\"',
        '\\"ZeroDash\\",\\"WakeSeconds\\",\\"App\\",\\"dashboard\\"',
        '\\"ZeroDash\\",\\"WakeFailures\\",\\"App\\",\\"dashboard\\"',
    ):
        assert expected in body, expected


def test_state_graph_reads_a_gap_as_asleep(app_stack: Template) -> None:
    # The scaler writes State only while an app is not asleep (1 waking, 2 dozing, 3 awake).
    body = _dashboard_body(app_stack)
    assert "State (scaler): 0 asleep, 1 waking, 2 dozing, 3 awake" in body
    assert '\\"expression\\":\\"FILL(m, 0)\\"' in body
    assert '\\"ZeroDash\\",\\"State\\",\\"App\\",\\"dashboard\\"' in body
    assert '\\"max\\":3' in body


def test_dashboard_url_is_an_output(app_stack: Template) -> None:
    app_stack.has_output("DashboardUrl", {"Value": Match.any_value()})


def test_five_xx_rate_alarm_is_metric_math_over_the_service_target_group_and_quiet_while_asleep(
    app_stack: Template,
) -> None:
    alarm = _alarm(app_stack, "FiveXxRate")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 5
    expression = next(metric for metric in alarm["Metrics"] if "Expression" in metric)
    assert expression["Expression"] == "IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)"
    names = {
        metric["Id"]: metric["MetricStat"]["Metric"]["MetricName"]
        for metric in alarm["Metrics"]
        if "MetricStat" in metric
    }
    assert names == {"requests": "RequestCount", "errors": "HTTPCode_Target_5XX_Count"}


def test_unhealthy_targets_alarm_watches_the_service_target_group_and_is_quiet_while_asleep(
    app_stack: Template,
) -> None:
    alarm = _alarm(app_stack, "UnhealthyTargets")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["Threshold"] == 0
    assert alarm["EvaluationPeriods"] == 3
    (metric,) = alarm["Metrics"]
    assert metric["MetricStat"]["Metric"]["MetricName"] == "UnHealthyHostCount"
    dimensions = {dimension["Name"] for dimension in metric["MetricStat"]["Metric"]["Dimensions"]}
    assert dimensions == {"LoadBalancer", "TargetGroup"}


def test_waker_errors_alarm_watches_the_waker_function(app_stack: Template) -> None:
    alarm = _alarm(app_stack, "WakerErrors")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    (dimension,) = alarm["Dimensions"]
    assert dimension["Name"] == "FunctionName"
    assert dimension["Value"]["Ref"].startswith("WakerFunction")
    assert alarm["TreatMissingData"] == "notBreaching"


def test_wake_failures_alarm_fires_on_one_failed_wake_and_is_quiet_without_data(app_stack: Template) -> None:
    alarm = _alarm(app_stack, "WakeFailures")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("ZeroDash", "WakeFailures", "Sum")
    assert alarm["Dimensions"] == [{"Name": "App", "Value": "dashboard"}]
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"


def test_scaler_errors_alarm_needs_two_failing_periods(scaler_stack: Template) -> None:
    alarm = _alarm(scaler_stack, "ScalerErrors")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert (alarm["EvaluationPeriods"], alarm["Period"]) == (2, 300)


def test_without_alarm_email_there_is_no_topic_and_alarms_have_no_actions(default_build: Build) -> None:
    default_build.template(default_build.stacks.platform).resource_count_is("AWS::SNS::Topic", 0)
    for stack in (*default_build.stacks.apps, default_build.stacks.scaler):
        assert all("AlarmActions" not in alarm for alarm in _alarms(default_build.template(stack)).values())


def test_alarm_email_adds_an_encrypted_ssl_only_topic_with_the_subscription(nat_build: Build) -> None:
    platform = nat_build.template(nat_build.stacks.platform)
    platform.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    platform.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": ALARM_EMAIL})
    platform.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    platform.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_cloudwatch_may_use_the_topic_key(nat_build: Build) -> None:
    nat_build.template(nat_build.stacks.platform).has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            }
                        )
                    ]
                )
            }
        },
    )


def test_every_alarm_notifies_the_topic_when_it_fires_and_recovers(nat_build: Build) -> None:
    stacks = [*nat_build.stacks.apps, nat_build.stacks.scaler]
    alarms = [alarm for stack in stacks for alarm in _alarms(nat_build.template(stack)).values()]
    assert len(alarms) == 2 * 4 + 1  # per app: 5xx rate, unhealthy targets, waker errors, wake failures; the scaler
    for alarm in alarms:
        assert len(alarm["AlarmActions"]) == 1
        assert alarm["OKActions"] == alarm["AlarmActions"]
