"""Which apps' images changed since a base commit, and (in CI) build them.

    .venv/bin/python -m scripts.changed_apps tags                   # {"app": "src-..."} of this checkout
    .venv/bin/python -m scripts.changed_apps --base SHA [--build]   # the apps whose tag differs from SHA's

An app's image tag is a hash of what goes into its image (zerodash.sources.content_tag), so "changed" means
"needs a new image": an app that is new, or whose tag differs from the tag the base commit's own code computes
for it (checked out with `git archive` into a temporary directory, then `python -m scripts.changed_apps tags`
run there, so a change to how tags are computed counts too). A base that predates content tags, or whose
configuration does not load, counts every built app as changed. Apps that bring an image are never built.

`--build` builds the changed apps' images with zerodash.images (docker, else buildah), `--jobs` at a time,
without pushing. Exit codes: 0 done, 1 a build failed, 2 configuration or git errors.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JOBS = 2


class ChangedError(Exception):
    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def current_tags(root: Path | None = None) -> dict[str, str]:
    """{app name: content tag} of every app that ZeroDash builds, from root's cdk.json."""
    from scripts.deploy import DeployError, read_config

    try:
        config = read_config(root)
    except DeployError as error:
        raise ChangedError(str(error)) from None
    return {app.name: app.image_tag for app in config.apps if app.app_source.builds}


def base_tags(base: str, *, root: Path | None = None) -> dict[str, str] | None:
    """The tags the base commit's own code computes, or None when it cannot (no such script, bad config)."""
    root = root or REPO_ROOT
    archive = subprocess.run(["git", "archive", "--format=tar", base], cwd=root, capture_output=True, check=False)
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise ChangedError(f"git archive {base} failed: {message} (fetch the base commit: fetch-depth: 0)")
    with tempfile.TemporaryDirectory(prefix="zerodash-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        # The base's own modules first on the path: its sources.py hashes its runtime, its config reads its cdk.json.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([tmp, str(Path(tmp) / "lambdas")])}
        result = subprocess.run(
            [sys.executable, "-m", "scripts.changed_apps", "tags"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    if result.returncode != 0:
        return None
    try:
        tags = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return tags if isinstance(tags, dict) else None


def changed(head: Mapping[str, str], base: Mapping[str, str] | None) -> list[str]:
    """The apps of `head` whose tag is not the base's (all of them without a base)."""
    return [name for name, tag in head.items() if base is None or base.get(name) != tag]


def build_apps(names: Sequence[str], *, jobs: int, root: Path | None = None) -> None:
    """Build the named apps' images (no push), `jobs` at a time; ChangedError (exit 1) naming every failure."""
    from scripts.deploy import ContainerBuilder, ImageJob, build_missing, read_config

    config = read_config(root)
    by_name = {app.name: app for app in config.apps}
    work = [ImageJob(name, by_name[name].app_source, by_name[name].image_tag, "", present=False) for name in names]

    class BuildOnly(ContainerBuilder):
        def build_and_push(self, job: ImageJob, progress: Any) -> None:
            from zerodash import images

            images.build(job.source, job.tag, progress=progress)

    _, failures = build_missing(work, BuildOnly(), max_workers=jobs, say=print)
    if failures:
        raise ChangedError(f"{len(failures)} of {len(work)} image(s) did not build:\n" + "\n".join(failures), 1)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", choices=("tags",), help="print this checkout's tags as JSON")
    parser.add_argument("--base", help="the commit to compare with (a pull request's base)")
    parser.add_argument("--build", action="store_true", help="build the changed apps' images (no push)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=f"builds at once (default {DEFAULT_JOBS})")
    args = parser.parse_args(argv)
    if (args.action == "tags") == bool(args.base):
        parser.error("give either `tags` or --base SHA")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.action == "tags":
            print(json.dumps(current_tags(), sort_keys=True))
            return 0
        head = current_tags()
        base = base_tags(args.base)
        names = changed(head, base)
        if base is None:
            print(f"the base {args.base} has no content tags (or its configuration does not load): every app counts")
        for name in head:
            print(f"{name}: {head[name]} {'changed' if name in names else 'unchanged'}")
        if args.build and names:
            build_apps(names, jobs=args.jobs)
    except ChangedError as error:
        print(f"changed_apps: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
