"""Optional: the role GitHub Actions assumes to push images and deploy (built when githubRepository is set)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnOutput, DefaultStackSynthesizer, Stack
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from infra.constructs.github_oidc import GithubDeployRole


class GithubOidcStack(Stack):
    """A `GithubDeployRole` for one repository and branch, allowed to push to every app's image repository.

    Attributes:
        deploy: the `GithubDeployRole` (`deploy.role`, `deploy.provider`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repositories: Mapping[str, ecr.IRepository],
        image_repositories: Sequence[str] = (),
        github_repository: str,
        branch: str = "main",
        provider_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`repositories`: the Stateful stack's repository of each built app, by app name; `image_repositories`:
        the names of this account's ECR repositories that apps bring ready images from (the deploy checks their
        tags); `kwargs` are `Stack` options (env, description, ...)."""
        super().__init__(scope, construct_id, **kwargs)
        # By name in this stack (as the app stacks do): the ARN is then built from this stack's account and
        # region, and the stack depends on the stateful stack only through the repositories' names.
        local_repositories = [
            ecr.Repository.from_repository_name(self, f"Repository-{name}", repository.repository_name)
            for name, repository in repositories.items()
        ]
        checked_repositories = [
            ecr.Repository.from_repository_name(self, f"ImageRepository-{index}", name)
            for index, name in enumerate(dict.fromkeys(image_repositories))
        ]
        qualifier = self.node.try_get_context("@aws-cdk/core:bootstrapQualifier")
        self.deploy = GithubDeployRole(
            self,
            "Deploy",
            repositories=local_repositories,
            image_repositories=checked_repositories,
            github_repository=github_repository,
            branch=branch,
            provider_arn=provider_arn,
            bootstrap_qualifier=qualifier or DefaultStackSynthesizer.DEFAULT_QUALIFIER,
        )
        CfnOutput(
            self,
            "DeployRoleArn",
            value=self.deploy.role.role_arn,
            description="role-to-assume for aws-actions/configure-aws-credentials in the GitHub workflows",
        )
        CfnOutput(
            self,
            "DiffRoleArn",
            value=self.deploy.diff_role.role_arn,
            description="role-to-assume for the read-only cdk diff job on pull requests",
        )
