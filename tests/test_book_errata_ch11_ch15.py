"""An expert reader's errata for chapters 11-15 and the book pages intro, glossary, notation.

The chapters' corrections are proved by their hidden claim cells (run by nbval). The book
pages have no cells, so each finding on them is checked here twice: the corrected sentence is
on the page (and the false one is gone), and the fact it states is recomputed from the package
and the shipped data.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from dlnotes import layers, zoo
from dlnotes.gradcheck import numerical_gradient_array, relative_error
from dlnotes.tuning import halving_schedule

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def _flat(text: str) -> str:
    """Whitespace collapsed, so that a sentence matches however the prose is wrapped."""
    return " ".join(text.split())


def _page(name: str) -> str:
    return _flat((BOOK / name).read_text(encoding="utf-8"))


def _glossary_entry(term: str) -> str:
    text = (BOOK / "glossary.md").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(term)}\n((?:  .*\n)+)", text, re.M)
    assert match, f"no glossary entry {term!r}"
    return _flat(match.group(1))


def _prose(notebook: str) -> str:
    cells = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"]
    return _flat("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"))


def _corrected(text: str, false: str, *sentences: str) -> None:
    """The reader's finding is fixed in ``text`` (flattened by :func:`_flat`): the ``false``
    sentence is gone and each corrected one of ``sentences`` is there."""
    assert false not in text, false
    for sentence in sentences:
        assert sentence in text, sentence


# --- glossary: successive halving costs about n r0 per rung, not "a few full runs" -----------


def test_successive_halving_entry_states_the_cost_per_rung():
    _corrected(
        _glossary_entry("successive halving"),
        "a few full runs instead of $n$",
        "$n r_0$ per rung instead of the $n R$",
        r"at most $\log_\eta(R/r_0) + 1$ rungs",
        "108 epochs, four full runs, instead of 27",
    )


def test_successive_halving_cost_is_rungs_times_n_r0():
    # the entry's example: n = 27, eta = 3, r0 = 1, R = 27
    rungs = halving_schedule(27, 1, 27, eta=3)
    assert len(rungs) == 4 and sum(n * r for n, r in rungs) == 108 == 4 * 27
    # the reader's example: n = 81 costs 324 epochs, twelve full runs, not "a few"
    rungs = halving_schedule(81, 1, 27, eta=3)
    assert sum(n * r for n, r in rungs) == 324 == 12 * 27
    # in general: every rung costs at most n r0, and there are at most log(R/r0) + 1 rungs
    for n in (5, 27, 81, 100, 243):
        for r0, big_r in ((1, 27), (1, 81), (3, 27), (2, 50)):
            rungs = halving_schedule(n, r0, big_r, eta=3)
            assert all(n_k * r_k <= n * r0 * (1 + 1e-12) for n_k, r_k in rungs[:-1])
            assert len(rungs) <= math.floor(math.log(big_r / r0, 3) + 1e-9) + 2
            assert len(rungs) <= math.ceil(math.log(big_r / r0, 3) - 1e-9) + 1


# --- glossary: fine-tuning's body rate follows the similarity of the target -----------------


def test_fine_tuning_entry_does_not_prescribe_a_tenth_for_every_target():
    _corrected(
        _glossary_entry("fine-tuning"),
        "usually with the body's learning rate about ten times smaller",
        "the full rate does better",
    )


def test_chapter_12_sweeps_favour_the_full_rate_for_a_different_target():
    different = zoo.load_sweep("fashion5_mlp")
    similar = zoo.load_sweep("fashion10_mlp")
    mults = list(different["lr_mults"])
    ft = different["finetune"].mean(axis=-1)  # (n_frozen, lr_mult, size)
    # 600 per class, nothing frozen: alpha beats alpha/10 by several points (0.903 vs 0.825)
    assert ft[0, mults.index(1.0), -1] > ft[0, mults.index(0.1), -1] + 0.05
    # the similar target with 1 image per class: alpha/10 is the best body rate
    ft_sim = similar["finetune"].mean(axis=-1)
    m_sim = list(similar["lr_mults"])
    assert ft_sim[0, m_sim.index(0.1), 0] >= ft_sim[0, :, 0].max()


# --- notation: running estimates are not the batch statistics -------------------------------


def _notation_rows() -> list[list[str]]:
    rows = []
    for line in (BOOK / "notation.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| $"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def test_running_statistics_have_their_own_notation_row():
    batch = [r for r in _notation_rows() if r[0] == r"$\mu_B$, $\sigma_B^2$"]
    running = [r for r in _notation_rows() if "`running_mean`" in r[2]]
    assert len(batch) == 1 and "`running_" not in batch[0][2]
    assert len(running) == 1 and running[0][0] == r"$\hat\mu$, $\hat\sigma^2$"
    assert "unbiased" in running[0][1] and "`running_var`" in running[0][2]


def test_the_running_variance_is_fed_the_unbiased_batch_variance():
    X = np.random.default_rng(0).standard_normal((6, 3)) * [1.0, 2.0, 0.5]
    bn = layers.BatchNorm(3, dtype=np.float64)
    bn.momentum = 1.0  # the running statistics become this batch's
    bn.train().forward(X)
    np.testing.assert_allclose(bn.running_mean, X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, X.var(0, ddof=1), rtol=1e-12)


def test_the_overloads_the_reader_found_are_listed():
    text = (BOOK / "notation.md").read_text(encoding="utf-8")
    section = text.split("(overloaded-symbols)=", 1)[-1]
    stated = set(re.findall(r"^- \$([^$]+)\$:", section, re.M))
    assert {"k", "r", "c", "W", "H", "M"} <= stated, stated
    # chapter 11 indexes channels with k, so c is only its initial scale there
    prose = _prose("11_batchnorm.ipynb")
    assert r"\mu_c" not in prose and r"x_{nchw}" not in prose
    assert r"\mu_k = \frac{1}{NHW}\sum_{n,h,w} x_{nkhw}" in prose


# --- intro: what the hidden assertions check, and what they do not --------------------------


def test_intro_says_which_statements_are_asserted():
    _corrected(
        _page("intro.md"),
        "behind every sentence that states a measured result",
        "behind every sentence that states a measured number or ordering",
        "Wall-clock times depend on the processor and its load",
        "only comparisons of times that hold by a wide margin are asserted",
    )


# --- chapter 11: layer norm's backward keeps gamma inside the sums --------------------------


def test_layernorm_backward_is_the_formula_with_gamma_inside_the_sums():
    rng = np.random.default_rng(5)
    N, D = 7, 5
    X = rng.standard_normal((N, D)) * 3 + 1
    dy = rng.standard_normal((N, D))
    gamma, beta = rng.uniform(-2, 2, D), rng.standard_normal(D)
    _, cache = layers.layernorm_forward(X, gamma, beta)
    dx = layers.layernorm_backward(dy, cache)[0]
    dx_num = numerical_gradient_array(
        lambda z: layers.layernorm_forward(z, gamma, beta)[0], X.copy(), dy
    )
    sd = np.sqrt(X.var(1, keepdims=True) + 1e-5)
    xh = (X - X.mean(1, keepdims=True)) / sd
    g = gamma * dy
    inside = (D * g - g.sum(1, keepdims=True) - xh * (g * xh).sum(1, keepdims=True)) / (D * sd)
    outside = (
        gamma
        / (D * sd)
        * (D * dy - dy.sum(1, keepdims=True) - xh * (dy * xh).sum(1, keepdims=True))
    )
    assert relative_error(inside, dx_num) < 1e-7
    np.testing.assert_allclose(dx, inside, rtol=1e-10, atol=1e-12)
    assert relative_error(outside, dx_num) > 1e-2
    _corrected(
        _prose("11_batchnorm.ipynb"),
        "the batch-norm formula with the sums over features instead of examples.",
        r"so $\gamma$ stays inside the sums",
    )


# --- chapter 12: the zoo's weights are bit for bit only on the same BLAS kernels -------------


def test_chapter_12_does_not_promise_bit_for_bit_weights_on_any_machine():
    _corrected(
        _prose("12_transfer_learning.ipynb"),
        "bit for bit (one BLAS thread, same numpy)",
        "the same BLAS kernels (which OpenBLAS picks by CPU model)",
        # and the cs231n advice is credited to cs231n, the generic early features to Yosinski
        "are more generic {cite}`yosinski2014`",
        "an *earlier* layer {cite}`karpathy2016transfer`",
    )
