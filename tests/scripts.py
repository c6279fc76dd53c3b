"""Load a script of the repository (in ``tools/``, ``benchmarks/``, ``tests/``) as a module, for
the tests of scripts that are not part of an installed package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_script(path: Path, name: str | None = None) -> ModuleType:
    """The script at ``path`` (absolute, or relative to the repository), run afresh as a module
    and registered in ``sys.modules`` under ``name`` (by default ``dlnotes_<folder>_<stem>``),
    where dataclasses and pickle look a module up."""
    path = ROOT / path
    name = name or f"dlnotes_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
