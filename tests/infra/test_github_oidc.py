"""The optional GitHub OIDC stack: a deploy role for one repository and branch, push to the apps' repositories,
assume the CDK bootstrap roles, nothing more."""

from __future__ import annotations

import json
import tempfile

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from infra.app_builder import build
from infra.config import load_config
from infra.constructs.github_oidc import ECR_PUSH_ACTIONS
from tests.infra.conftest import (
    ENV,
    GITHUB_BRANCH,
    GITHUB_REPOSITORY,
    IMAGE_APPS,
    POPULATION,
    Build,
    cdk_json_context,
    synthesize,
)

ACCOUNT, REGION = ENV.account, ENV.region
EXISTING_PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def _policy_statements(template: Template, role: str = "DeployRole") -> list[dict]:
    """The statements of the policies attached to the role whose logical id starts with `role`."""
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if any(
            ref["Ref"].startswith(role) and "Diff" not in ref["Ref"][len(role) :]
            for ref in policy["Properties"]["Roles"]
        )
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_stack_exists_only_when_a_repository_is_configured(default_build: Build, nat_build: Build) -> None:
    assert default_build.stacks.github is None
    assert nat_build.stacks.github is not None
    assert nat_build.stacks.github.stack_name == "ZeroDash-GithubOidc"


def test_provider_is_githubs_for_the_sts_audience(github_stack: Template) -> None:
    github_stack.resource_count_is("AWS::IAM::OIDCProvider", 1)
    github_stack.has_resource_properties(
        "AWS::IAM::OIDCProvider",
        {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]},
    )


def test_role_trusts_only_the_configured_repository_and_branch(github_stack: Template) -> None:
    github_stack.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Effect": "Allow",
                        "Principal": {"Federated": {"Ref": Match.string_like_regexp("Provider")}},
                        "Condition": {
                            "StringEquals": {
                                "token.actions.githubusercontent.com:sub": (
                                    f"repo:{GITHUB_REPOSITORY}:ref:refs/heads/{GITHUB_BRANCH}"
                                ),
                                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            }
                        },
                    }
                ],
            }
        },
    )


def _push_resources(template: Template) -> list[str]:
    push = [statement for statement in _policy_statements(template) if "ecr:PutImage" in statement["Action"]]
    assert len(push) == 1
    assert sorted(push[0]["Action"]) == sorted(ECR_PUSH_ACTIONS)
    resources = push[0]["Resource"]
    return [json.dumps(resource) for resource in (resources if isinstance(resources, list) else [resources])]


def test_role_may_push_to_each_built_apps_repository_only(github_stack: Template) -> None:
    # given two apps built from source (nat_build), when synthesized, then one push resource per app repository
    resources = _push_resources(github_stack)
    assert len(resources) == 2
    for resource in resources:
        assert f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/" in resource
        assert "ZeroDash-Stateful" in resource  # the stateful stack's repository name
        assert "*" not in resource
    assert any("Registrydashboard" in resource for resource in resources)
    assert any("Registrysales" in resource for resource in resources)


def test_role_may_push_to_all_three_apps_repositories(three_apps_build: Build) -> None:
    assert three_apps_build.stacks.github is not None
    resources = _push_resources(three_apps_build.template(three_apps_build.stacks.github))
    for name in ("dashboard", "bokeh", "pages"):
        assert sum(f"Registry{name}Repository" in resource for resource in resources) == 1


def test_role_may_only_describe_the_images_of_apps_that_bring_one_from_this_accounts_ecr(tmp_path) -> None:
    # given an app running an image of this account's ECR and one from a public registry
    build_ = synthesize(tmp_path, apps=json.dumps(IMAGE_APPS), githubRepository=GITHUB_REPOSITORY)
    assert build_.stacks.github is not None

    statements = _policy_statements(build_.template(build_.stacks.github))

    # then the deploy may check that the ECR image's tag is there (scripts/deploy.py), and do nothing else to it
    assert [statement for statement in statements if "ecr:DescribeImages" in statement["Action"]] == [
        {
            "Action": "ecr:DescribeImages",
            "Effect": "Allow",
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/reports",
        }
    ]
    assert {statement["Action"] for statement in statements} == {
        "ecr:GetAuthorizationToken",
        "ecr:DescribeImages",
        "sts:AssumeRole",
    }


def test_only_get_authorization_token_has_a_wildcard_resource(github_stack: Template) -> None:
    wildcard = [statement["Action"] for statement in _policy_statements(github_stack) if statement["Resource"] == "*"]
    assert wildcard == ["ecr:GetAuthorizationToken"]


def test_role_may_assume_exactly_the_four_cdk_bootstrap_roles(github_stack: Template) -> None:
    assume = [statement for statement in _policy_statements(github_stack) if statement["Action"] == "sts:AssumeRole"]
    assert len(assume) == 1
    assert sorted(assume[0]["Resource"]) == sorted(
        f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-{kind}-role-{ACCOUNT}-{REGION}"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
    )


def test_role_has_no_other_permissions(github_stack: Template) -> None:
    actions = sorted(
        action
        for statement in _policy_statements(github_stack)
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    assert actions == sorted(["ecr:GetAuthorizationToken", "sts:AssumeRole", *ECR_PUSH_ACTIONS])
    roles = github_stack.find_resources("AWS::IAM::Role")
    assert all("ManagedPolicyArns" not in role["Properties"] for role in roles.values())


def test_diff_role_trusts_only_the_repositorys_pull_requests(github_stack: Template) -> None:
    github_stack.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {
                                "StringEquals": {
                                    "token.actions.githubusercontent.com:sub": f"repo:{GITHUB_REPOSITORY}:pull_request",
                                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                }
                            },
                        }
                    )
                ],
            }
        },
    )


def test_diff_role_may_only_assume_the_bootstrap_lookup_role(github_stack: Template) -> None:
    statements = _policy_statements(github_stack, role="DeployDiffRole")

    assert [(statement["Action"], statement["Resource"]) for statement in statements] == [
        ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-lookup-role-{ACCOUNT}-{REGION}")
    ]


def test_diff_role_arn_is_an_output(github_stack: Template) -> None:
    github_stack.has_output("DiffRoleArn", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("DiffRole"), "Arn"]}})


def test_deploy_role_arn_is_an_output(github_stack: Template) -> None:
    github_stack.has_output("DeployRoleArn", {"Value": {"Fn::GetAtt": [Match.string_like_regexp("DeployRole"), "Arn"]}})


@pytest.fixture(scope="module")
def reused_provider_stack() -> Template:
    # Only the GitHub stack is read; no cdk-nag or synthesis of the whole app (kept fast).
    with tempfile.TemporaryDirectory() as outdir:
        context = {
            **cdk_json_context(),
            "apps": json.dumps([POPULATION]),
            "githubRepository": GITHUB_REPOSITORY,
            "githubOidcProviderArn": EXISTING_PROVIDER,
        }
        app = cdk.App(outdir=outdir, context=context)
        stacks = build(app, load_config(app.node.try_get_context), ENV)
        assert stacks.github is not None
        return Template.from_stack(stacks.github)


def test_existing_provider_is_reused_instead_of_created(reused_provider_stack: Template) -> None:
    reused_provider_stack.resource_count_is("AWS::IAM::OIDCProvider", 0)
    reused_provider_stack.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [Match.object_like({"Principal": {"Federated": EXISTING_PROVIDER}})]
            }
        },
    )
    # The branch defaults to main.
    reused_provider_stack.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Condition": {
                                "StringEquals": Match.object_like(
                                    {
                                        "token.actions.githubusercontent.com:sub": (
                                            f"repo:{GITHUB_REPOSITORY}:ref:refs/heads/main"
                                        )
                                    }
                                )
                            }
                        }
                    )
                ]
            }
        },
    )
