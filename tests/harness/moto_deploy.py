"""Deploy the CDK app into a local moto server with the pinned CDK CLI.

moto stands in for AWS (no account, no Docker here). Its CloudFormation is good enough for a
deploy smoke test once three gaps are filled; ``apply_moto_patches`` fills them inside the
server process only (nothing is patched in the caller):

* ECR: moto names an unnamed ``AWS::ECR::Repository`` ``{Stack}-{LogicalId}-{suffix}`` and then
  rejects that name itself (upper case). Real CloudFormation generates a lower-case name.
* Outputs: after a change set is executed moto keeps the Outputs of the empty template the stack
  was created with, so ``describe_stacks`` shows none (the CLI deploys with change sets).
* Updates: UsePreviousValue of an SSM-typed parameter (CDK's BootstrapVersion) reuses the resolved
  value as if it were the SSM path and crashes; change sets are looked up by name across stacks (the
  CLI names every stack's ``cdk-deploy-change-set``: after deleting one stack's old change set it polls
  until that is gone, and moto answered with another stack's, so a redeploy of several stacks polled
  forever); a replaced task definition does not update the service that references it.
* Target groups answer no ``Fn::GetAtt`` (``TargetGroupFullName`` for the dashboards' and alarms'
  CloudWatch dimensions); it is derived from the ARN.
* ``Fn::GetStackOutput`` (what CDK writes for ``@aws-cdk/core:defaultCrossStackReferences: weak``)
  is unknown to moto; it is resolved from the producing stack's outputs.
* ``AWS::SecretsManager::Secret`` (the wake token secret) has no CloudFormation model in moto; one is
  added that creates the secret, with ``GenerateSecretString`` as Secrets Manager's GetRandomPassword.

Things moto does not do at all, even with the patches: it never runs Lambda functions, so
Lambda-backed custom resources (``Custom::CDKBucketDeployment``, ``Custom::VpcRestrictDefaultSG``,
``Custom::S3AutoDeleteObjects``) are reported CREATE_COMPLETE without their handler having run
(the patch stops moto's doomed invocation, which raced the functions' log groups);
the same holds for ``Custom::AWS`` (the AwsCustomResource that registers each waker Lambda in its target
group, so the waker target group has no target). It does not support ``AWS::S3::BucketPolicy``,
``AWS::ApplicationAutoScaling::ScalableTarget``/``ScalingPolicy`` or ``AWS::Lambda::EventInvokeConfig``
in CloudFormation (skipped with a warning); its ECS service model ignores LoadBalancers and
NetworkConfiguration.

Every CLI run has a timeout (``CLI_TIMEOUT_SECONDS``); on timeout the CLI is killed and CdkTimeoutError
reports its output tail with each stack's status, latest events and the change sets moto holds.

Usage:
    .venv/bin/python -m tests.harness.moto_deploy serve [--port N]
    .venv/bin/python -m tests.harness.moto_deploy deploy [-c sampleData=false] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zerodash.local_s3 import stop_process

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_BIN = REPO_ROOT / "node_modules" / ".bin" / "cdk"
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
ACCOUNT = "123456789012"  # moto's default account; cdk.json pins AZs for it
REGION = "us-east-1"
READY_MARKER = "MOTO_READY"
CLI_FLAGS = ("--no-notices", "--ci", "--no-version-reporting", "--no-color")
# A full deploy into moto takes well under a minute; a CLI still running after this polls for something
# moto never reports (a stack or change set status), so fail with diagnostics instead of waiting forever.
CLI_TIMEOUT_SECONDS = 240.0


# --------------------------------------------------------------------------- moto patches

# CloudFormation replaces a task definition on any property change (new revision, new ARN). Resources
# whose properties Ref/GetAtt such a resource are updated with the new value; moto diffs raw JSON only.
REPLACED_ON_ANY_CHANGE = frozenset({"AWS::ECS::TaskDefinition"})


def apply_moto_patches() -> None:
    """Fill the moto CloudFormation gaps described in the module docstring (server process only)."""
    _patch_cloudformation()
    _patch_change_set_lookup()
    _patch_custom_resources()
    _patch_ecr()
    _patch_ecs()
    _patch_target_group_attributes()
    _patch_secrets_manager()
    _log_error_responses()


def _log_error_responses() -> None:
    """Write the body of every 4xx/5xx response to stderr (the server log): the CLI often only says
    "XML parse error" when moto answers with an error it did not expect."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original_call = DomainDispatcherApplication.__call__

    def call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        status: list[str] = []

        def capture(code: str, headers: Any, *args: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *args)

        body = list(original_call(self, environ, capture))
        if status and int(status[0].split()[0]) >= 400:
            action = environ.get("HTTP_X_AMZ_TARGET") or environ.get("QUERY_STRING", "")
            print(
                f"ERROR RESPONSE {status[0]} {environ.get('PATH_INFO')} {action}: {b''.join(body)[:2000]!r}",
                file=sys.stderr,
                flush=True,
            )
        return body

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]


def _patch_cloudformation() -> None:
    from moto.cloudformation import models, parsing

    original_name = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original_name(resource_type, stack_name, logical_id)
        return name.lower() if resource_type == "AWS::ECR::Repository" else name

    parsing.generate_resource_name = generate_resource_name

    original_clean_json = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            return _get_stack_output(resource_json["Fn::GetStackOutput"], resources_map)
        return original_clean_json(resource_json, resources_map)

    parsing.clean_json = clean_json  # recursive calls look the name up in the module, so they see this

    original_execute = models.CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original_execute(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name) or next(
            cs for cs in reversed(self.change_sets.values()) if cs.change_set_name == change_set_name
        )
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.output_map = stack._create_output_map()

    models.CloudFormationBackend.execute_change_set = execute_change_set

    def stack_parameters(self: Any) -> dict[str, Any]:
        # UsePreviousValue must reuse the previous input; for SSM-typed parameters (CDK's BootstrapVersion)
        # that is the parameter path, not the value moto resolved from it.
        resource_map = self.resource_map
        values = dict(resource_map.resolved_parameters)
        for key, slot in resource_map._template.get("Parameters", {}).items():
            if str(slot.get("Type", "")).startswith("AWS::SSM::Parameter::"):
                values[key] = resource_map.input_parameters.get(key, slot.get("Default"))
        return values

    models.Stack.stack_parameters = property(stack_parameters)  # type: ignore[assignment,method-assign]

    original_diff = parsing.ResourceMap.build_resource_diff

    def build_resource_diff(self: Any, other_template: dict[str, Any], parameters: Any = None) -> dict[str, Any]:
        actions = original_diff(self, other_template, parameters)
        new = other_template["Resources"]
        replaced = {name for name in actions["Modify"] if new[name].get("Type") in REPLACED_ON_ANY_CHANGE}
        for name, resource in new.items():
            unchanged = name in self._resource_json_map and name not in actions["Modify"]
            if replaced and unchanged and _references(resource.get("Properties", {})) & replaced:
                actions["Modify"].append(name)  # after the replaced resource, so it sees the new ARN
        return actions

    parsing.ResourceMap.build_resource_diff = build_resource_diff


def _patch_change_set_lookup() -> None:
    """moto finds a change set given by name in any stack (describe: last match, delete: first match).
    The CLI names every stack's change set ``cdk-deploy-change-set``, so redeploys of several stacks
    describe or delete another stack's change set. Scope name lookups to the request's StackName: a name
    that matches no change set of that stack is not found, even if another stack has one of that name.
    Describe and execute then answer ChangeSetNotFound (not ValidationError); delete is a no-op, as on AWS
    (the CLI deletes ``cdk-deploy-change-set`` before every update, whether or not it exists).

    Without the scoping a redeploy hangs: before updating a stack the CLI deletes that stack's old change set
    and polls DescribeChangeSet every 5 s until it is gone, and moto kept answering with a later stack's change
    set of the same name (e.g. the app stack's poll found the scaler stack's)."""
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.responses import ActionResult, CloudFormationResponse, EmptyResult

    class ChangeSetNotFoundError(CloudFormationError):
        code = "ChangeSetNotFoundException"

    def scoped_change_set(self: Any) -> str | None:
        """The key (ARN) of the change set the request names, or None if there is none."""
        name, stack = self._get_param("ChangeSetName"), self._get_param("StackName")
        change_sets = self.cloudformation_backend.change_sets
        if name in change_sets:  # an ARN
            return str(name)
        ids = [
            key
            for key, cs in change_sets.items()
            if cs.change_set_name == name and (not stack or stack in (cs.stack_name, cs.stack_id))
        ]
        return ids[-1] if ids else None

    def found_change_set(self: Any) -> str:
        key = scoped_change_set(self)
        if key is None:
            # AWS answers ChangeSetNotFound; the CLI waits for exactly that after deleting an old change set
            raise ChangeSetNotFoundError(f"ChangeSet [{self._get_param('ChangeSetName')}] does not exist")
        return key

    def describe_change_set(self: Any) -> Any:
        return ActionResult(self.cloudformation_backend.describe_change_set(change_set_name=found_change_set(self)))

    def delete_change_set(self: Any) -> Any:
        key = scoped_change_set(self)
        if key is not None:
            self.cloudformation_backend.delete_change_set(change_set_name=key)
        return EmptyResult()

    def execute_change_set(self: Any) -> Any:
        self.cloudformation_backend.execute_change_set(
            stack_name=self._get_param("StackName"), change_set_name=found_change_set(self)
        )
        return EmptyResult()

    CloudFormationResponse.describe_change_set = describe_change_set  # type: ignore[method-assign]
    CloudFormationResponse.delete_change_set = delete_change_set  # type: ignore[method-assign]
    CloudFormationResponse.execute_change_set = execute_change_set  # type: ignore[method-assign]


def _patch_custom_resources() -> None:
    """Record Lambda-backed custom resources without invoking their handler.

    moto would invoke the handler in a background thread; without Docker that fails, but only after it has
    created the log group ``/aws/lambda/<fn>``, which races the CDK-managed AWS::Logs::LogGroup of the same
    name in the template (flaky ResourceAlreadyExistsException, seen by the CLI as "XML parse error").
    The handler's effect is absent either way: e.g. BucketDeployment copies nothing.
    """
    from moto.cloudformation import custom_model, models
    from moto.moto_api._internal import mock_random

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        resource = custom_model.CustomModel(region_name, str(mock_random.uuid4()), kwargs["LogicalId"], resource_name)
        stack = models.cloudformation_backends[account_id][region_name].get_stack(kwargs["StackId"])
        stack.add_custom_resource(resource)
        return resource

    custom_model.CustomModel.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]


def _references(node: Any) -> set[str]:
    """Logical ids referenced with Ref or Fn::GetAtt anywhere in ``node``."""
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    if isinstance(node.get("Ref"), str):
        found.add(node["Ref"])
    if isinstance(node.get("Fn::GetAtt"), list) and node["Fn::GetAtt"]:
        found.add(node["Fn::GetAtt"][0])
    return found.union(*(_references(value) for value in node.values()))


def _get_stack_output(spec: Mapping[str, Any], resources_map: Any) -> Any:
    from moto.cloudformation import models, parsing
    from moto.cloudformation.exceptions import ValidationError

    spec = parsing.clean_json(dict(spec), resources_map)
    region = spec.get("Region", resources_map._region_name)
    backend = models.cloudformation_backends[resources_map._account_id][region]
    for stack in backend.stacks.values():
        if stack.name == spec["StackName"] and stack.status != "DELETE_COMPLETE":
            for output in stack.outputs or []:
                if output["OutputKey"] == spec["OutputName"]:
                    return output["OutputValue"]
    raise ValidationError(message=f"Fn::GetStackOutput: no output {spec['OutputName']} in stack {spec['StackName']}")


def _camel(value: Any) -> Any:
    from moto.core.utils import pascal_to_camelcase, remap_nested_keys

    return remap_nested_keys(value, pascal_to_camelcase) if value is not None else None


def _patch_ecr() -> None:
    """moto passes ImageScanningConfiguration through in CloudFormation casing, so scanOnPush is lost."""
    from moto.ecr.models import Repository

    original_create = Repository.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        properties = dict(cloudformation_json["Properties"])
        for key in ("ImageScanningConfiguration", "EncryptionConfiguration"):
            if key in properties:
                properties[key] = _camel(properties[key])
        return original_create(cls, resource_name, {**cloudformation_json, "Properties": properties}, *args, **kwargs)

    Repository.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]


def _patch_target_group_attributes() -> None:
    """moto's target groups answer no Fn::GetAtt; CloudWatch dimensions (dashboards, alarms) need the full name."""
    from moto.elbv2.models import FakeTargetGroup

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        attributes = {
            "TargetGroupFullName": self.arn.split(":")[-1],  # targetgroup/<name>/<id>
            "TargetGroupName": self.name,
            "TargetGroupArn": self.arn,
            "LoadBalancerArns": list(self.load_balancer_arns),
        }
        if attribute_name not in attributes:
            raise UnformattedGetAttTemplateException()
        return attributes[attribute_name]

    FakeTargetGroup.get_cfn_attribute = get_cfn_attribute  # type: ignore[attr-defined]


def _patch_secrets_manager() -> None:
    """A CloudFormation model for ``AWS::SecretsManager::Secret``: Ref is the secret's ARN, as on AWS."""
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.secretsmanager.utils import random_password

    class CloudFormationSecret(CloudFormationModel):
        # moto files every model under the service its module names ("moto.<service>...")
        __module__ = "moto.secretsmanager.cloudformation"

        def __init__(self, arn: str) -> None:
            self.arn = arn

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SecretsManager::Secret"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Id"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            if attribute_name != "Id":
                raise UnformattedGetAttTemplateException()
            return self.arn

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[override]
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
        ) -> CloudFormationSecret:
            props = cloudformation_json.get("Properties", {})
            generate = props.get("GenerateSecretString")
            secret_string = props.get("SecretString")
            if generate is not None and secret_string is None:
                secret_string = random_password(
                    password_length=int(generate.get("PasswordLength", 32)),
                    exclude_characters=generate.get("ExcludeCharacters", ""),
                    exclude_numbers=bool(generate.get("ExcludeNumbers", False)),
                    exclude_punctuation=bool(generate.get("ExcludePunctuation", False)),
                    exclude_uppercase=bool(generate.get("ExcludeUppercase", False)),
                    exclude_lowercase=bool(generate.get("ExcludeLowercase", False)),
                    include_space=bool(generate.get("IncludeSpace", False)),
                    require_each_included_type=bool(generate.get("RequireEachIncludedType", True)),
                )
            created = secretsmanager_backends[account_id][region_name].create_secret(
                name=props.get("Name", resource_name),
                secret_string=secret_string,
                secret_binary=None,
                description=props.get("Description"),
                tags=props.get("Tags"),
                kms_key_id=props.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
            return cls(json.loads(created)["ARN"])

        @classmethod
        def update_from_cloudformation_json(  # type: ignore[override]
            cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, *args: Any
        ) -> Any:
            return original_resource  # the secret's value is generated once, as on AWS

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[override]
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            with suppress(Exception):
                secretsmanager_backends[account_id][region_name].delete_secret(
                    secret_id=resource_name, recovery_window_in_days=None, force_delete_without_recovery=True
                )

        def is_created(self) -> bool:
            return True

    # moto lists the models once (cached): forget the list so that it includes the one defined above.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    assert parsing.resource_class_from_type("AWS::SecretsManager::Secret") is CloudFormationSecret


def _patch_ecs() -> None:
    """moto's CloudFormation models drop most ECS properties (Cpu, NetworkMode, LoadBalancers, ...)."""
    from moto.ecs import models as ecs

    def create_task_definition(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **_: Any
    ) -> Any:
        props = cloudformation_json["Properties"]
        return ecs.ecs_backends[account_id][region_name].register_task_definition(
            family=props.get("Family", resource_name),
            container_definitions=_camel(props.get("ContainerDefinitions", [])),
            volumes=_camel(props.get("Volumes")),
            network_mode=props.get("NetworkMode"),
            requires_compatibilities=props.get("RequiresCompatibilities"),
            cpu=props.get("Cpu"),
            memory=props.get("Memory"),
            task_role_arn=props.get("TaskRoleArn"),
            execution_role_arn=props.get("ExecutionRoleArn"),
            runtime_platform=_camel(props.get("RuntimePlatform")),
            ephemeral_storage=_camel(props.get("EphemeralStorage")),
        )

    def update_task_definition(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        # every TaskDefinition property requires replacement in CloudFormation: register a new revision
        return create_task_definition(cls, new_resource_name, cloudformation_json, account_id, region_name)

    def create_service(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **_: Any
    ) -> Any:
        props = cloudformation_json["Properties"]
        cluster = props.get("Cluster", "default")
        task_definition = props["TaskDefinition"]
        return ecs.ecs_backends[account_id][region_name].create_service(
            cluster.name if isinstance(cluster, ecs.Cluster) else cluster,
            resource_name,
            # CloudFormation starts a new service with one task when DesiredCount is omitted
            int(props.get("DesiredCount", 1)),
            task_definition_str=task_definition.arn
            if isinstance(task_definition, ecs.TaskDefinition)
            else task_definition,
            load_balancers=_camel(props.get("LoadBalancers", [])),
            launch_type=props.get("LaunchType"),
            platform_version=props.get("PlatformVersion"),
            network_configuration=_camel(props.get("NetworkConfiguration")),
            deployment_controller=_camel(props.get("DeploymentController")),
            propagate_tags=props.get("PropagateTags", "NONE"),
        )

    ecs.TaskDefinition.create_from_cloudformation_json = classmethod(create_task_definition)  # type: ignore[method-assign]
    ecs.TaskDefinition.update_from_cloudformation_json = classmethod(update_task_definition)  # type: ignore[method-assign]
    ecs.Service.create_from_cloudformation_json = classmethod(create_service)  # type: ignore[method-assign]


def serve(port: int) -> None:
    """Run a patched moto server on loopback until killed; print READY_MARKER and the port."""
    apply_moto_patches()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"{READY_MARKER} {server.get_host_and_port()[1]}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


# --------------------------------------------------------------------------- caller side


@dataclass(frozen=True)
class MotoServer:
    port: int
    process: subprocess.Popen[str]
    log_path: Path

    @property
    def endpoint(self) -> str:
        # the CDK CLI must address moto as localhost (not 127.0.0.1) for S3 virtual-host asset uploads
        return f"http://localhost:{self.port}"


@contextmanager
def moto_server(log_dir: Path, start_timeout: float = 60.0) -> Iterator[MotoServer]:
    """Start ``serve`` in a subprocess on a free loopback port; stop it on exit."""
    log_path = log_dir / "moto.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(PYTHON), str(Path(__file__).resolve()), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            port = _wait_ready(process, start_timeout)
            yield MotoServer(port=port, process=process, log_path=log_path)
        finally:
            stop_process(process)


def _wait_ready(process: subprocess.Popen[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(READY_MARKER):
            return int(line.split()[1])
        if not line and process.poll() is not None:
            raise RuntimeError(f"moto server exited with code {process.returncode} before it was ready")
    raise TimeoutError(f"moto server not ready after {timeout:.0f} s")


def aws_env(endpoint: str) -> dict[str, str]:
    """Environment for boto3 and the CDK CLI pointing at moto with fake credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        CDK_DEFAULT_ACCOUNT=ACCOUNT,
        CDK_DEFAULT_REGION=REGION,
        CDK_DISABLE_VERSION_CHECK="1",
        CDK_DISABLE_CLI_TELEMETRY="true",
        CI="true",
        # the Node 20 end-of-life banner of the jsii runtime would otherwise fill the CLI output tails
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return env


class CdkCommandError(RuntimeError):
    def __init__(self, args: Sequence[str], returncode: int, output: str, *, diagnostics: str = "") -> None:
        tail = "\n".join(output.splitlines()[-40:])
        message = f"`cdk {' '.join(args)}` failed with exit code {returncode}; output tail:\n{tail}"
        super().__init__(f"{message}\n--- stacks in moto ---\n{diagnostics}" if diagnostics else message)
        self.returncode = returncode
        self.output = output


class CdkTimeoutError(CdkCommandError):
    """The CLI did not finish in time: typically it polls a stack or change set that moto never settles."""


@dataclass(frozen=True)
class CdkResult:
    args: tuple[str, ...]
    output: str
    seconds: float


def run_cdk(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    app_dir: Path = REPO_ROOT,
    timeout: float = CLI_TIMEOUT_SECONDS,
) -> CdkResult:
    """Run the pinned CDK CLI in ``app_dir``; raise CdkCommandError with the output tail on failure.

    After ``timeout`` seconds the CLI and its children (the synthesizing app) are killed and CdkTimeoutError
    reports the output tail and what moto holds (stack statuses, latest events, change sets), instead of
    letting the CLI poll moto every 5 s for a status that never comes.
    """
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(CDK_BIN), *args, *CLI_FLAGS],
        cwd=app_dir,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so a timeout also stops the app it synthesizes
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        raise CdkTimeoutError(
            args,
            -1,
            f"{output}\n[timed out after {timeout:.0f} s]",
            diagnostics=describe_moto_stacks(env.get("AWS_ENDPOINT_URL", "")),
        ) from None
    if proc.returncode != 0:
        raise CdkCommandError(args, proc.returncode, output)
    return CdkResult(args=tuple(args), output=output, seconds=time.monotonic() - started)


def describe_moto_stacks(endpoint: str, events_per_stack: int = 4) -> str:
    """Each stack's status and latest events, and the change sets, as moto reports them (best effort)."""
    if not endpoint:
        return "(no AWS_ENDPOINT_URL)"
    try:
        import boto3

        cfn = boto3.client(
            "cloudformation",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        lines: list[str] = []
        for stack in cfn.describe_stacks()["Stacks"]:
            reason = f" ({stack['StackStatusReason']})" if stack.get("StackStatusReason") else ""
            lines.append(f"{stack['StackName']}: {stack['StackStatus']}{reason}")
            events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"][:events_per_stack]
            lines.extend(
                f"    {event['Timestamp']:%H:%M:%S} {event['LogicalResourceId']} {event['ResourceType']} "
                f"{event['ResourceStatus']} {event.get('ResourceStatusReason') or ''}".rstrip()
                for event in events
            )
        # moto lists every stack's change sets whatever StackName says
        for change_set in cfn.list_change_sets(StackName="any")["Summaries"]:
            lines.append(
                f"change set {change_set['ChangeSetName']} of {change_set['StackName']}: "
                f"{change_set['Status']} / {change_set['ExecutionStatus']}"
            )
        return "\n".join(lines)
    except Exception as error:  # diagnostics must not hide the timeout they explain
        return f"(could not describe the stacks: {error!r})"


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def context_args(context: Mapping[str, str]) -> list[str]:
    return [arg for key, value in context.items() for arg in ("-c", f"{key}={value}")]


def bootstrap(env: Mapping[str, str], *, work_dir: Path, timeout: float = CLI_TIMEOUT_SECONDS) -> CdkResult:
    """Bootstrap moto's default account. Run outside the app (an empty ``work_dir``): inside it the CLI
    would synthesize the app first, which costs time and needs the app's required context."""
    return run_cdk(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], env=env, app_dir=work_dir, timeout=timeout)


def deploy_all(
    env: Mapping[str, str],
    *,
    context: Mapping[str, str],
    output_dir: Path,
    app_dir: Path = REPO_ROOT,
    timeout: float = CLI_TIMEOUT_SECONDS,
) -> CdkResult:
    outputs_file = output_dir / "outputs.json"
    return run_cdk(
        [
            "deploy",
            "--all",
            "--require-approval",
            "never",
            "--progress",
            "events",
            "--output",
            str(output_dir / "cdk.out"),
            "--outputs-file",
            str(outputs_file),
            *context_args(context),
        ],
        env=env,
        app_dir=app_dir,
        timeout=timeout,
    )


# --------------------------------------------------------------------------- command line


def _parse_context(pairs: Sequence[str]) -> dict[str, str]:
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-c expects key=value, got {pair!r}")
        context[key] = value
    return context


def _deploy_command(context: dict[str, str], keep: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="zerodash-moto-"))
    with moto_server(work) as server:
        env = aws_env(server.endpoint)
        print(f"moto on {server.endpoint} (log {server.log_path})", file=sys.stderr)
        for label, step in (
            ("bootstrap", lambda: bootstrap(env, work_dir=work)),
            ("deploy", lambda: deploy_all(env, context=context, output_dir=work)),
        ):
            try:
                result = step()
            except CdkCommandError as error:
                print(f"{label} failed: {error}\n--- moto log tail ---\n{log_tail(server.log_path)}", file=sys.stderr)
                return 1
            print(f"{label}: {result.seconds:.1f} s", file=sys.stderr)
        print(json.dumps(json.loads((work / "outputs.json").read_text()), indent=2))
        if keep:
            print(f"export AWS_ENDPOINT_URL={server.endpoint}  # Ctrl-C to stop", file=sys.stderr)
            with suppress(KeyboardInterrupt):
                server.process.wait()
    shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve_p = sub.add_parser("serve", help="run a patched moto server on 127.0.0.1")
    serve_p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    deploy_p = sub.add_parser("deploy", help="start moto, cdk bootstrap, cdk deploy --all, print outputs")
    deploy_p.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    deploy_p.add_argument("--keep", action="store_true", help="keep the server running after the deploy")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port)
        return 0
    return _deploy_command(_parse_context(args.context), args.keep)


if __name__ == "__main__":
    sys.exit(main())
