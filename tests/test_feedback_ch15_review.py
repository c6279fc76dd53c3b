"""Feedback fixes from a learner's review of chapter 15 (wrong answers on purpose).

1. ch15_torch_port, a right answer returning a tuple is refused (the result is a list, as the
   signature says): the prompt and the exercise's hint say "a list";
2. ch15_torch_port, opt.step() before loss.backward() in the loop is named (each step applies the
   previous batch's gradients), and the wording of unchanged weights no longer says that a step
   before backward updates nothing (inside a loop it does update);
3. ch15_logsumexp_backward: an ε of one's own in the denominator is told what check catches (ε of
   about the tolerance, 1e-7, or more: the sum after the max shift is at least 1, so no case
   can make a smaller one visible); g.sum() in place of g[:, None] is named;
   ch15_torch_port, weight decay added by mistake is named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from verdicts import feedback, likely, notebook

from dlnotes.exercises import check
from dlnotes.exercises.core import get

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "15_frameworks.ipynb"
SUITES = ("visible", "hidden")

# -- the port to PyTorch, as a learner writes it -------------------------------------------

PORT = """
def torch_train(params, batches, lr, momentum):
    W1, b1, W2, b2 = params
    net = torch.nn.Sequential(
        torch.nn.Linear(*W1.shape), torch.nn.ReLU(), torch.nn.Linear(*W2.shape)
    ).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(W1.T)); net[0].bias.copy_(torch.tensor(b1))
        net[2].weight.copy_(torch.tensor(W2.T)); net[2].bias.copy_(torch.tensor(b2))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    for X, y in batches:
        LOOP
    return [net[0].weight.detach().numpy().T.copy(), net[0].bias.detach().numpy().copy(),
            net[2].weight.detach().numpy().T.copy(), net[2].bias.detach().numpy().copy()]
"""

ZERO = "opt.zero_grad()"
BACKWARD = "F.cross_entropy(net(torch.tensor(X)), torch.tensor(y)).backward()"
STEP = "opt.step()"


def port(*loop: str, edits: tuple[tuple[str, str], ...] = ()):
    """The port with the loop's body ``loop`` (one statement a line) and ``(old, new)`` edits."""
    torch = pytest.importorskip("torch")
    source = PORT.replace("LOOP", "\n        ".join(loop))
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return notebook(source, "torch_train", torch=torch, F=torch.nn.functional)


def test_the_port_written_here_is_right():
    check("ch15_torch_port", port(ZERO, BACKWARD, STEP))


# -- 1. the result is a list, and the prompt says so -----------------------------------------


def test_a_tuple_is_refused_as_the_prompt_and_the_hint_say():
    answer = port(ZERO, BACKWARD, STEP, edits=(("return [", "return ("), ("copy()]", "copy())")))
    assert "a tuple instead of a list" in likely(feedback("ch15_torch_port", answer))
    hint = get("ch15_torch_port").hint
    assert "a list of new numpy arrays" in hint, hint
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    prompt = next(
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "markdown" and "### Exercise 2" in "".join(c["source"])
    )
    assert "as a list of\nnew numpy arrays `[W1, b1, W2, b2]`" in prompt, prompt


# -- 2. step before backward -----------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_step_before_backward_is_named(suite):
    said = likely(feedback("ch15_torch_port", port(STEP, ZERO, BACKWARD), suite))
    assert said.startswith("Likely mistake: step before backward — "), said
    assert "the previous batch" in said and "the last batch's gradients are never" in said, said
    assert "first step finds none and does nothing" in said, said


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    "loop", [(ZERO, STEP, BACKWARD), (BACKWARD, ZERO, STEP)], ids=["zero-step-back", "back-zero"]
)
def test_a_step_right_after_zero_grad_is_what_updates_nothing(loop, suite):
    said = likely(feedback("ch15_torch_port", port(*loop), suite))
    assert said.startswith("Likely mistake: as if lr were 0 — "), said
    assert "right after zero_grad, with no backward in between" in said, said
    assert "a step before backward" not in said, said  # inside a loop, it does update


# -- 3. weight decay, g.sum(), an ε of one's own ---------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("decay", ["1e-4", "5e-4", "1e-3", "1e-2"])
def test_weight_decay_added_is_named(decay, suite):
    answer = port(
        ZERO,
        BACKWARD,
        STEP,
        edits=(("momentum=momentum)", f"momentum=momentum, weight_decay={decay})"),),
    )
    said = likely(feedback("ch15_torch_port", answer, suite))
    assert said.startswith(f"Likely mistake: weight decay added ({decay}) — "), said
    assert "weight_decay left out" in said, said


def lse(denominator: str = "e.sum(axis=1, keepdims=True)", upstream: str = "g[:, None]"):
    return notebook(
        f"""
        def logsumexp_backward(x, g):
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return {upstream} * e / ({denominator})
        """,
        "logsumexp_backward",
    )


def test_the_logsumexp_rule_written_here_is_right():
    check("ch15_logsumexp_backward", lse())


@pytest.mark.parametrize("suite", SUITES)
def test_g_summed_into_one_number_is_named(suite):
    said = likely(feedback("ch15_logsumexp_backward", lse(upstream="g.sum()"), suite))
    assert said.startswith("Likely mistake: g summed into one number — "), said
    assert "g[:, None] * softmax" in said, said


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("eps", ["1e-6", "1e-5"])
def test_an_eps_in_the_denominator_is_told_what_the_check_catches(eps, suite):
    answer = lse(denominator=f"e.sum(axis=1, keepdims=True) + {eps}")
    said = likely(feedback("ch15_logsumexp_backward", answer, suite))
    assert said.startswith("Likely mistake: right to 4 to 7 digits only — "), said
    assert "at least 1" in said and "(e.sum(...) + eps)" in said, said
    # the wording promises no more than the tolerance catches
    assert "about 1e-7 or more fails this check" in said, said
    assert "a smaller one is within its tolerance" in said, said


@pytest.mark.parametrize("eps", [1e-8, 1e-9])
def test_an_eps_below_the_tolerance_passes_as_the_wording_says(eps):
    # the sum after the max shift is at least 1: an ε changes each entry by at most ε
    # relative, within rtol = 1e-7, and no case can make it larger
    assert get("ch15_logsumexp_backward").rtol == 1e-7
    check("ch15_logsumexp_backward", lse(denominator=f"e.sum(axis=1, keepdims=True) + {eps}"))


def test_a_float32_answer_cast_back_is_asked_about_float32_first():
    answer = notebook(
        """
        def logsumexp_backward(x, g):
            x = x.astype(np.float32)
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return (g[:, None] * e / e.sum(axis=1, keepdims=True)).astype(np.float64)
        """,
        "logsumexp_backward",
    )
    said = likely(feedback("ch15_logsumexp_backward", answer))
    assert said.startswith("Likely mistake: right to 4 to 7 digits only — "), said
    assert 0 <= said.index("computed in float32") < said.index("ε of your own"), said
