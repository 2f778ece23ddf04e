"""scripts/deploy.py: tag choice, step plan, error messages, and its ECR decisions against moto."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from scripts import deploy

HEAD = "0123456789ab"
URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/zerodash-stateful-registry"


# --------------------------------------------------------------------------- tag choice


def test_explicit_tag_wins_over_the_commit():
    assert deploy.choose_tag(explicit="v1.2.3", head=HEAD, dirty=True, no_build=False) == "v1.2.3"


def test_clean_checkout_is_tagged_with_the_commit():
    assert deploy.choose_tag(explicit=None, head=HEAD, dirty=False, no_build=False) == HEAD


def test_uncommitted_changes_never_take_the_commit_tag():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert deploy.choose_tag(explicit=None, head=HEAD, dirty=True, no_build=False, now=now) == (
        f"{HEAD}-dirty20260102030405"
    )


@pytest.mark.parametrize("bad", ["latest", "-x", ".x", "a b", "x" * 129])
def test_invalid_explicit_tag_is_rejected_like_the_cdk_app_does(bad):
    with pytest.raises(deploy.DeployError, match="not a valid tag"):
        deploy.choose_tag(explicit=bad, head=HEAD, dirty=False, no_build=False)


def test_no_build_without_a_tag_says_how_to_get_one():
    with pytest.raises(deploy.DeployError) as caught:
        deploy.choose_tag(explicit=None, head=HEAD, dirty=False, no_build=True)
    message = str(caught.value)
    assert "IMAGE_TAG=<tag>" in message
    assert "aws ecr describe-images" in message
    assert "drop --no-build" in message
    assert caught.value.exit_code == 2


def test_outside_git_without_a_tag_asks_for_image_tag():
    with pytest.raises(deploy.DeployError, match="Set IMAGE_TAG"):
        deploy.choose_tag(explicit=None, head=None, dirty=False, no_build=False)


# --------------------------------------------------------------------------- step plan and decisions


def test_plan_has_three_numbered_steps_in_order():
    steps = deploy.plan_steps(tag=HEAD, build=True)
    assert [step.line() for step in steps] == [
        "==> [1/3] Deploy the Stateful stack (ECR repository, data bucket)",
        f"==> [2/3] Build and push image {HEAD}",
        f"==> [3/3] Deploy every stack (imageTag={HEAD})",
    ]


def test_plan_without_build_only_checks_the_image():
    assert "--no-build" in deploy.plan_steps(tag=HEAD, build=False)[1].title


@pytest.mark.parametrize(
    ("build", "exists", "action"), [(True, True, "skip"), (True, False, "push"), (False, True, "skip")]
)
def test_image_action(build, exists, action):
    assert deploy.image_action(build=build, tag_exists=exists, tag=HEAD, repository_uri=URI) == action


def test_no_build_with_a_tag_missing_from_the_repository_fails_clearly():
    with pytest.raises(deploy.DeployError, match=r"is not in the repository.*drop --no-build"):
        deploy.image_action(build=False, tag_exists=False, tag=HEAD, repository_uri=URI)


def test_repository_uri_is_read_from_the_outputs_file():
    outputs = {"ZeroDash-Stateful": {"RepositoryUri": URI, "DataBucketName": "b"}}
    assert deploy.repository_uri_from_outputs(outputs) == URI


def test_missing_repository_output_names_the_stacks():
    with pytest.raises(deploy.DeployError, match="found 0 \\(stacks: ZeroDash-Stateful\\)"):
        deploy.repository_uri_from_outputs({"ZeroDash-Stateful": {}})


def test_repository_uri_splits_into_registry_and_name():
    assert deploy.split_repository_uri(URI) == (
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "zerodash-stateful-registry",
    )
    with pytest.raises(deploy.DeployError):
        deploy.split_repository_uri("no-slash")


def test_cdk_commands_pass_the_tag_and_the_approval_level():
    command = deploy.cdk_command("--all", tag=HEAD, require_approval="never")
    assert command[1:3] == ["deploy", "--all"]
    assert ["-c", f"imageTag={HEAD}"] == command[command.index("-c") : command.index("-c") + 2]
    assert command[-2:] == ["--require-approval", "never"]
    assert "--require-approval" not in deploy.cdk_command("--all", tag=HEAD, require_approval=None)


def test_failed_cli_is_a_step_failure_with_the_command():
    def failing(command, **kwargs):
        return subprocess.CompletedProcess(command, 3)

    with pytest.raises(deploy.DeployError, match=r"cdk deploy --all failed \(exit 3\)") as caught:
        deploy.run(["cdk", "deploy"], what="cdk deploy --all", runner=failing)
    assert caught.value.exit_code == 1


def test_missing_program_is_reported_by_name():
    def missing(command, **kwargs):
        raise FileNotFoundError(command[0])

    with pytest.raises(deploy.DeployError, match="podman not found"):
        deploy.run(["podman", "push"], what="push", runner=missing)


# --------------------------------------------------------------------------- AWS parts against moto


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")


def _push(ecr, repository, tag):
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def test_tag_already_in_ecr_means_skip_the_push(aws):
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="zerodash", imageTagMutability="IMMUTABLE")
    _push(ecr, "zerodash", HEAD)

    exists = deploy.tag_in_repository(ecr, "zerodash", HEAD)

    assert exists is True
    assert deploy.image_action(build=True, tag_exists=exists, tag=HEAD, repository_uri=URI) == "skip"


def test_new_tag_is_built_and_pushed(aws):
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="zerodash")
    _push(ecr, "zerodash", "older")

    exists = deploy.tag_in_repository(ecr, "zerodash", HEAD)

    assert exists is False
    assert deploy.image_action(build=True, tag_exists=exists, tag=HEAD, repository_uri=URI) == "push"


def test_missing_repository_points_at_the_stateful_stack(aws):
    with pytest.raises(deploy.DeployError, match="Stateful stack deployed"):
        deploy.tag_in_repository(aws.client("ecr"), "nope", HEAD)


def test_registry_login_decodes_the_authorization_token(aws):
    username, password, endpoint = deploy.registry_login(aws.client("ecr"))
    assert username == "AWS"
    assert password
    assert endpoint.startswith("https://")
    assert base64.b64encode(f"{username}:{password}".encode())


def test_credentials_give_the_account(aws):
    assert deploy.check_credentials(aws) == "123456789012"


def test_no_credentials_says_how_to_log_in(monkeypatch, tmp_path):
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(region_name="us-east-1")
    with pytest.raises(deploy.DeployError, match="no AWS credentials found: log in") as caught:
        deploy.check_credentials(session)
    assert caught.value.exit_code == 2


def test_no_region_is_reported(aws, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(deploy.DeployError, match="no AWS region"):
        deploy.check_credentials(boto3.Session())


def test_main_prints_the_error_and_exits_2_without_credentials(monkeypatch, tmp_path, capsys):
    def no_credentials(session):
        raise deploy.DeployError("no AWS credentials found: log in")

    monkeypatch.setattr(deploy, "check_credentials", no_credentials)
    assert deploy.main(["--image-tag", "v1"]) == 2
    assert "deploy: error: no AWS credentials found" in capsys.readouterr().err


def _fake_cli(calls, repository_uri):
    """Stands in for `run`: records each command; the Stateful deploy writes its outputs file."""

    def fake(command, *, what, **kwargs):
        calls.append(list(command))
        if "--outputs-file" in command:
            path = command[command.index("--outputs-file") + 1]
            with open(path, "w") as handle:
                json.dump({"ZeroDash-Stateful": {"RepositoryUri": repository_uri}}, handle)

    return fake


def test_deploy_skips_the_build_when_the_tag_is_in_ecr(aws, monkeypatch, tmp_path):
    ecr = aws.client("ecr")
    uri = ecr.create_repository(repositoryName="zerodash")["repository"]["repositoryUri"]
    _push(ecr, "zerodash", "v7")
    calls: list[list[str]] = []
    lines: list[str] = []
    monkeypatch.setattr(deploy, "run", _fake_cli(calls, uri))
    monkeypatch.setattr(deploy, "CDK_BIN", tmp_path / "cdk")
    (tmp_path / "cdk").touch()

    tag = deploy.deploy(deploy.parse_args(["--image-tag", "v7", "--require-approval", "never"]), say=lines.append)

    assert tag == "v7"
    assert [call[1:3] for call in calls] == [["deploy", "*-Stateful"], ["deploy", "--all"]]
    assert all("imageTag=v7" in call for call in calls)
    assert [line[:9] for line in lines if line.startswith("==>")] == ["==> [1/3]", "==> [2/3]", "==> [3/3]"]
    assert any("already in the repository: not building" in line for line in lines)


def test_deploy_no_build_stops_before_deploying_apps_when_the_tag_is_missing(aws, monkeypatch, tmp_path):
    uri = aws.client("ecr").create_repository(repositoryName="zerodash")["repository"]["repositoryUri"]
    calls: list[list[str]] = []
    monkeypatch.setattr(deploy, "run", _fake_cli(calls, uri))
    monkeypatch.setattr(deploy, "CDK_BIN", tmp_path / "cdk")
    (tmp_path / "cdk").touch()

    with pytest.raises(deploy.DeployError, match="is not in the repository"):
        deploy.deploy(deploy.parse_args(["--image-tag", "v8", "--no-build"]), say=lambda line: None)
    assert [call[2] for call in calls] == ["*-Stateful"]


def test_main_no_build_without_a_tag_fails_before_touching_aws(monkeypatch, capsys):
    monkeypatch.delenv("IMAGE_TAG", raising=False)
    monkeypatch.setattr(deploy, "check_credentials", lambda session: pytest.fail("AWS was called"))
    assert deploy.main(["--no-build"]) == 2
    assert "--no-build needs the tag of an image" in capsys.readouterr().err
