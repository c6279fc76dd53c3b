"""The precomputed search of chapter 13 (``dlnotes/data/fashion_search.npz``): its layout, that its
trials are exactly those ``dlnotes.tuning`` draws, and that ``tools/make_fashion_search.py``
regenerates it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dlnotes
from dlnotes.tuning import sample_config, trial_seeds
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "make_fashion_search.py"
SHIPPED = Path(dlnotes.__file__).parent / "data" / "fashion_search.npz"


def _tool():
    return load_script(SCRIPT)


def test_layout_and_values_make_sense():
    tool = _tool()
    data = np.load(SHIPPED)
    names = list(tool.SPACE)
    assert set(data.files) == {
        "search",
        "trial",
        "seed",
        "dev_error",
        "test_error",
        "train_loss",
        "space",
        *names,
    }
    rows = tool.SEARCHES * tool.TRIALS
    assert data["dev_error"].shape == (rows, tool.EPOCHS)
    for key in ("search", "trial", "seed", "test_error", "train_loss", *names):
        assert data[key].shape == (rows,), key
    assert json.loads(str(data["space"])) == json.loads(tool.describe_space())
    dev, test = data["dev_error"], data["test_error"]
    assert np.all((dev >= 0) & (dev <= tool.CHANCE_ERROR))
    assert np.all((test >= 0) & (test <= tool.CHANCE_ERROR))
    # dev errors are counts of the 1000 dev images
    np.testing.assert_allclose(dev * 1000, np.round(dev * 1000), atol=1e-6)
    # a search large enough to show something: the runs span hopeless to good
    assert dev[:, -1].min() < 0.2 and np.median(dev[:, -1]) > 0.2 and dev[:, -1].max() >= 0.9
    assert len(set(data["seed"].tolist())) == rows  # the lookup key is unique


def test_rows_are_the_trials_that_dlnotes_tuning_draws():
    tool = _tool()
    data = np.load(SHIPPED)
    for s in range(tool.SEARCHES):
        for i, (rng, seed) in enumerate(trial_seeds(s, tool.TRIALS)):
            row = s * tool.TRIALS + i
            assert (data["search"][row], data["trial"][row], data["seed"][row]) == (s, i, seed)
            config = sample_config(tool.SPACE, rng)
            for name, value in config.items():
                # to the last bit or so: numpy's exp rounds differently with and without AVX-512
                assert data[name][row] == pytest.approx(value, rel=1e-14, abs=0), (s, i, name)


@pytest.mark.slow
def test_a_shorter_run_is_a_prefix_of_the_curve():
    """The table's premise: the dev error after b epochs is that of b epochs from scratch."""
    tool = _tool()
    data = np.load(SHIPPED)
    arrays = tool.data()
    row = int(np.argmin(data["dev_error"][: tool.TRIALS, -1]))  # search 0's best trial
    config = {name: data[name][row].item() for name in tool.SPACE}
    short, _, _ = tool.run(config, int(data["seed"][row]), arrays, epochs=3)
    full, _, _ = tool.run(config, int(data["seed"][row]), arrays, epochs=6)
    assert np.array_equal(short, full[:3])


@pytest.mark.slow
def test_the_script_regenerates_a_subset_of_the_shipped_file(tmp_path):
    out = tmp_path / "s.npz"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, str(SCRIPT), "--searches", "2", "--trials", "3", "--out", str(out)],
        check=True,
        env=env,
        capture_output=True,
        timeout=600,
    )
    tool = _tool()
    new, old = np.load(out), np.load(SHIPPED)
    rows = [s * tool.TRIALS + i for s in range(2) for i in range(3)]
    assert set(new.files) == set(old.files)
    assert str(new["space"]) == str(old["space"])
    for key in ("search", "trial", "seed"):
        assert np.array_equal(new[key], old[key][rows]), key
    for key in tool.SPACE:  # numpy's exp rounds differently with and without AVX-512
        np.testing.assert_allclose(new[key], old[key][rows], rtol=1e-14, atol=0, err_msg=key)
    # Bit-identical with the same BLAS kernels. Other kernels round differently: every run agrees
    # after its first epoch, a smooth run stays within 2 % of dev error all along, and a run at
    # the edge of stability (its shipped dev error rises by 5 % or more from one epoch to the
    # next) can end elsewhere. Measured with OPENBLAS_CORETYPE=Haswell, Sandybridge and Nehalem: the
    # smooth runs differ by at most 1.5 %, two of these six runs are at the edge.
    dev, shipped = new["dev_error"], old["dev_error"][rows]
    np.testing.assert_allclose(dev[:, 0], shipped[:, 0], rtol=0, atol=0.01)
    smooth = np.diff(shipped, axis=1).max(axis=1) < 0.05  # falling fast is learning
    assert np.count_nonzero(smooth) >= len(rows) // 2, "the comparison needs smooth runs"
    np.testing.assert_allclose(dev[smooth], shipped[smooth], rtol=0, atol=0.02)
    for key in ("test_error", "train_loss"):
        np.testing.assert_allclose(new[key][smooth], old[key][rows][smooth], rtol=0, atol=0.02)
