"""Exercises of chapter 12 (Transfer learning).

* ``ch12_freeze``: ``freeze(model, n_frozen)`` returns the parameters left to train when the
  first ``n_frozen`` Linear layers are frozen;
* ``ch12_finetune_lrs``: ``finetune_lrs(base_lr, n_layers, factor)``, discriminative
  learning rates that shrink by ``factor`` per layer going down from the head.

Each exercise is laid out the same way: the reference solution (the function a learner
writes), the common wrong versions (``_name_of_the_mistake``), the visible and hidden cases
(seeded, non-trivial inputs), then one :func:`register` call.

Defined in chapter 12 (Transfer learning).
"""

from __future__ import annotations

import numpy as np

from dlnotes.exercises.core import Case, FunctionExercise, Mistakes, register, seeded
from dlnotes.layers import LayerNorm, Linear
from dlnotes.model import Sequential, mlp

# ============================================================================================
# ch12_freeze
# ============================================================================================


def freeze(model: Sequential, n_frozen: int) -> list[np.ndarray]:
    """The parameters to give the optimizer when the first ``n_frozen`` Linear layers of
    ``model`` are frozen.

    Layers are counted by their Linear layers only (an MLP ``Linear, ReLU, Linear, ReLU,
    Linear`` has three, the last one is the head). Every layer that comes before the
    ``(n_frozen + 1)``-th Linear layer is frozen, including the norms and activations between
    frozen Linear layers; the parameters of that Linear layer and of every layer after it are
    returned, in model order, as the model's own arrays. ``n_frozen`` runs from 0 to the number
    of Linear layers: ``n_frozen = 0`` trains everything; ``n_frozen = (number of Linear
    layers) - 1`` trains the head alone (a linear probe); freezing every Linear layer leaves
    nothing to train (``[]``).

    Defined in chapter 12 (Transfer learning).
    """
    linear_positions = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    # the end of the model stands for a Linear layer after the last: every one frozen, none left
    first_trainable = [*linear_positions, len(model.layers)][n_frozen]
    return [p for layer in model.layers[first_trainable:] for p in layer.params]


def _linears(model):
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]


def _first_trainable(model, n_frozen):
    """Where training starts, as the reference finds it (the end when every Linear layer is
    frozen): the mistakes below get that right and go wrong elsewhere."""
    return [*_linears(model), len(model.layers)][n_frozen]


#: The common mistakes of ``ch12_freeze``, each declared on its wrong code.
freeze_mistakes = Mistakes()


@freeze_mistakes.add(
    "looked past the last Linear layer",
    "with every Linear layer frozen (n_frozen equal to how many there are) there is no "
    "(n_frozen + 1)-th Linear layer, so looking up its position fails. Nothing is left to "
    "train then, and the answer is an empty list: handle that case too.",
)
def _freeze_indexes_past_the_end(model, n_frozen):
    start = _linears(model)[n_frozen]  # IndexError when n_frozen == number of Linear layers
    return [p for layer in model.layers[start:] for p in layer.params]


@freeze_mistakes.add(
    "froze the head instead of the body",
    "you return the params of the first layers: transfer learning keeps the "
    "pretrained *body* (the first layers) fixed and trains the layers near the "
    "output, the head last of all.",
)
def _freeze_head_instead(model, n_frozen):
    linears = _linears(model)
    stop = linears[len(linears) - n_frozen] if n_frozen else len(model.layers)
    return [p for layer in model.layers[:stop] for p in layer.params]


@freeze_mistakes.add(
    "counted every layer, not Linear layers",
    "model.layers[n_frozen:] counts ReLUs and norms too; n_frozen counts Linear "
    "layers. Look up where the Linear layers are and start at the position of the "
    "(n_frozen + 1)-th of them.",
)
def _freeze_counts_all_layers(model, n_frozen):
    return [p for layer in model.layers[n_frozen:] for p in layer.params]


@freeze_mistakes.add(
    "one layer too many frozen",
    "freezing n_frozen Linear layers leaves the (n_frozen + 1)-th trainable: training "
    "starts at the (n_frozen + 1)-th Linear layer, not at the one after it (with the "
    "Linear layers counted from 0, that is index n_frozen, not n_frozen + 1).",
)
def _freeze_one_too_many(model, n_frozen):
    linears = _linears(model)
    start = linears[n_frozen + 1] if n_frozen + 1 < len(linears) else len(model.layers)
    return [p for layer in model.layers[start:] for p in layer.params]


@freeze_mistakes.add(
    "training started right after the last frozen Linear layer",
    "your list starts with the layer right after the n_frozen-th Linear layer, so the "
    "normalization layer that follows it (its gamma and beta) is trained. Every layer before "
    "the (n_frozen + 1)-th Linear layer is frozen, norm layers and activations included: "
    "start at the position of the (n_frozen + 1)-th Linear layer itself.",
)
def _freeze_after_last_frozen(model, n_frozen):
    if n_frozen == 0:
        return list(model.params)
    start = _linears(model)[n_frozen - 1] + 1  # right after the last frozen Linear layer
    return [p for layer in model.layers[start:] for p in layer.params]


@freeze_mistakes.add(
    "started after the last frozen Linear layer, and after the head when none is frozen",
    "two things: with n_frozen = 0, the index n_frozen − 1 into the Linear layers' positions "
    "is −1, the head, so nothing is returned when everything should train; and starting after "
    "the n_frozen-th Linear layer trains the normalization layer that follows it, which "
    "belongs to the frozen part (every layer before the (n_frozen + 1)-th Linear layer is "
    "frozen). Start at the position of the (n_frozen + 1)-th Linear layer.",
)
def _freeze_after_last_frozen_wraps(model, n_frozen):
    start = _linears(model)[n_frozen - 1] + 1  # n_frozen = 0: [-1], the head
    return [p for layer in model.layers[start:] for p in layer.params]


@freeze_mistakes.add(
    "the head alone, whatever n_frozen",
    "you return the head's params every time, a linear probe; n_frozen says how many Linear "
    "layers are frozen, so with n_frozen = 1 of 3 the two later Linear layers (and the "
    "layers between them) train, and with every Linear layer frozen nothing does ([]).",
)
def _freeze_head_only(model, n_frozen):
    return list(model.layers[_linears(model)[-1]].params)


@freeze_mistakes.add(
    "returned the frozen parameters",
    "you return what should stay fixed; the optimizer needs the params that are "
    "still trained (those of the layers from the (n_frozen + 1)-th Linear layer on).",
)
def _freeze_returns_frozen(model, n_frozen):
    return [p for layer in model.layers[: _first_trainable(model, n_frozen)] for p in layer.params]


@freeze_mistakes.add(
    "forgot the biases",
    "each trainable layer contributes all of layer.params (a Linear layer has W "
    "and b), not only its first array.",
)
def _freeze_forgets_biases(model, n_frozen):
    start = _first_trainable(model, n_frozen)
    return [layer.params[0] for layer in model.layers[start:] if layer.params]


@freeze_mistakes.add(
    "norm layers of the frozen block left trainable",
    "a LayerNorm between two frozen Linear layers belongs to the frozen body: "
    "freeze every layer before the (n_frozen + 1)-th Linear layer, not only the "
    "Linear ones.",
)
def _freeze_only_linear(model, n_frozen):
    linears = _linears(model)
    frozen = set(linears[:n_frozen])
    return [p for i, layer in enumerate(model.layers) if i not in frozen for p in layer.params]


@freeze_mistakes.add(
    "norm layers of the trainable part left out",
    "you return the params of the later Linear layers only: a LayerNorm after the first "
    "trainable Linear layer is trained too (its gamma and beta are parameters). Return the "
    "params of every layer from the (n_frozen + 1)-th Linear layer on, norms included, not "
    "only those of the Linear layers.",
)
def _freeze_only_later_linears(model, n_frozen):
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    return [p for layer in linears[n_frozen:] for p in layer.params]


@freeze_mistakes.add(
    "every layer with parameters counted as a Linear layer",
    "model.params[2 * n_frozen:] (or counting the layers that have params) treats a "
    "LayerNorm, whose gamma and beta are parameters too, as one of the n_frozen Linear "
    "layers. Find where the Linear layers are and cut at the (n_frozen + 1)-th of them.",
)
def _freeze_two_arrays_per_layer(model, n_frozen):
    return list(model.params[2 * n_frozen :])


@freeze_mistakes.add(
    "took the frozen layers' weights out of the model",
    "freezing means leaving the frozen layers out of the list you hand the "
    "optimizer, not removing their weights from the model (emptying their params, or "
    "dropping those layers from model.layers): the model then has nothing to compute "
    "its first layers with. Return the trainable params and leave the model as it was.",
)
def _freeze_empties_frozen(model, n_frozen):
    start = _first_trainable(model, n_frozen)
    for layer in model.layers[:start]:
        layer.params.clear()  # the layer loses its weights: the model is broken
    return [p for layer in model.layers[start:] for p in layer.params]


def _freeze_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)

    def net(sizes, **kw):
        """A "pretrained" model: initialized, then every parameter moved (norms included), so
        the layers' parameters all differ from one another and from their initial values."""
        model = mlp(sizes, seed=int(rng.integers(1_000_000)), dtype=np.float64, **kw)
        for p in model.params:
            p += 0.1 * rng.standard_normal(p.shape)
        return model

    cases = [
        Case("MLP 6-5-4-3, freeze 1 Linear layer", (net([6, 5, 4, 3]), 1)),
        Case("MLP 7-6-5-4-3, freeze 2 Linear layers", (net([7, 6, 5, 4, 3]), 2)),
        Case("MLP 5-4-3, a linear probe (freeze 1 of 2)", (net([5, 4, 3]), 1)),
        Case("MLP 6-5-4-3, freeze nothing", (net([6, 5, 4, 3]), 0)),
        Case(
            "MLP 6-5-4-3 with LayerNorm, freeze 2 Linear layers",
            (net([6, 5, 4, 3], norm="layernorm"), 2),
        ),
    ]
    if hidden:
        cases = [
            Case("MLP 8-7-6-5-4-3, freeze 3 Linear layers", (net([8, 7, 6, 5, 4, 3]), 3)),
            Case("MLP 5-6-7-2, freeze 2 (a linear probe)", (net([5, 6, 7, 2]), 2)),
            Case(
                "MLP 4-6-5-3 with LayerNorm and tanh, freeze 1",
                (net([4, 6, 5, 3], norm="layernorm", activation="tanh"), 1),
            ),
            Case("MLP 9-7-5-4-3, freeze 2 Linear layers", (net([9, 7, 5, 4, 3]), 2)),
            Case(
                "MLP 5-6-5-4-3 with LayerNorm, freeze 2",
                (net([5, 6, 5, 4, 3], norm="layernorm"), 2),
            ),
            Case("MLP 3-4-2, freeze nothing", (net([3, 4, 2]), 0)),
            # (appended, so that the cases above keep their inputs)
            Case(
                "MLP 5-6-5-4-3 with BatchNorm, freeze 2 Linear layers",
                (net([5, 6, 5, 4, 3], norm="batchnorm"), 2),
            ),
            Case(
                "MLP 7-5-4-2, every Linear layer frozen (3 of 3): nothing to train",
                (net([7, 5, 4, 2]), 3),
            ),
        ]
    else:  # (appended, so that the cases above and the hidden ones keep their numbers)
        cases.append(
            Case(
                "MLP 6-5-4-3 with LayerNorm, freeze 1 Linear layer",
                (net([6, 5, 4, 3], norm="layernorm"), 1),
            )
        )
        # batch norm: gamma and beta are parameters like a LayerNorm's (and the Linear layers
        # before it have no bias, W alone)
        cases.append(
            Case(
                "MLP 6-5-4-3 with BatchNorm, freeze 1 Linear layer",
                (net([6, 5, 4, 3], norm="batchnorm"), 1),
            )
        )
        # every Linear layer frozen: nothing left to train, an empty list (a solution that
        # looks up the (n_frozen + 1)-th Linear layer's position fails here)
        cases.append(
            Case(
                "MLP 5-4-3-2, every Linear layer frozen (3 of 3): nothing to train",
                (net([5, 4, 3, 2]), 3),
            )
        )
    return cases


@freeze_mistakes.add(
    "batch norm's gamma and beta left out",
    "a BatchNorm layer after the first trainable Linear layer is trained too: its gamma and "
    "beta are in layer.params, like a LayerNorm's (only its running mean and variance are "
    "not parameters). Return the params of every layer from the (n_frozen + 1)-th Linear "
    "layer on, whatever its type, not only those of the Linear and LayerNorm layers.",
)
def _freeze_forgets_batchnorm(model, n_frozen):
    first_trainable = _first_trainable(model, n_frozen)
    return [
        p
        for layer in model.layers[first_trainable:]
        if isinstance(layer, (Linear, LayerNorm))
        for p in layer.params
    ]


@freeze_mistakes.add(
    "weights only, biases left out",
    "every parameter of the trainable layers goes on, its weight W and its bias b (and batch "
    "norm's γ, β): take layer.params, not only the weights.",
)
def _freeze_weights_only(model, n_frozen):
    first_trainable = _first_trainable(model, n_frozen)
    return [layer.W for layer in model.layers[first_trainable:] if isinstance(layer, Linear)]


@freeze_mistakes.add(
    "Linear not imported",
    "the name Linear is not defined in your notebook yet: the chapter imports it in the cell "
    "just before the one where you write freeze. Run the cell that imports it (from "
    "dlnotes.layers import Linear), then run this check again; your freeze need not run again.",
)
def _freeze_without_the_import(model, n_frozen):
    # the learner's isinstance(layer, Linear) in a kernel where the import cell never ran:
    # a NameError with Python's own message, which names this mistake
    raise NameError("name 'Linear' is not defined")


register(
    FunctionExercise(
        name="ch12_freeze",
        chapter="12",
        title="Freeze the body, train the rest",
        signature="freeze(model, n_frozen) -> list of the arrays left to train",
        hint=(
            "Find the positions of the Linear layers: [i for i, layer in "
            "enumerate(model.layers) if isinstance(layer, Linear)]. Training starts at the "
            "(n_frozen + 1)-th of them: return the params of that Linear layer and of every "
            "layer after it, in model order. With every Linear layer frozen there is no such "
            "layer: return []."
        ),
        solution=freeze,
        output="input",
        suites=seeded(_freeze_cases, visible=12, hidden=120),
        mistakes=freeze_mistakes.all,
        references=("dlnotes.zoo.transfer:trainable_params",),
    )
)


# ============================================================================================
# ch12_finetune_lrs
# ============================================================================================


def finetune_lrs(base_lr: float, n_layers: int, factor: float) -> list[float]:
    """Discriminative learning rates for ``n_layers`` Linear layers, first layer first.

    ``lr_k = base_lr · factor ** (n_layers − 1 − k)`` for ``k = 0 .. n_layers − 1``: the head
    (``k = n_layers − 1``) gets ``base_lr`` and every layer below gets ``factor`` times the rate
    of the layer above it (``factor < 1``: the closer to the input, the more general the
    features and the gentler the change).

    Defined in chapter 12 (Transfer learning).
    """
    return [base_lr * factor ** (n_layers - 1 - k) for k in range(n_layers)]


#: The common mistakes of ``ch12_finetune_lrs``, each declared on its wrong code.
finetune_lrs_mistakes = Mistakes()


@finetune_lrs_mistakes.add(
    "reversed order",
    "your head gets the smallest rate and the first layer base_lr: the list goes "
    "from the first layer to the head, and the head gets base_lr.",
)
def _lrs_reversed(base_lr, n_layers, factor):
    return [base_lr * factor**k for k in range(n_layers)]


@finetune_lrs_mistakes.add(
    "off by one",
    "your head's rate is base_lr · factor; the head (k = n_layers − 1) must get "
    "base_lr itself: the exponent is n_layers − 1 − k.",
)
def _lrs_off_by_one(base_lr, n_layers, factor):
    return [base_lr * factor ** (n_layers - k) for k in range(n_layers)]


@finetune_lrs_mistakes.add(
    "divided by the factor",
    "with factor < 1 the lower layers must get *smaller* rates: multiply by "
    "factor ** (layers below the head), do not divide.",
)
def _lrs_divided(base_lr, n_layers, factor):
    return [base_lr / factor ** (n_layers - 1 - k) for k in range(n_layers)]


@finetune_lrs_mistakes.add(
    "linear instead of geometric",
    "the rate shrinks by the *factor* each layer down (base_lr, base_lr·factor, "
    "base_lr·factor², ...), not by a constant amount.",
)
def _lrs_linear(base_lr, n_layers, factor):
    return [base_lr * (1 - (1 - factor) * (n_layers - 1 - k)) for k in range(n_layers)]


@finetune_lrs_mistakes.add(
    "factor times the exponent, not to its power",
    "factor * (n_layers - 1 - k) multiplies the factor by the number of layers below the "
    "head (and gives the head 0); the rate needs factor *raised* to that number, with "
    "Python's power operator **.",
)
def _lrs_times_not_power(base_lr, n_layers, factor):
    return [base_lr * factor * (n_layers - 1 - k) for k in range(n_layers)]


@finetune_lrs_mistakes.add(
    "one rate for the whole body",
    "the head gets base_lr and every layer below it base_lr · factor: that is the "
    "'body at α/10' recipe. Here the rate keeps shrinking layer after layer going down, "
    "so the layer two below the head gets factor times the rate of the one above it.",
)
def _lrs_one_body_rate(base_lr, n_layers, factor):
    return [base_lr * factor] * (n_layers - 1) + [base_lr]


@finetune_lrs_mistakes.add(
    "exponent without parentheses",
    "`base_lr * factor ** n_layers - 1 - k` is read by Python as (base_lr · factor ** "
    "n_layers) − 1 − k: the power and the product come before the subtraction, which is "
    "why your rates come out negative. The whole exponent needs parentheses.",
)
def _lrs_no_parentheses(base_lr, n_layers, factor):
    return [base_lr * factor**n_layers - 1 - k for k in range(n_layers)]


@finetune_lrs_mistakes.add(
    "layers numbered from 1",
    "with k in range(1, n_layers + 1) each layer gets the rate meant for the layer above "
    "it, and the head's exponent is −1 (base_lr / factor). In the formula the first layer "
    "is k = 0 and the head k = n_layers − 1.",
)
def _lrs_numbered_from_one(base_lr, n_layers, factor):
    return [base_lr * factor ** (n_layers - 1 - k) for k in range(1, n_layers + 1)]


@finetune_lrs_mistakes.add(
    "a bare number for one layer",
    "with n_layers = 1 the result is still a list of n_layers rates: [base_lr], a list "
    "holding the head's rate, not the number base_lr itself. Return the same list "
    "comprehension for every n_layers; it gives [base_lr] for one layer.",
)
def _lrs_bare_number_for_one(base_lr, n_layers, factor):
    if n_layers == 1:
        return base_lr
    return [base_lr * factor ** (n_layers - 1 - k) for k in range(n_layers)]


def _lrs_cases(seed: int, hidden: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    # (0.08, 1, 0.5), appended: one layer, whose list is [base_lr]
    settings = [(0.05, 3, 0.1), (0.02, 5, 0.5), (0.3, 4, 0.3), (0.1, 2, 0.25), (0.08, 1, 0.5)]
    if hidden:
        settings = [(0.01, 6, 0.6), (0.2, 3, 0.2), (0.07, 4, 0.75), (0.5, 1, 0.1), (0.04, 2, 0.4)]
    cases = []
    for base, n, factor in settings:
        base = round(base * float(rng.uniform(0.8, 1.25)), 4)  # non-round rates
        layers = f"{n} layer" + "s" * (n != 1)
        cases.append(Case(f"base_lr = {base}, {layers}, factor {factor}", (base, n, factor)))
    return cases


register(
    FunctionExercise(
        name="ch12_finetune_lrs",
        chapter="12",
        title="Discriminative learning rates",
        signature="finetune_lrs(base_lr, n_layers, factor) -> list of n_layers floats",
        hint=(
            "Layer k (k = 0 is the first) is n_layers − 1 − k layers below the head, so its "
            "rate is base_lr · factor ** (n_layers − 1 − k). Return a list, first layer first."
        ),
        solution=finetune_lrs,
        suites=seeded(_lrs_cases, visible=12, hidden=120),
        mistakes=finetune_lrs_mistakes.all,
        references=("dlnotes.zoo.transfer:discriminative_lrs",),
        diagnoses={
            "input base_lr": "the result is the list of all n_layers rates, first layer "
            "first; base_lr is only the head's rate, the list's last element (and one layer "
            "gets a list too, [base_lr])"
        },
    )
)
