"""The course's model zoo: pretrained networks shipped with dlnotes, checked before use.

::

    from dlnotes import zoo
    zoo.available()                 # ['fashion10_mlp', 'fashion5_mlp']
    model = zoo.load("fashion5_mlp")  # a Sequential with the pretrained weights
    zoo.info("fashion5_mlp")        # source classes, architecture, recipe, source accuracy

Every entry of :data:`REGISTRY` names a ``.npz`` file in this folder (written by
:meth:`dlnotes.model.Sequential.save`), the SHA-256 checksum of that file, and how the weights
were made. :func:`load` recomputes the checksum and refuses a file that does not match, so a
truncated download or an edited file is caught before it silently changes a result.
``tools/make_zoo.py`` retrains the weights from scratch, reproducibly (fixed seeds, one BLAS
thread), and prints the checksums to record here.

Defined in chapter 12 (Transfer learning).
"""

from __future__ import annotations

import copy
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes.data import FASHION_MNIST_CLASSES
from dlnotes.model import Sequential, mlp
from dlnotes.zoo.transfer import (
    SOURCE_CLASSES,
    TARGET_CLASSES,
    ParamGroups,
    class_names,
    discriminative_lrs,
    linear_layer_indices,
    replace_head,
    sample_per_class,
    shifted_task,
    source_task,
    target_task,
    trainable_params,
    transfer_run,
)

__all__ = [
    "REGISTRY",
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "ChecksumError",
    "ParamGroups",
    "available",
    "class_names",
    "discriminative_lrs",
    "info",
    "linear_layer_indices",
    "load",
    "load_sweep",
    "replace_head",
    "sample_per_class",
    "sha256",
    "shifted_task",
    "source_task",
    "target_task",
    "trainable_params",
    "transfer_run",
]

#: The zoo: name -> metadata. ``file``/``sha256`` are the weights, ``sweep_file``/
#: ``sweep_sha256`` a precomputed transfer sweep (see :func:`load_sweep`).
REGISTRY: dict[str, dict[str, Any]] = {
    "fashion10_mlp": {
        "file": "fashion10_mlp.npz",
        "sha256": "9a21d07cfadd4018788c87fe8ca82dc9519ad4511e2c24b1077da7b61e70a254",
        "sweep_file": "fashion10_mlp_sweep.npz",
        "sweep_sha256": "4f2819cad5ff449e219fa431c9fc98c1c3c8960d7ab1eadce6b16d9229f89f68",
        "architecture": [784, 256, 128, 10],
        "activation": "relu",
        "source_dataset": "Fashion-MNIST subset shipped with dlnotes (MIT, (c) 2017 Zalando SE)",
        "source_classes": list(FASHION_MNIST_CLASSES),
        "source_labels": list(range(10)),
        "recipe": (
            "mlp([784, 256, 128, 10], seed=0); fit with SGD(lr=0.05, momentum=0.9), cosine "
            "schedule to 0, 20 epochs, batch 64, augmentation: random flip and shifts of up "
            "to 2 pixels, seed=0; raw pixels in [0, 1]; all 6000 training images"
        ),
        "source_train_examples": 6000,
        "source_test_examples": 2000,
        "source_test_accuracy": 0.8135,
        "made_with": {"numpy": "2.4.6", "machine": "x86_64"},
        "script": "tools/make_zoo.py",
    },
    "fashion5_mlp": {
        "file": "fashion5_mlp.npz",
        "sha256": "9a48e8b4c4837facc08a9b7794058039990ff4c98bae5cf2b65e241956d9fed7",
        "sweep_file": "fashion5_mlp_sweep.npz",
        "sweep_sha256": "4c8c3997f2564684490d0028fa00bdefb9d6034342ea02f0414e38a9dd6c7097",
        "architecture": [784, 256, 128, 5],
        "activation": "relu",
        "source_dataset": "Fashion-MNIST subset shipped with dlnotes (MIT, (c) 2017 Zalando SE)",
        "source_classes": list(FASHION_MNIST_CLASSES[:5]),
        "source_labels": list(SOURCE_CLASSES),
        "recipe": (
            "mlp([784, 256, 128, 5], seed=0); fit with SGD(lr=0.05, momentum=0.9), cosine "
            "schedule to 0, 20 epochs, batch 64, augmentation: random flip and shifts of up "
            "to 2 pixels, seed=0; raw pixels in [0, 1]"
        ),
        "source_train_examples": 3000,
        "source_test_examples": 1000,
        "source_test_accuracy": 0.857,
        "made_with": {"numpy": "2.4.6", "machine": "x86_64"},
        "script": "tools/make_zoo.py",
    },
}


class ChecksumError(ValueError):
    """A zoo file's SHA-256 checksum differs from the one recorded in :data:`REGISTRY`.

    Defined in chapter 12 (Transfer learning).
    """


def available() -> list[str]:
    """Names of the models in the zoo, sorted.

    Defined in chapter 12 (Transfer learning).
    """
    return sorted(REGISTRY)


def _entry(name: str) -> dict[str, Any]:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name not in REGISTRY:
        raise KeyError(f"no model named {name!r} in the zoo; available: {', '.join(available())}")
    return REGISTRY[name]


def info(name: str) -> dict[str, Any]:
    """A copy of the metadata of model ``name``: source classes, architecture, training recipe,
    accuracy on the source test split, file names and checksums.

    Defined in chapter 12 (Transfer learning).
    """
    return copy.deepcopy(_entry(name))


def sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 checksum of a file's bytes, as 64 hexadecimal digits.

    Defined in chapter 12 (Transfer learning).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, expected: str) -> Path:
    """``path`` once its SHA-256 matches ``expected``. A missing file raises
    ``FileNotFoundError``: the capstone's graded run withholds the zoo's files (its sandbox
    sets ``DLNOTES_ZOO_WITHHELD``, see ``tools/grade_capstone.py``), and says so first, in the
    200 characters of the last stderr line that the grader quotes; anywhere else, the install
    is incomplete."""
    if not path.is_file():
        if os.environ.get("DLNOTES_ZOO_WITHHELD"):
            raise FileNotFoundError(
                f"zoo file {path.name} is withheld: the capstone's graded run withholds the "
                "zoo's weights because its rules forbid starting part 2 from a pretrained "
                f"network ({path} is not there)"
            )
        raise FileNotFoundError(f"zoo file {path} is missing (reinstall dlnotes)")
    actual = sha256(path)
    if actual != expected:
        raise ChecksumError(
            f"checksum mismatch for {path.name}: expected SHA-256 {expected}, got {actual}. "
            "The file is damaged or was changed; reinstall dlnotes or rerun tools/make_zoo.py "
            "and record the new checksum in dlnotes.zoo.REGISTRY"
        )
    return path


def _path(filename: str, directory: str | os.PathLike[str] | None) -> Path:
    if directory is not None:
        return Path(directory) / filename
    return Path(str(resources.files("dlnotes.zoo").joinpath(filename)))


def load(name: str, *, directory: str | os.PathLike[str] | None = None) -> Sequential:
    """The pretrained model ``name`` as a :class:`~dlnotes.model.Sequential` (float32).

    Reads ``<name>.npz`` from this package (or from ``directory``), checks its SHA-256 against
    :data:`REGISTRY` (a :class:`ChecksumError` on mismatch), builds the architecture and loads
    the weights. Unknown names raise ``KeyError`` listing the available ones.

    Defined in chapter 12 (Transfer learning).
    """
    entry = _entry(name)
    path = _verified(_path(entry["file"], directory), entry["sha256"])
    model = mlp(entry["architecture"], activation=entry["activation"], seed=0)
    with np.load(path, allow_pickle=False) as data:
        saved = str(data["__architecture__"])
    if saved != repr(model):
        raise ValueError(f"{path.name} holds {saved}, the registry expects {model!r}")
    return model.load(path)


def load_sweep(
    name: str, *, directory: str | os.PathLike[str] | None = None
) -> dict[str, np.ndarray]:
    """The transfer sweep precomputed for model ``name`` by ``tools/make_zoo.py`` (checked).

    Keys: ``sizes`` (examples per class, ``(S,)``), ``seeds`` (``(R,)``), ``n_frozen``
    (``(F,)``), ``lr_mults`` (``(M,)``); ``finetune`` of shape ``(F, M, S, R)``: target test
    accuracy of :func:`~dlnotes.zoo.transfer.transfer_run` from the zoo model with that many
    frozen Linear layers and body learning-rate multiplier (a full freeze ignores the
    multiplier); ``scratch`` of shape ``(S, R)``: the same from scratch.

    Defined in chapter 12 (Transfer learning).
    """
    entry = _entry(name)
    path = _verified(_path(entry["sweep_file"], directory), entry["sweep_sha256"])
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
