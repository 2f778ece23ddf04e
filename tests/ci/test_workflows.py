"""The GitHub Actions workflows pass actionlint and zizmor; every Dockerfile passes hadolint.

The three linters are pip-installed into the virtualenv (requirements-dev.txt) as self-contained binaries;
zizmor runs offline (no GitHub API), so the tests need no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
PINNED_USES = r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d"


def tool(name: str) -> str:
    """The linter next to this interpreter (the venv), else on PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -r requirements-dev.txt")
    return found


def lint(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_there_are_ci_and_deploy_workflows():
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "deploy.yml"}


def test_actionlint_finds_nothing():
    result = lint(tool("actionlint"), "-no-color", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_offline():
    result = lint(tool("zizmor"), "--offline", "--no-progress", "--format", "plain", ".github/workflows")
    assert result.returncode == 0, result.stdout + result.stderr


# The runtime's build (every app.py app's image) and each example that brings its own Dockerfile.
DOCKERFILES = [
    REPO_ROOT / "zerodash_runtime" / "build" / "Dockerfile",
    *sorted(REPO_ROOT.glob("examples/*/Dockerfile")),
]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_hadolint_finds_nothing_in_the_dockerfile(dockerfile):
    result = lint(tool("hadolint"), "--no-color", str(dockerfile.relative_to(REPO_ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_by_commit_with_its_version(workflow):
    import re

    uses = [line.strip().removeprefix("- ") for line in workflow.read_text().splitlines() if "uses:" in line]
    assert uses
    assert [line for line in uses if not re.fullmatch(PINNED_USES + r"[\w.]*", line)] == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_checkouts_do_not_keep_the_token(workflow):
    text = workflow.read_text()
    assert text.count("actions/checkout@") == text.count("persist-credentials: false")
