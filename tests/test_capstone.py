"""The capstone (dlnotes.capstone, chapter 16): recorded runs and their diagnosis exercise,
plain-data models, the budget and its enforcement, scoring, the hidden test set, and fixture
submissions graded end to end in a separate process."""

from __future__ import annotations

import ast
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dlnotes import capstone
from dlnotes.capstone import runs as runs_mod
from dlnotes.data.datasets import FASHION_MNIST_DIR
from dlnotes.exercises import ch16, check
from dlnotes.layers import BatchNorm, DropConnect, Dropout, LayerNorm, LeakyReLU, Linear, Tanh
from dlnotes.model import Sequential, mlp
from dlnotes.optim import SGD
from dlnotes.train import Callback, fit

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "capstone"
HAVE_FULL = (Path(os.environ.get("DLNOTES_FASHION_MNIST", FASHION_MNIST_DIR))).is_dir()
needs_full = pytest.mark.skipif(
    not HAVE_FULL, reason="needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist)"
)
ONE_THREAD = dict(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


@pytest.fixture(scope="module")
def shipped():
    return capstone.load_runs()


@pytest.fixture(scope="module")
def hidden_path(tmp_path_factory):
    if not HAVE_FULL:
        pytest.skip("needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist)")
    out = tmp_path_factory.mktemp("grader") / "capstone_hidden_test.npz"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "prepare_capstone_test.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


# --------------------------------------------------------------------------------------------
# the house rule: nothing imports the capstone


def test_nothing_in_dlnotes_imports_the_capstone():
    offenders = []
    for path in (ROOT / "dlnotes").rglob("*.py"):
        if "capstone" in path.relative_to(ROOT / "dlnotes").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith("dlnotes.capstone") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def test_the_capstone_imports_no_plotting_at_import():
    code = "import sys, dlnotes.capstone; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# part 1: the recorded runs and the diagnosis exercise


def test_shipped_runs_are_seven_plus_healthy_and_small(shipped):
    assert sorted(shipped) == sorted([*capstone.LABELS, capstone.HEALTHY])
    assert len(capstone.LABELS) >= 6
    assert (ROOT / "dlnotes" / "capstone" / "runs.npz").stat().st_size < 200_000
    for run in shipped.values():
        E = run.epochs
        assert E >= 10 and all(len(c) == E for c in (run.dev_loss, run.train_acc, run.dev_acc))
        assert len(run.step_loss) == E * math.ceil(run.n_train / 64)
        for key in runs_mod.DIAGNOSTIC_KEYS:
            assert run.diagnostics[key].shape == (E, len(run.layers))


def test_answer_key_agrees_with_the_recipes_and_option_lists():
    assert ch16.CAUSES == capstone.CAUSES and ch16.FIXES == capstone.FIXES
    assert ch16.KEY == dict(zip(runs_mod.LABELS, runs_mod._ORDER))
    assert sorted(ch16.KEY.values()) == sorted(ch16.CAUSES)  # each cause once
    assert set(ch16.EVIDENCE) == set(ch16.KEY) and set(ch16.SIGNATURE) == set(ch16.CAUSES)


def _ratio(run, epoch=0):
    """The update ratios of the weight layers in ``epoch`` (0-based)."""
    r = run.diagnostics["update_ratio"][epoch]
    return r[~np.isnan(r)]


def assert_evidence(runs):
    """Every claim of ``ch16.EVIDENCE`` (the feedback learners read) on ``runs``."""
    A, B, C, D, E, F, G, H = (runs[k] for k in [*"ABCDEFG", capstone.HEALTHY])
    # A: high variance
    assert A.train_acc[-1] > 0.95 and A.dev_acc.max() < 0.75 and A.n_train == 200
    assert A.dev_loss[-1] > A.dev_loss.min()
    # B: learning rate too low
    assert B.train_loss[0] - B.train_loss[-1] < 0.05 and abs(B.train_loss[0] - 2.34) < 0.01
    assert np.all(np.abs(B.train_loss - B.dev_loss) < 0.01)
    assert np.all(_ratio(B, -1) < 1e-4)
    # C: batch norm's running statistics
    assert C.train_acc[-1] > 0.9 and C.dev_acc.max() < 0.7
    assert C.train_acc[0] - C.dev_acc[0] > 0.10
    assert np.count_nonzero(np.diff(C.dev_loss) > 0) >= 3
    assert np.all(np.diff(C.train_loss) < 0.01)
    # D: learning rate too high
    assert D.train_loss[1] > D.train_loss[0] and abs(D.train_loss[-1] - math.log(10)) < 0.1
    assert D.dev_acc[-1] < 0.15 and np.all(_ratio(D, 0) > 1e-2) and np.all(_ratio(D, -1) == 0)
    relu = D.layers.index("ReLU")
    assert D.diagnostics["dead_frac"][-1, relu] == 1.0
    # E: no shuffle on class-sorted data
    assert np.count_nonzero(E.train_acc == 0) > E.epochs / 2 and np.all(E.dev_acc < 0.15)
    # F: saturating initialization
    tanh = [i for i, name in enumerate(F.layers) if name == "Tanh"]
    assert np.all(F.diagnostics["act_std"][0, tanh] > 0.95)
    assert F.diagnostics["act_std"][0, 0] > 10 and F.train_loss[0] > 5
    assert F.dev_acc.max() < 0.65
    # G: high bias
    assert G.train_acc.max() < 0.75 and H.train_acc[-1] > 0.85 and G.epochs == H.epochs
    assert abs(G.train_acc[-1] - G.dev_acc[-1]) < 0.05 and np.all(_ratio(G, -1) > 1e-3)
    # the healthy run is healthy: no big gap, dev accuracy well above every faulty run's but A's
    assert H.dev_acc[-1] > 0.75 and H.train_acc[-1] - H.dev_acc[-1] < 0.1


def test_the_feedback_claims_hold_on_the_shipped_runs(shipped):
    assert_evidence(shipped)


def test_the_diagnosis_exercise_accepts_the_key(capsys):
    check("ch16_diagnose_runs", ch16._solution())
    assert capsys.readouterr().out.startswith("✓ ch16_diagnose_runs")


@pytest.mark.parametrize("label", sorted(ch16.KEY))
def test_every_wrong_cause_of_every_run_is_explained(label):
    true = ch16.KEY[label]
    for cause in ch16.CAUSES:
        if cause == true:
            continue
        answer = ch16._solution()
        answer[label] = (cause, ch16.FIX_OF[cause])
        verdict = ch16.verify_diagnosis(answer)
        assert not verdict.passed and verdict.summary.startswith("6 of 7")
        (line,) = verdict.details
        assert line.startswith(f"run {label}: not {cause}.")
        assert ch16.SIGNATURE[cause][:40].lower() in line.lower()
        assert ch16.EVIDENCE[label] in line


def test_a_cause_given_to_two_runs_is_pointed_out():
    answer = ch16._solution()
    answer["B"] = ("lr_too_high", "lower_lr")  # D's cause, given to B as well
    verdict = ch16.verify_diagnosis(answer)
    assert not verdict.passed
    assert verdict.summary == (
        "6 of 7 runs diagnosed right (cause and fix); each cause appears exactly once, but you "
        "gave lr_too_high (runs B, D)"
    )
    assert (
        "exactly once"
        not in ch16.verify_diagnosis({**ch16._solution(), "B": ("lr_too_low", "lower_lr")}).summary
    )


def test_right_cause_wrong_fix_names_the_right_fix():
    answer = ch16._solution()
    answer["B"] = ("lr_too_low", "lower_lr")
    verdict = ch16.verify_diagnosis(answer)
    assert not verdict.passed
    assert verdict.details == (
        "run B: lr_too_low is right, but lower_lr is the fix for lr_too_high; the fix for "
        "lr_too_low is raise_lr.",
    )


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([("a", "b")], "expected a dict"),
        ({"A": ("high_bias", "bigger_model")}, "missing"),
        ({**ch16._solution(), "H": ("high_bias", "bigger_model")}, "extra"),
        ({**ch16._solution(), "A": "high_variance"}, "expected a pair"),
        ({**ch16._solution(), "A": ("overfitting", "regularize")}, "cause must be one of"),
        ({**ch16._solution(), "A": ("high_variance", "dropout")}, "fix must be one of"),
    ],
)
def test_malformed_diagnoses_are_refused_with_a_reason(value, match):
    with pytest.raises(AssertionError, match=match):
        check("ch16_diagnose_runs", value)


@pytest.mark.slow
def test_make_capstone_runs_regenerates_the_shipped_file(tmp_path, shipped):
    env = dict(os.environ, **ONE_THREAD)
    out = tmp_path / "runs.npz"
    script = str(ROOT / "tools" / "make_capstone_runs.py")
    report = json.loads(
        subprocess.run(
            [sys.executable, script, "--out", str(out)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=600,
        ).stdout.splitlines()[-1]
    )
    fresh = capstone.load_runs(out)
    # Any machine: every claim the feedback makes holds on the regenerated runs, and the curves
    # agree closely. Other BLAS kernels round differently, and some runs amplify that: D and E
    # diverge or die, A fits 200 images to the last one and F's tanh units sit at ±1, so their
    # curves move by up to 0.2 from kernel to kernel (measured with OPENBLAS_CORETYPE=Haswell,
    # Sandybridge, Nehalem, Zen): those four are compared through their claims only.
    assert_evidence(fresh)
    for label in ["B", "C", "G", capstone.HEALTHY]:
        for name in ("train_acc", "dev_acc"):
            a, b = getattr(fresh[label], name), getattr(shipped[label], name)
            assert np.max(np.abs(a - b)) < 0.05, (label, name)
    # On the machine and stack that made the file: bit-identical.
    again = capstone.save_runs(capstone.load_runs(), tmp_path / "again.npz")
    if report["machine"] == platform.machine() and report["numpy"] == np.__version__:
        if report["sha256"] == again:
            for label in shipped:
                np.testing.assert_array_equal(fresh[label].step_loss, shipped[label].step_loss)


def test_plot_run_draws_four_panels(shipped):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig = capstone.plot_run(shipped["A"])
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title() == "run A: loss"
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), shipped["A"].dev_acc)
    plt.close(fig)
    with pytest.raises(ValueError, match="ax must hold 4 axes"):
        capstone.plot_run(shipped["A"], ax=[None])


def test_plot_run_labels_a_loss_that_barely_moves_with_plain_values(shipped):
    """Run B's loss stays within 2.28–2.38: its log axes show a few plain values, not a
    ``2.32 × 10⁰`` on every minor tick, and every label stays inside the notebook's grid."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(capstone.LABELS), 4, figsize=(13, 2.5 * len(capstone.LABELS)))
    fig.subplots_adjust(left=0.05, right=0.98, top=0.98, bottom=0.03, hspace=0.6, wspace=0.28)
    for label, row in zip(capstone.LABELS, axes):
        capstone.plot_run(shipped[label], ax=row)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    loss_b = axes[capstone.LABELS.index("B")][0]
    texts = [t.get_text() for t in loss_b.get_yticklabels(minor=True) + loss_b.get_yticklabels()]
    shown = [t for t in texts if t]
    assert 2 <= len(shown) <= 6 and not any("times" in t or "×" in t for t in shown), shown
    for ax in axes.ravel():
        for tick in ax.get_yticklabels() + ax.get_yticklabels(minor=True):
            if tick.get_text() and tick.get_visible():
                box = tick.get_window_extent(renderer)
                assert box.x0 >= 0, f"{ax.get_title()}: {tick.get_text()!r} is cut off"
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# plain-data models


def _zoo_of_layers():
    rng = np.random.default_rng(3)
    model = Sequential(
        Linear(784, 32, seed=rng),
        BatchNorm(32, momentum=0.2),
        LeakyReLU(0.05),
        Dropout(0.3, seed=1),
        Linear(32, 16, bias=False, seed=rng),
        LayerNorm(16),
        Tanh(),
        Linear(16, 10, seed=rng),
    )
    X = rng.random((300, 784), dtype=np.float32)
    y = rng.integers(0, 10, 300)
    fit(model, X, y, optimizer=SGD(model.params, lr=0.05, momentum=0.9), epochs=2, progress=False)
    return model, X


def test_plain_round_trip_through_a_file_gives_the_same_predictions(tmp_path):
    model, X = _zoo_of_layers()
    plain = capstone.model_to_plain(model)
    for value in plain.values():
        assert isinstance(value, (str, int, float, np.ndarray)), type(value)
        if isinstance(value, np.ndarray):
            assert value.dtype.kind == "f"
    np.savez(tmp_path / "m.npz", **plain)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        again = capstone.model_from_plain(data)
    assert [layer.describe() for layer in again.layers] == [
        layer.describe() for layer in model.layers
    ]
    np.testing.assert_array_equal(again.predict(X), model.eval().predict(X))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[name], value)
    # a copy: training the original later does not change the plain data
    model.params[0][...] = 0
    assert np.any(plain["0.W"] != 0)


def _plain():
    return capstone.model_to_plain(mlp([784, 8, 10], seed=0))


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda p: p.update({"1.type": "Conv2d"}), ValueError, "unknown type 'Conv2d'"),
        (lambda p: p.update({"1.type": "os.system"}), ValueError, "unknown type"),
        (lambda p: p.pop("0.W"), ValueError, "no entry '0.W'"),
        (lambda p: p.update({"0.W": np.zeros((8, 784))}), ValueError, r"shape \(784, 8\)"),
        (lambda p: p.update({"0.W": np.array([None] * 4)}), ValueError, "float array"),
        (lambda p: p.update({"format": "pickle"}), ValueError, "format must be"),
        (lambda p: p.update({"n_layers": 2}), ValueError, "unexpected entries"),
        (lambda p: p.update({"n_layers": 10**6}), ValueError, "n_layers must be"),
        (lambda p: p.update({"n_layers": "3"}), ValueError, "must be int"),
        (lambda p: p.update({"2.b": np.full(10, np.nan)}), ValueError, "inf or NaN"),
        (lambda p: p.update({"3.W": np.zeros((10, 10))}), ValueError, "unexpected entries"),
    ],
)
def test_model_from_plain_rejects_bad_data(edit, error, match):
    plain = _plain()
    edit(plain)
    with pytest.raises(error, match=match):
        capstone.model_from_plain(plain)


def test_model_to_plain_rejects_what_it_cannot_describe():
    with pytest.raises(TypeError, match="Sequential"):
        capstone.model_to_plain("model")
    with pytest.raises(TypeError, match="DropConnect"):
        capstone.model_to_plain(Sequential(DropConnect(784, 10, p=0.5, seed=0)))
    with pytest.raises(TypeError, match="dict of plain data"):
        capstone.model_from_plain([("format", "x")])


# --------------------------------------------------------------------------------------------
# scoring


def test_score_accuracy_closed_form():
    s = capstone.score_accuracy
    assert s(0.70, 0.7, 0.9) == 0.0 and s(0.5, 0.7, 0.9) == 0.0
    assert s(0.9, 0.7, 0.9) == 10.0 and s(0.99, 0.7, 0.9) == 10.0
    assert s(0.75, 0.7, 0.9) == pytest.approx(2.5, rel=1e-12)
    assert s(0.8, 0.7, 0.9, points=4) == pytest.approx(2.0, rel=1e-12)
    base, target = capstone.BASELINE, capstone.TARGET
    mid = (base + target) / 2
    assert s(mid) == pytest.approx(capstone.POINTS / 2, rel=1e-12)
    with pytest.raises(ValueError, match="target must be above baseline"):
        s(0.8, 0.9, 0.9)
    with pytest.raises(ValueError, match="acc"):
        s(1.2)
    with pytest.raises(ValueError, match="points"):
        s(0.8, points=0)


# --------------------------------------------------------------------------------------------
# the budget, in process


def _small_data():
    d = capstone.capstone_data()
    return {k: v[:1000] for k, v in d.items()}


def test_capstone_data_is_train_and_dev_only():
    d = capstone.capstone_data()
    assert sorted(d) == ["X_dev", "X_train", "y_dev", "y_train"]
    assert d["X_train"].shape == (5000, 784) and d["X_dev"].shape == (1000, 784)
    assert d["X_train"].dtype == np.float32 and 0 <= d["X_train"].min() <= d["X_train"].max() <= 1
    X_test, _ = capstone.self_study_test()
    train_hashes = capstone.image_hashes((d["X_train"] * 255).round().astype(np.uint8))
    assert not train_hashes & capstone.image_hashes((X_test * 255).round().astype(np.uint8))


def test_budget_stops_fit_at_its_epochs_across_calls_and_keeps_the_last_model():
    d = _small_data()
    model = mlp([784, 16, 10], seed=0)
    opt = SGD(model.params, lr=0.05)
    budget = capstone.Budget(seconds=60, epochs=3)
    h1 = fit(model, d["X_train"], d["y_train"], optimizer=opt, epochs=2, callbacks=[budget])
    h2 = fit(model, d["X_train"], d["y_train"], optimizer=opt, epochs=10, callbacks=[budget])
    assert len(h1) == 2 and len(h2) == 1 and h2.stopped_epoch == 1
    assert budget.epochs_used == 3 and budget.exhausted and budget.remaining_epochs == 0
    assert budget.histories == [h1, h2]
    assert budget.cut_short == "a fit early, after its epoch 1: its 3 epochs were used up"
    kept = capstone.model_from_plain(budget.checkpoint)
    np.testing.assert_array_equal(kept.params[0], model.params[0])


def test_budget_stops_fit_at_its_seconds():
    d = _small_data()
    model = mlp([784, 16, 10], seed=0)
    budget = capstone.Budget(seconds=0.3, epochs=1000)
    start = time.monotonic()
    h = fit(
        model,
        d["X_train"],
        d["y_train"],
        optimizer=SGD(model.params, lr=0.05),
        epochs=1000,
        callbacks=[budget],
    )
    assert time.monotonic() - start < 5 and len(h) < 1000 and budget.exhausted
    assert budget.cut_short == f"a fit early, after its epoch {len(h)}: its 0.3 s were used up"


def test_the_run_message_says_when_the_budget_cut_a_fit_short():
    """A learner asked fit for 20 epochs with 12 left and read only "12 budgeted epochs": the
    message now says that the budget ended the fit, and why. A fit that ends on its own says
    nothing of the kind, even when it uses the last budgeted epoch."""
    d = _small_data()

    def train(epochs):
        def train_fn(data, budget):
            model = mlp([784, 16, 10], seed=0)
            opt = SGD(model.params, lr=0.05)
            fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=epochs,
                callbacks=[budget])  # fmt: skip
            return model

        return train_fn

    _, said = capstone.train_within_budget(train(5), d, capstone.Budget(seconds=60, epochs=3))
    assert said.endswith("3 budgeted epochs; the budget ended a fit early, after its epoch 3: "
                         "its 3 epochs were used up"), said  # fmt: skip
    _, said = capstone.train_within_budget(train(3), d, capstone.Budget(seconds=60, epochs=3))
    assert said.endswith("3 budgeted epochs"), said


def test_budget_validates_its_arguments():
    with pytest.raises(ValueError, match="seconds"):
        capstone.Budget(seconds=0)
    with pytest.raises(ValueError, match="epochs"):
        capstone.Budget(epochs=0)
    assert capstone.Budget().seconds == 45 and capstone.Budget().epochs == 30


def _forever_with_callback(data, budget):
    model = mlp([784, 16, 10], seed=0)
    opt = SGD(model.params, lr=0.05)
    while True:  # ignores the budget's stop and calls fit again
        fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=1, callbacks=[budget])


def _forever_without_callback(data, budget):
    model = mlp([784, 16, 10], seed=0)
    while True:
        fit(model, data["X_train"], data["y_train"], optimizer=SGD(model.params, lr=0.05))


def test_a_function_that_trains_forever_is_stopped_and_scored_from_its_checkpoint():
    budget = capstone.Budget(seconds=1.0)
    start = time.monotonic()
    model, message = capstone.train_within_budget(
        _forever_with_callback, _small_data(), budget, grace=0.5
    )
    assert time.monotonic() - start < 4
    assert isinstance(model, Sequential) and budget.epochs_used >= 1
    assert "stopped at the wall-clock limit" in message and "last checkpoint" in message
    np.testing.assert_array_equal(model.params[0], budget.checkpoint["0.W"])


def test_a_function_that_never_hands_over_a_model_scores_zero():
    model, message = capstone.train_within_budget(
        _forever_without_callback, _small_data(), capstone.Budget(seconds=0.5), grace=0.2
    )
    assert model is None
    assert "stopped at the wall-clock limit" in message and "zero points" in message


def test_train_within_budget_returns_the_model_or_says_what_went_wrong():
    def good(data, budget):
        return mlp([784, 4, 10], seed=0)

    def broken(data, budget):
        raise KeyError("X_test")

    def wrong_type(data, budget):
        return {"W": 1}

    model, message = capstone.train_within_budget(good, _small_data())
    assert isinstance(model, Sequential) and message.startswith("returned a model")
    model, message = capstone.train_within_budget(broken, _small_data())
    assert model is None and "raised KeyError" in message and "zero points" in message
    model, message = capstone.train_within_budget(wrong_type, _small_data())
    assert model is None and "returned dict, not a Sequential" in message
    with pytest.raises(TypeError, match="budget must be a Budget"):
        capstone.train_within_budget(good, _small_data(), budget=45)


# --------------------------------------------------------------------------------------------
# the hidden test set


@needs_full
def test_hidden_test_set_is_disjoint_from_everything_shipped(hidden_path):
    X_hidden, y_hidden = capstone.load_hidden_test(hidden_path)
    assert X_hidden.shape == (8000, 784) and np.bincount(y_hidden).min() >= 750
    with np.load(hidden_path) as raw:
        hidden = capstone.image_hashes(raw["X"])
    shipped = np.load(ROOT / "dlnotes" / "data" / "fashion_mnist_subset.npz")
    assert len(hidden) == 8000  # no two hidden images alike, either
    assert not hidden & capstone.image_hashes(shipped["X_train"])
    assert not hidden & capstone.image_hashes(shipped["X_test"])


# --------------------------------------------------------------------------------------------
# grading end to end: fixture submissions in a separate process, scored in this one


def _grade(name, hidden_path, **budget):
    plain, run_message = capstone.run_submission(FIXTURES / f"{name}.py", **budget)
    points, message = capstone.evaluate_submission(plain, hidden_path)
    return points, run_message, message


@needs_full
@pytest.mark.slow
def test_strong_submission_earns_full_points(hidden_path):
    points, run_message, message = _grade("strong", hidden_path)
    assert run_message.startswith("train_best_model returned a model within the budget")
    assert "REVIEW" not in run_message, run_message
    assert points == capstone.POINTS, message


@needs_full
def test_weak_submission_earns_nothing(hidden_path):
    points, run_message, message = _grade("weak", hidden_path)
    assert run_message.startswith("train_best_model returned a model within the budget")
    assert "(1 budgeted epochs)" in run_message and "REVIEW" not in run_message
    assert points == 0.0 and "hidden-test accuracy" in message


@needs_full
def test_over_budget_submission_is_stopped_and_scored_from_its_checkpoint(hidden_path):
    start = time.monotonic()
    points, run_message, message = _grade(
        "over_budget", hidden_path, seconds=3, grace=1, startup=10
    )
    assert time.monotonic() - start < 20
    assert run_message.startswith("stopped at the wall-clock limit")
    assert "; scored from the last checkpoint (" in run_message, run_message
    assert "REVIEW" not in run_message or "more than its 30" in run_message, run_message
    assert "hidden-test accuracy" in message and points > 0


@needs_full
def test_over_budget_submission_without_checkpoint_scores_zero(hidden_path):
    points, run_message, message = _grade(
        "over_budget_no_callback", hidden_path, seconds=2, grace=1, startup=10
    )
    assert run_message.startswith("stopped at the wall-clock limit")
    assert "zero points" in run_message
    assert points == 0.0 and message == "no model to score: 0 points"


@needs_full
def test_peeking_submission_finds_no_hidden_data(hidden_path):
    points, run_message, message = _grade("peeking", hidden_path)
    assert run_message.startswith("train_best_model returned a model within the budget")
    assert points == 0.0, message  # an untrained network: it found nothing to train on


@needs_full
def test_the_peeking_fixture_would_cheat_if_the_path_leaked(hidden_path, monkeypatch):
    """The control for the test above: leak the path through the environment and the same
    fixture finds the file, trains on the hidden images and scores."""
    from dlnotes.capstone import budget as budget_mod

    clean = budget_mod._child_env
    monkeypatch.setattr(budget_mod, "_child_env", lambda: {**clean(), "LEAK": str(hidden_path)})
    points, run_message, message = _grade("peeking", hidden_path)
    assert run_message.startswith("train_best_model returned a model within the budget")
    assert points > 0, message


@needs_full
def test_a_malformed_model_scores_zero_with_a_reason(hidden_path):
    plain = _plain()
    plain["1.type"] = "Lambda"
    points, message = capstone.evaluate_submission(plain, hidden_path)
    assert points == 0.0 and "unknown type 'Lambda'" in message


# --------------------------------------------------------------------------------------------
# the scale: baseline and reference, on two BLAS kernel sets


@needs_full
@pytest.mark.slow
@pytest.mark.parametrize("coretype", [None, "Sandybridge"])
def test_reference_clears_the_target_with_margin(hidden_path, coretype):
    env = dict(os.environ, **ONE_THREAD)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    script = str(ROOT / "tools" / "measure_capstone_scale.py")
    out = subprocess.run(
        [sys.executable, script, str(hidden_path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    report = json.loads(out.stdout.splitlines()[-1])
    assert abs(report["baseline_hidden"] - capstone.BASELINE) < 0.005
    assert report["reference_hidden"] >= capstone.TARGET + 0.007
    assert report["reference_seconds"] < capstone.SECONDS / 2
    assert report["reference_epochs"] <= capstone.EPOCHS


# --------------------------------------------------------------------------------------------
# the numbers of the notebook's example write-up (the reference recipe and two variants)


def _recipe_run(data, *, lr=2e-3, weight_decay=0.05, dropout=0.2):
    from dlnotes.optim import AdamW
    from dlnotes.schedules import cosine

    model = mlp([784, 256, 128, 10], init="kaiming_normal", dropout=dropout, seed=0)
    steps = 20 * math.ceil(len(data["X_train"]) / 128)
    history = fit(
        model,
        data["X_train"],
        data["y_train"],
        optimizer=AdamW(model.params, lr=lr, weight_decay=weight_decay),
        epochs=20,
        batch_size=128,
        dev=(data["X_dev"], data["y_dev"]),
        schedule=cosine(lr, steps),
        seed=0,
        diagnostics=True,
    )
    return model, history


@pytest.mark.slow
def test_the_example_writeup_numbers():
    from dlnotes.train import evaluate

    data = capstone.capstone_data()

    def acc(model, X, y):
        return evaluate(model, X, y)[1]

    budget = capstone.Budget()
    ref = capstone.reference_train_best_model(data, budget)
    assert budget.epochs_used == 20 and budget.elapsed < capstone.SECONDS
    assert abs(acc(ref, data["X_train"], data["y_train"]) - 0.918) < 0.01
    assert abs(acc(ref, data["X_dev"], data["y_dev"]) - 0.863) < 0.01
    assert abs(acc(ref, *capstone.self_study_test()) - 0.845) < 0.01
    # the baseline: about 81 % on its own training images, 77-78 % on dev
    base = capstone.baseline_model(data)
    assert abs(acc(base, data["X_train"], data["y_train"]) - 0.806) < 0.01
    assert abs(acc(base, data["X_dev"], data["y_dev"]) - 0.775) < 0.01
    assert round(acc(base, data["X_dev"], data["y_dev"]), 3) == capstone.BASELINE_DEV  # as said
    # without dropout and weight decay: 93.5 % train, 85.6 % dev, dev loss no longer improving
    # after epoch 12 while the training loss keeps falling
    plain, h_plain = _recipe_run(data, weight_decay=0.0, dropout=0.0)
    assert abs(acc(plain, data["X_train"], data["y_train"]) - 0.935) < 0.01
    assert abs(h_plain.dev_acc[-1] - 0.856) < 0.01
    best = int(np.argmin(h_plain.dev_loss)) + 1
    assert 10 <= best <= 14 and h_plain.dev_loss[-1] > min(h_plain.dev_loss)
    assert np.all(np.diff(h_plain.train_loss[best - 1 :]) < 0), h_plain.train_loss
    # the reference recipe (recorded with diagnostics): its first update ratio is healthy
    h_ref_model, h_ref = _recipe_run(data)
    ratio_ref = h_ref.diagnostics[0][0]["update_ratio"]
    assert abs(ratio_ref - 7.9e-3) < 1e-3 and 1e-3 < ratio_ref < 1e-1
    assert abs(h_ref.dev_acc[-1] - 0.863) < 0.01  # the same recipe as the reference
    # the write-up's paired comparison on dev: 37 disagreements, 22 against 15 here; the gain
    # is under two standard errors of the paired difference (sqrt of the disagreements)
    right_plain = np.argmax(plain.predict(data["X_dev"]), axis=1) == data["y_dev"]
    right_ref = np.argmax(h_ref_model.predict(data["X_dev"]), axis=1) == data["y_dev"]
    only_ref, only_plain = (
        int(np.sum(right_ref & ~right_plain)),
        int(np.sum(right_plain & ~right_ref)),
    )
    assert abs(only_ref - 22) <= 4 and abs(only_plain - 15) <= 4, (only_ref, only_plain)
    assert 0 < only_ref - only_plain < 2 * np.sqrt(only_ref + only_plain)
    # the change that did not help, by a margin no BLAS kernel closes (measured with
    # OPENBLAS_CORETYPE=SkylakeX, Haswell, Sandybridge, Nehalem: dev 84.0-84.6 % against
    # 85.8-86.5 %, training 87.5-87.9 %)
    heavy, h_heavy = _recipe_run(data, dropout=0.5)
    assert abs(acc(heavy, data["X_train"], data["y_train"]) - 0.878) < 0.01
    assert abs(h_heavy.dev_acc[-1] - 0.840) < 0.01
    assert h_heavy.dev_acc[-1] < h_ref.dev_acc[-1] - 0.01


# --------------------------------------------------------------------------------------------
# from a learner's notebook to a submission file, and the grading engine's hook


def test_submission_from_notebook_keeps_imports_and_the_solution_only(tmp_path):
    from dlnotes.capstone.harness import submission_from_notebook

    path = submission_from_notebook(ROOT / "notebooks" / "16_capstone.ipynb", tmp_path / "s.py")
    source = path.read_text()
    assert "def train_best_model(data, budget):" in source and "AdamW(" in source
    assert "pip" not in source and "load_runs()" not in source and "check(" not in source
    compile(source, str(path), "exec")
    learner = submission_from_notebook(ROOT / "learner" / "16_capstone.ipynb", tmp_path / "l.py")
    assert "raise NotImplementedError()" in learner.read_text()
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "x = 1"}]}))
    with pytest.raises(ValueError, match="train_best_model"):
        submission_from_notebook(bad, tmp_path / "b.py")


def test_run_submission_uses_the_engines_wrapper(tmp_path):
    from dlnotes.capstone.harness import submission_from_notebook

    learner = submission_from_notebook(ROOT / "learner" / "16_capstone.ipynb", tmp_path / "l.py")
    seen = []

    def wrap(cmd, work):
        seen.append((cmd, work))
        return ["env", "DLNOTES_WRAPPED=1", *cmd]

    plain, message = capstone.run_submission(learner, wrap=wrap)
    assert plain is None and "NotImplementedError" in message and "zero points" in message
    ((cmd, work),) = seen
    assert cmd[1:3] == ["-m", "dlnotes.capstone.harness"] and cmd[3] == str(learner)
    assert Path(cmd[4]).parent == work


def _swallows_the_first_stop(data, budget):
    try:  # as if the first alarm landed in a __del__, where Python only prints an exception
        while True:
            time.sleep(0.01)
    except BaseException:
        pass
    while True:
        time.sleep(0.01)


def test_a_stop_that_is_lost_once_comes_again():
    start = time.monotonic()
    model, message = capstone.train_within_budget(
        _swallows_the_first_stop, _small_data(), capstone.Budget(seconds=0.3), grace=0.2
    )
    assert time.monotonic() - start < 3
    assert model is None and "stopped at the wall-clock limit" in message


# --------------------------------------------------------------------------------------------
# the notebook's stub and example write-up


def _capstone_cell(grade_id):
    nb = json.loads((ROOT / "notebooks" / "16_capstone.ipynb").read_text(encoding="utf-8"))
    (cell,) = [
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    ]
    return "".join(cell["source"])


def test_the_learner_stub_says_what_to_write():
    # what stays in the learner edition: the lines before BEGIN SOLUTION
    stub = _capstone_cell("ch16_train_best_model_solution").split("### BEGIN SOLUTION")[0]
    assert '"""' in stub and "callbacks=[budget]" in stub and "return" in stub
    test = _capstone_cell("ch16_train_best_model_test")
    assert "Write train_best_model above" in test


def test_the_example_writeup_states_no_seconds_it_cannot_know():
    writeup = _capstone_cell("ch16_writeup")
    assert "20 of the 30 epochs" in writeup  # deterministic: see test_the_example_writeup_numbers
    assert "10 to 20" not in writeup and "of the 45 seconds" not in writeup
    assert "returned a model after" in writeup  # points at the measured time instead


def test_the_unwritten_stub_is_named_without_an_empty_message():
    def train_best_model(data, budget):
        raise NotImplementedError()

    model, message = capstone.train_within_budget(
        train_best_model, _small_data(), capstone.Budget(seconds=5)
    )
    assert model is None or not hasattr(model, "unused")
    assert "train_best_model is not written yet (it raised NotImplementedError)" in message
    assert "NotImplementedError:" not in message


def test_a_model_trained_outside_the_budget_is_flagged_for_review():
    """The 30-epoch limit is counted by the callback only: a function that calls fit without
    it returns a model with 0 budgeted epochs, and the message asks for a review."""

    def without_callback(data, budget):
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        opt = SGD(model.params, lr=0.05)
        fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=2, progress=False)
        return model

    model, message = capstone.train_within_budget(without_callback, _small_data())
    assert isinstance(model, Sequential)
    assert "0 budgeted epochs" in message and "REVIEW" in message and "30-epoch" in message

    def with_callback(data, budget):
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        opt = SGD(model.params, lr=0.05)
        fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=2, callbacks=[budget])
        return model

    assert "REVIEW" not in capstone.train_within_budget(with_callback, _small_data())[1]


def test_a_model_trained_on_after_the_budget_is_flagged_for_review():
    """Epochs after the budget's last one (in the grace seconds, or past the epoch limit) leave
    weights the budget never saw at an epoch's end: flagged, even when saved by hand. What it saw
    (the last epoch, or an earlier epoch restored by EarlyStopping) is not, nor a forward pass
    in train mode after it (it moves batch norm's running statistics, not the weights)."""
    from dlnotes.train import EarlyStopping

    def run(extra: str):
        def train_best_model(data, budget):
            X, y = data["X_train"], data["y_train"]
            model = Sequential(BatchNorm(X.shape[1]), Linear(X.shape[1], 10, seed=0))
            opt = SGD(model.params, lr=0.05)
            stop = EarlyStopping(patience=1, restore_best=True)
            cbs = [budget, stop] if extra == "restored" else [budget]
            fit(model, X, y, optimizer=opt, epochs=3, callbacks=cbs, progress=False)
            if extra == "trained on":
                fit(model, X, y, optimizer=opt, epochs=1, progress=False)
            if extra == "trained on, saved":
                fit(model, X, y, optimizer=opt, epochs=1, progress=False)
                budget.save(model)
            if extra == "forward in train mode":  # moves the running statistics only
                model.train()
                model.forward(X[:64])
            return model

        return capstone.train_within_budget(train_best_model, _small_data(), capstone.Budget(20))

    model, message = run("trained on")
    assert isinstance(model, Sequential) and "(3 budgeted epochs)" not in message
    assert "3 budgeted epochs" in message and "REVIEW" in message, message
    assert "differ from the model at the end of every epoch" in message
    assert "differ from the model at the end of every epoch" in run("trained on, saved")[1]
    for fine in ("", "restored", "forward in train mode"):
        assert "REVIEW" not in run(fine)[1], fine


def test_the_grader_flags_a_model_trained_without_the_budget(tmp_path):
    """run_submission (the grader's path) reports the budgeted epochs, and REVIEW at 0."""
    learner = tmp_path / "no_callback.py"
    learner.write_text(
        "from dlnotes.layers import Linear\n"
        "from dlnotes.model import Sequential\n"
        "from dlnotes.optim import SGD\n"
        "from dlnotes.train import fit\n\n\n"
        "def train_best_model(data, budget):\n"
        "    model = Sequential(Linear(784, 10, seed=0))\n"
        "    opt = SGD(model.params, lr=1e-3)\n"
        "    fit(model, data['X_train'][:500], data['y_train'][:500], optimizer=opt, epochs=2,\n"
        "        progress=False)\n"
        "    return model\n",
        encoding="utf-8",
    )
    plain, message = capstone.run_submission(learner)
    assert plain is not None
    assert "(0 budgeted epochs)" in message and "REVIEW" in message, message
    # and in the grader too, a model trained on after the budget's last epoch
    learner.write_text(
        learner.read_text(encoding="utf-8").replace(
            "epochs=2,\n", "epochs=2, callbacks=[budget],\n"
        )
        + "\n\ndef train_on(data, budget):\n"
        "    model = train_best_model(data, budget)\n"
        "    fit(model, data['X_train'][:500], data['y_train'][:500],\n"
        "        optimizer=SGD(model.params, lr=1e-3), epochs=1, progress=False)\n"
        "    return model\n",
        encoding="utf-8",
    )
    assert "REVIEW" not in capstone.run_submission(learner)[1]
    learner.write_text(
        learner.read_text(encoding="utf-8")
        .replace("def train_best_model", "def _budgeted")
        .replace("model = train_best_model(", "model = _budgeted(")
        .replace("def train_on(", "def train_best_model("),
        encoding="utf-8",
    )
    plain, message = capstone.run_submission(learner)
    assert plain is not None
    assert "(2 budgeted epochs)" in message and "at the end of every epoch" in message


def test_more_epochs_than_the_budget_allows_are_flagged_for_review():
    """A loop of one-epoch fits that never asks budget.exhausted: with the budget itself as the
    callback, the fits after its 3 epochs train nothing and the message says so; with the
    budget's hook passed as a plain function (a fit that never hears its stop at the start),
    it counts more epochs than allowed: REVIEW."""

    def loop(callback):
        def train_best_model(data, budget):
            model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
            opt = SGD(model.params, lr=0.05)
            for _ in range(5):
                fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=1,
                    callbacks=[callback(budget)], progress=False)  # fmt: skip
            return model

        budget = capstone.Budget(20, 3)
        return budget, capstone.train_within_budget(train_best_model, _small_data(), budget)[1]

    budget, message = loop(lambda budget: budget)
    assert budget.epochs_used == 3 and "3 budgeted epochs" in message, message
    assert "REVIEW" not in message and "trains nothing" in message, message
    budget, message = loop(lambda budget: budget.on_epoch_end)
    assert "5 budgeted epochs" in message and "more than its 3" in message and "REVIEW" in message


def _train_outside_the_budget(model, data, seconds):
    """Epochs the budget does not see, for about ``seconds``."""
    opt = SGD(model.params, lr=0.05)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=1, progress=False)


def test_time_outside_budgeted_fits_is_flagged_for_review(monkeypatch, tmp_path):
    """More than UNWATCHED_SECONDS of the budget outside its counted epochs leaves time the
    budget did not see (a training loop of its own): REVIEW, wherever that time falls (before
    the first fit, between a dummy fit at the start and one epoch at the end, or in another
    callback of a budgeted fit), and also after a fit
    that an exception ended early, in the notebook's path, for a checkpoint scored in place of
    the model, and in the grader's (the third line of epochs.txt)."""
    from dlnotes.capstone import budget as budget_module

    monkeypatch.setattr(budget_module, "UNWATCHED_SECONDS", 0.5)
    flag = "s of the budget passed outside the epochs it counted (more than 0.5 s"

    def budgeted_epoch(model, data, budget, callbacks=()):
        opt = SGD(model.params, lr=0.05)
        X, y = data["X_train"], data["y_train"]
        fit(model, X, y, optimizer=opt, epochs=1, callbacks=[budget, *callbacks], progress=False)

    def late(data, budget):
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        _train_outside_the_budget(model, data, 0.8)
        budgeted_epoch(model, data, budget)
        return model

    def dummy_fit_first(data, budget):
        tiny = mlp([data["X_train"].shape[1], 10], seed=1)
        budgeted_epoch(tiny, {k: v[:10] for k, v in data.items()}, budget)
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        _train_outside_the_budget(model, data, 0.8)
        budgeted_epoch(model, data, budget)
        return model

    class Raises(Callback):
        def on_train_begin(self, history, model):
            raise RuntimeError("left early")

    def left_fit_first(data, budget):  # a fit with the budget that never ends
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        with pytest.raises(RuntimeError):
            budgeted_epoch(model, data, budget, [Raises()])
        _train_outside_the_budget(model, data, 0.8)
        budgeted_epoch(model, data, budget)
        return model

    def killed_after(data, budget):  # scored from its checkpoint
        late(data, budget)
        raise capstone.BudgetExceeded("stopped")

    class Trains(Callback):  # training hidden in another callback of a one-example fit
        def on_epoch_end(self, epoch, history, model):
            _train_outside_the_budget(model, _small_data(), 0.8)

    def inside_a_callback(data, budget):
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        fit(model, data["X_train"][:1], data["y_train"][:1], optimizer=SGD(model.params, lr=0.0),
            epochs=1, callbacks=[Trains(), budget], progress=False)  # fmt: skip
        return model

    for fn in (late, dummy_fit_first, left_fit_first, inside_a_callback, killed_after):
        budget = capstone.Budget(20)
        message = capstone.train_within_budget(fn, _small_data(), budget)[1]
        assert "; REVIEW: " in message and flag in message, (fn.__name__, message)
        assert budget.unwatched_seconds >= 0.7, fn.__name__
    assert "scored from the last checkpoint (after budgeted epoch 1); REVIEW" in message, message

    def prompt(data, budget):
        model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
        budgeted_epoch(model, data, budget)
        time.sleep(0.1)
        budgeted_epoch(model, data, budget)
        return model

    budget = capstone.Budget(20)
    assert "REVIEW" not in capstone.train_within_budget(prompt, _small_data(), budget)[1]
    assert budget.unwatched_seconds < 0.5
    epochs = tmp_path / "epochs.txt"
    epochs.write_text("2\n1\n0.812\n5000\n", encoding="utf-8")
    assert "0.8 " + flag in budget_module._returned_message(epochs, 30, 6000)
    for forged in ("nan", "inf"):
        epochs.write_text(f"2\n1\n{forged}\n5000\n", encoding="utf-8")
        assert flag in budget_module._returned_message(epochs, 30, 6000)
    epochs.write_text("2\n1\n0.300\n5000\n", encoding="utf-8")
    assert "REVIEW" not in budget_module._returned_message(epochs, 30, 6000)
    monkeypatch.setattr(budget_module, "UNWATCHED_SECONDS", 3.0)
    for fn in (late, dummy_fit_first, left_fit_first):
        said = capstone.train_within_budget(fn, _small_data())[1]
        assert "outside the epochs it counted" not in said, said
    rules = json.loads((ROOT / "notebooks" / "16_capstone.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in rules["cells"]).replace("\n", " ")
    assert "more than 3 s" in text and budget_module.UNWATCHED_SECONDS == 3.0


def _save_by_hand_outside_the_budget(data, budget):
    """Trains without the budget and hands it each epoch's model by hand."""
    model = mlp([data["X_train"].shape[1], 8, 10], seed=0)
    opt = SGD(model.params, lr=0.05)
    for _ in range(2):
        fit(model, data["X_train"], data["y_train"], optimizer=opt, epochs=1, progress=False)
        budget.save(model)
    return model


def test_a_checkpoint_scored_in_place_of_the_model_carries_the_review_flags():
    """A function that trains without the budget and saves each model by hand, then never
    returns (stopped at the wall clock), returns no model or raises, is scored from its last
    checkpoint, and flagged as the returned model would be: no epoch counted; or, after
    budgeted epochs, a checkpoint the budget never saw at an epoch's end. A checkpoint of a
    counted epoch, or saved by hand at one, is not flagged."""

    def forever(data, budget):
        _save_by_hand_outside_the_budget(data, budget)
        while True:
            time.sleep(0.01)

    def returns_none(data, budget):
        _save_by_hand_outside_the_budget(data, budget)

    def raises(data, budget):
        _save_by_hand_outside_the_budget(data, budget)
        raise ValueError("after saving")

    for fn in (forever, returns_none, raises):
        budget = capstone.Budget(seconds=3.0)
        model, message = capstone.train_within_budget(fn, _small_data(), budget, grace=0.5)
        assert isinstance(model, Sequential), (fn.__name__, message)
        assert "scored from the last checkpoint (after budgeted epoch 0)" in message, message
        assert "REVIEW: no epoch went through the budget" in message, message
        assert not budget.checkpoint_seen

    def run(extra: str):
        def train_best_model(data, budget):
            X, y = data["X_train"], data["y_train"]
            model = mlp([X.shape[1], 8, 10], seed=0)
            opt = SGD(model.params, lr=0.05)
            fit(model, X, y, optimizer=opt, epochs=2, callbacks=[budget], progress=False)
            if extra == "saved":
                budget.save(model)
            if extra == "trained on, saved":
                fit(model, X, y, optimizer=opt, epochs=1, progress=False)
                budget.save(model)
            raise ValueError("after training")

        return capstone.train_within_budget(train_best_model, _small_data(), capstone.Budget(20))

    model, message = run("trained on, saved")
    assert "scored from the last checkpoint (after budgeted epoch 2); REVIEW" in message, message
    assert "the checkpoint's weights differ from the model at the end of every epoch" in message
    for fine in ("", "saved"):
        model, message = run(fine)
        assert "scored from the last checkpoint (after budgeted epoch 2)" in message, message
        assert "REVIEW" not in message, message


def test_the_grader_flags_a_checkpoint_from_its_record(tmp_path):
    """run_submission scores a checkpoint with the record the budget wrote next to it
    (checkpoint.txt): a model trained without the budget and saved by hand is flagged, a
    checkpoint of a counted epoch is not (the fingerprint survives np.savez), and a checkpoint
    without its record is flagged."""
    head = (
        "import os\n\n"
        "from dlnotes.layers import Linear, ReLU\n"
        "from dlnotes.model import Sequential\n"
        "from dlnotes.optim import SGD\n"
        "from dlnotes.train import fit\n\n\n"
        "def train_best_model(data, budget):\n"
        "    X, y = data['X_train'][:500], data['y_train'][:500]\n"
        "    model = Sequential(Linear(784, 16, seed=0), ReLU(), Linear(16, 10, seed=1))\n"
        "    opt = SGD(model.params, lr=1e-3)\n"
    )
    budgeted = "    fit(model, X, y, optimizer=opt, epochs=2, callbacks=[budget], progress=False)\n"
    cases = {
        "by_hand": "    fit(model, X, y, optimizer=opt, epochs=2, progress=False)\n"
        "    budget.save(model)\n",
        "budgeted": budgeted,
        "no_record": budgeted + "    os.remove(budget.checkpoint_path.with_suffix('.txt'))\n",
    }
    messages = {}
    for name, body in cases.items():
        learner = tmp_path / f"{name}.py"
        learner.write_text(head + body + "    raise ValueError('after training')\n", "utf-8")
        plain, messages[name] = capstone.run_submission(learner)
        assert plain is not None and "ValueError: after training" in messages[name]
    assert (
        "scored from the last checkpoint (0 budgeted epochs); REVIEW: no epoch"
        in (messages["by_hand"])
    ), messages["by_hand"]
    assert "scored from the last checkpoint (2 budgeted epochs)" in messages["budgeted"]
    assert "REVIEW" not in messages["budgeted"], messages["budgeted"]
    assert "REVIEW: the checkpoint's record (checkpoint.txt" in messages["no_record"]


def test_the_fingerprint_covers_layer_types_and_settings(tmp_path):
    """A layer replaced (ReLU by Tanh) or a setting changed (a leaky slope, eps, momentum, a
    dropout's p) after the budget's last epoch changes what the model computes: the budget did
    not see that model. Batch norm's running statistics are left out (a forward pass in train
    mode moves them). The fingerprint is the same after np.savez and np.load."""
    from dlnotes.capstone.budget import _fingerprint

    d = _small_data()
    X, y = d["X_train"], d["y_train"]

    def trained(budget=None):
        model = Sequential(
            Linear(784, 16, seed=0),
            BatchNorm(16),
            LeakyReLU(0.1),
            Dropout(0.2, seed=0),
            Linear(16, 10, seed=1),
        )
        budget = capstone.Budget(20) if budget is None else budget
        fit(model, X, y, optimizer=SGD(model.params, lr=0.05), epochs=1, callbacks=[budget])
        assert budget.saw(model)
        return model, budget

    def replace_activation(model):
        model.layers[2] = Tanh()

    def set_attr(i, name, value):
        return lambda model: setattr(model.layers[i], name, value)

    for change in (
        replace_activation,
        set_attr(2, "negative_slope", 0.3),
        set_attr(1, "eps", 1e3),
        set_attr(1, "momentum", 0.5),
        set_attr(3, "p", 0.5),
    ):
        model, budget = trained()
        change(model)
        assert not budget.saw(model), change
    model, budget = trained()
    model.layers[1].buffers["running_mean"][...] = 1.0
    assert budget.saw(model)
    plain = capstone.model_to_plain(model)
    np.savez(tmp_path / "m.npz", **plain)
    with np.load(tmp_path / "m.npz") as stored:
        assert _fingerprint({k: stored[k] for k in stored.files}) == _fingerprint(plain)

    def replaced_after(data, budget):
        model, _ = trained(budget)
        replace_activation(model)
        return model

    message = capstone.train_within_budget(replaced_after, d, capstone.Budget(20))[1]
    assert "(1 budgeted epochs)" not in message and "1 budgeted epochs; REVIEW" in message
    assert "REVIEW: the returned weights differ" in message, message


def test_an_enlarged_training_set_is_flagged_for_review(tmp_path):
    """A counted epoch over copies or stored augmentations of the images is several passes
    counted as one: more examples than the training and dev sets hold (EXAMPLES) is flagged, in
    the notebook's path, for a checkpoint scored in its place and in the grader's (the fourth
    line of epochs.txt, the third of checkpoint.txt). Training on train and dev together, or
    augmenting each batch as fit draws it, is not flagged; Budget(examples=None) checks
    nothing."""
    from dlnotes.capstone import budget as budget_module
    from dlnotes.data import Augmenter

    assert capstone.EXAMPLES == 6000
    data = capstone.capstone_data()

    def trainer(enlarge, *, then_raise=False, augment=None):
        def train_best_model(data, budget):
            X = np.concatenate([data["X_train"], data["X_dev"]])
            y = np.concatenate([data["y_train"], data["y_dev"]])
            if enlarge:  # the images again, shifted by a pixel: stored augmentations
                X, y = np.concatenate([X, np.roll(X[:enlarge], 1, axis=1)]), np.r_[y, y[:enlarge]]
            model = mlp([784, 8, 10], seed=0)
            opt = SGD(model.params, lr=0.05)
            fit(model, X, y, optimizer=opt, epochs=2, batch_size=500, callbacks=[budget],
                augment=augment, progress=False)  # fmt: skip
            if then_raise:
                raise ValueError("after training")
            return model

        return train_best_model

    flag = "; REVIEW: a counted epoch went through 6500 examples, more than the 6000 allowed (the "
    message = capstone.train_within_budget(trainer(500), data, capstone.Budget(20))[1]
    assert flag in message, message
    message = capstone.train_within_budget(trainer(500, then_raise=True), data)[1]
    assert "scored from the last checkpoint (after budgeted epoch 2)" + flag in message, message
    flips = Augmenter((28, 28), flip=True)
    for fine in (trainer(0), trainer(0, augment=flips)):
        budget = capstone.Budget(20)
        assert "REVIEW" not in capstone.train_within_budget(fine, data, budget)[1]
        assert budget.most_examples == 6000
    budget = capstone.Budget(20, examples=None)
    assert "REVIEW" not in capstone.train_within_budget(trainer(500), data, budget)[1]
    assert budget.most_examples == 6500
    for bad, error in ((0, ValueError), (2.5, TypeError)):
        with pytest.raises(error, match="examples"):
            capstone.Budget(examples=bad)

    def hides_its_examples(data, budget):  # a callback before the budget empties the record
        model = mlp([784, 8, 10], seed=0)
        X = np.concatenate([data["X_train"]] * 3)
        y = np.concatenate([data["y_train"]] * 3)
        forget = lambda epoch, history, model: history.examples.clear()  # noqa: E731
        fit(model, X, y, optimizer=SGD(model.params, lr=0.05), epochs=1, batch_size=500,
            callbacks=[forget, budget], progress=False)  # fmt: skip
        return model

    budget = capstone.Budget(20)
    message = capstone.train_within_budget(hides_its_examples, data, budget)[1]
    assert budget.most_examples == -1
    assert "REVIEW: a counted epoch's training examples were not recorded" in message, message

    epochs = tmp_path / "epochs.txt"
    epochs.write_text("2\n1\n0.300\n6001\n", encoding="utf-8")
    assert "went through 6001 examples" in budget_module._returned_message(epochs, 30, 6000)
    assert "REVIEW" not in budget_module._returned_message(epochs, 30, None)
    epochs.write_text("2\n1\n0.300\n", encoding="utf-8")  # a line short: a record tampered with
    assert "REVIEW: the run's record (epochs.txt" in budget_module._returned_message(epochs, 30, 1)

    head = (
        "import numpy as np\n\n"
        "from dlnotes.model import mlp\n"
        "from dlnotes.optim import SGD\n"
        "from dlnotes.train import fit\n\n\n"
        "def train_best_model(data, budget):\n"
        "    X = np.concatenate([data['X_train'], data['X_train'][:700]])\n"
        "    y = np.concatenate([data['y_train'], data['y_train'][:700]])\n"
        "    model = mlp([784, 8, 10], seed=0)\n"
        "    opt = SGD(model.params, lr=0.05)\n"
        "    fit(model, X, y, optimizer=opt, epochs=1, callbacks=[budget], progress=False)\n"
    )
    for name, tail in (("returns", "    return model\n"), ("raises", "    raise ValueError\n")):
        learner = tmp_path / f"{name}.py"
        learner.write_text(head + tail, encoding="utf-8")
        plain, message = capstone.run_submission(learner, examples=5500)
        assert plain is not None
        assert "REVIEW: a counted epoch went through 5700 examples, more than the 5500" in message
        assert "REVIEW" not in capstone.run_submission(learner)[1], name


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="pinning needs Linux")
def test_the_run_is_pinned_to_the_learners_cores(tmp_path):
    """The grader's run uses ``cores`` of its CPUs, and so does every process it starts: a pool
    sized to a larger grading machine shares the learners' cores; a run beside it gets others."""
    from dlnotes.capstone.budget import _cpus

    every = sorted(os.sched_getaffinity(0))
    if len(every) < 2:
        pytest.skip("needs two CPUs to pin to one")
    learner = tmp_path / "learner.py"
    learner.write_text(
        "import os\nimport subprocess\nimport sys\n\n\n"
        "def train_best_model(data, budget):\n"
        "    child = subprocess.run([sys.executable, '-c', 'import os; "
        "print(sorted(os.sched_getaffinity(0)))'], capture_output=True, text=True).stdout\n"
        "    raise ValueError(f'cpus {sorted(os.sched_getaffinity(0))} child {child.strip()}')\n",
        encoding="utf-8",
    )
    first = f"[{every[0]}]"
    plain, message = capstone.run_submission(learner, cores=1)
    assert plain is None and f"ValueError: cpus {first} child {first}" in message, message
    with _cpus(1) as beside:  # another grader holds the first slot
        assert beside == [every[0]]
        second = f"[{every[1]}]"
        assert f"cpus {second} child {second}" in capstone.run_submission(learner, cores=1)[1]
    whole = str(every)
    assert f"cpus {whole} child {whole}" in capstone.run_submission(learner, cores=len(every))[1]
    with pytest.raises(ValueError, match="cores"):
        capstone.run_submission(learner, cores=0)
