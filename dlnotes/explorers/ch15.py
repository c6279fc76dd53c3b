"""Chapter 15's explorer: the reverse sweep of autograd, one node at a time.

The graph is the seed's cost ``J(w) = w² − 10w + 25`` built by :mod:`dlnotes.autograd`. Step
``k`` of the explorer shows the sweep after ``k`` events: first the seed ``dJ/dJ = 1``, then
each node in reverse topological order applying its backward rule and sending a gradient to
each of its inputs. ``w`` enters the graph three times (twice in ``w·w``, once in ``10·w``), so
its gradient arrives in three contributions, ``w + w − 10 = 2w − 10``: the multivariate chain
rule's sum over paths.

Defined in chapter 15 (From numpy to a framework).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dlnotes import plots
from dlnotes.autograd import Tensor, topological_order
from dlnotes.widgets import Control, Explorer

#: The explorer factories of this chapter (found by :func:`dlnotes.explorers.all_explorers`).
EXPLORERS = ["backward_stepper"]


@dataclass(frozen=True)
class Event:
    """One moment of the reverse sweep: ``node`` is processed (``None`` for the seed) and each
    ``(input, contribution)`` in ``sends`` is added to that input's gradient."""

    node: Tensor
    sends: tuple[tuple[Tensor, float], ...]
    text: str


def seed_graph(w: float) -> tuple[Tensor, dict[str, Tensor]]:
    """``J = w·w − 10·w + 25`` with every intermediate tensor named; returns ``(J, by_name)``.

    Defined in chapter 15 (From numpy to a framework).
    """
    wt = Tensor(np.array(float(w)), requires_grad=True, name="w")
    square = wt * wt
    square.name = "w·w"
    scaled = 10 * wt
    scaled.name = "10·w"
    diff = square - scaled
    diff.name = "w·w − 10·w"
    J = diff + 25
    J.name = "J"
    return J, {t.name or "": t for t in (wt, square, scaled, diff, J)}


def backward_events(root: Tensor) -> list[Event]:
    """The reverse sweep from ``root`` as a list of events (the graph is kept, not freed).

    Runs each node's backward rule exactly as :func:`dlnotes.autograd.graph.backward` does and
    records what it sends to each input.

    Defined in chapter 15 (From numpy to a framework).
    """
    order = topological_order(root)
    events = [Event(root, ((root, 1.0),), f"seed: d{root.name}/d{root.name} = 1")]
    grads: dict[int, float] = {id(root): 1.0}
    for tensor in reversed(order):
        if tensor.node is None:
            continue
        g = grads[id(tensor)]
        pieces = tensor.node.apply(np.asarray(g, dtype=tensor.dtype))
        sends = []
        for parent, pg in zip(tensor.node.inputs, pieces):
            if pg is None or not parent.requires_grad:
                continue
            value = float(np.sum(pg))
            sends.append((parent, value))
            grads[id(parent)] = grads.get(id(parent), 0.0) + value
        parts = ", ".join(f"{p.name} += {v:+.3g}" for p, v in sends)
        events.append(
            Event(tensor, tuple(sends), f"{tensor.node.op} node '{tensor.name}': {parts}")
        )
    return events


#: Where each node of :func:`seed_graph` is drawn.
LAYOUT = {"w": (0.0, 0.0), "w·w": (1.0, 0.55), "10·w": (1.0, -0.55), "w·w − 10·w": (2.0, 0.0),
          "J": (3.0, 0.0)}  # fmt: skip


#: The edges of :func:`seed_graph` as drawn, input first.
EDGES = [("w", "w·w"), ("w", "10·w"), ("w·w", "w·w − 10·w"), ("10·w", "w·w − 10·w"),
         ("w·w − 10·w", "J")]  # fmt: skip


#: The colours of the node being processed (and the edges it sends along) and of the end.
_ACTIVE, _DONE = plots.COLORS["momentum"], plots.COLORS["gd"]


def _sweep_frame(step: float, w: float) -> dict[str, Any]:
    """What a frame of :func:`backward_stepper` shows after ``step`` events of the sweep at
    ``w``: each node's value and (once reached) gradient, the node being processed, the
    contributions it sends along each edge ``(input, node)``, and the status line."""
    k = round(step)
    J, named = seed_graph(w)
    events = backward_events(J)[:k]
    grads: dict[str, float] = {}
    for ev in events:
        for parent, value in ev.sends:
            grads[parent.name or ""] = grads.get(parent.name or "", 0.0) + value
    current = events[-1].node.name if events else None
    sending: dict[tuple[str | None, str | None], str] = {}
    if events and k > 1:
        for parent, value in events[-1].sends:
            key = (parent.name, current)
            sending[key] = f"{sending[key]}, {value:+.3g}" if key in sending else f"{value:+.3g}"
    done = k == len(backward_events(J))
    status = "forward pass done: values known, no gradient yet" if k == 0 else events[-1].text
    if done:
        status += f"\ndone: dJ/dw = {grads['w']:.4g} = 2w − 10"
    return {
        "values": {name: float(t.value) for name, t in named.items()},
        "grads": grads,
        "current": current,
        "sending": sending,
        "done": done,
        "title": f"k = {k}: {status}",
        "status": status,
    }


def _sweep_setup() -> tuple[Any, dict[str, Any]]:
    """The figure of :func:`backward_stepper`: a box per node of :data:`LAYOUT`, an arrow per
    edge with a label for the contribution it carries. Seven inches wide with 10-point text, so
    that a notebook column of 468 px (JupyterLab at 900 px with its file browser open) shows
    every text at least 9 px high."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.set_xlim(-0.4, 3.4)
    ax.set_ylim(-1.15, 1.15)
    ax.axis("off")
    boxes, edges, labels = {}, {}, {}
    for name, (x, y) in LAYOUT.items():
        boxes[name] = ax.text(
            x, y, name, ha="center", va="center", fontsize=10,
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "0.4"},
        )  # fmt: skip
    for a, b in EDGES:
        (x0, y0), (x1, y1) = LAYOUT[a], LAYOUT[b]
        edges[(a, b)] = ax.annotate(
            "", xy=(x1 - 0.28, y1), xytext=(x0 + 0.28, y0),
            arrowprops={"arrowstyle": "->", "color": "0.6", "lw": 1.2},
        )  # fmt: skip
        labels[(a, b)] = ax.text(
            (x0 + x1) / 2, (y0 + y1) / 2 + 0.12, "", ha="center", fontsize=10, color=_ACTIVE
        )
    title = ax.set_title("step\nstatus", fontsize=10)
    fig.tight_layout()
    return fig, {"ax": ax, "boxes": boxes, "edges": edges, "labels": labels, "title": title}


def _sweep_draw(st: dict[str, Any], frame: dict[str, Any]) -> None:
    grads, current, sending = frame["grads"], frame["current"], frame["sending"]
    for name, box in st["boxes"].items():
        grad = f"{grads[name]:.4g}" if name in grads else "?"
        box.set_text(f"{name}\nvalue {frame['values'][name]:.4g}\ngrad {grad}")
        box.get_bbox_patch().set_edgecolor(_ACTIVE if name == current else "0.4")
        box.get_bbox_patch().set_linewidth(2.5 if name == current else 1.0)
        box.get_bbox_patch().set_facecolor("#e8f1fa" if name in grads else "white")
    for key, arrow in st["edges"].items():
        arrow.arrow_patch.set_color(_ACTIVE if key in sending else "0.6")
        # the forward edge points input → node; the gradient it carries now goes node → input
        arrow.arrow_patch.set_arrowstyle("<-" if key in sending else "->")
        st["labels"][key].set_text(sending.get(key, ""))
    st["title"].set_text(frame["title"])
    st["title"].set_color(_DONE if frame["done"] else "black")


def backward_stepper() -> Explorer:
    """Explorer: step ``k`` of the reverse sweep through ``J(w) = w² − 10w + 25`` at a chosen ``w``.

    Controls: the step ``k`` (0 = forward values only; the default is the end) and ``w``. Each
    box shows a tensor's value and, once the sweep has reached it, its gradient
    ``dJ/d(tensor)``; the node being processed is highlighted and the edges to its inputs carry
    the contributions it sends (their arrowheads turned round, pointing back at the inputs).

    Defined in chapter 15 (From numpy to a framework).
    """
    n_steps = len(backward_events(seed_graph(0.0)[0]))
    controls = [
        Control(
            "step",
            "step k of the backward sweep",
            list(range(n_steps + 1)),
            default=n_steps,
            fmt=".0f",
        ),
        Control("w", "w", [-1.0, 0.0, 2.0, 5.0, 7.0], default=0.0, fmt=".2g"),
    ]

    return Explorer(
        title="The backward sweep, node by node",
        controls=controls,
        setup=_sweep_setup,
        compute=lambda step, w: _sweep_frame(step, w),
        draw=_sweep_draw,
        caption=(
            "Step through the reverse sweep of J(w) = w² − 10w + 25; w receives three "
            "contributions, w + w − 10 = 2w − 10."
        ),
    )
