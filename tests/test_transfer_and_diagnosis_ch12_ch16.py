"""Chapters 12 (transfer learning) and 16 (capstone): fit over a subset of the parameters, the
freeze exercise, the run diagnosis's feedback, the run tables and the rules.

* ch12: ``fit`` gives an optimizer built on a subset of the parameters only their gradients (a
  probe needs no adapter; ``zoo.ParamGroups`` is for one learning rate per group); the
  learning objectives say what the chapter practises; ``ch12_freeze`` states its range and
  checks the end of it (every Linear layer frozen: ``[]``), naming the answer that looks past
  the last Linear layer, with hints that name no variable of the reference; the explorer shows
  its verdict once and names the evaluation set as the text does.
* ch16: the look-alike runs are discussed after the check, folded; the diagnosis feedback
  quotes only facts that tell the run from the one it was taken for, each asserted on the
  shipped runs; the run table fits 80 columns and lists every run's layers and training
  images; the rules separate what is allowed from what is flagged, forbid training on the
  self-study test images, and say which limit binds; the write-up plot has whole epochs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dlnotes import zoo
from dlnotes.exercises import CheckFailed, ch12, ch16, check, get
from dlnotes.layers import Linear
from dlnotes.optim import SGD
from dlnotes.train import fit

ROOT = Path(__file__).resolve().parent.parent


def _cells(name: str) -> list[dict]:
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    return nb["cells"]


def _text(cell: dict) -> str:
    return "".join(cell["source"])


def _flat(name: str) -> str:
    return " ".join(" ".join(_text(c) for c in _cells(name)).split())


# --------------------------------------------------------------------------------------------
# chapter 12


def test_fit_with_an_optimizer_over_the_head_leaves_the_body_bit_identical():
    X_pool, y_pool, _, _ = zoo.shifted_task()
    few = zoo.sample_per_class(y_pool, 3, seed=0)
    model = zoo.replace_head(zoo.load("fashion10_mlp"), n_classes=10, seed=0)
    head = zoo.trainable_params(model, n_frozen=2)
    before = [p.copy() for p in model.params]
    fit(
        model,
        X_pool[few],
        y_pool[few],
        optimizer=SGD(head, lr=0.05, momentum=0.9),
        epochs=5,
        batch_size=32,
        seed=0,
        progress=False,
    )
    n_body = len(model.params) - len(head)
    assert all(np.array_equal(a, b) for a, b in zip(before[:n_body], model.params[:n_body]))
    assert not any(np.array_equal(a, b) for a, b in zip(before[n_body:], model.params[n_body:]))


def test_ch12_text_says_fit_accepts_an_optimizer_over_a_subset():
    flat = _flat("12_transfer_learning.ipynb")
    assert "hands the optimizer the gradients of *all* parameters" not in flat
    assert "needs a small adapter" not in flat
    assert "`fit` gives it only the gradients of its own parameters" in flat
    assert "`SGD(head_params, lr=0.05, momentum=0.9)` trains the head and nothing else" in flat


def test_ch12_objectives_say_what_the_chapter_practises():
    objectives = _text(_cells("12_transfer_learning.ipynb")[0])
    assert "check its integrity with a checksum" not in objectives
    assert "explain how a checksum guards its integrity" in objectives
    assert "- write the same steps" not in objectives
    assert "read the same steps written with a framework's pretrained models" in objectives


def _freeze_past_the_end(model, n_frozen):
    idx = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    return [p for layer in model.layers[idx[n_frozen] :] for p in layer.params]


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_freeze_checks_every_linear_layer_frozen_and_names_indexing_past_the_end(suite):
    ex = get("ch12_freeze")
    ends = [
        c
        for c in ex.cases(suite)
        if c.args[1] == sum(isinstance(layer, Linear) for layer in c.args[0].layers)
    ]
    assert len(ends) == 1 and ch12.freeze(*ends[0].args) == []
    with pytest.raises(CheckFailed) as failed:
        check("ch12_freeze", _freeze_past_the_end, suite=suite)
    message = str(failed.value)
    assert "raised IndexError" in message
    assert "Likely mistake: looked past the last Linear layer" in message
    assert "every Linear layer frozen" in message


def test_freeze_feedback_names_no_variable_of_the_reference():
    ex = get("ch12_freeze")
    assert "linear_positions" not in ex.hint
    for mistake in ex.mistakes:
        assert "linear_positions" not in mistake.hint, mistake.name


def test_freeze_exercise_states_its_range():
    flat = _flat("12_transfer_learning.ipynb")
    assert "`n_frozen` runs from 0 (nothing frozen) to the number of Linear layers" in flat
    assert "freezing every Linear layer leaves nothing to train, and `freeze` returns `[]`" in flat


@pytest.mark.parametrize(
    ("name", "ylabel"),
    [("fashion10_mlp", "accuracy on the evaluation set"), ("fashion5_mlp", "target test accuracy")],
)
def test_the_transfer_explorer_shows_its_verdict_once_and_names_the_set(name, ylabel):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from dlnotes.explorers import ch12 as explorers

    ex = explorers.transfer_sweep(name)
    fig, state = ex.setup()
    try:
        status = ex.redraw(state, **ex.defaults)
        assert status is None  # no second copy under the sliders
        assert "points vs scratch" in state["ax"].get_title()
        assert state["ax"].get_ylabel() == ylabel
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------------
# chapter 16


@pytest.fixture(scope="module")
def runs():
    from dlnotes.capstone import load_runs

    return load_runs()


def test_every_fact_holds_for_exactly_the_runs_it_names(runs):
    for facts in ch16.FACTS.values():
        for fact in facts:
            assert {k for k, r in runs.items() if fact.holds(r)} == fact.runs, fact.text


def test_evidence_is_what_the_run_alone_shows():
    for label, facts in ch16.FACTS.items():
        alone = [f for f in facts if f.runs == {label}]
        assert alone, label
        assert ch16.EVIDENCE[label].startswith(f"in run {label}, ")


@pytest.mark.parametrize("label", sorted(ch16.KEY))
def test_a_wrong_cause_is_answered_with_facts_that_tell_the_two_runs_apart(label):
    run_of = {cause: run for run, cause in ch16.KEY.items()}
    for cause in ch16.CAUSES:
        if cause == ch16.KEY[label]:
            continue
        other = run_of[cause]
        (line,) = ch16.verify_diagnosis({**ch16._solution(), label: (cause, "lower_lr")}).details
        quoted = [f for f in ch16.FACTS[label] if f.text in line]
        assert quoted and all(other not in f.runs for f in quoted), (label, cause)


def test_d_taken_for_no_shuffle_quotes_no_fact_that_run_e_shares():
    answer = {**ch16._solution(), "D": ("no_shuffle", "shuffle_batches")}
    (line,) = ch16.verify_diagnosis(answer).details
    assert "near chance (under 15%)" not in line and "ReLU layer ends dead" not in line
    assert "the training loss rises after epoch 1" in line
    assert "never falls below 9%" in line


def test_a_taken_for_batch_norm_hears_that_a_has_no_batchnorm_layer():
    answer = {**ch16._solution(), "A": ("batchnorm_mismatch", "fix_bn_running_stats")}
    (line,) = ch16.verify_diagnosis(answer).details
    assert "it has no BatchNorm layer at all" in line
    assert "the gap opens over the epochs, not in epoch 1" in line


def test_the_feedback_points_at_evidence_the_learner_can_see():
    texts = " ".join(f.text for facts in ch16.FACTS.values() for f in facts)
    assert 'runs["F"].diagnostics["act_std"]' in texts  # the pre-activations of F
    assert "the table of layers lists each run's training images" in texts


def _index(cells, grade_id):
    return next(
        i
        for i, c in enumerate(cells)
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def test_the_look_alike_runs_come_after_the_check_folded():
    cells = _cells("16_capstone.ipynb")
    check_at = _index(cells, "ch16_diagnose_runs_test")
    (box_at,) = [i for i, c in enumerate(cells) if "Two runs that look alike" in _text(c)]
    assert box_at > check_at
    box = _text(cells[box_at])
    assert box.startswith("### After you have checked") and ":class: warning dropdown" in box
    # nothing before the check names a run's cause
    before = " ".join(_text(c) for c in cells[:check_at] if "remove-cell" not in str(c))
    for letter in "ABCDEFG":
        assert f"run {letter} " not in before.replace("\n", " ")


def test_the_run_tables_fit_80_columns_and_list_layers_and_training_images(runs):
    import contextlib
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    cells = _cells("16_capstone.ipynb")
    ns: dict = {}
    exec(_text(cells[2]), ns)
    ns["runs"] = runs
    (table,) = [c for c in cells if c.get("id") == "e6c88718"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(_text(table), ns)
    lines = out.getvalue().splitlines()
    # three tables of rows within JupyterLab's 468 px output (56 characters)
    assert max(len(line) for line in lines) <= 56
    first = lines.index("")
    second = lines.index("", first + 1)
    accuracies, layers = lines[first + 1 : second], lines[second + 1 :]
    assert accuracies[0].split()[-2:] == ["train", "images"]
    assert layers[0].split() == ["run", "layers"]
    assert len(layers) == len(accuracies) == 9
    images = {line.split()[0]: line.split()[-1] for line in accuracies[1:]}
    rows = {line.split()[0]: line for line in layers[1:]}
    assert images["A"] == "200" and "784→256 ReLU →256 ReLU →10" in rows["A"]
    assert "BatchNorm" in rows["C"] and "784→3 ReLU →10" in rows["G"]


def test_the_rules_are_lists_and_forbid_the_self_study_test_images():
    flat = _flat("16_capstone.ipynb")
    assert "Nothing else: you may train on dev too" not in flat
    assert "Training on the shipped test images (`self_study_test()`" in flat
    assert "makes the self-study score meaningless" in flat
    assert "Flagged for your instructor's review" in flat
    for flagged in (
        "a model trained without the budget (the checks catch its plain forms",
        "an epoch beyond the budget's 30, or begun after the 45 s ran out",
        "more than 3 s of the budget spent outside the epochs it counts",
        "an epoch over more images than train and dev hold together",
        "a checkpoint scored in place of your model, if it would have been flagged",
    ):
        assert flagged in flat, flagged
    assert "the 30 epochs, not the 45 seconds, are the limit that binds" in flat
    assert "keep an eye on the time" not in flat


def test_the_write_up_plot_has_whole_epochs():
    (plot,) = [c for c in _cells("16_capstone.ipynb") if c.get("id") == "9f0f1c6e"]
    assert "MaxNLocator(integer=True)" in _text(plot)


# --- chapter 16: a model trained on dev is told so -------------------------------------------


def test_training_on_dev_is_noted_by_the_run_and_by_model_check(capsys):
    """A learner trained on train + dev for the whole budget and got "✓ ... dev accuracy 97.4%
    beats the baseline" with no caveat: the run now says an epoch went past the training images,
    and model_check says what that dev accuracy is then."""
    from dlnotes.capstone import capstone_data, model_check, train_within_budget
    from dlnotes.model import Sequential

    data = capstone_data()

    def softmax_on(with_dev):
        def train_best_model(d, budget):
            parts = ("train", "dev") if with_dev else ("train",)
            X = np.concatenate([d[f"X_{k}"] for k in parts])
            y = np.concatenate([d[f"y_{k}"] for k in parts])
            model = Sequential(Linear(784, 10, init=np.zeros((784, 10), dtype=np.float32)))
            opt = SGD(model.params, lr=0.1)
            fit(model, X, y, optimizer=opt, epochs=2, callbacks=[budget], progress=False)
            return model

        return train_best_model

    model, message = train_within_budget(softmax_on(with_dev=True), data)
    assert "6000 examples, more than the 5000 training images" in message
    assert "REVIEW" not in message
    model_check(model, message, data)
    assert "dev was probably trained on" in " ".join(capsys.readouterr().out.split())
    model, message = train_within_budget(softmax_on(with_dev=False), data)
    assert "REVIEW" not in message and "training images" not in message
