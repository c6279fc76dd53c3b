"""One training epoch of a 784-256-256-10 ReLU MLP: dlnotes (numpy) vs PyTorch CPU.

60000 examples x 784 features (synthetic uniform pixels, random labels: the timing does not
depend on the values), batch 128, SGD with momentum 0.9, softmax cross-entropy, one thread
each, measured in the same run and interleaved (dlnotes epoch, torch epoch, ...) so both see
the same machine load; the best epoch of each is reported. dlnotes runs its real training
loop, ``dlnotes.train.fit`` (shuffling, running loss and accuracy) with ``dlnotes.optim.SGD``;
torch runs the equivalent minimal loop (``randperm``, indexing, ``zero_grad``, ``backward``,
``step``). Also reported: dlnotes in float64, and dlnotes's SGD without its inf/NaN checks.

    python -m benchmarks mlp           # or: python tasks.py bench
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks._common import fmt_ratio, torch_or_none

SIZES = (784, 256, 256, 10)
BATCH = 128


def _limit_threads() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return threadpool_limits(limits=1)


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, SIZES[0]), dtype=np.float32), rng.integers(0, SIZES[-1], n)


def _dlnotes_epoch(X: np.ndarray, y: np.ndarray, dtype: Any, check_finite: bool = True):
    from dlnotes.model import mlp
    from dlnotes.optim import SGD
    from dlnotes.train import fit

    model = mlp(list(SIZES), seed=0, dtype=dtype)
    opt = SGD(model.params, lr=0.01, momentum=0.9, check_finite=check_finite)
    Xd = X.astype(dtype)
    seed = iter(range(1000))

    def epoch() -> float:
        t0 = time.perf_counter()
        fit(
            model, Xd, y, optimizer=opt, epochs=1, batch_size=BATCH, seed=next(seed), progress=False
        )
        return time.perf_counter() - t0

    return epoch


def _torch_epoch(torch: Any, X: np.ndarray, y: np.ndarray):
    torch.manual_seed(0)
    nn = torch.nn
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    n = len(X)

    def epoch() -> float:
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    return epoch


def run(quick: bool = False) -> dict:
    n = 6000 if quick else 60000
    repeat = 1 if quick else 3
    limiter = _limit_threads()
    X, y = _data(n)
    torch = torch_or_none()
    runners = {
        "dlnotes float32": _dlnotes_epoch(X, y, np.float32),
        "dlnotes float64": _dlnotes_epoch(X, y, np.float64),
        "dlnotes float32, SGD check_finite=False": _dlnotes_epoch(X, y, np.float32, False),
    }
    if torch is not None:
        runners["torch float32"] = _torch_epoch(torch, X, y)
    best = {name: float("inf") for name in runners}
    if not quick:  # warm-up: first-touch allocations, lazy imports
        for epoch in runners.values():
            epoch()
    for _ in range(repeat):
        for name, epoch in runners.items():
            best[name] = min(best[name], epoch())
    if limiter is not None:
        limiter.unregister()
    ref = best.get("torch float32")
    rows = []
    for name, seconds in best.items():
        rows.append(
            {
                "implementation": name,
                "seconds per epoch": seconds,
                "examples per second": n / seconds,
                "time / torch float32": fmt_ratio(None if ref is None else seconds / ref),
                "time / dlnotes float32": f"{seconds / best['dlnotes float32']:.2f}",
            }
        )
    notes = (
        f"{n} examples, batch {BATCH}, MLP {'-'.join(map(str, SIZES))}, SGD momentum 0.9, "
        f"best of {repeat} interleaved epochs, 1 thread. Target: dlnotes float32 no slower "
        "than torch float32 (time ratio <= 1)."
    )
    if torch is None:
        notes += " PyTorch is not installed: only dlnotes rows."
    return {"title": "MLP training epoch: dlnotes vs PyTorch", "rows": rows, "notes": notes}
