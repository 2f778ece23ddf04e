"""app.py, the CDK entry point: a bad configuration value stops it with one clear message and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import REPO_ROOT


def _run_app(context: dict[str, object], outdir: Path) -> subprocess.CompletedProcess[str]:
    # The CDK CLI passes context (cdk.json + `-c key=value`) to the app in CDK_CONTEXT_JSON.
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    return subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, "Invalid ZeroDash configuration: imageTag: is required"),
        ({"imageTag": "latest"}, "Invalid ZeroDash configuration: imageTag: 'latest' is not a valid tag"),
        ({"imageTag": "abc", "natGateways": "5"}, "Invalid ZeroDash configuration: natGateways: 5 is not allowed"),
        (
            {"imageTag": "abc", "apps": [{"name": f"app{i}", "path": f"/app{i}/*"} for i in range(50)]},
            "Invalid ZeroDash configuration: albRuleQuota: 50 apps need 103 listener rules",
        ),
    ],
    ids=["missing-image-tag", "latest-image-tag", "nat-gateways-out-of-range", "fifty-apps-default-rule-quota"],
)
def test_bad_value_exits_non_zero_with_one_clear_message(
    context: dict[str, object], expected: str, tmp_path: Path
) -> None:
    result = _run_app(context, tmp_path)
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
