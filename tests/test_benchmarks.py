"""The benchmark command runs (small sizes) and writes a report with the ratio columns.

Performance itself is measured by ``python3 tasks.py bench``, never asserted here: a timed
test fails when the machine is busy, not when the code is slow.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.slow
def test_quick_benchmarks_write_a_report(tmp_path):
    out = tmp_path / "report"
    subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "optim", "mlp", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    report = json.loads(out.with_suffix(".json").read_text())
    assert set(report["results"]) == {"optim", "mlp"}
    assert report["meta"]["quick"] is True and "cores" in report["meta"]["cpu"]
    optim = {r["implementation"]: r for r in report["results"]["optim"]["rows"]}
    adam = optim["dlnotes Adam"]
    assert float(adam["ms / step"]) > 0 and float(adam["x floor"]) > 0
    if HAS_TORCH:
        assert float(adam["x best torch"]) > 0
    else:
        assert adam["x best torch"] == "not installed"
    mlp = {r["implementation"]: r for r in report["results"]["mlp"]["rows"]}
    assert float(mlp["dlnotes float32"]["seconds per epoch"]) > 0
    md = out.with_suffix(".md").read_text()
    assert "## " in md and "| dlnotes Adam |" in md


def test_publish_refuses_quick_sizes():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--publish", "--quick", "optim"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "--publish needs full-size runs" in done.stderr


def test_publishing_some_benchmarks_replaces_only_their_sections():
    from benchmarks.__main__ import publish

    res = {
        "a": {"title": "A", "notes": "about a", "rows": [{"x": 1}]},
        "b": {"title": "B", "notes": "about b", "rows": [{"y": 2}]},
    }
    full = publish("2026-01-01, machine one\n", res)
    assert full.startswith("<!-- Written by") and "Measured 2026-01-01, machine one" in full
    assert "### A" in full and "| 1 |" in full and "### B" in full and "| 2 |" in full
    again = publish("2026-02-02, machine two\n", {"b": {**res["b"], "rows": [{"y": 3}]}}, full)
    assert "| 1 |" in again and "| 2 |" not in again and "| 3 |" in again
    assert "Measured 2026-02-02, machine two (this section alone)." in again
    assert again.index("### A") < again.index("### B") and again.count("### B") == 1
    # a section the file does not have yet is appended
    new = publish("2026-03-03, m\n", {"c": {"title": "C", "notes": "", "rows": [{"z": 4}]}}, again)
    assert new.startswith(again.rstrip("\n")) and new.rstrip().endswith("| 4 |")


def test_publishing_finds_a_section_written_before_the_markers_by_its_title():
    from benchmarks.__main__ import publish

    old = "<!-- Written by -->\nMeasured then\n### A\n\n| x |\n| 1 |\n\n### B\n\n| y |\n| 2 |\n"
    res = {"a": {"title": "A", "notes": "", "rows": [{"x": 5}]}}
    new = publish("2026-04-04, m\n", res, old)
    assert new.count("### A") == 1 and "| 1 |" not in new and "| 5 |" in new
    assert "### B" in new and "| 2 |" in new and new.index("### A") < new.index("### B")
    # the last section of the file, found by its title, is replaced to the end
    new_b = publish("2026-04-04, m\n", {"b": {"title": "B", "notes": "", "rows": [{"y": 7}]}}, old)
    assert new_b.count("### B") == 1 and "| 2 |" not in new_b and "| 7 |" in new_b
    assert "| 1 |" in new_b


def test_the_performance_page_shows_the_published_numbers():
    page = (ROOT / "book" / "performance.md").read_text()
    assert "```{include} ../benchmarks/published.md" in page
    assert (ROOT / "benchmarks" / "published.md").read_text().startswith("<!-- Written by")


def test_runs_flag_is_validated():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--runs", "0", "headless"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "--runs must be >= 1, got 0" in done.stderr


def test_headless_reproducer_rejects_unknown_modes_and_counts():
    from benchmarks.bench_headless import run, stress_cell

    with pytest.raises(ValueError, match="mode must be one of"):
        stress_cell("nothing", 3)
    with pytest.raises(ValueError, match="runs must be >= 1, got 0"):
        stress_cell("png", 0)
    with pytest.raises(ValueError, match="runs must be >= 1, got 0"):
        run(runs=0)


def test_reply_lag_is_the_time_from_the_kernels_reply_to_nbclient_moving_on():
    from datetime import datetime, timedelta, timezone

    from benchmarks.bench_headless import ReplyLags

    lags = ReplyLags()
    stalled = {"header": {"date": datetime.now(timezone.utc) - timedelta(seconds=120)}}
    lags(cell=None, cell_index=0, execute_reply=stalled)
    lags(cell=None, cell_index=1, execute_reply=None)  # a skipped cell has no reply
    assert lags.seconds == [pytest.approx(120, abs=1)]


def test_a_real_headless_run_lags_no_cell_and_counts_work_as_work():
    import nbformat
    from nbclient import NotebookClient

    from benchmarks.bench_headless import ReplyLags

    sources = ("x = 1", "import time", "time.sleep(1.0)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
    lags = ReplyLags()
    NotebookClient(nb, timeout=60, kernel_name="python3", on_cell_executed=lags).execute()
    assert len(lags.seconds) == 3, "nbclient no longer calls the hook the stress check reads"
    assert all(-0.05 <= g < 1.0 for g in lags.seconds), lags.seconds  # the sleep is work
