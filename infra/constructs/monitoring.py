"""What an engineer watches: a CloudWatch dashboard per app, alarms, and the optional topic that mails them.

Only metrics that exist without Container Insights (off to keep sleeping apps cheap) are used:
- ALB target-group metrics (AWS/ApplicationELB, dimensions LoadBalancer + TargetGroup): RequestCount,
  TargetResponseTime, HTTPCode_Target_4XX/5XX_Count, HealthyHostCount, UnHealthyHostCount. Request metrics exist
  only while requests flow; the host counts are reported every minute, so HealthyHostCount is the running-task
  count (tasks that passed the health check).
- HTTPCode_ELB_5XX_Count exists per load balancer only (the ALB is shared: it counts every app).
- AWS/ECS CPUUtilization/MemoryUtilization (ClusterName + ServiceName), sent only while tasks run.
- ZeroDash/State (1 waking, 2 dozing, 3 awake; nothing is written while asleep, so the graph reads a gap as 0),
  ColdStarts, WakeSeconds, WakeRequests, WakeFailures (dimension App), which the scaler and the waker write as
  embedded-metric-format log lines (lambdas/common/emf.py).
- AWS/Lambda Errors of the waker and the scaler (the scaler fails its invocation when an app failed).

Cost: $0.10 per alarm-month (standard resolution) and $3 per dashboard-month beyond the account's first 3;
the topic's KMS key costs $1 a month. Alarms treat missing data as not breaching: a sleeping app has no
requests and no targets, and must not alarm.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

ALB_NAMESPACE = "AWS/ApplicationELB"
ZERODASH_NAMESPACE = "ZeroDash"  # lambdas/common/emf.py NAMESPACE
ONE_MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)
FIVE_XX_PERCENT = 5  # alarm when more than this share of requests fail with a target 5xx ...
FIVE_XX_MIN_REQUESTS = 10  # ... in a 5-minute period with at least this many requests
# The scaler's State metric (lambdas/scaler/handler.py STATE_METRIC); asleep writes nothing and is graphed as 0.
STATE_LABELS = ("asleep", "waking", "dozing", "awake")


class AlarmTopic(Construct):
    """An SNS topic that mails alarms to one address, encrypted with its own KMS key and refusing plain HTTP.

    CloudWatch can only publish to an encrypted topic whose key lets cloudwatch.amazonaws.com use it, which
    the AWS-managed alias/aws/sns key does not: hence a customer-managed key (rotated yearly, $1 a month).
    SNS mails a confirmation link to `email` first; nothing is delivered until it is clicked.

    Attributes:
        key: the `kms.Key`.
        topic: the `sns.Topic`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, email: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="ZeroDash alarm topic encryption",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topic = sns.Topic(self, "Topic", display_name="ZeroDash alarms", master_key=self.key, enforce_ssl=True)
        self.topic.add_subscription(subscriptions.EmailSubscription(email))


def add_alarm_actions(alarm: cw.Alarm, topic: sns.ITopic | None) -> None:
    """Mail `topic` when `alarm` fires and when it is back to OK."""
    if topic is not None:
        action = cw_actions.SnsAction(topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)


def lambda_errors_alarm(
    scope: Construct,
    construct_id: str,
    *,
    function: lambda_.IFunction,
    what: str,
    period: Duration = FIVE_MINUTES,
    evaluation_periods: int = 1,
    topic: sns.ITopic | None = None,
) -> cw.Alarm:
    """An alarm when `function` failed at least once in each of `evaluation_periods` periods."""
    alarm = function.metric_errors(period=period, statistic="Sum").create_alarm(
        scope,
        construct_id,
        alarm_description=f"{what} failed (AWS/Lambda Errors); see the function's log group for the error",
        threshold=1,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=evaluation_periods,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
    )
    add_alarm_actions(alarm, topic)
    return alarm


class AppMonitoring(Construct):
    """One app's alarms and (with `dashboard`) its CloudWatch dashboard.

    Alarms (missing data is not breaching, so a sleeping app never alarms):
    - `five_xx_alarm`: target 5xx above 5% of the service target group's requests in two consecutive
      5-minute periods with at least 10 requests (metric math over HTTPCode_Target_5XX_Count/RequestCount).
    - `unhealthy_alarm`: an unhealthy target in the service target group for 3 consecutive minutes.
    - `waker_errors_alarm`: the waker failed (only with a waker).
    - `wake_failures_alarm`: a wake failed, i.e. no task became healthy in time and the scaler gave up
      (ZeroDash WakeFailures >= 1 in 5 minutes; only with a waker).

    Dashboard rows: requests (service and waker target groups), response time p50/p99, 4xx/5xx; running tasks,
    state (the scaler's State metric, a gap filled as 0 asleep), CPU/memory; cold starts and failed wakes,
    wake seconds, wake requests.

    Attributes:
        dashboard: the `cw.Dashboard`, or None without `dashboard`.
        five_xx_alarm, unhealthy_alarm: `cw.Alarm`s.
        waker_errors_alarm, wake_failures_alarm: `cw.Alarm`s, or None without a waker.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        app_name: str,
        load_balancer_full_name: str,
        service_target_group: elbv2.ApplicationTargetGroup,
        cluster_name: str,
        service_name: str,
        waker_target_group: elbv2.ApplicationTargetGroup | None = None,
        waker_function: lambda_.IFunction | None = None,
        dashboard: bool = True,
        alarm_topic: sns.ITopic | None = None,
        health_check_path: str = "/health",
    ) -> None:
        """
        Args:
            app_name: the app's name (the App dimension of the ZeroDash metrics; dashboard title).
            load_balancer_full_name: the shared ALB's "app/<name>/<id>".
            service_target_group: the app's service target group.
            cluster_name, service_name: the app's ECS service.
            waker_target_group, waker_function: the app's waker, when it scales to zero. Default None.
            dashboard: build the dashboard ($3 a month beyond the account's first 3). Default True.
            alarm_topic: where alarms are sent. Default None: alarms only show in the console.
            health_check_path: the path the target group checks, named in the unhealthy alarm. Default "/health".
        """
        super().__init__(scope, construct_id)
        self._load_balancer = load_balancer_full_name

        def service_tg(metric_name: str, statistic: str, label: str, period: Duration = ONE_MINUTE) -> cw.Metric:
            return self._alb(metric_name, statistic, label, period, service_target_group)

        requests = service_tg("RequestCount", "Sum", "requests (service)")
        target_5xx = service_tg("HTTPCode_Target_5XX_Count", "Sum", "target 5xx")
        healthy = service_tg("HealthyHostCount", "Maximum", "healthy tasks")
        unhealthy = service_tg("UnHealthyHostCount", "Maximum", "unhealthy tasks")

        five_xx_rate = cw.MathExpression(
            expression=f"IF(requests >= {FIVE_XX_MIN_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)",
            using_metrics={
                "requests": service_tg("RequestCount", "Sum", "requests", FIVE_MINUTES),
                "errors": service_tg("HTTPCode_Target_5XX_Count", "Sum", "target 5xx", FIVE_MINUTES),
            },
            label="target 5xx (% of requests)",
            period=FIVE_MINUTES,
        )
        self.five_xx_alarm = five_xx_rate.create_alarm(
            self,
            "FiveXxRate",
            alarm_description=f"{app_name}: more than {FIVE_XX_PERCENT}% of requests answered 5xx by the app's tasks "
            f"(5-minute periods with at least {FIVE_XX_MIN_REQUESTS} requests); no data while asleep",
            threshold=FIVE_XX_PERCENT,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=2,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        add_alarm_actions(self.five_xx_alarm, alarm_topic)
        self.unhealthy_alarm = unhealthy.create_alarm(
            self,
            "UnhealthyTargets",
            alarm_description=f"{app_name}: a task failed the target group's health check for 3 minutes; "
            f"see {health_check_path} and the container logs",
            threshold=0,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        add_alarm_actions(self.unhealthy_alarm, alarm_topic)

        def zerodash(metric_name: str, statistic: str, label: str | None = None) -> cw.Metric:
            return cw.Metric(
                namespace=ZERODASH_NAMESPACE,
                metric_name=metric_name,
                dimensions_map={"App": app_name},
                statistic=statistic,
                label=label,
                period=FIVE_MINUTES,
            )

        self.waker_errors_alarm: cw.Alarm | None = None
        self.wake_failures_alarm: cw.Alarm | None = None
        if waker_function is not None:
            self.waker_errors_alarm = lambda_errors_alarm(
                self, "WakerErrors", function=waker_function, what=f"{app_name}: the waker", topic=alarm_topic
            )
            self.wake_failures_alarm = zerodash("WakeFailures", "Sum").create_alarm(
                self,
                "WakeFailures",
                alarm_description=f"{app_name}: a wake failed (no healthy task in time; the scaler stopped the tasks "
                "and tagged the service with the reason); see `python -m zerodash status` and the service's events",
                threshold=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            add_alarm_actions(self.wake_failures_alarm, alarm_topic)

        self.dashboard: cw.Dashboard | None = None
        if not dashboard:
            return
        request_metrics: list[cw.IMetric] = [requests]
        if waker_target_group is not None:
            request_metrics.append(self._alb("RequestCount", "Sum", "requests (waker)", ONE_MINUTE, waker_target_group))
        ecs_dimensions = {"ClusterName": cluster_name, "ServiceName": service_name}

        def ecs_metric(metric_name: str, label: str) -> cw.Metric:
            return cw.Metric(
                namespace="AWS/ECS",
                metric_name=metric_name,
                dimensions_map=ecs_dimensions,
                statistic="Average",
                label=label,
                period=ONE_MINUTE,
            )

        def graph(
            title: str, left: list[cw.IMetric], right: list[cw.IMetric] | None = None, **kwargs
        ) -> cw.GraphWidget:
            return cw.GraphWidget(title=title, left=left, right=right or [], width=8, height=6, **kwargs)

        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.days(1))
        self.dashboard.add_widgets(
            graph("Requests per minute", request_metrics),
            graph(
                "Target response time (s)",
                [
                    service_tg("TargetResponseTime", "p50", "p50"),
                    service_tg("TargetResponseTime", "p99", "p99"),
                ],
            ),
            graph(
                "Errors per minute",
                [
                    service_tg("HTTPCode_Target_4XX_Count", "Sum", "target 4xx"),
                    target_5xx,
                    cw.Metric(
                        namespace=ALB_NAMESPACE,
                        metric_name="HTTPCode_ELB_5XX_Count",
                        dimensions_map={"LoadBalancer": load_balancer_full_name},
                        statistic="Sum",
                        label="load balancer 5xx (every app)",
                        period=ONE_MINUTE,
                    ),
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph("Running tasks (target group)", [healthy, unhealthy], stacked=True),
            graph(
                "State (scaler): " + ", ".join(f"{value} {label}" for value, label in enumerate(STATE_LABELS)),
                [
                    # Nothing is written while asleep: FILL reads every gap in the graph's range as 0.
                    cw.MathExpression(
                        expression="FILL(m, 0)",
                        using_metrics={"m": zerodash("State", "Maximum", "state")},
                        label="state",
                        period=FIVE_MINUTES,
                    )
                ],
                left_y_axis=cw.YAxisProps(min=0, max=len(STATE_LABELS) - 1),
            ),
            graph(
                "CPU and memory (% of the task size)",
                [ecs_metric("CPUUtilization", "CPU"), ecs_metric("MemoryUtilization", "memory")],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Cold starts and failed wakes (per 5 minutes)",
                [zerodash("ColdStarts", "Sum", "cold starts"), zerodash("WakeFailures", "Sum", "failed wakes")],
            ),
            graph(
                "Wake time (s)",
                [zerodash("WakeSeconds", "Average", "average"), zerodash("WakeSeconds", "Maximum", "maximum")],
            ),
            graph("Visits that woke the app (per 5 minutes)", [zerodash("WakeRequests", "Sum", "wake requests")]),
        )
        stack = Stack.of(self)
        CfnOutput(
            stack,
            "DashboardUrl",
            value=f"https://{stack.region}.console.aws.amazon.com/cloudwatch/home?region={stack.region}"
            f"#dashboards/dashboard/{self.dashboard.dashboard_name}",
            description=f"The {app_name} app's CloudWatch dashboard",
        )

    def _alb(
        self, metric_name: str, statistic: str, label: str, period: Duration, target_group: elbv2.ApplicationTargetGroup
    ) -> cw.Metric:
        # Built by hand: target_group.metrics needs the load balancer in this stack (it is in the platform's).
        return cw.Metric(
            namespace=ALB_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"LoadBalancer": self._load_balancer, "TargetGroup": target_group.target_group_full_name},
            statistic=statistic,
            label=label,
            period=period,
        )
