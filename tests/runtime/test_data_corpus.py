"""A generated corpus of bad data files, each loaded through `Dataset` (moto S3) with the population example's
`prepare`, as a first load and as a reload over good data. Each outcome is classified:

- clear error: FAILED (or, on a reload, the previous version kept) with a bounded reason naming the problem;
- warning: loaded, drawable, and the problem in `state.warnings`;
- defect: an exception escaped, a reason unbounded or vague, data ready but undrawable, good data replaced by bad.

Prints "data: N cases tried, C clear errors, W warnings, D defects" and writes .build/reliability/data.json.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from tests.examples.conftest import EXAMPLES, imported_from
from zerodash_runtime.data import Dataset, Status, limits

with imported_from(EXAMPLES / "population"):
    from population import PopulationData

BUCKET = "zerodash-corpus"
PREFIX = "population/"
COLUMNS = ["country", "year", "pop"]
REPORT = Path(__file__).resolve().parents[2] / ".build" / "reliability" / "data.json"
LINE_LIMIT = 256 * 1024  # DATA_MAX_LINE_BYTES for the corpus: a "huge" field of a few MB is 10x over it
MEMORY_LIMIT = 8 * 1024 * 1024  # DATA_MAX_BYTES for the cases about files too big for the task
GOOD = pd.DataFrame({"country": ["Chile", "Chile", "Peru"], "year": [1952, 1957, 1952], "pop": [6, 7, 8]})


def csv(text: str) -> bytes:
    return text.encode()


def parquet(table: pa.Table | pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table if isinstance(table, pa.Table) else pa.Table.from_pandas(table, preserve_index=False), buffer)
    return buffer.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def wide_header() -> bytes:
    return csv(",".join(f"column_{n}" for n in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n")


def bomb() -> bytes:
    """~200 KB of gzip that inflates to ~40 MB of valid CSV, 5x over MEMORY_LIMIT."""
    row = b"Chile,1952,6\n"
    return gz(b"country,year,pop\n" + row * (40_000_000 // len(row)))


def big_plain_csv() -> bytes:
    row = b"Chile,1952,6\n"
    return b"country,year,pop\n" + row * (6_000_000 // len(row))


def compressible_parquet() -> bytes:
    rows = 3_000_000  # ~70 MB of columns once decompressed, a few hundred KB on disk
    return parquet(pa.table({"country": ["Chile"] * rows, "year": np.zeros(rows, "int64"), "pop": np.zeros(rows)}))


@dataclass
class Case:
    name: str
    key: str
    body: Callable[[], bytes]
    expect: str  # "error", "warning" or "ok"
    words: str = ""  # what a clear reason (or warning) must contain, lower case
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "latin-1 text", "d.csv", lambda: "country,year,pop\nCôte d'Ivoire,2000,1\n".encode("latin-1"), "error", "utf-8"
    ),
    Case("utf-16 text", "d.csv", lambda: "country,year,pop\nChile,2000,1\n".encode("utf-16"), "error", "utf-8"),
    Case("utf-8 with BOM", "d.csv", lambda: "\ufeffcountry,year,pop\nChile,2000,1\n".encode(), "ok"),
    Case("binary garbage", "d.csv", lambda: bytes(range(256)) * 64, "error", "not"),
    Case("NUL bytes in a row", "d.csv", lambda: b"country,year,pop\nChi\x00le,2000,1\n", "ok"),
    Case("truncated in a quoted field", "d.csv", lambda: csv('country,year,pop\nChile,2000,1\n"Per'), "error", "csv"),
    Case("truncated mid-row", "d.csv", lambda: csv("country,year,pop\nChile,2000,1\nPeru,20"), "ok"),
    Case("empty", "d.csv", lambda: b"", "error", "empty"),
    Case("only blank lines", "d.csv", lambda: b"\n\n\n", "error", "empty"),
    Case("header only", "d.csv", lambda: csv("country,year,pop\n"), "error", "no data rows"),
    Case("missing column", "d.csv", lambda: csv("country,year\nChile,2000\n"), "error", "lacks the column(s) pop"),
    Case("extra columns", "d.csv", lambda: csv("country,year,pop,gdp\nChile,2000,1,5\n"), "ok"),
    Case("20,000-column header", "d.csv", wide_header, "error", "lacks the column(s)"),
    Case("blank country column", "d.csv", lambda: csv("country,year,pop\n,2000,1\n,2001,2\n"), "error", "country"),
    Case("country of spaces", "d.csv", lambda: csv('country,year,pop\n" ",2000,1\n"  ",2001,2\n'), "error", "country"),
    Case(
        "first row with extra fields",
        "d.csv",
        lambda: csv("country,year,pop\nChile,2000,1,9\nPeru,2000,2\n"),
        "error",
        "first data row",
    ),
    Case(
        "later row with extra fields",
        "d.csv",
        lambda: csv("country,year,pop\nChile,2000,1\nPeru,2000,2,9\n"),
        "error",
        "line 3",
    ),
    Case(
        "huge field", "d.csv", lambda: csv("country,year,pop\n" + "x" * 3_000_000 + ",2000,1\n"), "error", "longer than"
    ),
    Case(
        "huge quoted field over many lines",
        "d.csv",
        lambda: csv('country,year,pop\n"' + ("y" * 1000 + "\n") * 3000 + '",2000,1\n'),
        "error",
        "longer than",
    ),
    Case(
        "huge header",
        "d.csv",
        lambda: csv("country,year,pop," + "h" * 3_000_000 + "\nChile,2000,1,2\n"),
        "error",
        "longer than",
    ),
    Case(
        "duplicate (country, year)",
        "d.csv",
        lambda: csv("country,year,pop\nChile,2000,1\nChile,2000,9\n"),
        "warning",
        "repeat",
    ),
    Case(
        "inf population",
        "d.csv",
        lambda: csv("country,year,pop\nChile,2000,inf\nChile,2001,2\n"),
        "warning",
        "infinite",
    ),
    Case("negative population", "d.csv", lambda: csv("country,year,pop\nChile,2000,-5\n"), "warning", "negative"),
    Case(
        "booleans as population",
        "d.csv",
        lambda: csv("country,year,pop\nChile,2000,True\nChile,2001,False\n"),
        "warning",
        "true/false",
    ),
    Case(
        "some rows without a country",
        "d.csv",
        lambda: csv("country,year,pop\nChile,2000,1\n,2001,2\n"),
        "warning",
        "no country name",
    ),
    Case("text population", "d.csv", lambda: csv("country,year,pop\nChile,2000,many\n"), "error", "non-numeric"),
    Case("dates as years", "d.csv", lambda: csv("country,year,pop\nChile,2000-01-01,1\n"), "error", "non-numeric"),
    Case("gzip bomb", "d.csv.gz", bomb, "error", "too big", {"DATA_MAX_BYTES": str(MEMORY_LIMIT)}),
    Case(
        "truncated gzip", "d.csv.gz", lambda: gz(csv("country,year,pop\nChile,2000,1\n" * 50))[:40], "error", "unzipped"
    ),
    Case("not gzip at all", "d.csv.gz", lambda: csv("country,year,pop\nChile,2000,1\n"), "error", "unzipped"),
    Case("valid gzip", "d.csv.gz", lambda: gz(csv("country,year,pop\nChile,2000,1\n")), "ok"),
    Case(
        "file over the memory budget", "d.csv", big_plain_csv, "error", "too big", {"DATA_MAX_BYTES": str(MEMORY_LIMIT)}
    ),
    Case(
        "struct country",
        "d.parquet",
        lambda: parquet(pa.table({"country": [{"name": "Chile"}], "year": [2000], "pop": [1]})),
        "error",
        "column country is a struct",
    ),
    Case(
        "list country",
        "d.parquet",
        lambda: parquet(pa.table({"country": [["Chile"]], "year": [2000], "pop": [1]})),
        "error",
        "column country is a list",
    ),
    Case(
        "map pop",
        "d.parquet",
        lambda: parquet(
            pa.table(
                {"country": ["Chile"], "year": [2000], "pop": pa.array([[("a", 1)]], pa.map_(pa.string(), pa.int64()))}
            )
        ),
        "error",
        "column pop is a map",
    ),
    Case("truncated parquet", "d.parquet", lambda: parquet(GOOD)[:-30], "error", "not a valid parquet"),
    Case("empty parquet", "d.parquet", lambda: b"", "error", "empty"),
    Case(
        "csv named parquet",
        "d.parquet",
        lambda: csv("country,year,pop\nChile,2000,1\n"),
        "error",
        "not a valid parquet",
    ),
    Case(
        "parquet missing column",
        "d.parquet",
        lambda: parquet(GOOD.drop(columns="pop")),
        "error",
        "lacks the column(s) pop",
    ),
    Case("parquet without rows", "d.parquet", lambda: parquet(GOOD.head(0)), "error", "no data rows"),
    Case(
        "parquet huge value",
        "d.parquet",
        lambda: parquet(GOOD.assign(country=["x" * 3_000_000, "a", "b"])),
        "error",
        "longer than",
    ),
    Case(
        "parquet inflating past the budget",
        "d.parquet",
        compressible_parquet,
        "error",
        "too big",
        {"DATA_MAX_BYTES": str(MEMORY_LIMIT)},
    ),
    Case(
        "parquet text population",
        "d.parquet",
        lambda: parquet(GOOD.assign(pop=["a", "b", "c"])),
        "error",
        "non-numeric",
    ),
    Case("parquet inf", "d.parquet", lambda: parquet(GOOD.assign(pop=[1.0, np.inf, -np.inf])), "warning", "infinite"),
    Case(
        "parquet bool population",
        "d.parquet",
        lambda: parquet(GOOD.assign(pop=[True, False, True])),
        "warning",
        "true/false",
    ),
    Case("parquet numeric country", "d.parquet", lambda: parquet(GOOD.assign(country=[1, 1, 2])), "ok"),
    Case(
        "parquet null countries",
        "d.parquet",
        lambda: parquet(pa.table({"country": pa.array([None, None], pa.string()), "year": [1, 2], "pop": [1, 2]})),
        "error",
        "country",
    ),
    Case("parquet duplicates", "d.parquet", lambda: parquet(pd.concat([GOOD, GOOD])), "warning", "repeat"),
]


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "DATA_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BUCKET_NAME": BUCKET,
        "DATA_PREFIX": PREFIX,
        "DATA_MAX_LINE_BYTES": str(LINE_LIMIT),
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def good_bytes(key: str) -> bytes:
    if key.endswith(".parquet"):
        return parquet(GOOD)
    data = GOOD.to_csv(index=False).encode()
    return gz(data) if key.endswith(".gz") else data


def drawable(dataset: Dataset) -> bool:
    data = dataset.prepared()
    return bool(data.countries) and bool(data.figure(data.countries[0])["data"])


def classify(case: Case, run: Callable[[], Dataset], reload: bool) -> tuple[str, str]:
    """("clear error" | "warning" | "ok" | "defect", what was seen)."""
    try:
        dataset = run()
    except Exception as error:  # an escaped exception is the defect counted
        return "defect", f"exception escaped: {type(error).__name__}: {str(error)[:200]}"
    state = dataset.state
    reason = state.error
    if reason is not None:
        if len(reason) > limits.MAX_REASON_CHARS:
            return "defect", f"reason of {len(reason)} characters"
        if reload and (state.status is not Status.READY or dataset.prepared().rows != len(GOOD)):
            return "defect", f"good data replaced: {reason}"
        if not reload and state.status is not Status.FAILED:
            return "defect", f"error but status {state.status}"
        if case.expect != "error" or case.words not in reason.lower():
            return "defect", f"unexpected or vague reason: {reason}"
        return "clear error", reason
    try:
        ok = drawable(dataset)
    except Exception as error:
        return "defect", f"ready but undrawable: {type(error).__name__}: {error}"
    if not ok:
        return "defect", "ready but nothing to draw"
    if any(len(warning) > limits.MAX_REASON_CHARS for warning in state.warnings):
        return "defect", "unbounded warning"
    if case.expect == "warning":
        found = [warning for warning in state.warnings if case.words in warning.lower()]
        return ("warning", found[0]) if found else ("defect", f"loaded without the warning: {state.warnings}")
    if case.expect == "error":
        return "defect", f"loaded as ready: {state.warnings}"
    return "ok", "; ".join(state.warnings)


def test_the_bad_data_corpus_ends_in_clear_errors_or_warnings(
    bucket: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = []
    for case in CASES:
        body = case.body()
        for env_name in ("DATA_MAX_BYTES",):
            monkeypatch.delenv(env_name, raising=False)
        for name, value in case.env.items():
            monkeypatch.setenv(name, value)
        for reload in (False, True):
            key = f"{'reload' if reload else 'first'}/{len(results)}/{case.key}"

            def run(key: str = key, reload: bool = reload, body: bytes = body) -> Dataset:
                dataset = Dataset(key, columns=COLUMNS, prepare=PopulationData)
                if reload:
                    bucket.put_object(Bucket=BUCKET, Key=PREFIX + key, Body=good_bytes(key))
                    assert dataset.load().status is Status.READY
                bucket.put_object(Bucket=BUCKET, Key=PREFIX + key, Body=body)
                if reload:
                    dataset.reload_if_changed()
                else:
                    dataset.load()
                return dataset

            outcome, seen = classify(case, run, reload)
            results.append({"case": case.name, "reload": reload, "outcome": outcome, "seen": seen[:300]})

    defects = [result for result in results if result["outcome"] == "defect"]
    errors = sum(result["outcome"] == "clear error" for result in results)
    warnings = sum(result["outcome"] == "warning" for result in results)
    summary = f"data: {len(results)} cases tried, {errors} clear errors, {warnings} warnings, {len(defects)} defects"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "area": "data",
                "cases": len(results),
                "clear_errors": errors,
                "warnings": warnings,
                "defects": len(defects),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    with capsys.disabled():
        print(f"\n{summary}")
        for defect in defects:
            print(f"  defect: {defect['case']} ({'reload' if defect['reload'] else 'first load'}): {defect['seen']}")
    assert not defects, summary


def test_memory_budget_reads_the_setting_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_MAX_BYTES", "12345")
    assert limits.memory_budget() == 12345
    monkeypatch.setenv("DATA_MAX_BYTES", "not a number")
    assert limits.memory_budget() != 12345  # a typo falls back to the task's memory, never stops the app


def test_bounded_keeps_short_text_and_cuts_long_text_saying_how_long() -> None:
    assert limits.bounded("short") == "short"
    cut = limits.bounded("x" * 10_000)
    assert len(cut) <= limits.MAX_REASON_CHARS
    assert cut.endswith("… (10,000 characters in all)")
