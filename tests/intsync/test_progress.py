from __future__ import annotations

import io

from rich.console import Console

from intsync.cli import progress
from pipelines.extract import ResourceOutcome
from pipelines.runs import SyncResult


def _summary(result: SyncResult, monkeypatch) -> str:
    out = io.StringIO()
    monkeypatch.setattr(progress, "console", Console(file=out, width=120, highlight=False))
    progress.print_summary(result)
    return out.getvalue()


def test_the_summary_shows_each_resource_and_where_the_time_went(monkeypatch):
    result = SyncResult("int_1", "t1", "v1", "stripe", "0123456789abcdef", status="success")
    outcome = ResourceOutcome("charges", cursor_before={}, status="success")
    outcome.rows_extracted = outcome.rows_loaded = 1200
    result.resources.append(outcome)
    result.seconds = {"prepare": 0.25, "read": 3.5, "load": 1.25, "logs": 0.2}

    text = _summary(result, monkeypatch)

    assert "ok stripe integration int_1 (tenant t1, venue v1) run 01234567" in text
    assert "charges" in text and "1,200" in text
    assert "the sync took 5.2 s: prepare 0.2 s, read 3.5 s, load 1.2 s, logs 0.2 s" in text


def test_a_summary_without_timings_has_no_time_line(monkeypatch):
    result = SyncResult("int_1", "t1", "v1", "stripe", "0123456789abcdef", status="failed")
    result.error = "no staging spec maps stripe 'x'"

    text = _summary(result, monkeypatch)

    assert "FAILED" in text and "no staging spec maps" in text and "took" not in text
