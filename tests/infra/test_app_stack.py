"""An app stack: the app's service, its target group, listener rule, security group and IAM."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from tests.infra.conftest import Build

# Resource "*" is allowed only where AWS offers no resource-level permissions (ecs:ListTasks is further limited
# to the app's cluster by condition; see test_scale_to_zero.py).
WILDCARD_RESOURCE_EXCEPTIONS = {
    "ecr:GetAuthorizationToken",
    "ecs:ListTasks",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetHealth",
}
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"


def _bucket_arn() -> dict[str, Any]:
    """A cross-stack reference to the data bucket's ARN (weak or strong reference, whichever the flags pick)."""
    return Match.object_like({})


def test_task_has_the_configured_cpu_and_memory_on_x86_64_linux(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Cpu": "512",
            "Memory": "1024",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
        },
    )


def test_container_environment_is_the_platform_contract(app_stack: Template) -> None:
    # given the default app (examples/population, a runtime app), then its plain environment is exactly the
    # settings of the container contract (plan: "Container environment"), and there is no secret
    app_stack.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Environment": [
                            {"Name": "PORT", "Value": "8050"},
                            {"Name": "URL_PREFIX", "Value": "/"},
                            {"Name": "APP_NAME", "Value": "dashboard"},
                            {"Name": "APP_TITLE", "Value": "Population by country"},
                            {"Name": "APP_MODULE", "Value": "app"},
                            {"Name": "BUCKET_NAME", "Value": Match.any_value()},
                            {"Name": "DATA_PREFIX", "Value": "dashboard/"},
                            {"Name": "HEALTH_PATH", "Value": "/health"},
                            {"Name": "LOG_LEVEL", "Value": "INFO"},
                            {"Name": "FRAME_ANCESTORS", "Value": "'none'"},
                        ],
                        "Secrets": Match.absent(),
                        "Command": Match.absent(),
                    }
                )
            ]
        },
    )


def test_container_runs_its_apps_content_tag_on_port_8050(default_build: Build, app_stack: Template) -> None:
    tag = default_build.app_config("dashboard").image_tag
    assert tag.startswith("src-")
    app_stack.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Image": {"Fn::Join": ["", Match.array_with(["000000000000.dkr.ecr.us-east-1.", f":{tag}"])]},
                        "PortMappings": [{"ContainerPort": 8050, "Protocol": "tcp"}],
                    }
                )
            ]
        },
    )


def test_container_has_a_read_only_root_and_an_empty_tmp_volume(app_stack: Template) -> None:
    # Fargate has no tmpfs: /tmp is an empty task volume (the runtime writes only /tmp and /dev/shm)
    app_stack.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Volumes": [{"Name": "tmp"}],
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "ReadonlyRootFilesystem": True,
                        "MountPoints": [{"ContainerPath": "/tmp", "SourceVolume": "tmp", "ReadOnly": False}],
                    }
                )
            ],
        },
    )


def test_container_logs_to_a_log_group_with_the_configured_retention(app_stack: Template) -> None:
    app_stack.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    app_stack.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "LogConfiguration": {
                            "LogDriver": "awslogs",
                            "Options": Match.object_like({"awslogs-group": {"Ref": Match.string_like_regexp("Logs")}}),
                        }
                    }
                )
            ]
        },
    )


def test_target_group_uses_cookie_stickiness_for_the_configured_duration(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetGroupAttributes": Match.array_with(
                [
                    {"Key": "stickiness.enabled", "Value": "true"},
                    {"Key": "stickiness.type", "Value": "lb_cookie"},
                    {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "600"},
                ]
            )
        },
    )


def test_target_group_health_check_is_fast_on_the_health_path(app_stack: Template) -> None:
    # A wake waits for interval x healthy threshold (10 s) once the app answers.
    app_stack.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "TargetType": "ip",
            "Port": 8050,
            "Protocol": "HTTP",
            "HealthCheckPath": "/health",
            "HealthCheckIntervalSeconds": 5,
            "HealthCheckTimeoutSeconds": 4,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "Matcher": {"HttpCode": "200"},
        },
    )


def test_target_group_deregisters_targets_after_30_seconds(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"TargetGroupAttributes": Match.array_with([{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])},
    )


def _dns_name_output() -> dict[str, Any]:
    """The platform's load balancer DNS name, as a (weak) cross-stack reference."""
    return {"Fn::GetStackOutput": Match.object_like({"OutputName": Match.string_like_regexp("LoadBalancer.*DNSName")})}


def test_listener_rule_matches_the_app_path_at_its_priority(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        RULE,
        {
            "Priority": 50000,
            "Conditions": Match.array_with([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]),
            "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": Match.string_like_regexp("TargetGroup")}}],
        },
    )


def test_listener_rule_serves_only_the_load_balancers_dns_name(app_stack: Template) -> None:
    # Requests to the ALB's bare IP addresses (scanners) get the listener's 404 and never reach an app or its waker.
    app_stack.has_resource_properties(
        RULE,
        {
            "Conditions": [
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}},
                {"Field": "host-header", "HostHeaderConfig": {"Values": [_dns_name_output()]}},
            ]
        },
    )


def test_url_output_names_the_host_the_rule_serves(app_stack: Template) -> None:
    app_stack.has_output("Url", {"Value": {"Fn::Join": ["", ["http://", _dns_name_output(), "/"]]}})


def test_service_leaves_the_desired_count_to_the_scaler(app_stack: Template) -> None:
    app_stack.resource_count_is("AWS::ECS::Service", 1)
    app_stack.all_resources_properties("AWS::ECS::Service", {"DesiredCount": Match.absent()})


def test_service_rolls_back_failed_deployments(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                "MinimumHealthyPercent": 100,
                "MaximumPercent": 200,
            }
        },
    )


def test_service_waits_the_configured_grace_period_for_health_checks(app_stack: Template) -> None:
    app_stack.has_resource_properties("AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": 60})


def test_service_in_public_subnets_gets_a_public_ip(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::ECS::Service",
        {"NetworkConfiguration": {"AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "ENABLED"})}},
    )


def test_service_in_private_subnets_gets_no_public_ip(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.apps[0])
    template.has_resource_properties(
        "AWS::ECS::Service",
        {"NetworkConfiguration": {"AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})}},
    )


def test_service_security_group_admits_only_the_load_balancer_on_8050(app_stack: Template) -> None:
    app_stack.resource_count_is("AWS::EC2::SecurityGroup", 1)
    app_stack.all_resources_properties("AWS::EC2::SecurityGroup", {"SecurityGroupIngress": Match.absent()})
    app_stack.resource_count_is("AWS::EC2::SecurityGroupIngress", 1)
    app_stack.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "IpProtocol": "tcp",
            "FromPort": 8050,
            "ToPort": 8050,
            "GroupId": {"Fn::GetAtt": [Match.string_like_regexp("SecurityGroup"), "GroupId"]},
            "SourceSecurityGroupId": Match.object_like({}),  # the ALB's group, from the platform stack
            "CidrIp": Match.absent(),
        },
    )


def test_service_security_group_sends_only_https(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {"SecurityGroupEgress": [Match.object_like({"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443})]},
    )


def test_task_role_may_read_only_the_apps_own_prefix(app_stack: Template) -> None:
    app_stack.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("TaskRole")}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "s3:GetObject",
                        "Effect": "Allow",
                        "Resource": {"Fn::Join": ["", [_bucket_arn(), "/dashboard/*"]]},
                    },
                    {
                        "Action": "s3:ListBucket",
                        "Effect": "Allow",
                        "Resource": _bucket_arn(),
                        "Condition": {"StringLike": {"s3:prefix": ["dashboard/*"]}},
                    },
                ],
                "Version": "2012-10-17",
            },
        },
    )


def test_no_policy_statement_grants_all_resources_except_where_aws_requires_it(app_stack: Template) -> None:
    offending = [
        statement
        for policy in app_stack.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "*" in _as_list(statement["Resource"]) and set(_as_list(statement["Action"])) - WILDCARD_RESOURCE_EXCEPTIONS
    ]
    assert offending == []


def test_two_apps_get_two_services_with_distinct_rule_priorities(nat_build: Build) -> None:
    priorities = []
    for stack in nat_build.stacks.apps:
        template = nat_build.template(stack)
        template.resource_count_is("AWS::ECS::Service", 1)
        rules = template.find_resources(
            RULE, {"Properties": {"Conditions": Match.array_with([Match.object_like({"Field": "path-pattern"})])}}
        )
        priorities += [rule["Properties"]["Priority"] for rule in rules.values()]
    assert sorted(priorities) == [20, 50000]


def test_second_app_is_served_under_its_prefix(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.apps[1])
    template.has_resource_properties(
        RULE,
        {"Conditions": Match.array_with([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/sales/*"]}}])},
    )
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/sales/health"})


def test_outputs_the_app_url_and_service_name(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.apps[1])
    template.has_output("Url", {"Value": {"Fn::Join": ["", ["http://", Match.any_value(), "/sales/"]]}})
    template.has_output("ServiceName", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("Service"), "Name"]}})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
