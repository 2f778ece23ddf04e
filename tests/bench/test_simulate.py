"""The simulation benchmark: traces read as documented, each policy replayed on the twin (a day, not a month)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bench.simulate import POLICIES, main, read_trace, simulate
from tests.twin.browser import BROWSER, HTML, Row
from tests.twin.helpers import START

T0 = START.timestamp()
DAY = (START, START + timedelta(days=1))
TRACE = [
    Row(T0 + 600, "p1", "GET", "/", BROWSER, HTML),
    *(
        Row(T0 + 600 + 20 * index, "p1", "POST", "/_dash-update-component", BROWSER, "application/json")
        for index in range(1, 9)
    ),
    Row(T0 + 7200, "", "GET", "/wp-login.php", BROWSER, HTML, "ip"),
    Row(T0 + 7300, "", "POST", "/", BROWSER, "*/*"),
    Row(T0 + 9000, "p2", "GET", "/", BROWSER, HTML),
]


def by_name(name: str):
    return next(policy for policy in POLICIES if policy.name.startswith(name))


def test_zerodash_answers_every_person_and_starts_only_for_people():
    result = simulate("day", TRACE, by_name("ZeroDash defaults"), seed=3, window=DAY)

    assert (result.human_alb_errors, result.sessions_cut, result.nonhuman_wakes) == (0, 0, 0)
    assert result.cold_starts == 2 and result.wake_p50_seconds is not None
    assert 0 < result.task_hours < 2


def test_compute_studio_fails_the_first_requests_to_a_stopped_app():
    result = simulate("day", TRACE, by_name("Compute Studio"), seed=3, window=DAY)

    assert result.human_alb_errors > 0


def test_always_on_bills_two_tasks_all_day():
    result = simulate("day", TRACE, by_name("Always on"), seed=3, window=DAY)

    assert result.task_hours == pytest.approx(48, abs=0.1)
    assert result.human_alb_errors == 0


def test_a_trace_file_may_leave_out_the_host_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("timestamp,session,method,path,user_agent,accept\n2024-03-01T10:00:00Z,s,GET,/,UA,text/html\n")

    assert read_trace(path)[0].host == ""


def test_a_missing_trace_file_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "missing.csv")])

    assert exit_info.value.code == 2
    assert "no such trace file" in capsys.readouterr().err


def test_json_lines_carry_every_field(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("bench.simulate.span", lambda rows: DAY)
    path = tmp_path / "t.csv"
    path.write_text("timestamp,session,method,path,user_agent,accept\n2024-03-04T10:00:00Z,,GET,/.env,UA,*/*\n")

    main([str(path), "--json", "--jobs", "1"])

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["policy"] for line in lines] == [policy.name for policy in POLICIES]
    assert {"wake_p50_seconds", "wake_p95_seconds", "cloudwatch_cost", "control_plane_calls_per_hour"} <= set(lines[0])
