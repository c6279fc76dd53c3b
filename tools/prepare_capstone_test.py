#!/usr/bin/env python3
"""Write the instructor's hidden test set of the capstone (chapter 16, part 2).

    sudo apt-get install dataset-fashion-mnist     # Debian/Ubuntu: the original idx files
    python3 tasks.py capstone-test --out ~/private/capstone_hidden_test.npz

(``--src DIR`` for another folder of the four idx files). The file holds the original
Fashion-MNIST test images that are not in the subset shipped with dlnotes and equal no shipped
image (checked by SHA-256 of the pixels): ``X`` uint8 ``(N, 28, 28)``, ``y`` uint8 ``(N,)``
(about 8000 images, 4 MB), readable by its owner only (like the instructor key). Keep it where
only the grader reads it: never in the learners' repository, never in an assignment's release
folder. ``evaluate_submission(plain_model, path)``
reads it. Prints one JSON line with the counts and the SHA-256 of the arrays.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlnotes.capstone.data import prepare_hidden_test  # noqa: E402
from dlnotes.data.datasets import FASHION_MNIST_DIR  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=None, help=f"folder of the idx files ({FASHION_MNIST_DIR})")
    ap.add_argument("--out", required=True, help="output .npz path (keep it private)")
    args = ap.parse_args(argv)
    X, y, counts = prepare_hidden_test(args.src)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # created anew, so that it is the owner's only from the start
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        np.savez_compressed(fh, X=X, y=y)
    digest = hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()
    print(json.dumps({**counts, "sha256": digest, "out": str(out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
