"""Configuration fuzz (hypothesis): whole contexts as cdk.json and `-c key=value` give them, valid and invalid.

Every generated context either loads into a configuration within the AWS limits checked at synth
(check_quotas, the SSM app object, the task definition's variables) or fails with ONE ConfigError whose key
is a real context key path ("natGateways", "apps[3].priority", "apps[0].keepWarm[2].end"). Anything else (a
traceback, an error without a key, a key that does not exist, a message of unbounded length) is a defect.
A few small valid configurations are also synthesized with cdk-nag, as app.py does.

The default profile tries ~200 contexts in well under a minute, plus 3 syntheses; `HYPOTHESIS_PROFILE=long`
tries thousands. The summary line and .build/reliability/configuration.json give cases, clear errors, defects.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from zerodash.config import (
    MAX_ENVIRONMENT_BYTES,
    MAX_MESSAGE_CHARS,
    SSM_STANDARD_BYTES,
    TARGET_GROUPS_PER_ALB,
    AppConfig,
    ConfigError,
    ZeroDashConfig,
    app_object_bytes,
    check_quotas,
    load_config,
)
from zerodash.sources import REPO_ROOT

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
# No shrinking by default (a failing case is printed whole); the long run shrinks.
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
settings.register_profile("long", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
SYNTH_EXAMPLES = 10 if LONG else 3

REPORT = REPO_ROOT / ".build" / "reliability" / "configuration.json"
TOP_KEYS = ZeroDashConfig.context_keys()
APP_KEYS = AppConfig.context_keys()
SOURCES = ("examples/population", "examples/pages", "examples/bokeh")

# Values that are wrong for most keys, whatever their type: what a careless operator or a broken script sends.
NASTY = st.sampled_from(
    [
        "--1",
        "²",
        "١٢",
        "1" * 5000,
        "1.5",
        1.5,
        True,
        False,
        [],
        {},
        "",
        " ",
        None,
        "x",
        -1,
        0,
        10**5000,
        float("nan"),
        "\x00",
        "a\nb",
        "</title><script>alert(1)</script>",
        "*.csv",
        ["a"],
        {"a": 1},
        "null",
        "true",
        "[1]",
    ]
)
TEXT = st.text(max_size=40) | st.text(alphabet="abc-/_.*%", max_size=300)
WHOLE = st.integers(-5, 70_000) | st.integers(-5, 70_000).map(str)
ANY = NASTY | TEXT | WHOLE | st.booleans() | st.lists(st.integers(), max_size=3)


def _sometimes(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a valid value, sometimes anything."""
    return st.one_of(valid, valid, valid, ANY)


segment = st.sampled_from(["sales", "eu", "a", "b", "x-1", ".", "..", "", "Sales", "~u", "%41"])
paths = st.one_of(
    st.just("/*"),
    st.lists(segment, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts) + "/*"),
    st.text(alphabet="/*.a-", max_size=12),
    st.just("/" + "a/" * 70 + "*"),
)
names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True) | st.text(max_size=40)
titles = st.text(max_size=250) | st.sampled_from(["</title><script>alert(1)</script>", "Sales & Ops", "ü" * 200])
hours = st.sampled_from(["08:00", "18:00", "00:00", "24:00", "25:00", "8", "", "23:59"])
windows = st.fixed_dictionaries(
    {},
    optional={
        "days": _sometimes(st.sampled_from(["daily", "mon-fri", "sat", "sun", "weekdays", "mon-sun"])),
        "start": _sometimes(hours),
        "end": _sometimes(hours),
        "timeZone": _sometimes(st.sampled_from(["UTC", "Europe/Berlin", "Mars/Base", "ü" * 60])),
    },
)
env_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True) | st.sampled_from(["PORT", "AWS_CONTAINER_X", "1A"])
secret_refs = st.sampled_from(
    ["secretsmanager:team/db:password", "ssm:/team/key", "ssm:aws-x", "secretsmanager:", "vault:x", "ssm:/a//b"]
)


@st.composite
def apps_entry(draw: Any, index: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": draw(_sometimes(st.just(f"app{index}") | names))}
    if draw(st.integers(0, 9)) == 0:
        entry["image"] = draw(_sometimes(st.sampled_from(["team/reports:1.2", "public.ecr.aws/o/p:1", "x:latest"])))
    else:
        entry["source"] = draw(_sometimes(st.sampled_from(SOURCES)))
    optional = {
        "path": _sometimes(paths),
        "title": _sometimes(titles),
        "priority": _sometimes(st.integers(1, 50_001)),
        "cpu": _sometimes(st.sampled_from([256, 512, 1024, "512"])),
        "memory": _sometimes(st.sampled_from([512, 1024, 2048, "2048"])),
        "port": _sometimes(st.integers(1000, 70_000)),
        "healthPath": _sometimes(st.sampled_from(["/health", "/x/healthz", "/" + "h" * 1100, "health"])),
        "command": _sometimes(st.lists(st.text(max_size=20), max_size=4)),
        "environment": _sometimes(st.dictionaries(env_names, st.text(max_size=30), max_size=4)),
        "secrets": _sometimes(st.dictionaries(env_names, secret_refs, max_size=3)),
        "readPrefixes": _sometimes(st.lists(st.sampled_from(["shared/", "a/b/", "../", "app0/", "*"]), max_size=3)),
        "keepWarm": _sometimes(st.lists(windows, max_size=3) | st.lists(windows, min_size=40, max_size=70)),
        "idleMinutes": _sometimes(st.integers(0, 2000)),
        "minAwakeMinutes": _sometimes(st.integers(0, 2000)),
        "minTasks": _sometimes(st.integers(0, 5)),
        "maxTasks": _sometimes(st.integers(0, 5)),
        "stickinessMinutes": _sometimes(st.integers(0, 20_000)),
        "dataKey": st.just("*.csv"),
        "scaling": st.just({}),
        "unknownKey": ANY,
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), max_size=5, unique=True)):
        if key in ("dataKey", "scaling", "unknownKey") and draw(st.integers(0, 3)):
            continue  # removed and unknown keys: rarely, so most entries test their values
        entry[key] = draw(optional[key])
    if draw(st.integers(0, 9)) == 0:  # a whole entry of the wrong type
        return draw(ANY)
    return entry


@st.composite
def app_lists(draw: Any) -> Any:
    count = draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, 5, 51, 101, 120]) | st.integers(0, 120))
    apps = [draw(apps_entry(index)) for index in range(count)]
    if count > 5 and draw(st.booleans()):  # many apps, mostly right: test the quotas, not the first bad value
        apps = [{"name": f"app{index}", "path": f"/app{index}/*", "source": SOURCES[0]} for index in range(count)]
    if draw(st.booleans()):  # `-c apps='[...]'` gives a JSON string, cdk.json a list
        try:
            return json.dumps(apps, allow_nan=True)
        except ValueError:  # a number JSON cannot write (10**5000): pass the list
            pass
    return apps


TOP_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "stackPrefix": st.sampled_from(["ZeroDash", "Z", "a" * 70, "1x"]),
    "natGateways": st.integers(0, 3).map(str),
    "retainData": st.sampled_from(["true", "false", True, "TRUE", "yes"]),
    "ecrKeepImages": WHOLE,
    "logRetentionDays": st.sampled_from([1, 30, "365", 2]),
    "sampleData": st.booleans(),
    "scalerRateMinutes": WHOLE,
    "scaleToZero": st.sampled_from(["true", "false", False]),
    "blockBots": st.booleans().map(str),
    "githubRepository": st.sampled_from(["octo-org/zerodash", "x", "a/b/c"]),
    "githubBranch": st.sampled_from(["main", "release/v1", "a..b", "*"]),
    "githubOidcProviderArn": st.sampled_from(
        ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "arn:aws:iam::١٢:x"]
    ),
    "alarmEmail": st.sampled_from(["ops@example.com", "ops", "a@b"]),
    "dashboards": st.booleans(),
    "wakerConcurrency": st.integers(0, 120),
    "albRuleQuota": st.integers(0, 300).map(str),
    "lambdaConcurrencyQuota": st.integers(0, 3000),
    "imageTag": st.just("v1"),
}


@st.composite
def contexts(draw: Any) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if draw(st.integers(0, 4)):
        context["apps"] = draw(app_lists())
    elif draw(st.booleans()):
        context["apps"] = draw(ANY)
    for key in draw(st.lists(st.sampled_from(sorted(TOP_VALUES)), max_size=4, unique=True)):
        if key == "imageTag" and draw(st.integers(0, 3)):
            continue
        context[key] = draw(_sometimes(TOP_VALUES[key]))
    return context


# ---------------------------------------------------------------------------------------------------------
# The property, and its bookkeeping


class Tally:
    def __init__(self) -> None:
        self.cases = self.clear = 0
        self.defects: list[str] = []


TALLY = Tally()


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    print(f"\nconfiguration: {TALLY.cases} cases tried, {TALLY.clear} clear errors, {len(TALLY.defects)} defects")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {"area": "configuration", "cases": TALLY.cases, "clear_errors": TALLY.clear, "defects": len(TALLY.defects)}
        )
        + "\n"
    )


def _apps_list(context: dict[str, Any]) -> list[Any] | None:
    apps = context.get("apps")
    if isinstance(apps, str):
        try:
            apps = json.loads(apps)
        except (ValueError, RecursionError):
            return None
    return apps if isinstance(apps, list) else None


def key_is_real(key: str, context: dict[str, Any]) -> bool:
    """`key` names a context key: a top-level one, or apps[i] (i an index of the list) and one of its keys."""
    if key in TOP_KEYS or key == "imageTag":
        return True
    match = re.fullmatch(r"apps(?:\[(\d+)\](?:\.(\w+)(?:[.\[].*)?)?)?", key, re.DOTALL)
    if not match:
        return False
    index, app_key = match.groups()
    if index is None:
        return True
    apps = _apps_list(context)
    if apps is None or int(index) >= len(apps):
        return False
    entry = apps[int(index)]
    return app_key is None or app_key in APP_KEYS or (isinstance(entry, dict) and app_key in entry)


def check_loaded(config: ZeroDashConfig) -> None:
    """What load_config returned stays within the limits checked at synth."""
    check_quotas(config)
    assert len(config.apps) * (2 if config.scale_to_zero else 1) <= TARGET_GROUPS_PER_ALB
    for app in config.apps:
        assert app_object_bytes(app) <= SSM_STANDARD_BYTES or not config.scale_to_zero
        size = sum(len(name) + len(value.encode()) for name, value in app.environment.items())
        assert size <= MAX_ENVIRONMENT_BYTES
        assert len(app.path) <= 128 and len(app.health_path) <= 1024
        assert "/./" not in app.path and "/../" not in app.path and "//" not in app.path


def _shown(context: dict[str, Any]) -> str:
    try:
        return json.dumps(context, default=repr)[:2000]
    except ValueError:  # 10**5000
        return "(a context with a number too long to write)"


def attempt(context: dict[str, Any]) -> ZeroDashConfig | None:
    """One case: a loaded configuration, None for a clear error; a defect is recorded and fails the test."""
    TALLY.cases += 1
    try:
        config = load_config(context.get)
    except ConfigError as error:
        if key_is_real(error.key, context) and error.message and len(str(error)) <= MAX_MESSAGE_CHARS + 200:
            TALLY.clear += 1
            return None
        defect = f"unclear error {error.key!r}: {str(error)[:300]}"
    except Exception:  # anything else is what this suite looks for
        defect = traceback.format_exc(limit=4)[-1500:]
    else:
        try:
            check_loaded(config)
            return config
        except (AssertionError, ConfigError) as error:
            defect = f"loaded beyond a limit: {error!r}"[:500]
    TALLY.defects.append(defect)
    pytest.fail(f"{defect}\ncontext: {_shown(context)}")


@given(contexts())
def test_every_context_loads_within_limits_or_fails_naming_a_key(context: dict[str, Any]) -> None:
    attempt(context)


# ---------------------------------------------------------------------------------------------------------
# A few valid configurations synthesized, as app.py does (seconds each)

small_apps = st.lists(
    st.fixed_dictionaries(
        {"source": st.sampled_from(SOURCES)},
        optional={
            "title": st.text(min_size=1, max_size=60).filter(str.strip),
            "idleMinutes": st.integers(1, 120),
            "keepWarm": st.lists(
                st.fixed_dictionaries({"start": st.just("08:00"), "end": st.just("18:00")}), max_size=10
            ),
            "environment": st.dictionaries(env_names, st.text(max_size=30), max_size=3),
        },
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=SYNTH_EXAMPLES)
@given(small_apps, st.booleans())
def test_a_sample_of_valid_configurations_synthesizes(
    tmp_path_factory: pytest.TempPathFactory, apps: list[dict[str, Any]], scale_to_zero: bool
) -> None:
    from tests.infra.conftest import synthesize  # CDK is loaded only for this test

    entries = [{"name": f"app{index}", "path": f"/app{index}/*", **app} for index, app in enumerate(apps)]
    context = {"apps": json.dumps(entries), "scaleToZero": str(scale_to_zero).lower()}
    if attempt(context) is None:
        return
    outdir: Path = tmp_path_factory.mktemp("fuzz-synth")
    try:
        synthesize(outdir, **context)
    except Exception as error:
        TALLY.defects.append(f"synthesis failed: {error!r}"[:500])
        raise
