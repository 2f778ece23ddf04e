"""The S3 bucket the Dash apps read their data from, with its access-log bucket and optional sample data."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from cdk_nag import NagSuppressions
from constructs import Construct

SAMPLE_DATA_DIR = "data/sample"


class DataBucket(Construct):
    """A private, TLS-only, versioned, S3-encrypted data bucket plus a bucket for access logs.

    The log bucket receives the data bucket's server access logs (prefix `data-bucket/`) and is
    exposed so the platform can send the ALB's access logs there too (`alb/`); log objects
    expire after `log_retention_days`.

    With `sample_data` the files under `data/sample` are copied to the bucket root on deploy
    (`prune=False`: files already in the bucket, such as users' own data, are never deleted),
    so a fresh deploy shows a working dashboard.

    Attributes:
        bucket: the data `s3.Bucket`.
        log_bucket: the access-log `s3.Bucket`.
        sample_data: the `BucketDeployment`, or None without sample data.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retain: bool = True,
        log_retention_days: int = 30,
        sample_data: bool = True,
        sample_data_dir: str = SAMPLE_DATA_DIR,
    ) -> None:
        """
        Args:
            retain: keep both buckets and their objects when the stack is deleted (default). When False,
                the buckets are emptied and deleted with the stack.
            log_retention_days: days after which access-log objects expire. Default 30.
            sample_data: copy the files in `sample_data_dir` into the bucket root on deploy. Default True.
            sample_data_dir: the folder with the sample files. Default "data/sample", relative to the
                working directory (`cdk` runs the app in the project root).
        """
        super().__init__(scope, construct_id)
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

        self.sample_data: s3deploy.BucketDeployment | None = None
        if sample_data:
            self.sample_data = s3deploy.BucketDeployment(
                self,
                "SampleData",
                sources=[s3deploy.Source.asset(sample_data_dir)],
                destination_bucket=self.bucket,
                prune=False,
                retain_on_delete=True,
            )
            # The copy runs in CDK's own singleton Lambda; its role and runtime are CDK's to maintain.
            NagSuppressions.add_resource_suppressions(
                self.sample_data.handler_role.node.scope,
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
                        "reason": "CDK's BucketDeployment handler copies the sample files from the CDK asset bucket "
                        "into the data bucket: CDK grants s3 read on the asset bucket and read/write on the data "
                        "bucket's objects (it deletes nothing because prune=False).",
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
