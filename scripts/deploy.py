"""Staged deploy without a pipeline: the Stateful stack, then the image, then every stack.

    .venv/bin/python -m scripts.deploy [--image-tag TAG] [--no-build] [--require-approval never]

1. deploy the ``<prefix>-Stateful`` stack (ECR repository, data bucket) and read its ``RepositoryUri`` output;
2. build the image with scripts/build_image.sh, tag it and push it to that repository; skipped when the tag
   is already there (the repository's tags are immutable, so an existing tag is that image for good);
3. ``cdk deploy --all -c imageTag=<tag>``.

The tag is ``--image-tag`` or ``IMAGE_TAG`` if given, else the commit (``git rev-parse --short=12 HEAD``); a
working tree with uncommitted changes gets ``<commit>-dirty<UTC time>`` so that an image built from it never
takes the clean commit's tag. ``--no-build`` deploys a tag that is already in the repository.

AWS access: the standard credential chain (``AWS_PROFILE``, environment, SSO, instance role). Exit codes: 0 done,
1 a step failed (CDK CLI, build, push), 2 usage, configuration or missing credentials.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CDK_BIN = REPO_ROOT / "node_modules" / ".bin" / "cdk"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_image.sh"
CDK_FLAGS = ("--no-notices", "--no-version-reporting")
STATEFUL_SELECTOR = "*-Stateful"  # whatever the stackPrefix, the Stateful stack's name ends so
REPOSITORY_OUTPUT = "RepositoryUri"
APPROVALS = ("never", "any-change", "broadening")


class DeployError(Exception):
    """A failure with a message for the user; ``exit_code`` 2 for usage/config/credentials, 1 for a failed step."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------- pure parts


def image_tag_pattern() -> Any:
    """The tag rule the CDK app enforces (infra.config), so a bad tag fails before any deploy."""
    if str(REPO_ROOT) not in sys.path:  # run as `python scripts/deploy.py`
        sys.path.insert(0, str(REPO_ROOT))
    from infra.config import IMAGE_TAG_PATTERN

    return IMAGE_TAG_PATTERN


def choose_tag(
    *, explicit: str | None, head: str | None, dirty: bool, no_build: bool, now: datetime | None = None
) -> str:
    """The image tag to deploy. ``head`` is the 12-digit commit (None outside a git checkout)."""
    if explicit:
        tag = explicit.strip()
        if tag == "latest" or not image_tag_pattern().fullmatch(tag):
            raise DeployError(
                f"IMAGE_TAG {tag!r} is not a valid tag: use 1-128 of A-Z a-z 0-9 _ . - (not starting with . or -), "
                "and not 'latest' (the repository's tags are immutable)"
            )
        return tag
    if no_build:
        raise DeployError(
            "--no-build needs the tag of an image that is already in the ECR repository: "
            "run with IMAGE_TAG=<tag> (make deploy IMAGE_TAG=<tag> DEPLOY_ARGS=--no-build). List the pushed tags with "
            "`aws ecr describe-images --repository-name <name> --query 'imageDetails[].imageTags'` "
            "(the name is the last part of the ZeroDash-Stateful stack's RepositoryUri output), "
            "or drop --no-build to build and push the current commit"
        )
    if not head:
        raise DeployError(
            "cannot tag the image with the commit: this is not a git checkout (or git is missing). "
            "Set IMAGE_TAG=<tag> to choose a tag"
        )
    if dirty:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
        return f"{head}-dirty{stamp}"
    return head


@dataclass(frozen=True)
class Step:
    number: int
    total: int
    title: str

    def line(self, detail: str = "") -> str:
        return f"==> [{self.number}/{self.total}] {self.title}" + (f": {detail}" if detail else "")


def plan_steps(*, tag: str, build: bool) -> list[Step]:
    """The three stages, titled for the progress lines."""
    image = f"Build and push image {tag}" if build else f"Check image {tag} is in the repository (--no-build)"
    titles = ["Deploy the Stateful stack (ECR repository, data bucket)", image, f"Deploy every stack (imageTag={tag})"]
    return [Step(index, len(titles), title) for index, title in enumerate(titles, start=1)]


def image_action(*, build: bool, tag_exists: bool, tag: str, repository_uri: str) -> str:
    """What step 2 does: "push" (build and push), "skip" (already there), or DeployError."""
    if tag_exists:
        return "skip"
    if build:
        return "push"
    raise DeployError(
        f"--no-build: {repository_uri}:{tag} is not in the repository. Push it first, "
        "or drop --no-build to build and push it now"
    )


def repository_uri_from_outputs(outputs: Mapping[str, Mapping[str, str]]) -> str:
    """The RepositoryUri output from a ``cdk deploy --outputs-file`` document."""
    found = [values[REPOSITORY_OUTPUT] for name, values in outputs.items() if REPOSITORY_OUTPUT in values]
    if len(found) != 1:
        stacks = ", ".join(sorted(outputs)) or "none"
        raise DeployError(
            f"expected one stack with a {REPOSITORY_OUTPUT} output, found {len(found)} (stacks: {stacks})"
        )
    return found[0]


def split_repository_uri(uri: str) -> tuple[str, str]:
    """``123.dkr.ecr.us-east-1.amazonaws.com/name`` -> (registry, repository name)."""
    registry, slash, name = uri.partition("/")
    if not slash or not name:
        raise DeployError(f"{uri!r} is not an ECR repository URI (registry/name)")
    return registry, name


def cdk_command(*args: str, tag: str, require_approval: str | None) -> list[str]:
    command = [str(CDK_BIN), "deploy", *args, *CDK_FLAGS, "-c", f"imageTag={tag}"]
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


def tag_in_repository(ecr: Any, repository: str, tag: str) -> bool:
    """Whether ``repository`` holds an image tagged ``tag``."""
    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ecr.exceptions.ImageNotFoundException:
        return False
    except ecr.exceptions.RepositoryNotFoundException:
        raise DeployError(f"ECR repository {repository!r} does not exist: is the Stateful stack deployed?") from None
    return True


def registry_login(ecr: Any) -> tuple[str, str, str]:
    """(username, password, registry endpoint) for ``docker login``: `aws ecr get-login-password` in boto3."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return username, password, data["proxyEndpoint"]


# --------------------------------------------------------------------------- processes


Runner = Callable[..., subprocess.CompletedProcess[Any]]


def run(command: Sequence[str], *, what: str, runner: Runner = subprocess.run, **kwargs: Any) -> None:
    try:
        result = runner(list(command), cwd=REPO_ROOT, check=False, **kwargs)
    except FileNotFoundError:
        raise DeployError(f"{what}: {command[0]} not found", exit_code=1) from None
    if result.returncode != 0:
        raise DeployError(f"{what} failed (exit {result.returncode}): {' '.join(command)}", exit_code=1)


def git_head() -> tuple[str | None, bool]:
    """(12-digit commit or None, working tree has uncommitted changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        if head.returncode != 0:
            return None, False
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None, False
    return head.stdout.strip() or None, bool(status.stdout.strip())


def container_tool() -> str:
    """docker if its engine answers (build_image.sh then builds with docker), else podman (buildah's storage)."""
    forced = os.environ.get("CONTAINER_BUILDER")
    if forced == "docker" or (
        not forced
        and shutil.which("docker")
        and subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0
    ):
        return "docker"
    if shutil.which("podman"):
        return "podman"
    raise DeployError("no container tool: install Docker, or podman and buildah (see README), or use --no-build")


def build_and_push(ecr: Any, repository_uri: str, tag: str) -> None:
    image = f"{repository_uri}:{tag}"
    tool = container_tool()
    run([str(BUILD_SCRIPT), image], what="building the image")
    username, password, endpoint = registry_login(ecr)
    run(
        [tool, "login", "--username", username, "--password-stdin", endpoint],
        what=f"{tool} login",
        input=password,
        text=True,
    )
    run([tool, "push", image], what=f"pushing {image}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-tag", default=os.environ.get("IMAGE_TAG") or None, help="default: IMAGE_TAG or commit")
    parser.add_argument("--no-build", action="store_true", help="deploy a tag already in the ECR repository")
    parser.add_argument(
        "--require-approval", choices=APPROVALS, default=None, help="passed to cdk deploy (default: the CLI's)"
    )
    return parser.parse_args(argv)


def deploy(args: argparse.Namespace, *, say: Callable[[str], None] = print) -> str:
    import boto3

    head, dirty = (None, False) if args.image_tag else git_head()
    tag = choose_tag(explicit=args.image_tag, head=head, dirty=dirty, no_build=args.no_build)
    session = boto3.Session()
    account = check_credentials(session)
    if not CDK_BIN.exists():
        raise DeployError(f"{CDK_BIN} is missing: run `npm ci` (make deploy does)")
    if dirty and not args.image_tag:
        say(f"note: uncommitted changes: the image is tagged {tag}, not the commit")
    stateful, image, everything = plan_steps(tag=tag, build=not args.no_build)
    say(f"Deploying to account {account}, region {session.region_name}, image tag {tag}")

    say(stateful.line())
    with tempfile.TemporaryDirectory() as tmp:
        outputs_file = Path(tmp) / "outputs.json"
        run(
            cdk_command(
                STATEFUL_SELECTOR, "--outputs-file", str(outputs_file), tag=tag, require_approval=args.require_approval
            ),
            what="cdk deploy of the Stateful stack",
        )
        repository_uri = repository_uri_from_outputs(json.loads(outputs_file.read_text()))

    say(image.line(repository_uri))
    ecr = session.client("ecr")
    _, repository = split_repository_uri(repository_uri)
    action = image_action(
        build=not args.no_build,
        tag_exists=tag_in_repository(ecr, repository, tag),
        tag=tag,
        repository_uri=repository_uri,
    )
    if action == "skip":
        say(f"    {repository_uri}:{tag} is already in the repository: not building")
    else:
        build_and_push(ecr, repository_uri, tag)

    say(everything.line())
    run(cdk_command("--all", tag=tag, require_approval=args.require_approval), what="cdk deploy --all")
    say(f"Done: every stack runs image {repository_uri}:{tag}")
    return tag


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
