"""Fifty apps that scale to zero on one load balancer: as many as its 100 target groups allow (2 per app).

They need 103 listener rules (the platform's 3, and per app its rule and its keeper rule), so albRuleQuota is
raised to 103 as it would be after Service Quotas raised the account's quota; with the default quota the
configuration is refused (tests/infra/test_config.py, tests/infra/test_app_entry.py).

One synthesis (about a minute) serves every test here, and cfn-lint runs over the 53 templates in two processes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import Build, role_statements, synthesize

APPS = 50
RULE_QUOTA = 103
RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
LINT_PROCESSES = 2


@pytest.fixture(scope="module")
def many_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    apps = [
        {"name": f"app{index:02d}", "path": f"/app{index:02d}/*", "source": "examples/population"}
        for index in range(APPS)
    ]
    return synthesize(tmp_path_factory.mktemp("cdk-many"), apps=json.dumps(apps), albRuleQuota=str(RULE_QUOTA))


def _count(build: Build, resource_type: str) -> int:
    return sum(len(build.template(stack).find_resources(resource_type)) for stack in build.all_stacks)


def test_fifty_apps_get_a_stack_each(many_build: Build) -> None:
    assert len(many_build.stacks.apps) == APPS
    assert len(many_build.all_stacks) == APPS + 3  # stateful, platform, scaler


def test_fifty_apps_use_every_target_group_the_load_balancer_allows(many_build: Build) -> None:
    assert _count(many_build, TARGET_GROUP) == 100


def test_fifty_apps_use_exactly_the_raised_rule_quota(many_build: Build) -> None:
    assert _count(many_build, RULE) == RULE_QUOTA


def test_app_rules_and_keeper_rules_have_distinct_priorities_on_each_listener(many_build: Build) -> None:
    by_listener: dict[str, list[int]] = {}
    for stack in many_build.stacks.apps:
        for rule in many_build.template(stack).find_resources(RULE).values():
            listener = rule["Properties"]["ListenerArn"]["Fn::GetStackOutput"]["OutputName"]
            by_listener.setdefault(listener, []).append(rule["Properties"]["Priority"])
    assert len(by_listener) == 2  # the public listener and the keeper listener
    for priorities in by_listener.values():
        assert sorted(priorities) == [10 * (index + 1) for index in range(APPS)]


def test_scaler_permissions_are_the_same_for_one_app_and_for_fifty(default_build: Build, many_build: Build) -> None:
    assert default_build.stacks.scaler is not None and many_build.stacks.scaler is not None
    one = role_statements(default_build.template(default_build.stacks.scaler), "ScalerRole")
    assert role_statements(many_build.template(many_build.stacks.scaler), "ScalerRole") == one


def _nag_findings(build: Build, level: str) -> list[tuple[str, str]]:
    """cdk-nag's unacknowledged findings of `level` ("error" or "warning") as the cloud assembly records them.

    Read from the assembly's metadata files: `Annotations.from_stack` re-synthesizes the whole app for every
    stack, which for 53 stacks takes minutes.
    """
    findings = []
    for path in sorted(build.outdir.glob("*.metadata.json")):
        for construct_path, entries in json.loads(path.read_text()).items():
            for entry in entries:
                if entry["type"] == f"aws:cdk:{level}" and str(entry["data"]).startswith("AwsSolutions-"):
                    findings.append((construct_path, str(entry["data"]).split(":")[0]))
    return findings


def test_fifty_apps_have_no_unacknowledged_nag_errors(many_build: Build) -> None:
    assert _nag_findings(many_build, "error") == []


def test_fifty_apps_have_no_unacknowledged_nag_warnings(many_build: Build) -> None:
    assert _nag_findings(many_build, "warning") == []


def test_nag_findings_are_read_from_every_stacks_metadata(many_build: Build) -> None:
    # The two tests above read these files: one per stack, each naming the checks cdk-nag ran.
    assert len(list(many_build.outdir.glob("*.metadata.json"))) == APPS + 3
    assert len(list(many_build.outdir.glob("AwsSolutions-*-NagReport.csv"))) == APPS + 3


def test_fifty_apps_have_no_cfn_lint_errors(many_build: Build) -> None:
    templates = sorted(many_build.outdir.glob("*.template.json"))
    assert len(templates) == APPS + 3
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    processes = [
        subprocess.Popen(
            [str(cfn_lint), "--format", "parseable", "--non-zero-exit-code", "error", *map(str, chunk)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for chunk in (templates[index::LINT_PROCESSES] for index in range(LINT_PROCESSES))
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    errors = [line for output in outputs for line in output.splitlines() if re.search(r":E\d{4}:", line)]
    assert errors == []
    assert [process.returncode for process in processes] == [0] * LINT_PROCESSES, outputs
