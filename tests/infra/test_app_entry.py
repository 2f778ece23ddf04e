"""app.py, the CDK entry point: a bad configuration value stops it with one clear message and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import REPO_ROOT, cdk_json_context


def _run_app(context: dict[str, object], outdir: Path) -> subprocess.CompletedProcess[str]:
    # The CDK CLI passes context (cdk.json + `-c key=value`) to the app in CDK_CONTEXT_JSON.
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "AWS_PROFILE"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


FIFTY_APPS = [{"name": f"app{i}", "path": f"/app{i}/*", "source": "examples/population"} for i in range(50)]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"imageTag": "abc"}, "Invalid ZeroDash configuration: imageTag: was removed"),
        ({"natGateways": "5"}, "Invalid ZeroDash configuration: natGateways: 5 is not allowed"),
        ({"apps": FIFTY_APPS}, "Invalid ZeroDash configuration: albRuleQuota: 50 apps need 103 listener rules"),
        (
            {"apps": [{"name": "sales", "path": "/sales/*"}]},
            "Invalid ZeroDash configuration: apps[0].source: app 'sales': give exactly one of",
        ),
        (
            {"apps": [{"name": "sales", "path": "/sales/*", "source": "examples"}]},
            "Invalid ZeroDash configuration: apps[0].source: app 'sales': examples has neither app.py nor a Dockerfile",
        ),
    ],
    ids=["image-tag-removed", "nat-gateways-out-of-range", "fifty-apps-default-rule-quota", "no-source", "no-app"],
)
def test_bad_value_exits_non_zero_with_one_clear_message(
    context: dict[str, object], expected: str, tmp_path: Path
) -> None:
    result = _run_app(context, tmp_path)
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_synthesizes_offline_without_an_image_tag(tmp_path: Path) -> None:
    # given apps whose tags come from their sources and no AWS credentials, when app.py runs, then every stack
    # is synthesized (cdk.json pins the offline account's availability zones)
    apps = [
        {"name": "dashboard", "path": "/*", "source": "examples/population"},
        {"name": "reports", "path": "/reports/*", "image": "team/reports:1.0"},
    ]
    result = _run_app({**cdk_json_context(), "apps": apps}, tmp_path)
    assert result.returncode == 0, result.stderr
    templates = sorted(path.name for path in tmp_path.glob("*.template.json"))
    assert "ZeroDash-Stateful.template.json" in templates
    assert {"ZeroDash-App-dashboard.template.json", "ZeroDash-App-reports.template.json"} <= set(templates)
