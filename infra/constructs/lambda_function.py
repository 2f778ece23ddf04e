"""A Python Lambda function running ZeroDash's own code from lambdas/, with its own role and log group.

The code asset is lambdas/ (without the files in ASSET_EXCLUDES) plus the `tzdata` package: Lambda's Python
runtime may come without the system's time zone database, and `zoneinfo` then falls back to `tzdata`, which
keep-warm windows in any IANA time zone need (lambdas/common/policy.py). The asset is built by CDK local
bundling, a copy in this process (offline, no Docker), with the tzdata that requirements.txt pins for synth.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import jsii
import tzdata
from aws_cdk import AssetHashType, BundlingOptions, Duration, ILocalBundling, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.config import LAMBDAS_DIR
from infra.constructs.retention import retention_days

# The runtime the Lambda code is written and tested for (lambdas/README.md); a newer one is a deliberate change.
RUNTIME = lambda_.Runtime.PYTHON_3_12
# Names of files and folders (at any depth) under lambdas/ and tzdata/ that are not code. The asset is
# otherwise the whole folder: both functions share it, so CDK bundles and uploads it once.
ASSET_EXCLUDES = ("__pycache__", "*.pyc", "README.md", ".pytest_cache", ".ruff_cache")
# The installed tzdata package (requirements.txt pins its version), copied into the asset as `tzdata/`.
TZDATA_DIR = Path(tzdata.__file__).resolve().parent


@jsii.implements(ILocalBundling)
class CopyBundler:
    """Local bundling that copies `source` and each of `packages` (as a folder of its name) into the output.

    Files whose name matches an `excludes` pattern are left out. It always bundles locally (returns True),
    so the Docker image in the bundling options is never used.
    """

    def __init__(self, *, source: Path, packages: Sequence[Path] = (), excludes: Sequence[str] = ASSET_EXCLUDES):
        self.source = Path(source)
        self.packages = tuple(Path(package) for package in packages)
        self.excludes = tuple(excludes)

    def _ignore(self, directory: str, names: list[str]) -> set[str]:
        return {name for name in names if any(fnmatch(name, pattern) for pattern in self.excludes)}

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:
        """Called by CDK (jsii) with the bundling options; copies the files and reports that it bundled."""
        shutil.copytree(self.source, output_dir, ignore=self._ignore, dirs_exist_ok=True)
        for package in self.packages:
            shutil.copytree(package, Path(output_dir) / package.name, ignore=self._ignore, dirs_exist_ok=True)
        return True


def lambda_code(source: Path = LAMBDAS_DIR, *, packages: Sequence[Path] = (TZDATA_DIR,)) -> lambda_.Code:
    """The asset of `source` plus `packages`, bundled locally and hashed by its output.

    Hashing the bundled output (not the source) makes the asset change with anything copied in: a new
    tzdata version changes `tzdata/__init__.py` and its zone files, so the functions are updated. CDK bundles
    an asset once per cloud assembly for the same source and options (the bundler is not part of that key),
    so every function of one app must use the same `packages`; ZeroDash's all use the default.
    """
    bundler = CopyBundler(source=source, packages=packages)
    return lambda_.Code.from_asset(
        str(source),
        exclude=list(ASSET_EXCLUDES),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(image=RUNTIME.bundling_image, local=bundler),
    )


class LambdaFunction(Construct):
    """`handler` (e.g. "waker.handler.handler") from the lambdas/ asset (with tzdata), on Python 3.12 (x86_64).

    The function gets a role of its own that may only write to its own log group (kept
    `log_retention_days`); callers add the statements for the AWS calls it makes with
    `role.add_to_policy`. No managed policies.

    Attributes:
        function: the `lambda_.Function`.
        role: its `iam.Role`.
        log_group: its `logs.LogGroup`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_mib: int = 256,
        log_retention_days: int = 30,
        reserved_concurrent_executions: int | None = None,
        retry_attempts: int | None = None,
    ) -> None:
        """
        Args:
            handler: "<package>.<module>.<function>" inside lambdas/.
            description: what the function does (shown in the console).
            environment: its environment variables.
            timeout: the invocation timeout.
            memory_mib: memory in MiB. Default 256.
            log_retention_days: retention of its log group. Default 30.
            reserved_concurrent_executions: reserve (and cap) concurrency. Default None: unreserved.
            retry_attempts: retries of asynchronous invocations (0-2). Default None: Lambda's default (2).
        """
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=retention_days(log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            code=lambda_code(),
            handler=handler,
            description=description,
            environment=dict(environment),
            timeout=timeout,
            memory_size=memory_mib,
            role=self.role,
            log_group=self.log_group,
            reserved_concurrent_executions=reserved_concurrent_executions,
            retry_attempts=retry_attempts,
        )
        # Write access to its own log group only (CDK adds no managed policy to a role passed in).
        self.log_group.grant_write(self.role)
        NagSuppressions.add_resource_suppressions(
            self.function,
            [
                {
                    "id": "AwsSolutions-L1",
                    "reason": "The runtime is pinned to Python 3.12, the version the Lambda code and its tests are "
                    "written for; moving to a newer runtime is a deliberate, tested change, not a side effect of "
                    "upgrading aws-cdk-lib.",
                }
            ],
        )
