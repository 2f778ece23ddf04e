"""What each app brings, and the content-hash tag of the image built from it.

An entry of `apps` brings exactly one of:
- `source`, a directory with `app.py` (a Dash app's module-level `app`, or a Flask/WSGI `server`) and
  `requirements.txt`: built with ZeroDash's own Dockerfile around the runtime (kind "runtime");
- `source`, a directory with a `Dockerfile`: any HTTP app, built as it is (kind "dockerfile");
- `image`, an image another pipeline pushed (kind "image"): an ECR repository of this account with a tag or a
  digest, or a full registry reference.

An image's tag is a hash of what goes into it, so an unchanged app keeps its tag (and is neither rebuilt nor
redeployed) and a changed app gets a new one. Standard library only: infra, the CLI and the build use it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME_DIR = REPO_ROOT / "zerodash_runtime"

AppKind = Literal["runtime", "dockerfile", "image"]
TAG_PREFIX = "src-"
TAG_HEX_DIGITS = 20
# Bump to give every built image a new tag when the way images are built changes outside the hashed files.
BUILD_FORMAT = "zerodash-build-1"

# Never part of an image nor of its hash: tooling and caches.
IGNORED_NAMES = frozenset(
    {".git", ".hg", "__pycache__", ".venv", "venv", "node_modules", ".pytest_cache", ".ruff_cache", ".DS_Store"}
)
IGNORED_SUFFIXES = (".pyc", ".pyo")
# A runtime app's data/ directory is uploaded to S3 (under DATA_PREFIX), not baked into the image.
DATA_DIR = "data"
DEFAULT_MODULE = "app"
MODULE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::[A-Za-z_][A-Za-z0-9_]*)?$")
# repository[:tag] or repository@sha256:<64 hex>, with an optional registry host ("host[:port]/") in front.
IMAGE_PATTERN = re.compile(
    r"^(?P<repository>(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127})|@(?P<digest>sha256:[a-f0-9]{64}))$"
)


class SourceError(ValueError):
    """An app's source or image is unusable; the message names the app and says how to fix it."""

    def __init__(self, app: str, message: str) -> None:
        super().__init__(f"app {app!r}: {message}")
        self.app = app


@dataclass(frozen=True)
class ImageReference:
    """An image another pipeline pushed. `registry` is None for an ECR repository of the deploying account."""

    repository: str
    tag: str | None = None
    digest: str | None = None
    registry: str | None = None

    @property
    def version(self) -> str:
        """The tag or the digest, as ECR's describe-images takes it and CDK's `from_ecr_repository` wants it."""
        return self.digest or self.tag or ""

    def __str__(self) -> str:
        name = f"{self.registry}/{self.repository}" if self.registry else self.repository
        return f"{name}@{self.digest}" if self.digest else f"{name}:{self.tag}"


@dataclass(frozen=True)
class AppSource:
    """What one app brings: `directory` for the "runtime" and "dockerfile" kinds, `image` for "image"."""

    name: str
    kind: AppKind
    directory: Path | None = None
    image: ImageReference | None = None
    module: str = DEFAULT_MODULE

    @property
    def builds(self) -> bool:
        """ZeroDash builds (and pushes) this app's image; an "image" app's is pushed by someone else."""
        return self.kind != "image"


def inspect_app(
    name: str, *, source: str | None = None, image: str | None = None, module: str | None = None, root: Path
) -> AppSource:
    """Check what app `name` brings; `source` is relative to `root` (the project directory) or absolute."""
    if (source is None) == (image is None):
        raise SourceError(name, 'give exactly one of "source" (a directory with app.py or a Dockerfile) or "image"')
    if image is not None:
        if module is not None:
            raise SourceError(name, '"module" applies to a source directory with app.py, not to an image')
        return AppSource(name=name, kind="image", image=parse_image(name, image))

    assert source is not None
    directory = (root / source).resolve()
    if not directory.is_dir():
        raise SourceError(name, f"source {source!r} is not a directory (looked in {_shown(directory, root)})")
    if (directory / "Dockerfile").is_file():
        if module is not None:
            raise SourceError(name, f'"module" is for app.py apps; {source}/Dockerfile decides how the app starts')
        return AppSource(name=name, kind="dockerfile", directory=directory)

    module = module or DEFAULT_MODULE
    if not MODULE_PATTERN.fullmatch(module):
        raise SourceError(name, f'module {module!r} must be "module" or "module:attribute", e.g. "dashboard.main:app"')
    module_file = module.partition(":")[0].replace(".", "/")
    if not ((directory / f"{module_file}.py").is_file() or (directory / module_file / "__init__.py").is_file()):
        if module == DEFAULT_MODULE:
            raise SourceError(
                name,
                f"{source} has neither app.py nor a Dockerfile: add app.py (a Dash app exposing `app`, or a Flask "
                f'`server`), give "module" for another layout, or add a Dockerfile for any other HTTP app',
            )
        raise SourceError(name, f"{source} has no {module_file}.py for module {module!r}")
    if not (directory / "requirements.txt").is_file():
        raise SourceError(
            name, f"{source} has no requirements.txt: list what the app imports (dash and the rest), pinned"
        )
    return AppSource(name=name, kind="runtime", directory=directory, module=module)


def parse_image(name: str, image: str) -> ImageReference:
    """`repository:tag`, `repository@sha256:...`, each optionally behind `registry-host/`."""
    match = IMAGE_PATTERN.fullmatch(image.strip()) if isinstance(image, str) else None
    if match is None:
        raise SourceError(
            name,
            f'image {image!r} must be "repository:tag" or "repository@sha256:<digest>" (an ECR repository of this '
            'account), or a full reference such as "public.ecr.aws/org/app:1.2"',
        )
    if match["tag"] == "latest":
        raise SourceError(name, f"image {image!r}: name a fixed tag or a digest, not 'latest' (deploys must repeat)")
    repository = match["repository"]
    first, _, rest = repository.partition("/")
    registry = None
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    return ImageReference(repository=repository, tag=match["tag"], digest=match["digest"], registry=registry)


def image_files(source: AppSource) -> list[Path]:
    """The app's files that go into its build context, relative to its directory, sorted."""
    if source.directory is None:
        return []
    skip_data = source.kind == "runtime"
    return sorted(_walk(source.directory, source.directory, skip_data=skip_data))


def runtime_files() -> list[Path]:
    """The runtime package's files, relative to it, as they are copied into every "runtime" image."""
    return sorted(_walk(RUNTIME_DIR, RUNTIME_DIR, skip_data=False))


def content_tag(source: AppSource) -> str:
    """The image tag for a built app: "src-" and 20 hex digits of a hash of everything that goes into it.

    Covered: every file of the build context (path and bytes; for the runtime kind without data/), and for the
    runtime kind the runtime package and the module the build checks. Not covered: the base image, which the
    Dockerfile names (pin it there to make builds repeatable).
    """
    if source.directory is None:
        raise ValueError(f"app {source.name!r} brings an image; it has no content tag")
    digest = hashlib.sha256(BUILD_FORMAT.encode())
    _hash_tree(digest, "app", source.directory, image_files(source))
    if source.kind == "runtime":
        digest.update(f"\0module\0{source.module}".encode())
        _hash_tree(digest, "runtime", RUNTIME_DIR, runtime_files())
    return TAG_PREFIX + digest.hexdigest()[:TAG_HEX_DIGITS]


def data_directory(source: AppSource) -> Path | None:
    """The app's data/ directory, uploaded to s3://<bucket>/<app name>/ on deploy, if it has one."""
    if source.directory is None:
        return None
    directory = source.directory / DATA_DIR
    return directory if directory.is_dir() else None


def _hash_tree(digest: hashlib._Hash, label: str, base: Path, files: list[Path]) -> None:
    for relative in files:
        digest.update(f"\0{label}\0{relative.as_posix()}\0".encode())
        digest.update(hashlib.sha256((base / relative).read_bytes()).digest())


def _walk(directory: Path, base: Path, *, skip_data: bool) -> Iterator[Path]:
    for entry in directory.iterdir():
        if entry.name in IGNORED_NAMES or entry.name.endswith(IGNORED_SUFFIXES):
            continue
        relative = entry.relative_to(base)
        if skip_data and relative == Path(DATA_DIR) and entry.is_dir():
            continue
        if entry.is_dir():
            yield from _walk(entry, base, skip_data=skip_data)
        elif entry.is_file():
            yield relative


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.resolve()))
    except ValueError:
        return str(path)
