"""An expert reader's errata for chapters 07-10: the parts the notebooks' hidden cells cannot check.

The chapters' corrected numbers are proved by their hidden claim cells (run by nbval). Two
findings are about PyTorch, which the notebooks do not import, and one changes the package
(chapter 07's explorer status line). Each is checked here twice: the corrected sentence is in
the text (and the false one is gone), and the fact it states is recomputed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dlnotes.explorers import ch07

ROOT = Path(__file__).resolve().parent.parent


def _flat(text: str) -> str:
    """Whitespace collapsed, so that a sentence matches however the prose is wrapped."""
    return " ".join(text.split())


def _prose(notebook: str) -> str:
    cells = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"]
    return _flat("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"))


# --- chapter 07: 5/3 is what calculate_gain('tanh') recommends, no initializer's default ------


@pytest.mark.parametrize("nonlinearity", sorted(ch07.ACTIVATIONS))
def test_explorer_status_names_calculate_gain_not_a_library_default(nonlinearity):
    explorer = ch07.signal_propagation()
    status = explorer.compute(gain=1.0, depth=10, nonlinearity=nonlinearity)["status"]
    expected = f"PyTorch's calculate_gain('{nonlinearity}') = {ch07.GAIN_TEXT[nonlinearity]}"
    assert status.endswith(expected), status
    assert "default" not in status


def test_chapter_07_calls_five_thirds_pytorchs_recommendation_not_a_default():
    text = _prose("07_initialization.ipynb")
    assert "library default gain" not in text
    assert "libraries recommend" not in text
    assert "PyTorch's `calculate_gain('tanh')` recommends $g = 5/3$" in text
    assert "(no initializer applies it by default" in text
    assert "the gain PyTorch's `calculate_gain('tanh')` recommends" in text


def test_no_torch_initializer_applies_five_thirds_by_default():
    torch = pytest.importorskip("torch")
    assert math.isclose(torch.nn.init.calculate_gain("tanh"), 5 / 3)
    generator = torch.Generator().manual_seed(0)
    fan_out, fan_in = 400, 1600
    weight = torch.empty(fan_out, fan_in)
    torch.nn.init.xavier_normal_(weight, generator=generator)  # default gain 1
    gain_sq = weight.var().item() * (fan_in + fan_out) / 2
    assert abs(gain_sq - 1.0) < 0.02
    torch.nn.init.kaiming_normal_(weight, generator=generator)  # default: leaky_relu, a = 0
    gain_sq = weight.var().item() * fan_in
    assert abs(gain_sq - 2.0) < 0.04
    assert abs(gain_sq - (5 / 3) ** 2) > 0.5


# --- chapter 09: Adam(weight_decay) is the L2 penalty by default; the flag makes it AdamW ------


def test_chapter_09_says_adam_weight_decay_is_l2_by_default():
    text = _prose("09_regularization.ipynb")
    assert "`Adam(weight_decay=λ)` (in PyTorch as here) is the L2 penalty" not in text
    assert "here and in PyTorch by default" in text
    assert "`Adam(..., decoupled_weight_decay=True)`, which makes it AdamW" in text
    assert "(in PyTorch unless you pass `decoupled_weight_decay=True`)" in text


def _torch_steps(torch, optimizer, **options):
    """20 steps of ``optimizer`` on a 5x3 parameter from fixed random gradients."""
    parameter = torch.nn.Parameter(torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))
    opt = optimizer([parameter], lr=1e-2, weight_decay=0.1, **options)
    gradients = torch.Generator().manual_seed(1)
    for _ in range(20):
        opt.zero_grad()
        parameter.grad = torch.randn(5, 3, generator=gradients)
        opt.step()
    return parameter.detach().clone()


def test_torch_adam_with_decoupled_flag_is_adamw_and_without_it_is_not():
    torch = pytest.importorskip("torch")
    adamw = _torch_steps(torch, torch.optim.AdamW)
    decoupled = _torch_steps(torch, torch.optim.Adam, decoupled_weight_decay=True)
    coupled = _torch_steps(torch, torch.optim.Adam)
    assert torch.equal(decoupled, adamw)
    assert (coupled - adamw).abs().max().item() > 1e-3
    # ... and Adam's default is the coupled (L2) form
    with_default = _torch_steps(torch, torch.optim.Adam, decoupled_weight_decay=False)
    assert torch.equal(coupled, with_default)
    assert np.isfinite(coupled.numpy()).all()
