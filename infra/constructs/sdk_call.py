"""AWS SDK calls CloudFormation cannot make itself, run at deploy time by CDK's AwsCustomResource, the project's way:
the bundled SDK (no download at deploy), a log group that expires, and cdk-nag's findings on CDK's own provider
function acknowledged once per stack."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.constructs.retention import retention_days

# The construct id of the singleton provider function CDK adds to a stack for every AwsCustomResource in it.
PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287"


def sdk_call_resource(
    scope: Construct,
    construct_id: str,
    *,
    on_create: cr.AwsSdkCall,
    on_update: cr.AwsSdkCall | None = None,
    on_delete: cr.AwsSdkCall | None = None,
    statements: Sequence[iam.PolicyStatement],
    log_retention_days: int,
) -> cr.AwsCustomResource:
    """An AwsCustomResource making `on_create` (and `on_update`, `on_delete`) with exactly `statements`."""
    resource = cr.AwsCustomResource(
        scope,
        construct_id,
        on_create=on_create,
        on_update=on_update,
        on_delete=on_delete,
        policy=cr.AwsCustomResourcePolicy.from_statements(list(statements)),
        install_latest_aws_sdk=False,
        log_group=logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            retention=retention_days(log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    _acknowledge_provider(scope)
    return resource


def _acknowledge_provider(scope: Construct) -> None:
    provider = Stack.of(scope).node.try_find_child(PROVIDER_ID)
    if provider is None:
        return
    NagSuppressions.add_resource_suppressions(
        provider,
        [
            {
                "id": "AwsSolutions-IAM4",
                "reason": "CDK's AwsCustomResource provider uses AWSLambdaBasicExecutionRole only to write its own "
                "CloudWatch logs.",
                "appliesTo": ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
            },
            {
                "id": "AwsSolutions-L1",
                "reason": "The runtime of CDK's AwsCustomResource provider is chosen by aws-cdk-lib and upgraded with "
                "it, not configurable here.",
            },
        ],
        apply_to_children=True,
    )
