"""Optional: the role GitHub Actions assumes to push images and deploy (built when githubRepository is set)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, DefaultStackSynthesizer, Stack
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from infra.constructs.github_oidc import GithubDeployRole


class GithubOidcStack(Stack):
    """A `GithubDeployRole` for one repository and branch, allowed to push to the project's image repository.

    Attributes:
        deploy: the `GithubDeployRole` (`deploy.role`, `deploy.provider`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: ecr.IRepository,
        github_repository: str,
        branch: str = "main",
        provider_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`kwargs` are `Stack` options (env, description, ...)."""
        super().__init__(scope, construct_id, **kwargs)
        # By name in this stack (as the app stacks do): the ARN is then built from this stack's account and
        # region, and the stack depends on the stateful stack only through the repository's name.
        local_repository = ecr.Repository.from_repository_name(self, "Repository", repository.repository_name)
        qualifier = self.node.try_get_context("@aws-cdk/core:bootstrapQualifier")
        self.deploy = GithubDeployRole(
            self,
            "Deploy",
            repository=local_repository,
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
