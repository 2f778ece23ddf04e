"""scripts/deploy.py: only the images whose tag is missing are built, in parallel within --jobs, and a missing
image that an app brings stops the deploy before anything is deployed. ECR is moto; the CDK CLI and the image
builder are fakes that record what they were asked to do."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra.stacks.stateful import repository_output_key
from scripts import deploy
from zerodash.config import load_config

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/zerodash-stateful-sales"


# --------------------------------------------------------------------------- fixtures and fakes


def make_config(root: Path, built: list[str], images: dict[str, str] | None = None):
    """A configuration with one app.py app per name in `built` and one image app per entry of `images`."""
    return load_config(make_context(root, built, images).get, project_root=root)


def make_context(root: Path, built: list[str], images: dict[str, str] | None = None) -> dict:
    entries = []
    for index, name in enumerate(built):
        directory = root / name
        directory.mkdir()
        # Each app's own source, so each gets its own content tag.
        (directory / "app.py").write_text(f"from flask import Flask\n\nserver = Flask({name!r})\n")
        (directory / "requirements.txt").write_text("flask\n")
        entries.append({"name": name, "source": name, "path": "/*" if index == 0 else f"/{name}/*"})
    for name, image in (images or {}).items():
        entries.append({"name": name, "image": image, "path": f"/{name}/*"})
    return {"apps": entries}


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


def push_to_ecr(ecr, repository: str, tag: str) -> None:
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def create_repositories(ecr, names: list[str]) -> dict[str, str]:
    """What the Stateful stack makes: one repository per built app; {output key: URI} as its outputs."""
    outputs = {}
    for name in names:
        uri = ecr.create_repository(repositoryName=f"zerodash-{name}", imageTagMutability="IMMUTABLE")["repository"][
            "repositoryUri"
        ]
        outputs[repository_output_key(name)] = uri
    return outputs


class FakeCdk:
    """Stands in for `run`: records each command; the Stateful deploy writes its outputs file."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        self.calls: list[list[str]] = []

    def __call__(self, command, *, what, **kwargs):
        self.calls.append(list(command))
        if "--outputs-file" in command:
            path = command[command.index("--outputs-file") + 1]
            Path(path).write_text(json.dumps({"ZeroDash-Stateful": {**self.outputs, "BucketName": "b"}}))

    @property
    def selectors(self) -> list[str]:
        return [call[2] for call in self.calls]


class FakeBuilder:
    """Records what it builds and pushes and how many builds ran at once; pushes into moto's ECR for real."""

    def __init__(self, ecr=None, *, seconds: float = 0.0, fail: set[str] = frozenset()) -> None:
        self.ecr = ecr
        self.seconds = seconds
        self.fail = fail
        self.prepared = 0
        self.built: list[tuple[str, str]] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def prepare(self) -> None:
        self.prepared += 1

    def build_and_push(self, job, progress) -> None:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            progress("STEP 1/1: FROM base")
            time.sleep(self.seconds)
            if job.app in self.fail:
                raise RuntimeError("the image build failed (buildah exit 1)")
            with self._lock:
                self.built.append((job.app, job.destination))
            if self.ecr is not None:
                push_to_ecr(self.ecr, job.destination.split("/", 1)[1].split(":")[0], job.tag)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def cdk_bin(monkeypatch, tmp_path):
    path = tmp_path / "cdk"
    path.touch()
    monkeypatch.setattr(deploy, "CDK_BIN", path)
    return path


def run_deploy(monkeypatch, argv, *, config, outputs, builder):
    cdk = FakeCdk(outputs)
    lines: list[str] = []
    monkeypatch.setattr(deploy, "run", cdk)
    pushed = deploy.deploy(deploy.parse_args(argv), config=config, builder=builder, say=lines.append)
    return cdk, lines, pushed


# --------------------------------------------------------------------------- only missing tags are built


def test_only_the_apps_whose_tag_is_missing_are_built_and_pushed(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, ["sales", "ops", "hr"])
    ecr = aws.client("ecr")
    outputs = create_repositories(ecr, ["sales", "ops", "hr"])
    tags = {app.name: app.image_tag for app in config.apps}
    push_to_ecr(ecr, "zerodash-ops", tags["ops"])  # ops is unchanged since its last deploy
    builder = FakeBuilder(ecr)

    cdk, lines, pushed = run_deploy(monkeypatch, [], config=config, outputs=outputs, builder=builder)

    assert sorted(builder.built) == [
        ("hr", f"{outputs[repository_output_key('hr')]}:{tags['hr']}"),
        ("sales", f"{outputs[repository_output_key('sales')]}:{tags['sales']}"),
    ]
    assert sorted(pushed) == sorted(destination for _, destination in builder.built)
    assert cdk.selectors == ["*-Stateful", "--all"]
    assert any(line == f"    [ops] {tags['ops']} is already in {outputs[repository_output_key('ops')]}: not building"
               for line in lines)  # fmt: skip
    assert "    [sales] STEP 1/1: FROM base" in lines
    assert [line[:9] for line in lines if line.startswith("==>")] == ["==> [1/3]", "==> [2/3]", "==> [3/3]"]


def test_a_second_deploy_of_the_same_sources_builds_nothing(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, ["sales", "ops"])
    ecr = aws.client("ecr")
    outputs = create_repositories(ecr, ["sales", "ops"])
    run_deploy(monkeypatch, [], config=config, outputs=outputs, builder=FakeBuilder(ecr))

    again = FakeBuilder(ecr)
    cdk, _, pushed = run_deploy(monkeypatch, [], config=config, outputs=outputs, builder=again)

    assert (again.built, again.prepared, pushed) == ([], 0, [])
    assert cdk.selectors == ["*-Stateful", "--all"]


def test_changing_one_app_rebuilds_that_app_alone(aws, monkeypatch, tmp_path, cdk_bin):
    context = make_context(tmp_path, ["sales", "ops"])
    ecr = aws.client("ecr")
    outputs = create_repositories(ecr, ["sales", "ops"])
    config = load_config(context.get, project_root=tmp_path)
    run_deploy(monkeypatch, [], config=config, outputs=outputs, builder=FakeBuilder(ecr))
    (tmp_path / "ops" / "app.py").write_text("from flask import Flask\n\nserver = Flask('ops, changed')\n")
    changed = load_config(context.get, project_root=tmp_path)

    builder = FakeBuilder(ecr)
    run_deploy(monkeypatch, [], config=changed, outputs=outputs, builder=builder)

    assert [app for app, _ in builder.built] == ["ops"]


# --------------------------------------------------------------------------- parallel, bounded


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_builds_run_in_parallel_within_the_jobs_bound(aws, monkeypatch, tmp_path, cdk_bin, jobs):
    names = ["a1", "a2", "a3", "a4", "a5"]
    config = make_config(tmp_path, names)
    outputs = create_repositories(aws.client("ecr"), names)
    builder = FakeBuilder(seconds=0.15)

    run_deploy(monkeypatch, ["--jobs", str(jobs)], config=config, outputs=outputs, builder=builder)

    assert sorted(app for app, _ in builder.built) == names
    assert builder.most_at_once == jobs
    assert builder.prepared == 1


def test_default_is_two_builds_at_once():
    assert deploy.parse_args([]).jobs == 2 == deploy.DEFAULT_JOBS


def test_jobs_below_one_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        deploy.parse_args(["--jobs", "0"])
    assert caught.value.code == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def test_a_failed_build_is_reported_after_the_others_finish_and_nothing_is_deployed(
    aws, monkeypatch, tmp_path, cdk_bin
):
    names = ["sales", "ops", "hr"]
    config = make_config(tmp_path, names)
    outputs = create_repositories(aws.client("ecr"), names)
    builder = FakeBuilder(fail={"ops"})

    with pytest.raises(deploy.DeployError) as caught:
        run_deploy(monkeypatch, [], config=config, outputs=outputs, builder=builder)

    assert caught.value.exit_code == 1
    assert str(caught.value) == (
        "1 of 3 image(s) did not build or push; no stack was deployed after the Stateful stack:\n"
        "app 'ops': the image build failed (buildah exit 1)"
    )
    assert sorted(app for app, _ in builder.built) == ["hr", "sales"]


def test_stacks_are_deployed_only_after_every_push(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, ["sales"])
    outputs = create_repositories(aws.client("ecr"), ["sales"])
    cdk = FakeCdk(outputs)
    order: list[str] = []

    class Recording(FakeBuilder):
        def build_and_push(self, job, progress):
            order.append(f"push {job.app}")

    monkeypatch.setattr(deploy, "run", lambda command, **kw: (order.append(command[2]), cdk(command, **kw)))
    deploy.deploy(deploy.parse_args([]), config=config, builder=Recording(), say=lambda line: None)

    assert order == ["*-Stateful", "push sales", "--all"]


# --------------------------------------------------------------------------- apps that bring an image


def test_an_image_app_whose_tag_is_missing_stops_the_deploy_before_cdk(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, ["sales"], images={"reports": "reports:v2"})
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="reports")
    push_to_ecr(ecr, "reports", "v1")
    builder = FakeBuilder()
    cdk = FakeCdk({})
    monkeypatch.setattr(deploy, "run", cdk)

    with pytest.raises(deploy.DeployError) as caught:
        deploy.deploy(deploy.parse_args([]), config=config, builder=builder, say=lambda line: None)

    assert str(caught.value) == (
        "app 'reports': image reports:v2 is not in ECR repository reports (push it first, or fix `image`)"
    )
    assert caught.value.exit_code == 2
    assert cdk.calls == []
    assert builder.built == []


def test_an_image_app_whose_repository_does_not_exist_gets_the_same_message(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, [], images={"reports": "reports:v2"})
    monkeypatch.setattr(deploy, "run", FakeCdk({}))
    with pytest.raises(deploy.DeployError, match=r"^app 'reports': image reports:v2 is not in ECR repository reports"):
        deploy.deploy(deploy.parse_args([]), config=config, builder=FakeBuilder(), say=lambda line: None)


def test_an_image_app_pinned_by_digest_is_looked_up_by_digest(aws, monkeypatch, tmp_path, cdk_bin):
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="reports")
    push_to_ecr(ecr, "reports", "v1")
    digest = ecr.describe_images(repositoryName="reports")["imageDetails"][0]["imageDigest"]
    config = make_config(tmp_path, [], images={"reports": f"reports@{digest}", "gone": "reports@sha256:" + "0" * 64})

    problems = deploy.missing_brought_images(ecr, config.apps)

    assert problems == [
        f"app 'gone': image reports@sha256:{'0' * 64} is not in ECR repository reports (push it first, or fix `image`)"
    ]


def test_images_of_other_registries_are_not_checked(aws, tmp_path):
    config = make_config(tmp_path, [], images={"public": "public.ecr.aws/org/app:1.2"})
    assert deploy.missing_brought_images(aws.client("ecr"), config.apps) == []


def test_image_apps_present_in_ecr_deploy_without_building(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, [], images={"reports": "reports:v1"})
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="reports")
    push_to_ecr(ecr, "reports", "v1")
    builder = FakeBuilder()

    cdk, _, pushed = run_deploy(monkeypatch, [], config=config, outputs={}, builder=builder)

    assert (builder.built, pushed) == ([], [])
    assert cdk.selectors == ["*-Stateful", "--all"]


# --------------------------------------------------------------------------- --no-build, outputs, CLI


def test_no_build_with_a_missing_tag_names_the_app_and_deploys_nothing_else(aws, monkeypatch, tmp_path, cdk_bin):
    config = make_config(tmp_path, ["sales"])
    outputs = create_repositories(aws.client("ecr"), ["sales"])
    builder = FakeBuilder()
    cdk = FakeCdk(outputs)
    monkeypatch.setattr(deploy, "run", cdk)

    with pytest.raises(deploy.DeployError, match=r"^--no-build: app 'sales': .*:src-[0-9a-f]{20} is not in its "):
        deploy.deploy(deploy.parse_args(["--no-build"]), config=config, builder=builder, say=lambda line: None)
    assert cdk.selectors == ["*-Stateful"]
    assert builder.built == []


def test_repository_uris_are_read_from_the_outputs_file():
    outputs = {"ZeroDash-Stateful": {repository_output_key("sales-eu"): URI, "BucketName": "b"}}
    assert deploy.repository_uris(outputs, ["sales-eu"]) == {"sales-eu": URI}


def test_a_missing_repository_output_names_the_app_and_the_stacks():
    with pytest.raises(deploy.DeployError, match=r"app 'sales': expected one stack with the output RepositoryUriSales, "
                       r"found 0 \(stacks: ZeroDash-Stateful\)"):  # fmt: skip
        deploy.repository_uris({"ZeroDash-Stateful": {}}, ["sales"])


def test_repository_uri_splits_into_registry_and_name():
    assert deploy.split_repository_uri(URI) == (
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "zerodash-stateful-sales",
    )
    with pytest.raises(deploy.DeployError):
        deploy.split_repository_uri("no-slash")


def test_missing_stateful_repository_points_at_the_stateful_stack(aws):
    with pytest.raises(deploy.DeployError, match="Stateful stack deployed"):
        deploy.tag_in_repository(aws.client("ecr"), "nope", "src-0")


def test_cdk_commands_pass_the_approval_level_and_no_image_tag():
    command = deploy.cdk_command("--all", require_approval="never")
    assert command[1:3] == ["deploy", "--all"]
    assert command[-2:] == ["--require-approval", "never"]
    assert not any("imageTag" in part for part in command)
    assert "--require-approval" not in deploy.cdk_command("--all", require_approval=None)


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


def test_the_container_builder_pushes_what_it_built(monkeypatch):
    from zerodash import images

    calls = []

    def build(source, tag, *, progress):
        calls.append(("build", tag))
        return images.BuildResult(image=f"localhost/zerodash/sales:{tag}", tag=tag, seconds=1.0, size_bytes=1)

    def push(image, destination, *, ecr_client, progress):
        calls.append(("push", image, destination, ecr_client))

    monkeypatch.setattr(images, "build", build)
    monkeypatch.setattr(images, "push", push)
    job = deploy.ImageJob("sales", object(), "src-1", URI, present=False)

    deploy.ContainerBuilder(ecr="ecr").build_and_push(job, print)

    assert calls == [("build", "src-1"), ("push", "localhost/zerodash/sales:src-1", f"{URI}:src-1", "ecr")]


# --------------------------------------------------------------------------- credentials


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

    config = make_config(tmp_path, ["sales"])
    monkeypatch.setattr(deploy, "read_config", lambda: config)
    monkeypatch.setattr(deploy, "check_credentials", no_credentials)
    assert deploy.main([]) == 2
    assert "deploy: error: no AWS credentials found" in capsys.readouterr().err


def test_a_configuration_error_stops_before_aws(monkeypatch, tmp_path, capsys):
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"apps": [{"name": "x", "source": "nowhere"}]}}))
    monkeypatch.setattr(deploy, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(deploy, "check_credentials", lambda session: pytest.fail("AWS was called"))
    assert deploy.main([]) == 2
    assert "deploy: error: cdk.json: apps[0].source: app 'x': source 'nowhere' is not a directory" in (
        capsys.readouterr().err
    )


def test_registry_token_from_moto_is_aws_and_a_password(aws):
    """The push logs in with ECR's token (zerodash.images.ecr_password); moto's is shaped as ECR's."""
    data = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert (user, bool(password)) == ("AWS", True)
