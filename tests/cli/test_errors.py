"""What the operator sees when something is wrong: one line on stderr, no traceback, a useful exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3

from tests.cli.conftest import FUNCTION, REGION

REPO = Path(__file__).resolve().parents[2]


def test_an_unknown_app_is_an_error_that_lists_the_apps(deployment, cli):
    code, out, err = cli("wake", "salse")

    assert code == 2
    assert out == ""
    assert err.strip() == "zerodash: error: unknown app 'salse'; the apps of ZeroDash-Scaler are: sales, ops"


def test_no_credentials_is_a_one_line_error_with_exit_code_2(cli, monkeypatch, tmp_path):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        empty = tmp_path / name.lower()
        empty.write_text("")
        monkeypatch.setenv(name, str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)

    code, out, err = cli("status")

    assert code == 2
    assert out == ""
    assert err.startswith("zerodash: error: no AWS credentials found: configure a profile")
    assert len(err.strip().splitlines()) == 1


def test_no_region_is_a_one_line_error_with_exit_code_2(aws_env, cli, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    empty = tmp_path / "config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))

    code, _, err = cli("status")

    assert code == 2
    assert err.strip().startswith("zerodash: error: no AWS region: pass --region")


def test_a_missing_stack_is_named_with_a_hint_to_deploy_it(deployment, cli):
    code, _, err = cli("--stack-prefix", "Staging", "status")

    assert code == 1
    assert err.strip() == (
        "zerodash: error: stack Staging-Scaler not found in us-east-1: deploy it first "
        "(`cdk deploy Staging-Scaler`), or pass --stack-prefix / --region for another deployment"
    )


def test_an_aws_error_is_one_line_with_its_code_and_message(deployment, cli):
    boto3.client("lambda", region_name=REGION).delete_function(FunctionName=FUNCTION)

    code, _, err = cli("status")

    assert code == 1
    assert err.startswith("zerodash: error: AWS GetFunctionConfiguration failed: ResourceNotFoundException: ")
    assert len(err.strip().splitlines()) == 1


def test_python_dash_m_zerodash_runs_from_a_checkout_without_pytest_paths():
    result = subprocess.run(
        [sys.executable, "-m", "zerodash", "--help"], cwd=REPO, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "wake" in result.stdout and "sleep" in result.stdout
