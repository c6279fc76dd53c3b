"""One optimizer step on 10M float32 parameters: dlnotes vs torch.optim vs the memory floor.

    python -m benchmarks optim            (torch rows say "not installed" without torch)
    python -m benchmarks optim --quick    (1M parameters)

The floor is the time to move the bytes an update must read and write, at the copy bandwidth
measured in the same run: Adam reads x, g, m, v and writes x, m, v (7 arrays), SGD with
momentum reads x, g, b and writes x, b (5 arrays). Target: dlnotes Adam no slower than the
faster of torch's two Adam implementations, for-loop (torch's default on the CPU) and foreach
(ratio <= 1).

Each contender is timed in a block of steps, and the blocks are repeated in rounds (best time
kept), so a burst of load from other processes on a shared machine hits all of them alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import best_time, copy_bandwidth, fmt_ratio, torch_or_none
from dlnotes.optim import SGD, Adam
from dlnotes.optim.teaching import adam_step

N_ARRAYS = 8  # the parameters come as several arrays, like the layers of a model


def _arrays(n_total: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    size = n_total // N_ARRAYS
    return [rng.standard_normal(size, dtype=np.float32) for _ in range(N_ARRAYS)]


def _best_of_blocks(steps: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Best seconds of each function: ``rounds`` rounds, each timing every function in a block.

    Blocks (rather than one call each in turn) keep each contender's caches and allocator warm;
    repeating the rounds spreads bursts of load from other processes over all contenders.
    """
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(rounds):
        for name, fn in steps.items():
            best[name] = min(best[name], best_time(fn, repeat=3, warmup=1))
    return best


def _textbook_adam(params: list[np.ndarray], grads: list[np.ndarray]) -> Callable[[], None]:
    """The allocating one-liner form (dlnotes.optim.teaching.adam_step) as a baseline."""
    state = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    t = [0]

    def step() -> None:
        t[0] += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            m, v = state[i]
            new_p, state[i][0], state[i][1] = adam_step(p, m, v, g, t[0], lr=1e-3)
            p[...] = new_p

    return step


def _torch_step(torch: Any, kind: str, foreach: bool, n_total: int) -> Callable[[], Any]:
    params = [torch.from_numpy(a) for a in _arrays(n_total, 0)]
    for p, g in zip(params, _arrays(n_total, 1)):
        p.grad = torch.from_numpy(g)
    if kind == "adam":
        opt = torch.optim.Adam(params, lr=1e-3, foreach=foreach)
    else:
        opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, foreach=foreach)
    return opt.step


def run(quick: bool = False) -> dict:
    n_total = 1_000_000 if quick else 10_000_000
    rounds = 2 if quick else 5
    bandwidth = copy_bandwidth()
    itemsize = np.dtype(np.float32).itemsize
    floor = {"adam": 7 * itemsize * n_total / bandwidth, "sgd": 5 * itemsize * n_total / bandwidth}

    grads = _arrays(n_total, 1)
    adam = Adam(_arrays(n_total, 0), lr=1e-3)
    adam_unchecked = Adam(_arrays(n_total, 0), lr=1e-3, check_finite=False)
    sgd = SGD(_arrays(n_total, 0), lr=1e-3, momentum=0.9)
    kinds = {
        "dlnotes Adam": "adam",
        "dlnotes Adam (check_finite=False)": "adam",
        "dlnotes SGD-momentum": "sgd",
    }
    steps: dict[str, Callable[[], Any]] = {
        "dlnotes Adam": lambda: adam.step(grads),
        "dlnotes Adam (check_finite=False)": lambda: adam_unchecked.step(grads),
        "dlnotes SGD-momentum": lambda: sgd.step(grads),
    }
    torch = torch_or_none()
    for kind, label in (("adam", "Adam"), ("sgd", "SGD-momentum")):
        for foreach in (False, True):
            name = f"torch {label} ({'foreach' if foreach else 'for-loop'})"
            kinds[name] = kind
            if torch is not None:
                steps[name] = _torch_step(torch, kind, foreach, n_total)
    seconds: dict[str, float | None] = dict.fromkeys(kinds)
    seconds.update(_best_of_blocks(steps, rounds))
    textbook = _textbook_adam(_arrays(n_total, 0), grads)
    seconds["numpy textbook Adam (allocating)"] = best_time(textbook, repeat=3, warmup=1)
    kinds["numpy textbook Adam (allocating)"] = "adam"

    # The reference is the faster of torch's two implementations (on the CPU torch defaults to
    # the for-loop; foreach batches the arrays, and which wins depends on the machine).
    reference: dict[str, float | None] = {}
    for k, label in (("adam", "Adam"), ("sgd", "SGD-momentum")):
        both = [seconds.get(f"torch {label} ({impl})") for impl in ("for-loop", "foreach")]
        reference[k] = None if None in both else min(both)  # type: ignore[type-var]
    rows = []
    for name, kind in kinds.items():
        s, ref = seconds[name], reference[kind]
        rows.append(
            {
                "implementation": name,
                "ms / step": "not installed" if s is None else round(s * 1e3, 2),
                "x floor": fmt_ratio(None if s is None else s / floor[kind]),
                "x best torch": fmt_ratio(None if s is None or ref is None else s / ref),
            }
        )
    for kind, label in (("adam", "Adam"), ("sgd", "SGD-momentum")):
        ref = reference[kind]
        rows.append(
            {
                "implementation": f"memory floor, {label}",
                "ms / step": round(floor[kind] * 1e3, 2),
                "x floor": "1.00",
                "x best torch": fmt_ratio(None if ref is None else floor[kind] / ref),
            }
        )
    version = f"torch {torch.__version__}" if torch is not None else "torch not installed"
    notes = (
        f"{n_total:,} float32 parameters in {N_ARRAYS} arrays, one thread; best of {rounds} "
        f"rounds of 3 timed steps each. Copy bandwidth {bandwidth / 1e9:.1f} GB/s (read + write); "
        "floor = bytes moved / bandwidth, with Adam moving 7 x 4 bytes per parameter and "
        f"SGD-momentum 5 x 4. {version}. Target: dlnotes Adam no slower than torch's Adam "
        "(x best torch <= 1), best = the faster of torch's for-loop (its CPU default) and foreach."
    )
    title = f"Optimizer step, {n_total // 1_000_000}M float32 parameters" + (
        " (quick)" if quick else ""
    )
    return {"title": title, "rows": rows, "notes": notes}
