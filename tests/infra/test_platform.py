"""The platform stack: VPC, cluster, load balancer and listener."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from infra.config import BOT_RULES, ROBOTS_RULES
from tests.infra.conftest import Build


def test_default_vpc_has_no_nat_gateway(platform: Template) -> None:
    platform.resource_count_is("AWS::EC2::NatGateway", 0)


def test_default_vpc_has_only_two_public_subnets(platform: Template) -> None:
    platform.resource_count_is("AWS::EC2::Subnet", 2)
    platform.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": True})


def test_one_nat_gateway_adds_private_subnets(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.platform)
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    assert len(template.find_resources("AWS::EC2::Subnet", {"Properties": {"MapPublicIpOnLaunch": False}})) == 2


def test_vpc_has_an_s3_gateway_endpoint(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]},
        },
    )


def test_vpc_logs_rejected_flows_with_retention(platform: Template) -> None:
    platform.has_resource_properties("AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "REJECT"})
    platform.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_load_balancer_is_internet_facing_and_drops_invalid_headers(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "Scheme": "internet-facing",
            "Type": "application",
            "LoadBalancerAttributes": Match.array_with(
                [
                    {"Key": "deletion_protection.enabled", "Value": "false"},
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                ]
            ),
        },
    )


def test_load_balancer_writes_access_logs_to_the_log_bucket(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "LoadBalancerAttributes": Match.array_with(
                [
                    {"Key": "access_logs.s3.enabled", "Value": "true"},
                    {"Key": "access_logs.s3.prefix", "Value": "alb"},
                ]
            )
        },
    )


def test_load_balancer_security_group_admits_only_http_from_anywhere(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("ZeroDash ALB"),
            "SecurityGroupIngress": [
                Match.object_like({"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80})
            ],
        },
    )


def test_load_balancer_security_group_sends_only_to_port_8050_in_the_vpc(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("ZeroDash ALB"),
            "SecurityGroupEgress": [
                Match.object_like(
                    {
                        "CidrIp": {"Fn::GetAtt": [Match.string_like_regexp("Vpc"), "CidrBlock"]},
                        "IpProtocol": "tcp",
                        "FromPort": 8050,
                        "ToPort": 8050,
                    }
                )
            ],
        },
    )


def test_load_balancer_security_group_sends_to_each_apps_port(three_apps_build: Build) -> None:
    # given apps on 8050 (two runtime apps) and 5006 (bokeh), then one egress rule per distinct port, nothing else
    template = three_apps_build.template(three_apps_build.stacks.platform)
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("ZeroDash ALB"),
            "SecurityGroupEgress": [
                Match.object_like({"IpProtocol": "tcp", "FromPort": port, "ToPort": port}) for port in (5006, 8050)
            ],
        },
    )


def test_listener_answers_404_for_unclaimed_paths(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "404",
                        "ContentType": "text/plain",
                        "MessageBody": "Not found",
                    },
                }
            ],
        },
    )


def test_keeper_listener_on_8081_answers_404_by_default(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 8081,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "404",
                        "ContentType": "text/plain",
                        "MessageBody": "Not found",
                    },
                }
            ],
        },
    )


def test_keeper_listener_is_unreachable_because_the_security_group_admits_only_port_80(platform: Template) -> None:
    ingress_ports = [
        (rule["FromPort"], rule["ToPort"])
        for group in platform.find_resources("AWS::EC2::SecurityGroup").values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    ingress_ports += [
        (rule["Properties"]["FromPort"], rule["Properties"]["ToPort"])
        for rule in platform.find_resources("AWS::EC2::SecurityGroupIngress").values()
    ]
    assert ingress_ports == [(80, 80)]


def test_wake_token_secret_is_a_generated_64_character_string_without_punctuation(platform: Template) -> None:
    platform.resource_count_is("AWS::SecretsManager::Secret", 1)
    platform.has_resource(
        "AWS::SecretsManager::Secret",
        {
            "Properties": {
                "Description": Match.string_like_regexp("wake tokens"),
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
        },
    )


def test_no_wake_token_secret_without_scale_to_zero(always_on_build: Build) -> None:
    always_on_build.template(always_on_build.stacks.platform).resource_count_is("AWS::SecretsManager::Secret", 0)


def test_listener_answers_robots_txt_itself_before_any_app(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {
            "Priority": 1,
            "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/robots.txt"]}}],
            "Actions": [
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "200",
                        "ContentType": "text/plain",
                        "MessageBody": "User-agent: *\nDisallow: /\n",
                    },
                }
            ],
        },
    )


def test_cluster_exists_without_container_insights(platform: Template) -> None:
    platform.has_resource_properties(
        "AWS::ECS::Cluster", {"ClusterSettings": [{"Name": "containerInsights", "Value": "disabled"}]}
    )


def test_outputs_cluster_name_and_load_balancer_dns_name(platform: Template) -> None:
    platform.has_output("ClusterName", {"Value": {"Ref": Match.string_like_regexp("Cluster")}})
    platform.has_output(
        "LoadBalancerDnsName", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("LoadBalancer"), "DNSName"]}}
    )


def _bot_rules(template: Template) -> dict[int, dict]:
    rules = template.find_resources(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {"Properties": {"Conditions": [Match.object_like({"Field": "http-header"})]}},
    )
    return {rule["Properties"]["Priority"]: rule["Properties"] for rule in rules.values()}


def test_bots_and_monitors_are_answered_403_by_the_listener(platform: Template) -> None:
    rules = _bot_rules(platform)
    assert sorted(rules) == [2, 3]
    for rule in rules.values():
        assert rule["Actions"] == [
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "403",
                    "ContentType": "text/plain",
                    "MessageBody": "Automated clients are not served here; see /robots.txt",
                },
            }
        ]


def test_bot_rules_match_user_agents_within_the_alb_limit_of_five_values(platform: Template) -> None:
    values = []
    for rule in _bot_rules(platform).values():
        (condition,) = rule["Conditions"]
        assert condition["HttpHeaderConfig"]["HttpHeaderName"] == "User-Agent"
        assert len(condition["HttpHeaderConfig"]["Values"]) <= 5
        values += condition["HttpHeaderConfig"]["Values"]
    for pattern in ("*bot*", "*crawl*", "*spider*", "*uptime*", "*monitor*", "*curl/*", "*python-requests*"):
        assert pattern in values


def test_no_bot_rules_when_block_bots_is_false(always_on_build: Build) -> None:
    assert _bot_rules(always_on_build.template(always_on_build.stacks.platform)) == {}


def test_platform_rules_are_the_ones_the_quota_check_counts(platform: Template, always_on_build: Build) -> None:
    # infra/config.py check_quotas counts the platform's rules without building it.
    rules = "AWS::ElasticLoadBalancingV2::ListenerRule"
    assert len(platform.find_resources(rules)) == ROBOTS_RULES + BOT_RULES
    always_on = always_on_build.template(always_on_build.stacks.platform)  # blockBots=false
    assert len(always_on.find_resources(rules)) == ROBOTS_RULES
