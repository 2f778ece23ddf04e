"""Staged deploy without a pipeline: the Stateful stack, then the missing images, then every stack.

    .venv/bin/python -m scripts.deploy [--jobs N] [--no-build] [--require-approval never]

0. read the configuration (cdk.json, no AWS); check that every app that brings its own image from this account's
   ECR names a tag or digest that is there (else nothing is deployed);
1. deploy the ``<prefix>-Stateful`` stack (one ECR repository per app ZeroDash builds, the data bucket with each
   app's data/) and read each repository's URI from its outputs (``repository_output_key(app)``);
2. for each built app, its tag is a hash of its source (``app.image_tag``): ask ECR whether the app's repository
   has it, and build and push only the apps whose tag is missing, ``--jobs`` at a time (default 2). The
   repositories' tags are immutable, so a tag that is there is that source's image for good;
3. ``cdk deploy --all``.

``--no-build`` builds nothing: every built app's tag must already be in its repository.

AWS access: the standard credential chain (``AWS_PROFILE``, environment, SSO, instance role). Exit codes: 0 done,
1 a step failed (CDK CLI, build, push), 2 usage, configuration, a missing image or missing credentials.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parents[1]
CDK_BIN = REPO_ROOT / "node_modules" / ".bin" / "cdk"
CDK_FLAGS = ("--no-notices", "--no-version-reporting")
STATEFUL_SELECTOR = "*-Stateful"  # whatever the stackPrefix, the Stateful stack's name ends so
APPROVALS = ("never", "any-change", "broadening")
DEFAULT_JOBS = 2

Say = Callable[[str], None]


class DeployError(Exception):
    """A failure with a message for the user; ``exit_code`` 2 for usage/config/credentials, 1 for a failed step."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------- configuration and plan


def read_config(root: Path | None = None) -> Any:
    """The configuration from cdk.json's context in `root` (default: the project), parsed by the schema the CDK
    app uses (no AWS)."""
    root = root or REPO_ROOT
    from zerodash.config import ConfigError, load_config
    from zerodash.sources import SourceError

    try:
        context = json.loads((root / "cdk.json").read_text()).get("context", {})
    except (OSError, ValueError) as error:
        raise DeployError(f"cannot read {root / 'cdk.json'}: {error}") from None
    try:
        return load_config(context.get, project_root=root)
    except (ConfigError, SourceError) as error:
        raise DeployError(f"cdk.json: {error}") from None


@dataclass(frozen=True)
class Step:
    number: int
    total: int
    title: str

    def line(self, detail: str = "") -> str:
        return f"==> [{self.number}/{self.total}] {self.title}" + (f": {detail}" if detail else "")


def plan_steps(*, build: bool, jobs: int) -> list[Step]:
    """The three stages, titled for the progress lines."""
    images = f"Build and push the missing images ({jobs} at a time)" if build else "Check the images (--no-build)"
    titles = ["Deploy the Stateful stack (ECR repositories, data bucket)", images, "Deploy every stack"]
    return [Step(index, len(titles), title) for index, title in enumerate(titles, start=1)]


@dataclass(frozen=True)
class ImageJob:
    """One built app's image: where it goes and whether the repository has it already."""

    app: str
    source: Any  # zerodash.sources.AppSource
    tag: str
    repository_uri: str
    present: bool

    @property
    def destination(self) -> str:
        return f"{self.repository_uri}:{self.tag}"


def repository_uris(outputs: Mapping[str, Mapping[str, str]], apps: Sequence[str]) -> dict[str, str]:
    """Each built app's repository URI from a ``cdk deploy --outputs-file`` document."""
    from infra.stacks.stateful import repository_output_key

    found: dict[str, str] = {}
    for name in apps:
        key = repository_output_key(name)
        values = [stack[key] for stack in outputs.values() if key in stack]
        if len(values) != 1:
            stacks = ", ".join(sorted(outputs)) or "none"
            raise DeployError(
                f"app {name!r}: expected one stack with the output {key}, found {len(values)} (stacks: {stacks})"
            )
        found[name] = values[0]
    return found


def split_repository_uri(uri: str) -> tuple[str, str]:
    """``123.dkr.ecr.us-east-1.amazonaws.com/name`` -> (registry, repository name)."""
    registry, slash, name = uri.partition("/")
    if not slash or not name:
        raise DeployError(f"{uri!r} is not an ECR repository URI (registry/name)")
    return registry, name


def cdk_command(*args: str, require_approval: str | None) -> list[str]:
    command = [str(CDK_BIN), "deploy", *args, *CDK_FLAGS]
    if require_approval:
        command += ["--require-approval", require_approval]
    return command


# --------------------------------------------------------------------------- AWS (boto3)


def check_credentials(session: Any) -> str:
    """The caller's account; DeployError with what to do when there are no credentials or no region."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:  # e.g. a profile or SSO session that cannot be resolved
        raise DeployError(f"the AWS credentials cannot be loaded: {error}") from None
    if credentials is None:
        raise DeployError(
            "no AWS credentials found: log in (`aws sso login --profile NAME` and AWS_PROFILE=NAME, or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run again"
        )
    if not session.region_name:
        raise DeployError("no AWS region: set AWS_REGION (or a region in your AWS profile) and run again")
    try:
        return str(session.client("sts").get_caller_identity()["Account"])
    except NoCredentialsError:
        raise DeployError("no AWS credentials found: log in and run again") from None
    except (ClientError, BotoCoreError) as error:
        raise DeployError(f"the AWS credentials do not work: {error}") from None


def image_in_repository(ecr: Any, repository: str, *, tag: str | None = None, digest: str | None = None) -> bool:
    """Whether ECR ``repository`` holds the image ``tag`` (or ``digest``); RepositoryNotFoundException propagates."""
    image_id = {"imageDigest": digest} if digest else {"imageTag": tag}
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[image_id])
    except ecr.exceptions.ImageNotFoundException:
        return False
    return True


def tag_in_repository(ecr: Any, repository: str, tag: str) -> bool:
    """Whether a repository of the Stateful stack holds ``tag``."""
    try:
        return image_in_repository(ecr, repository, tag=tag)
    except ecr.exceptions.RepositoryNotFoundException:
        raise DeployError(f"ECR repository {repository!r} does not exist: is the Stateful stack deployed?") from None


def missing_brought_images(ecr: Any, apps: Sequence[Any]) -> list[str]:
    """A message for each app that brings an image of this account's ECR that is not there.

    Images behind another registry host (``public.ecr.aws/...``, ``ghcr.io/...``) are not checked: ECS pulls them.
    """
    problems = []
    for app in apps:
        image = app.app_source.image
        if app.app_source.kind != "image" or image is None or image.registry is not None:
            continue
        try:
            present = image_in_repository(ecr, image.repository, tag=image.tag, digest=image.digest)
        except ecr.exceptions.RepositoryNotFoundException:
            present = False
        if not present:
            problems.append(
                f"app {app.name!r}: image {image} is not in ECR repository {image.repository} "
                "(push it first, or fix `image`)"
            )
    return problems


def plan_images(ecr: Any, apps: Sequence[Any], uris: Mapping[str, str]) -> list[ImageJob]:
    """For each built app: its content tag, its repository, and whether the tag is there already."""
    jobs = []
    for app in apps:
        if not app.app_source.builds:
            continue
        uri = uris[app.name]
        _, repository = split_repository_uri(uri)
        tag = app.image_tag
        jobs.append(ImageJob(app.name, app.app_source, tag, uri, tag_in_repository(ecr, repository, tag)))
    return jobs


# --------------------------------------------------------------------------- building and pushing


class ImageBuilder(Protocol):
    """Builds one app's image and pushes it; called from worker threads, one call per app."""

    def prepare(self) -> None:
        """Run once before any build (what builds must not race on)."""

    def build_and_push(self, job: ImageJob, progress: Say) -> None: ...


class ContainerBuilder:
    """zerodash.images: docker when its engine answers, else buildah; pushes log in to ECR with boto3."""

    def __init__(self, ecr: Any = None) -> None:
        self.ecr = ecr

    def prepare(self) -> None:
        from zerodash import images

        try:
            if images.choose_builder() == "buildah":
                images.base_images()  # made once here: parallel builds would otherwise all debootstrap at once
        except (ValueError, RuntimeError) as error:
            raise DeployError(f"cannot build images: {error}", exit_code=1) from None

    def build_and_push(self, job: ImageJob, progress: Say) -> None:
        from zerodash import images

        built = images.build(job.source, job.tag, progress=progress)
        images.push(built.image, job.destination, ecr_client=self.ecr, progress=progress)


class Progress:
    """Thread-safe progress lines, each prefixed with the app's name."""

    def __init__(self, say: Say) -> None:
        self._say = say
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self._say(line)

    def for_app(self, name: str) -> Say:
        return lambda line: self(f"    [{name}] {line.strip()}")


def build_missing(
    jobs: Sequence[ImageJob], builder: ImageBuilder, *, max_workers: int, say: Say
) -> tuple[list[str], list[str]]:
    """Build and push every job whose tag is missing, ``max_workers`` at a time.

    Returns (the destinations pushed, one message per app that failed). Every build runs to its end even when
    another fails, so one run reports every broken app.
    """
    progress = Progress(say)
    for job in jobs:
        if job.present:
            progress.for_app(job.app)(f"{job.tag} is already in {job.repository_uri}: not building")
    missing = [job for job in jobs if not job.present]
    if not missing:
        return [], []
    builder.prepare()

    def one(job: ImageJob) -> tuple[str, BaseException | None]:
        report = progress.for_app(job.app)
        started = time.monotonic()
        report(f"building {job.tag}" + (f", then pushing it to {job.repository_uri}" if job.repository_uri else ""))
        try:
            builder.build_and_push(job, report)
        except Exception as error:  # reported with the others below
            report(f"failed after {time.monotonic() - started:.0f} s")
            return job.app, error
        report(f"done in {time.monotonic() - started:.0f} s")
        return job.app, None

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="image") as pool:
        results = list(pool.map(one, missing))
    failed = {app for app, error in results if error is not None}
    failures = [str(error) if f"'{app}'" in str(error) else f"app {app!r}: {error}" for app, error in results if error]
    return [job.destination for job in missing if job.app not in failed], failures


# --------------------------------------------------------------------------- processes


Runner = Callable[..., Any]


def run(command: Sequence[str], *, what: str, runner: Runner = subprocess.run, **kwargs: Any) -> None:
    try:
        result = runner(list(command), cwd=REPO_ROOT, check=False, **kwargs)
    except FileNotFoundError:
        raise DeployError(f"{what}: {command[0]} not found", exit_code=1) from None
    if result.returncode != 0:
        raise DeployError(f"{what} failed (exit {result.returncode}): {' '.join(command)}", exit_code=1)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=f"images built at once (default {DEFAULT_JOBS})")
    parser.add_argument("--no-build", action="store_true", help="build nothing: every image must be in ECR already")
    parser.add_argument(
        "--require-approval", choices=APPROVALS, default=None, help="passed to cdk deploy (default: the CLI's)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def deploy(
    args: argparse.Namespace,
    *,
    config: Any = None,
    builder: ImageBuilder | None = None,
    say: Say = print,
) -> list[str]:
    """The whole deploy; returns the image destinations it pushed."""
    import boto3

    config = config if config is not None else read_config()
    session = boto3.Session()
    account = check_credentials(session)
    if not CDK_BIN.exists():
        raise DeployError(f"{CDK_BIN} is missing: run `npm ci` (make deploy does)")
    ecr = session.client("ecr")
    built = [app for app in config.apps if app.app_source.builds]
    say(f"Deploying {len(config.apps)} app(s) to account {account}, region {session.region_name}")

    if problems := missing_brought_images(ecr, config.apps):
        raise DeployError("\n".join(problems))
    stateful, images_step, everything = plan_steps(build=not args.no_build, jobs=args.jobs)

    say(stateful.line())
    with tempfile.TemporaryDirectory() as tmp:
        outputs_file = Path(tmp) / "outputs.json"
        run(
            cdk_command(STATEFUL_SELECTOR, "--outputs-file", str(outputs_file), require_approval=args.require_approval),
            what="cdk deploy of the Stateful stack",
        )
        outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}
    uris = repository_uris(outputs, [app.name for app in built])

    say(images_step.line(f"{len(built)} built app(s)"))
    jobs = plan_images(ecr, built, uris)
    if args.no_build and (missing := [job for job in jobs if not job.present]):
        raise DeployError(
            "--no-build: "
            + "; ".join(f"app {job.app!r}: {job.destination} is not in its repository" for job in missing)
            + ". Drop --no-build to build and push them"
        )
    pushed, failures = build_missing(jobs, builder or ContainerBuilder(ecr), max_workers=args.jobs, say=say)
    if failures:
        raise DeployError(
            f"{len(failures)} of {len(pushed) + len(failures)} image(s) did not build or push; no stack was "
            "deployed after the Stateful stack:\n" + "\n".join(failures),
            exit_code=1,
        )

    say(everything.line())
    run(cdk_command("--all", require_approval=args.require_approval), what="cdk deploy --all")
    say(f"Done: {len(pushed)} image(s) pushed, {len(jobs) - len(pushed)} already in ECR")
    return pushed


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        deploy(args)
    except DeployError as error:
        print(f"deploy: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
