"""cfn-lint over every synthesized template: no errors.

Warnings are listed but tolerated; those seen so far:
- W3010 (hard-coded availability zones): the AZs are pinned in cdk.json on purpose, so synth works offline
  and the subnets never move between deploys.
- W3005 (redundant DependsOn): in CDK-generated custom-resource providers (restrict default SG, bucket deployment).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import EVERY_BUILD, Build


@pytest.fixture(
    scope="module",
    params=EVERY_BUILD,
)
def templates(request: pytest.FixtureRequest) -> list[Path]:
    build: Build = request.getfixturevalue(request.param)
    found = sorted(build.outdir.glob("*.template.json"))
    assert len(found) == len(build.all_stacks)
    return found


def test_templates_have_no_cfn_lint_errors(templates: list[Path]) -> None:
    # --format parseable: one finding per line, "path:line:col:line:col:RULE:message"
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", "--non-zero-exit-code", "error", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = result.stdout.splitlines()
    errors = [line for line in findings if re.search(r":E\d{4}:", line)]
    print("cfn-lint warnings:", *(line for line in findings if line not in errors), sep="\n")
    assert errors == []
    assert result.returncode == 0, result.stdout + result.stderr
