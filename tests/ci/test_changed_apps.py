"""scripts/changed_apps.py (ci.yml's images job): the apps whose content tag differs from the base commit's.

The end-to-end tests copy the project's Python packages into a throwaway git repository with two apps, commit a
base, change one app, and ask the script (run there, as CI runs it) which apps changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import changed_apps

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scripts", "zerodash", "zerodash_runtime", "lambdas")
APP = "from flask import Flask\n\nserver = Flask(__name__)\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    result = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def script(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "lambdas")])}
    return subprocess.run(
        [sys.executable, "-m", "scripts.changed_apps", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A git repository holding this project's packages and two app.py apps, "sales" and "ops"."""
    repo = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, repo / package, ignore=ignore)
    apps = []
    for name in ("sales", "ops"):
        (repo / "apps" / name).mkdir(parents=True)
        (repo / "apps" / name / "app.py").write_text(APP)
        (repo / "apps" / name / "requirements.txt").write_text("flask\n")
        apps.append({"name": name, "source": f"apps/{name}", "path": "/*" if name == "sales" else f"/{name}/*"})
    apps.append({"name": "reports", "image": "reports:v1", "path": "/reports/*"})
    (repo / "cdk.json").write_text(json.dumps({"context": {"apps": apps}}))
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    return repo


def test_changed_apps_are_new_or_have_another_tag():
    head = {"sales": "src-1", "ops": "src-2", "new": "src-3"}
    assert changed_apps.changed(head, {"sales": "src-1", "ops": "src-0"}) == ["ops", "new"]
    assert changed_apps.changed(head, None) == ["sales", "ops", "new"]


def test_tags_lists_the_built_apps_only(project):
    result = script(project, "tags")
    assert result.returncode == 0, result.stderr
    tags = json.loads(result.stdout)
    assert sorted(tags) == ["ops", "sales"]
    assert all(tag.startswith("src-") for tag in tags.values())


def test_only_the_edited_app_changed_since_the_base(project):
    base = git(project, "rev-parse", "HEAD")
    (project / "apps" / "ops" / "app.py").write_text(APP + "# edited\n")
    try:
        result = script(project, "--base", base)
    finally:
        git(project, "checkout", "--quiet", "--", ".")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("sales: src-") and line.endswith(" unchanged") for line in lines)
    assert any(line.startswith("ops: src-") and line.endswith(" changed") for line in lines)
    assert not any(line.startswith("reports:") for line in lines)


def test_a_runtime_change_changes_every_app_py_app(project):
    base = git(project, "rev-parse", "HEAD")
    settings = project / "zerodash_runtime" / "settings.py"
    settings.write_text(settings.read_text() + "\n# edited\n")
    try:
        result = script(project, "--base", base)
    finally:
        git(project, "checkout", "--quiet", "--", ".")

    assert result.returncode == 0, result.stderr
    assert [line.rsplit(" ", 1)[1] for line in result.stdout.splitlines()] == ["changed", "changed"]


def test_a_base_without_content_tags_counts_every_app(project, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "README.md").write_text("before content tags\n")
    git(old, "init", "--quiet")
    git(old, "add", ".")
    git(old, "commit", "--quiet", "-m", "old")

    assert changed_apps.base_tags(git(old, "rev-parse", "HEAD"), root=old) is None


def test_an_unknown_base_says_to_fetch_it(project):
    result = script(project, "--base", "0" * 40)
    assert result.returncode == 2
    assert "git archive" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_tags_or_base_is_required(capsys):
    with pytest.raises(SystemExit):
        changed_apps.parse_args([])
    assert "give either `tags` or --base SHA" in capsys.readouterr().err
