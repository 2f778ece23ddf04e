"""The README's configuration tables list every key the schema reads, so the docs cannot fall behind the code."""

from __future__ import annotations

import re

from zerodash.config import AppConfig, ZeroDashConfig
from zerodash.sources import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
DOCUMENTED = set(re.findall(r"^\| `([A-Za-z]+)`(?:, `([A-Za-z]+)`)? \|", README, flags=re.MULTILINE))
DOCUMENTED_KEYS = {key for pair in DOCUMENTED for key in pair if key}


def test_every_top_level_key_is_in_the_readme() -> None:
    assert set(ZeroDashConfig.context_keys()) - DOCUMENTED_KEYS == set()


def test_every_app_key_is_in_the_readme() -> None:
    assert set(AppConfig.context_keys()) - DOCUMENTED_KEYS == set()
