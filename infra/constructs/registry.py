"""The ECR repository that one app's built image is pushed to."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct


class ImageRegistry(Construct):
    """An ECR repository with immutable tags, scan on push and a lifecycle rule bounding storage cost.

    Tags are immutable so a tag (the content hash of the app's source, `zerodash.sources.content_tag`)
    always names the image that was built from that source; deploys refer to images by tag. Only the
    newest `keep_images` images are kept (default 10), enough to roll back a few releases.

    Attributes:
        repository: the `ecr.Repository`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, keep_images: int = 10, retain: bool = True) -> None:
        """
        Args:
            keep_images: how many of the newest images to keep; older ones expire. Default 10.
            retain: keep the repository and its images when the stack is deleted (default). When False,
                the repository is deleted together with its images.
        """
        super().__init__(scope, construct_id)
        if keep_images < 1:
            raise ValueError(f"keep_images must be at least 1, got {keep_images}")

        self.repository = ecr.Repository(
            self,
            "Repository",
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description=f"Keep only the newest {keep_images} images",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=keep_images,
                )
            ],
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            empty_on_delete=None if retain else True,
        )
