"""The Lambda code asset: lambdas/ plus the tzdata package, bundled locally (no Docker) and hashed by its content."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from infra.constructs.lambda_function import RUNTIME, lambda_code
from tests.infra.conftest import ENV, Build

LAMBDA = "AWS::Lambda::Function"
# Loads a zone with no system time zone database (PYTHONTZPATH empty) and no site-packages (-S), so only
# the asset on PYTHONPATH can provide it; prints where tzdata came from.
LOAD_ZONE = (
    "import zoneinfo, tzdata; zoneinfo.ZoneInfo('Europe/Berlin'); "
    "print(zoneinfo.TZPATH, tzdata.__file__, tzdata.IANA_VERSION)"
)


def _s3_key(build: Build, stack: cdk.Stack, handler: str) -> str:
    functions = build.template(stack).find_resources(LAMBDA, {"Properties": {"Handler": handler}})
    (function,) = functions.values()
    return function["Properties"]["Code"]["S3Key"]


def _asset_dir(build: Build) -> Path:
    key = _s3_key(build, build.stacks.apps[0], "waker.handler.handler")
    path = build.outdir / f"asset.{key.removesuffix('.zip')}"
    assert path.is_dir(), sorted(p.name for p in build.outdir.iterdir())
    return path


def _load_zone(python_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(python_path), "PYTHONTZPATH": "", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-S", "-c", LOAD_ZONE], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_asset_holds_both_functions_and_the_tzdata_zone_files(default_build: Build) -> None:
    asset = _asset_dir(default_build)
    for path in ("waker/handler.py", "scaler/handler.py", "common/registry.py", "tzdata/zoneinfo/Europe/Berlin"):
        assert (asset / path).is_file(), path


def test_asset_leaves_out_docs_and_bytecode(default_build: Build) -> None:
    asset = _asset_dir(default_build)
    unwanted = [path for path in asset.rglob("*") if path.name in ("README.md", "__pycache__") or path.suffix == ".pyc"]
    assert unwanted == []


def test_a_zone_loads_from_the_asset_without_a_system_time_zone_database(default_build: Build) -> None:
    asset = _asset_dir(default_build)
    result = _load_zone(asset)
    assert result.returncode == 0, result.stderr
    tz_path, tzdata_file, _ = result.stdout.split()
    assert tz_path == "()"
    assert Path(tzdata_file).is_relative_to(asset)


def test_without_the_assets_tzdata_the_zone_would_not_load(tmp_path: Path) -> None:
    # The control for the test above: the interpreter it runs has no other source of zone data.
    result = _load_zone(tmp_path)
    assert result.returncode != 0
    assert "No module named 'tzdata'" in result.stderr


def test_waker_and_scaler_share_one_asset(default_build: Build) -> None:
    assert default_build.stacks.scaler is not None
    waker = _s3_key(default_build, default_build.stacks.apps[0], "waker.handler.handler")
    assert _s3_key(default_build, default_build.stacks.scaler, "scaler.handler.handler") == waker


def test_asset_hash_is_the_same_in_every_synth_of_the_same_code(default_build: Build, nat_build: Build) -> None:
    # Different cloud assemblies, same content: a deploy updates the functions only when the code changes.
    handler = "waker.handler.handler"
    assert _s3_key(default_build, default_build.stacks.apps[0], handler) == _s3_key(
        nat_build, nat_build.stacks.apps[1], handler
    )


def _asset_hash_with_tzdata(tmp_path: Path, version: str) -> str:
    package = tmp_path / version / "tzdata"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'__version__ = "{version}"\n')
    app = cdk.App(outdir=str(tmp_path / version / "cdk.out"))
    stack = cdk.Stack(app, "Asset", env=ENV)
    lambda_.Function(
        stack, "Function", runtime=RUNTIME, handler="waker.handler.handler", code=lambda_code(packages=[package])
    )
    (function,) = Template.from_stack(stack).find_resources(LAMBDA).values()
    return function["Properties"]["Code"]["S3Key"]


def test_asset_hash_changes_with_the_tzdata_version(tmp_path: Path) -> None:
    assert _asset_hash_with_tzdata(tmp_path, "2026.1") != _asset_hash_with_tzdata(tmp_path, "2026.2")
