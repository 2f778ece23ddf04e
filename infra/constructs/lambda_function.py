"""A Python Lambda function running ZeroDash's own code from lambdas/, with its own role and log group."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.config import LAMBDAS_DIR
from infra.constructs.retention import retention_days

# The runtime the Lambda code is written and tested for (lambdas/README.md); a newer one is a deliberate change.
RUNTIME = lambda_.Runtime.PYTHON_3_12
# Files under lambdas/ that are not code. The asset is otherwise the whole folder: both functions share it,
# so CDK uploads it once.
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "README.md", ".pytest_cache", ".ruff_cache"]


class LambdaFunction(Construct):
    """`handler` (e.g. "waker.handler.handler") from the lambdas/ asset, on Python 3.12 (x86_64).

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
            code=lambda_.Code.from_asset(str(LAMBDAS_DIR), exclude=ASSET_EXCLUDES),
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
