"""The S3 bucket the apps read their data from, with its access-log bucket and each app's uploaded data/."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from cdk_nag import NagSuppressions
from constructs import Construct


class DataBucket(Construct):
    """A private, TLS-only, versioned, S3-encrypted data bucket plus a bucket for access logs.

    The log bucket receives the data bucket's server access logs (prefix `data-bucket/`) and is
    exposed so the platform can send the ALB's access logs there too (`alb/`); log objects
    expire after `log_retention_days`.

    Each entry of `uploads` (key prefix -> local directory, e.g. {"dashboard/": "examples/population/data"})
    is copied under its prefix on every deploy, with `prune=False`: objects already in the bucket, such as
    users' own uploads, are never deleted. So a fresh deploy shows working apps, each reading its own prefix.

    Attributes:
        bucket: the data `s3.Bucket`.
        log_bucket: the access-log `s3.Bucket`.
        uploads: one `s3deploy.BucketDeployment` per entry of `uploads`, by key prefix (empty without uploads).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retain: bool = True,
        log_retention_days: int = 30,
        uploads: Mapping[str, str] | None = None,
    ) -> None:
        """
        Args:
            retain: keep both buckets and their objects when the stack is deleted (default). When False,
                the buckets are emptied and deleted with the stack.
            log_retention_days: days after which access-log objects expire. Default 30.
            uploads: key prefix ("<app name>/": not starting with "/", ending with "/") -> the local directory
                copied there on deploy (absolute, or relative to the working directory). Default None: nothing
                is uploaded.
        """
        super().__init__(scope, construct_id)
        uploads = dict(uploads or {})
        for prefix in uploads:
            if not prefix.endswith("/") or prefix.startswith("/"):
                raise ValueError(f'an upload prefix must look like "name/", got {prefix!r}')
        removal_policy = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        auto_delete_objects = not retain

        self.log_bucket = s3.Bucket(
            self,
            "LogBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption ALB access logs support
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(log_retention_days))],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )
        NagSuppressions.add_resource_suppressions(
            self.log_bucket,
            [
                {
                    "id": "AwsSolutions-S1",
                    "reason": "This is the access-log bucket itself; logging it into itself would loop and "
                    "logging it elsewhere needs yet another bucket.",
                }
            ],
        )

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="data-bucket/",
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )

        self.uploads: dict[str, s3deploy.BucketDeployment] = {}
        for prefix, directory in uploads.items():
            deployment = s3deploy.BucketDeployment(
                self,
                f"Upload-{prefix.rstrip('/')}",
                sources=[s3deploy.Source.asset(str(directory))],
                destination_bucket=self.bucket,
                destination_key_prefix=prefix,
                prune=False,
                retain_on_delete=True,
            )
            self.uploads[prefix] = deployment
            # The copy runs in CDK's own singleton Lambda; its role and runtime are CDK's to maintain.
            NagSuppressions.add_resource_suppressions(
                deployment.handler_role.node.scope,
                [
                    {
                        "id": "AwsSolutions-IAM4",
                        "reason": "CDK's BucketDeployment handler uses AWSLambdaBasicExecutionRole only to write "
                        "its own CloudWatch logs.",
                        "appliesTo": [
                            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                        ],
                    },
                    {
                        "id": "AwsSolutions-IAM5",
                        "reason": "CDK's BucketDeployment handler copies each app's data files from the CDK asset "
                        "bucket into the data bucket: CDK grants s3 read on the asset bucket and read/write on the "
                        "data bucket's objects (it deletes nothing because prune=False).",
                        "appliesTo": [
                            "Action::s3:GetBucket*",
                            "Action::s3:GetObject*",
                            "Action::s3:List*",
                            "Action::s3:Abort*",
                            "Action::s3:DeleteObject*",
                            {"regex": "/^Resource::arn:aws:s3:::cdk-[a-z0-9]+-assets-.*/\\*$/"},
                            {"regex": "/^Resource::<DataBucket[0-9A-F]{8}\\.Arn>/\\*$/"},
                        ],
                    },
                    {
                        "id": "AwsSolutions-L1",
                        "reason": "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib and "
                        "upgraded with it, not configurable here.",
                    },
                ],
                apply_to_children=True,
            )
