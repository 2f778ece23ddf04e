"""Deploy smoke test: the pinned CDK CLI bootstraps and deploys every stack into a local moto server.

Given a moto server on loopback (patched by tests/harness/moto_deploy.py where moto's CloudFormation
falls short of AWS; see that module's docstring), when `cdk bootstrap` and `cdk deploy --all` run
against it, then the resources exist as configured, and a redeploy with a new image tag updates
the service without resetting the desired count the scaler set.

Not exercised here: Lambda-backed custom resources (the sample-data BucketDeployment, the default
security group restriction, the waker's registration in its Lambda target group) are accepted but their
handlers never run, so the bucket stays empty and the waker target group has no target;
moto marks targets healthy and runs no tasks.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from common.apps import parse_app_json
from infra.stacks.stateful import repository_output_key
from zerodash.sources import content_tag, inspect_app

pytestmark = pytest.mark.deploy

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFIX = "ZdSmoke"
STATEFUL, PLATFORM, APP = f"{PREFIX}-Stateful", f"{PREFIX}-Platform", f"{PREFIX}-App-dashboard"
SCALER = f"{PREFIX}-Scaler"
APPS_PATH = f"/zerodash/{PREFIX}/apps/"
EXAMPLE = REPO_ROOT / "examples" / "population"
PUBLIC_PORT, KEEPER_PORT = 80, 8081


def _load_runner() -> ModuleType:
    path = REPO_ROOT / "tests" / "harness" / "moto_deploy.py"
    spec = importlib.util.spec_from_file_location("moto_deploy", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


md = _load_runner()


@dataclass
class Deployment:
    endpoint: str
    env: dict[str, str]
    work_dir: Path
    moto_log: Path
    timings: dict[str, float]
    source: Path  # a copy of the population example: a redeploy after changing it runs a new image tag
    first_tag: str = ""

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=md.REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def deploy(self) -> str:
        """Deploy every stack with the app built from `source`; returns the app's image tag (its content hash)."""
        apps = [{"name": "dashboard", "source": str(self.source), "path": "/*", "title": "Population by country"}]
        context = {"stackPrefix": PREFIX, "apps": json.dumps(apps)}
        tag = content_tag(inspect_app("dashboard", source=str(self.source), root=REPO_ROOT))
        try:
            result = md.deploy_all(self.env, context=context, output_dir=self.work_dir)
        except md.CdkCommandError as error:
            pytest.fail(f"{error}\n--- moto log tail ---\n{md.log_tail(self.moto_log)}", pytrace=False)
        self.timings[f"deploy {tag}"] = result.seconds
        return tag

    def outputs(self, stack: str) -> dict[str, str]:
        described = self.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}

    def resources(self, stack: str, resource_type: str) -> list[str]:
        summaries = self.client("cloudformation").list_stack_resources(StackName=stack)["StackResourceSummaries"]
        return [r["PhysicalResourceId"] for r in summaries if r["ResourceType"] == resource_type]

    def only_resource(self, stack: str, resource_type: str) -> str:
        found = self.resources(stack, resource_type)
        assert len(found) == 1, f"expected one {resource_type} in {stack}, found {found}"
        return found[0]

    def target_groups(self) -> dict[str, str]:
        """The app's target groups by target type: "ip" (the Fargate service's) and "lambda" (the waker's)."""
        arns = self.resources(APP, "AWS::ElasticLoadBalancingV2::TargetGroup")
        groups = self.client("elbv2").describe_target_groups(TargetGroupArns=arns)["TargetGroups"]
        by_type = {group["TargetType"]: group["TargetGroupArn"] for group in groups}
        assert sorted(by_type) == ["ip", "lambda"], f"expected an ip and a lambda target group, found {groups}"
        return by_type

    def service_target_group(self) -> str:
        return self.target_groups()["ip"]

    def waker_target_group(self) -> str:
        return self.target_groups()["lambda"]

    def rules_by_port(self) -> dict[int, dict[str, Any]]:
        """The app stack's listener rules by their listener's port: 80 the app's rule, 8081 its keeper rule."""
        elbv2 = self.client("elbv2")
        arns = self.resources(APP, "AWS::ElasticLoadBalancingV2::ListenerRule")
        rules: dict[int, dict[str, Any]] = {}
        for rule in elbv2.describe_rules(RuleArns=arns)["Rules"]:
            # a rule ARN is its listener's ARN with "listener-rule" for "listener", plus the rule id
            listener_arn = rule["RuleArn"].replace(":listener-rule/", ":listener/").rsplit("/", 1)[0]
            (listener,) = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
            rules[listener["Port"]] = rule
        assert sorted(rules) == [PUBLIC_PORT, KEEPER_PORT], f"expected an app rule and a keeper rule, found {rules}"
        return rules

    def load_balancer_dns_name(self) -> str:
        load_balancer_arn = self.only_resource(PLATFORM, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        balancers = self.client("elbv2").describe_load_balancers(LoadBalancerArns=[load_balancer_arn])
        return balancers["LoadBalancers"][0]["DNSName"]

    def function_environment(self, stack: str, handler: str) -> dict[str, str]:
        """The environment of the function in `stack` that runs `handler` (the others are CDK's providers)."""
        client = self.client("lambda")
        configurations = [
            client.get_function_configuration(FunctionName=name)
            for name in self.resources(stack, "AWS::Lambda::Function")
        ]
        (found,) = [c for c in configurations if c["Handler"] == handler]
        return found["Environment"]["Variables"]

    def service(self) -> dict[str, Any]:
        cluster = self.outputs(PLATFORM)["ClusterName"]
        services = self.client("ecs").describe_services(cluster=cluster, services=[self.outputs(APP)["ServiceName"]])
        assert services["services"], services.get("failures")
        return services["services"][0]

    def task_definition(self) -> dict[str, Any]:
        arn = self.service()["taskDefinition"]
        return self.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if not md.CDK_BIN.exists():
        pytest.skip(f"CDK CLI not installed at {md.CDK_BIN} (run `npm ci`)")
    work_dir = tmp_path_factory.mktemp("moto-deploy")
    source = shutil.copytree(EXAMPLE, work_dir / "population", ignore=shutil.ignore_patterns("__pycache__"))
    with md.moto_server(work_dir) as server:
        deployment = Deployment(
            endpoint=server.endpoint,
            env=md.aws_env(server.endpoint),
            work_dir=work_dir,
            moto_log=server.log_path,
            timings={},
            source=source,
        )
        try:
            deployment.timings["bootstrap"] = md.bootstrap(deployment.env, work_dir=work_dir).seconds
        except md.CdkCommandError as error:
            pytest.fail(f"{error}\n--- moto log tail ---\n{md.log_tail(server.log_path)}", pytrace=False)
        deployment.first_tag = deployment.deploy()
        yield deployment
        print(f"\ndeploy smoke timings: {json.dumps({k: round(v, 1) for k, v in deployment.timings.items()})}")


def test_every_stack_is_deployed(deployment: Deployment) -> None:
    stacks = deployment.client("cloudformation").describe_stacks()["Stacks"]
    status = {s["StackName"]: s["StackStatus"] for s in stacks}

    assert {name: status.get(name) for name in (STATEFUL, PLATFORM, APP, SCALER)} == {
        STATEFUL: "CREATE_COMPLETE",
        PLATFORM: "CREATE_COMPLETE",
        APP: "CREATE_COMPLETE",
        SCALER: "CREATE_COMPLETE",
    }


def test_app_url_output_points_at_the_load_balancer(deployment: Deployment) -> None:
    assert deployment.outputs(APP)["Url"] == f"http://{deployment.load_balancer_dns_name()}/"


def test_data_bucket_exists(deployment: Deployment) -> None:
    bucket = deployment.outputs(STATEFUL)["BucketName"]

    assert bucket in deployment.resources(STATEFUL, "AWS::S3::Bucket")
    deployment.client("s3").head_bucket(Bucket=bucket)


def test_repository_has_immutable_tags_and_scans_on_push(deployment: Deployment) -> None:
    name = deployment.only_resource(STATEFUL, "AWS::ECR::Repository")

    repository = deployment.client("ecr").describe_repositories(repositoryNames=[name])["repositories"][0]

    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert deployment.outputs(STATEFUL)[repository_output_key("dashboard")] == repository["repositoryUri"]


def test_cluster_exists(deployment: Deployment) -> None:
    cluster = deployment.outputs(PLATFORM)["ClusterName"]

    described = deployment.client("ecs").describe_clusters(clusters=[cluster])["clusters"]

    assert [c["status"] for c in described] == ["ACTIVE"]


def test_service_runs_the_configured_fargate_task(deployment: Deployment) -> None:
    service = deployment.service()
    task = deployment.task_definition()
    (container,) = task["containerDefinitions"]

    assert service["status"] == "ACTIVE"
    assert service["launchType"] == "FARGATE"
    assert (task["cpu"], task["memory"]) == ("512", "1024")
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert [m["containerPort"] for m in container["portMappings"]] == [8050]
    assert container["image"].endswith(f":{deployment.first_tag}")


def test_target_group_health_check_is_fast(deployment: Deployment) -> None:
    arn = deployment.service_target_group()

    (group,) = deployment.client("elbv2").describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]

    assert group["HealthCheckPath"] == "/health"
    assert group["HealthCheckIntervalSeconds"] == 5
    assert group["HealthCheckTimeoutSeconds"] == 4
    assert group["HealthyThresholdCount"] == 2
    assert group["UnhealthyThresholdCount"] == 3
    assert group["TargetType"] == "ip"


def test_service_registers_its_container_in_the_target_group(deployment: Deployment) -> None:
    arn = deployment.service_target_group()

    load_balancers = deployment.service()["loadBalancers"]

    assert [(lb["targetGroupArn"], lb["containerPort"]) for lb in load_balancers] == [(arn, 8050)]


def _forwards_to(rule: dict[str, Any]) -> list[str]:
    forwards = [a for a in rule["Actions"] if a["Type"] == "forward"]
    assert len(forwards) == 1, rule["Actions"]
    targets = forwards[0].get("ForwardConfig", {}).get("TargetGroups") or [forwards[0]]
    return [t["TargetGroupArn"] for t in targets]


def _condition_values(rule: dict[str, Any], field: str) -> list[str]:
    (condition,) = [c for c in rule["Conditions"] if c["Field"] == field]
    config = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig", "source-ip": "SourceIpConfig"}
    return condition.get(config[field], {}).get("Values") or condition.get("Values", [])


def test_app_rule_forwards_to_the_waker_target_group(deployment: Deployment) -> None:
    rule = deployment.rules_by_port()[PUBLIC_PORT]

    assert _forwards_to(rule) == [deployment.waker_target_group()]


def test_app_rule_serves_the_app_path_on_the_load_balancers_name_only(deployment: Deployment) -> None:
    rule = deployment.rules_by_port()[PUBLIC_PORT]

    assert _condition_values(rule, "path-pattern") == ["/*"]
    assert _condition_values(rule, "host-header") == [deployment.load_balancer_dns_name()]


def test_keeper_rule_forwards_to_the_service_target_group(deployment: Deployment) -> None:
    rules = deployment.rules_by_port()

    assert _forwards_to(rules[KEEPER_PORT]) == [deployment.service_target_group()]
    assert _condition_values(rules[KEEPER_PORT], "source-ip") == ["255.255.255.255/32"]
    assert rules[KEEPER_PORT]["Priority"] == rules[PUBLIC_PORT]["Priority"]


def test_keeper_listener_is_not_open_to_the_internet(deployment: Deployment) -> None:
    load_balancer_arn = deployment.only_resource(PLATFORM, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    elbv2, ec2 = deployment.client("elbv2"), deployment.client("ec2")
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer_arn])["LoadBalancers"]
    listeners = elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)["Listeners"]
    groups = ec2.describe_security_groups(GroupIds=balancer["SecurityGroups"])["SecurityGroups"]

    assert sorted(listener["Port"] for listener in listeners) == [PUBLIC_PORT, KEEPER_PORT]
    assert [(p["FromPort"], p["ToPort"]) for group in groups for p in group["IpPermissions"]] == [(80, 80)]


def test_app_object_is_registered_in_ssm_naming_the_deployed_resources(deployment: Deployment) -> None:
    name = deployment.outputs(APP)["AppParameterName"]
    parameter = deployment.client("ssm").get_parameter(Name=name)["Parameter"]
    app = parse_app_json(parameter["Value"], name)
    rules = deployment.rules_by_port()

    assert name == f"{APPS_PATH}dashboard"
    assert (parameter["Type"], app.name, app.title) == ("String", "dashboard", "Population by country")
    assert (app.cluster, app.service_name) == (
        deployment.outputs(PLATFORM)["ClusterName"],
        deployment.service()["serviceName"],
    )
    assert app.rule_arn == rules[PUBLIC_PORT]["RuleArn"]
    assert (app.service_target_group_arn, app.waker_target_group_arn) == (
        deployment.service_target_group(),
        deployment.waker_target_group(),
    )


def test_scaler_finds_the_apps_under_the_ssm_path(deployment: Deployment) -> None:
    path = deployment.function_environment(SCALER, "scaler.handler.handler")["ZERODASH_APPS_PATH"]
    found = deployment.client("ssm").get_parameters_by_path(Path=path)["Parameters"]

    assert path == APPS_PATH == deployment.outputs(SCALER)["AppsPath"]
    assert [parameter["Name"] for parameter in found] == [f"{APPS_PATH}dashboard"]


def test_waker_reads_its_parameter_and_the_generated_token_secret(deployment: Deployment) -> None:
    environment = deployment.function_environment(APP, "waker.handler.handler")
    secret = deployment.client("secretsmanager").get_secret_value(SecretId=environment["ZERODASH_TOKEN_SECRET"])

    assert environment["ZERODASH_APP_PARAMETER"] == f"{APPS_PATH}dashboard"
    assert secret["ARN"] == deployment.only_resource(PLATFORM, "AWS::SecretsManager::Secret")
    assert len(secret["SecretString"]) == 64
    assert secret["SecretString"].isalnum()


def test_uploaded_lambda_asset_carries_the_tzdata_zone_files(deployment: Deployment) -> None:
    s3 = deployment.client("s3")
    bucket = f"cdk-hnb659fds-assets-{md.ACCOUNT}-{md.REGION}"
    code_keys = []
    for obj in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        if obj["Key"].endswith(".zip"):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
            if "waker/handler.py" in names:
                code_keys.append(obj["Key"])
                assert {"scaler/handler.py", "tzdata/zoneinfo/Europe/Berlin"} <= names

    assert len(code_keys) == 1, code_keys  # both functions share one asset


def test_template_leaves_desired_count_to_the_live_service(deployment: Deployment) -> None:
    template = deployment.client("cloudformation").get_template(StackName=APP)["TemplateBody"]
    template = json.loads(template) if isinstance(template, str) else template
    services = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service"]

    assert len(services) == 1
    assert "DesiredCount" not in services[0]["Properties"]


# Runs after the checks above: it changes the deployment (new task definition revision, desired count 0).
def test_redeploy_of_a_changed_app_keeps_the_scaled_down_desired_count(deployment: Deployment) -> None:
    service = deployment.service()
    ecs = deployment.client("ecs")
    ecs.update_service(cluster=service["clusterArn"], service=service["serviceArn"], desiredCount=0)  # as the scaler
    app_py = deployment.source / "app.py"
    app_py.write_text(app_py.read_text() + "\n# changed: a new content hash, so a new image tag\n")

    second_tag = deployment.deploy()

    updated = deployment.service()
    assert updated["taskDefinition"] != service["taskDefinition"], "the redeploy did not update the service"
    assert deployment.task_definition()["containerDefinitions"][0]["image"].endswith(f":{second_tag}")
    assert updated["desiredCount"] == 0
    assert deployment.client("cloudformation").describe_stacks(StackName=APP)["Stacks"][0]["StackStatus"] == (
        "UPDATE_COMPLETE"
    )


def test_moto_server_logged_no_tracebacks(deployment: Deployment) -> None:
    # moto swallows some exceptions during stack updates; a traceback means a resource silently went missing
    log = deployment.moto_log.read_text(errors="replace")

    assert "Traceback" not in log, md.log_tail(deployment.moto_log, 60)
