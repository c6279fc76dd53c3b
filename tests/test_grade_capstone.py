"""tools/grade_capstone.py: part 2 of the capstone graded in the grading engine's sandbox.

A submission searching the whole file system for the hidden test set finds it in a plain
subprocess (the control) and not in the sandbox; a weak model and an unsolved notebook score
zero with a reason; rows are written per student.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "capstone"
sys.path.insert(0, str(ROOT / "tools"))

import grade_capstone  # noqa: E402

from dlnotes import capstone  # noqa: E402

needs_sandbox = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

SEARCHER = """
import os

from dlnotes.layers import Linear
from dlnotes.model import Sequential


def train_best_model(data, budget):
    for top in ("/tmp", "/root", "/work", "/srv", "/home", "/var/tmp"):
        for folder, _, files in os.walk(top):
            if "capstone_hidden_test.npz" in files:
                raise RuntimeError("FOUND " + os.path.join(folder, "capstone_hidden_test.npz"))
    return Sequential(Linear(784, 10, seed=0))
"""


def _notebook(path: Path, source: str) -> Path:
    cell = {
        "cell_type": "code",
        "metadata": {"nbgrader": {"grade_id": "ch16_train_best_model_solution", "solution": True}},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }
    path.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


@pytest.fixture(scope="module")
def hidden(tmp_path_factory):
    if not Path("/usr/share/datasets/fashion-mnist").exists():
        pytest.skip("needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist)")
    out = tmp_path_factory.mktemp("grader") / "capstone_hidden_test.npz"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "prepare_capstone_test.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@needs_sandbox
def test_the_hidden_set_is_out_of_reach_in_the_sandbox_and_not_without_it(tmp_path, hidden):
    sub = _notebook(tmp_path / "searcher.ipynb", SEARCHER)
    row = grade_capstone.grade_one("searcher", sub, hidden)
    assert "FOUND" not in str(row["run"]), row
    assert row["points"] == 0.0 and "hidden-test accuracy" in str(row["score"])
    # the control: the same code in a plain subprocess does find the file
    from dlnotes.capstone.harness import submission_from_notebook

    script = submission_from_notebook(sub, tmp_path / "plain.py")
    plain, message = capstone.run_submission(script)
    assert plain is None and "FOUND" in message and "capstone_hidden_test.npz" in message


@needs_sandbox
def test_gradebook_rows_for_a_weak_model_an_unsolved_notebook_and_no_notebook(tmp_path, hidden):
    subs = tmp_path / "subs"
    subs.mkdir()
    _notebook(subs / "weak.ipynb", (FIXTURES / "weak.py").read_text())
    (subs / "ana").mkdir()
    shutil.copy(ROOT / "learner" / "16_capstone.ipynb", subs / "ana" / "16_capstone.ipynb")
    (subs / "bo").mkdir()  # submitted nothing
    out = tmp_path / "part2.csv"
    assert grade_capstone.main([str(subs), "--hidden", str(hidden), "--out", str(out)]) == 0
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert set(rows) == {"weak", "ana", "bo"}
    assert float(rows["weak"]["points"]) == 0.0 and "returned a model" in rows["weak"]["run"]
    assert "hidden-test accuracy" in rows["weak"]["score"]
    assert "not above the baseline" in rows["weak"]["dev"] and "0 / 1" in rows["weak"]["dev"]
    assert float(rows["weak"]["max_points"]) == 11.0
    assert float(rows["ana"]["points"]) == 0.0 and "NotImplementedError" in rows["ana"]["run"]
    assert rows["bo"]["run"] == "no 16_capstone notebook found"


FORKER = """
import os
import time


def train_best_model(data, budget):
    children, refused = [], "never refused"
    try:
        while len(children) < 400:
            pid = os.fork()
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
    except OSError as err:
        refused = type(err).__name__
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    raise RuntimeError(f"FORKED {len(children)} {refused}")
"""


@needs_sandbox
def test_a_fork_bomb_stops_at_the_sandbox_process_limit(tmp_path):
    """The capstone's run has the grading engine's process limit: a submission that forks until
    refused is refused below it (the harness and bwrap's init count too), and the same code in
    a plain subprocess forks all 400 children (the control)."""
    from dlnotes.capstone.harness import submission_from_notebook

    sub = submission_from_notebook(_notebook(tmp_path / "forker.ipynb", FORKER), tmp_path / "f.py")
    _, message = capstone.run_submission(
        sub, seconds=30, wrap=lambda cmd, work: grade_capstone.sandboxed(cmd, work, sub)
    )
    forked = re.search(r"FORKED (\d+) (\w+)", message)
    assert forked, message
    assert int(forked[1]) < grade_capstone.sandbox.Limits.processes
    assert forked[2] in {"BlockingIOError", "OSError"}, message
    _, plain = capstone.run_submission(sub, seconds=30)
    assert "FORKED 400 never" in plain, plain
