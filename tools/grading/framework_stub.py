"""A deep-learning framework, withheld while grading: shown in place of its package.

A grading sandbox shows this file as the ``__init__.py`` of every installed framework (torch,
torchvision, functorch, ...; ``dlnotes.exercises.core.FRAMEWORKS``) over an otherwise empty
folder, except for the exercises that may use one (chapter 15's port to PyTorch,
``FunctionExercise.frameworks_allowed``). The exercises ask for numpy, and a framework would
hold the answer: autograd writes a backward rule, ``torch.softmax`` is a softmax,
``torch.optim.Adam`` an Adam step.

Importing still works, so an answer cell that imports torch but computes with numpy keeps its
points: ``import torch``, ``import torch.nn.functional as F`` and ``from torch.optim import
Adam`` bind stand-ins. Using one (calling it, subclassing it, computing with it) raises a
RuntimeError saying :data:`MESSAGE`, which the grader reports. The real package is not in the
sandbox at all, so no import trick reaches it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from typing import Any

#: what using a withheld framework raises (the grader recognizes it in a cell's error)
MESSAGE = (
    "withheld while grading: this exercise asks for numpy (only chapter 15's port to PyTorch "
    "may use a framework)"
)


class Withheld:
    """A name of the withheld framework (``torch.softmax``): every use raises."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_withheld_name", name)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{object.__getattribute__(self, '_withheld_name')}: {MESSAGE}")

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return Withheld(f"{object.__getattribute__(self, '_withheld_name')}.{attr}")

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_withheld_name')}, {MESSAGE}>"


# every use: a call, subclassing (class Net(nn.Module)), arithmetic, indexing, iteration, ...
for _use in (
    "__call__ __mro_entries__ __getitem__ __setattr__ __iter__ __len__ __bool__ __float__ "
    "__int__ __index__ __enter__ __array__ __add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ "
    "__truediv__ __rtruediv__ __matmul__ __rmatmul__ __pow__ __rpow__ __neg__ __lt__ __le__ "
    "__gt__ __ge__"
).split():
    setattr(Withheld, _use, Withheld._refuse)


def names(prefix: str) -> Any:
    """The module-level ``__getattr__`` of the withheld module ``prefix`` (PEP 562)."""

    def __getattr__(attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return Withheld(f"{prefix}.{attr}")

    return __getattr__


class Submodules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Every submodule of the withheld framework (``torch.nn.functional``): a module of
    stand-ins like this one."""

    def __init__(self, top: str) -> None:
        self.top = top

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.startswith(self.top + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        module.__path__ = []
        module.__getattr__ = names(module.__name__)


if __name__ not in ("__main__", "framework_stub"):
    # shown as a framework's __init__.py (imported as torch): this module is the framework
    __path__: list[str] = []
    __getattr__ = names(__name__)
    sys.meta_path.insert(0, Submodules(__name__))
