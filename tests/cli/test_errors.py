"""What the operator sees when something is wrong: one line on stderr, no traceback, a useful exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import APPS_PATH, REGION
from tests.moto_apps import put_app_object

REPO = Path(__file__).resolve().parents[2]


def test_an_unknown_app_is_an_error_that_lists_the_apps(deployment, cli):
    code, out, err = cli("wake", "salse")

    assert code == 2
    assert out == ""
    assert err.strip() == f"zerodash: error: unknown app 'salse'; the apps under {APPS_PATH} are: ops, sales"


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


def test_no_apps_under_the_path_names_the_path_and_region_with_a_hint(empty_platform, cli):
    code, out, err = cli("status")

    assert (code, out) == (1, "")
    assert err.strip() == (
        f"zerodash: error: no apps under {APPS_PATH} in us-east-1: deploy first, or pass --stack-prefix/--region"
    )


def test_another_stack_prefix_reads_another_path(deployment, cli):
    code, _, err = cli("--stack-prefix", "Staging", "status")

    assert code == 1
    assert err.strip().startswith("zerodash: error: no apps under /zerodash/Staging/apps/ in us-east-1")


def test_a_broken_app_object_is_an_error_row_and_the_other_apps_still_show(deployment, cli):
    put_app_object(deployment.platform, {"name": "broken", "cluster": "zd"})

    code, out, _ = cli("status")

    assert code == 1
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:4]}
    assert rows == {"broken": "ERROR", "ops": "AWAKE", "sales": "AWAKE"}
    assert "broken: invalid app object:" in out and "missing" in out


def test_waking_an_app_whose_object_is_broken_says_why_in_one_line(deployment, cli):
    put_app_object(deployment.platform, {"name": "broken", "cluster": "zd"})

    code, out, err = cli("wake", "broken")

    assert (code, out) == (1, "")
    assert err.startswith(f"zerodash: error: the app object of 'broken' ({APPS_PATH}broken) is invalid: ")
    assert len(err.strip().splitlines()) == 1


def test_the_other_apps_still_work_when_one_app_object_is_broken(deployment, cli):
    put_app_object(deployment.platform, {"name": "broken"})

    code, out, _ = cli("sleep", "sales")

    assert code == 0
    assert out.startswith("sales: AWAKE -> SLEEPING")


def test_an_app_whose_listener_rule_is_gone_is_an_error_row_and_the_other_apps_still_show(deployment, cli):
    deployment.clients.elbv2.delete_rule(RuleArn=deployment.apps["sales"].rule_arn)

    code, out, _ = cli("status")

    assert code == 1
    states = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:3]}
    assert states == {"ops": "AWAKE", "sales": "ERROR"}
    assert f"sales: listener rule {deployment.apps['sales'].rule_arn} not found" in out


def test_an_aws_error_is_one_line_with_its_code_and_message(deployment, cli):
    lost = {**deployment.app_objects["sales"], "name": "lost", "cluster": "gone"}
    put_app_object(deployment.platform, lost)

    code, out, err = cli("wake", "lost")

    assert (code, out) == (1, "")
    assert err.startswith("zerodash: error: AWS DescribeServices failed: ClusterNotFoundException: ")
    assert len(err.strip().splitlines()) == 1


def test_a_missing_service_is_one_line_naming_it(deployment, cli):
    deployment.clients.ecs.delete_service(cluster="zd", service="sales", force=True)

    code, _, err = cli("sleep", "sales")

    assert code == 1
    assert err.startswith("zerodash: error: sales: ECS service sales not found in ")
    assert len(err.strip().splitlines()) == 1


def test_python_dash_m_zerodash_runs_from_a_checkout_without_pytest_paths():
    result = subprocess.run(
        [sys.executable, "-m", "zerodash", "--help"], cwd=REPO, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "wake" in result.stdout and "sleep" in result.stdout
