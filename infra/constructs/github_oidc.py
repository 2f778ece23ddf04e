"""GitHub Actions' way into the account: an OIDC provider and a deploy role for one repository and branch."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import DefaultStackSynthesizer, Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from cdk_nag import NagSuppressions
from constructs import Construct

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
# What `docker push` / `podman push` calls on the repository (besides ecr:GetAuthorizationToken), and
# DescribeImages, with which the deploy skips building a tag that is already pushed (tags are immutable).
ECR_PUSH_ACTIONS = (
    "ecr:DescribeImages",
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
)
# The roles `cdk bootstrap` creates, which the CDK CLI assumes to deploy, publish assets and look up context.
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")


class GithubDeployRole(Construct):
    """A role that GitHub Actions may assume for one repository and branch, to push images and run `cdk deploy`.

    - Provider: GitHub's OIDC provider (token.actions.githubusercontent.com, audience sts.amazonaws.com),
      created natively (AWS::IAM::OIDCProvider), or the account's existing one when `provider_arn` is given
      (an account can hold only one provider per URL).
    - Trust: `sts:AssumeRoleWithWebIdentity` only for tokens whose `sub` is exactly
      "repo:OWNER/NAME:ref:refs/heads/BRANCH" and whose `aud` is sts.amazonaws.com (StringEquals on both: no
      other branch, no pull request, no tag, no environment).
    - Permissions: push to each of `repositories`, one per app ZeroDash builds (and
      ecr:GetAuthorizationToken, which has no resource-level permission), and sts:AssumeRole on the four CDK
      bootstrap roles of this account and region (deploy, file-publishing, image-publishing, lookup).
      CloudFormation itself runs with the bootstrap's execution role, so this role needs nothing more.

    A second, read-only role serves `cdk diff` on pull requests, whose tokens carry the subject
    "repo:OWNER/NAME:pull_request" (the deploy role refuses them): it may only assume the bootstrap lookup
    role, which reads the deployed templates.

    Attributes:
        provider: the `iam.IOidcProvider` (created or imported).
        role: the deploy `iam.Role`.
        subject: the exact OIDC subject the deploy role trusts.
        diff_role: the read-only `iam.Role` for pull requests.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repositories: Sequence[ecr.IRepository],
        image_repositories: Sequence[ecr.IRepository] = (),
        github_repository: str,
        branch: str = "main",
        provider_arn: str | None = None,
        bootstrap_qualifier: str = DefaultStackSynthesizer.DEFAULT_QUALIFIER,
    ) -> None:
        """
        Args:
            repositories: the ECR repositories the workflow pushes to (the only ones it may push to); may be
                empty when every app brings a ready image.
            image_repositories: this account's ECR repositories of the apps that bring a ready image: the deploy
                only checks (ecr:DescribeImages) that their tag is there. Default none.
            github_repository: "owner/name".
            branch: the branch whose workflows may assume the role. Default "main".
            provider_arn: an existing GitHub OIDC provider's ARN. Default None: create the provider.
            bootstrap_qualifier: the CDK bootstrap qualifier. Default "hnb659fds" (CDK's default).
        """
        super().__init__(scope, construct_id)
        if github_repository.count("/") != 1:
            raise ValueError(f'github_repository must be "owner/name", got {github_repository!r}')
        stack = Stack.of(self)

        def bootstrap_role_arn(kind: str) -> str:
            name = f"cdk-{bootstrap_qualifier}-{kind}-role-{stack.account}-{stack.region}"
            return stack.format_arn(service="iam", region="", resource="role", resource_name=name)

        if provider_arn is None:
            self.provider: iam.IOidcProvider = iam.OidcProviderNative(
                self, "Provider", url=GITHUB_OIDC_URL, client_ids=[STS_AUDIENCE]
            )
        else:
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", provider_arn)

        self.subject = f"repo:{github_repository}:ref:refs/heads/{branch}"
        self.role = self._github_role(
            "Role", self.subject, f"GitHub Actions of {github_repository} on {branch}: push images, run cdk deploy"
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))
        if repositories:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=list(ECR_PUSH_ACTIONS),
                    resources=[repository.repository_arn for repository in repositories],
                )
            )
        if image_repositories:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["ecr:DescribeImages"],
                    resources=[repository.repository_arn for repository in image_repositories],
                )
            )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[bootstrap_role_arn(kind) for kind in BOOTSTRAP_ROLES],
            )
        )
        self.diff_role = self._github_role(
            "DiffRole",
            f"repo:{github_repository}:pull_request",
            f"GitHub Actions of {github_repository} on pull requests: cdk diff (read-only)",
        )
        self.diff_role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[bootstrap_role_arn("lookup")],
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "ecr:GetAuthorizationToken has no resource-level permissions: AWS requires Resource "
                    "'*'. It only returns a registry login; pushing is limited to the apps' own repositories.",
                    "appliesTo": ["Resource::*"],
                }
            ],
            apply_to_children=True,
        )

    def _github_role(self, construct_id: str, subject: str, description: str) -> iam.Role:
        """A role only GitHub tokens with exactly this `sub` (and the STS audience) may assume."""
        return iam.Role(
            self,
            construct_id,
            description=description,
            max_session_duration=Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                self.provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                    }
                },
            ),
        )
