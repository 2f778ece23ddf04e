"""What outlives every deploy: one image registry per built app and the data bucket."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from infra.constructs.data_bucket import DataBucket
from infra.constructs.registry import ImageRegistry

REPOSITORY_OUTPUT_PREFIX = "RepositoryUri"


def repository_output_key(app_name: str) -> str:
    """The Stateful stack's output holding app `app_name`'s repository URI: "RepositoryUriSalesEu" for
    "sales-eu" (scripts/deploy.py reads it to push the app's image)."""
    return REPOSITORY_OUTPUT_PREFIX + "".join(part.capitalize() for part in app_name.split("-"))


class StatefulStack(Stack):
    """One `ImageRegistry` per app that ZeroDash builds, and the `DataBucket` with each app's data uploaded
    under "<app name>/". Apps that bring a ready image get no registry here.

    Attributes:
        registries: the `ImageRegistry` of each built app, by app name.
        data: the `DataBucket` (`data.bucket`, `data.log_bucket`, `data.uploads`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        built_apps: Sequence[str] = (),
        app_data: Mapping[str, str] | None = None,
        retain_data: bool = True,
        ecr_keep_images: int = 10,
        log_retention_days: int = 30,
        **kwargs: Any,
    ) -> None:
        """
        Args:
            built_apps: the names of the apps whose images ZeroDash builds and pushes: one repository each,
                with the output `repository_output_key(name)`. Default none.
            app_data: app name -> its local data directory, uploaded to s3://<bucket>/<name>/ on deploy (the
                app's DATA_PREFIX). Default None: nothing is uploaded.
            retain_data: keep the repositories and buckets (and their contents) when the stack is deleted.
                Default True.
            ecr_keep_images: how many images each repository keeps. Default 10.
            log_retention_days: days the access logs are kept. Default 30.
            kwargs: `Stack` options (env, description, ...).
        """
        super().__init__(scope, construct_id, **kwargs)
        if len(set(built_apps)) != len(built_apps):
            raise ValueError(f"built_apps has a name twice: {list(built_apps)}")
        keys = [repository_output_key(name) for name in built_apps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"built_apps {list(built_apps)} give the same output key twice: {keys}")
        self.registries: dict[str, ImageRegistry] = {
            name: ImageRegistry(self, f"Registry-{name}", keep_images=ecr_keep_images, retain=retain_data)
            for name in built_apps
        }
        self.data = DataBucket(
            self,
            "Data",
            retain=retain_data,
            log_retention_days=log_retention_days,
            uploads={f"{name}/": directory for name, directory in (app_data or {}).items()},
        )

        for name, registry in self.registries.items():
            CfnOutput(
                self,
                repository_output_key(name),
                value=registry.repository.repository_uri,
                description=f"Push the {name} app's images here",
            )
        CfnOutput(self, "BucketName", value=self.data.bucket.bucket_name, description="The apps' data bucket")

    @property
    def repositories(self) -> dict[str, ecr.IRepository]:
        """Each built app's `ecr.Repository`, by app name."""
        return {name: registry.repository for name, registry in self.registries.items()}
