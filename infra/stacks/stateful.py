"""What outlives every deploy: the image registry and the data bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constructs.data_bucket import SAMPLE_DATA_DIR, DataBucket
from infra.constructs.registry import ImageRegistry


class StatefulStack(Stack):
    """The ECR repository and the S3 data bucket (with its log bucket); retained on delete by default.

    Attributes:
        registry: the `ImageRegistry` (`registry.repository`).
        data: the `DataBucket` (`data.bucket`, `data.log_bucket`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retain_data: bool = True,
        ecr_keep_images: int = 10,
        log_retention_days: int = 30,
        sample_data: bool = True,
        sample_data_dir: str = SAMPLE_DATA_DIR,
        **kwargs: Any,
    ) -> None:
        """`kwargs` are `Stack` options (env, description, ...)."""
        super().__init__(scope, construct_id, **kwargs)
        self.registry = ImageRegistry(self, "Registry", keep_images=ecr_keep_images, retain=retain_data)
        self.data = DataBucket(
            self,
            "Data",
            retain=retain_data,
            log_retention_days=log_retention_days,
            sample_data=sample_data,
            sample_data_dir=sample_data_dir,
        )

        CfnOutput(self, "RepositoryUri", value=self.registry.repository.repository_uri, description="Push images here")
        CfnOutput(self, "BucketName", value=self.data.bucket.bucket_name, description="The apps' data bucket")
