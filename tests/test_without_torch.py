"""Chapters 01-14 and ``import dlnotes`` must work without torch: import every dlnotes module in
a fresh interpreter where ``import torch`` fails, and run the autograd engine there."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    sys.modules["torch"] = None  # any `import torch` now raises ImportError
    import dlnotes
    names = [m.name for m in pkgutil.walk_packages(dlnotes.__path__, "dlnotes.")]
    for name in names:
        importlib.import_module(name)
    assert "dlnotes.autograd.nn" in names and "dlnotes.exercises.ch15" in names, names
    import numpy as np
    from dlnotes.autograd import Tensor
    w = Tensor(np.array(1.0), requires_grad=True)
    (w * w - 10 * w + 25).backward()
    assert w.grad == -8.0
    try:
        import torch  # noqa: F401
    except ImportError:
        print("ok", len(names))
    """
)


def test_every_dlnotes_module_imports_without_torch():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok"), result.stdout


def test_autograd_is_on_the_numerics_floor():
    """dlnotes.autograd imports numpy and the layers only: no matplotlib, ipywidgets or torch."""
    script = (
        "import sys; import dlnotes.autograd, dlnotes.torch_bridge; "
        "bad = [m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules]; "
        "assert not bad, bad; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
