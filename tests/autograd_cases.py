"""Shared operation cases for the autograd tests: name -> (function of tensors, input shapes,
input kind). ``kind`` picks the inputs: "any" (standard normal), "positive" (in [0.5, 2]),
"kink" (normal, kept 0.05 away from 0 for ReLU). Broadcasting cases are included on purpose.

Each function takes the autograd module (``A``, with ``Tensor`` ops) or torch's namespace
through a small adapter, so the same case runs in both engines."""

import numpy as np

# (name, shapes, kind, needs_labels)
CASES = {
    "add": [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((3, 4), ())],
    "sub": [((3, 4), (4,)), ((4,), (3, 4)), ((2, 1, 4), (3, 1))],
    "mul": [((3, 4), (3, 4)), ((3, 4), (3, 1)), ((5,), (2, 5)), ((3, 4), ())],
    "div": [((3, 4), (4,)), ((3, 1), (3, 4))],
    "neg": [((3, 4),)],
    "pow3": [((3, 4),)],
    "rsqrt": [((3, 4),)],
    "exp": [((3, 4),)],
    "log": [((3, 4),)],
    "relu": [((4, 5),)],
    "tanh": [((4, 5),)],
    "sigmoid": [((4, 5),)],
    "matmul": [((5, 3), (3, 4)), ((1, 3), (3, 1))],
    "transpose": [((3, 4),)],
    "sum_all": [((3, 4),)],
    "sum_axis0": [((3, 4),)],
    "sum_axes02_keepdims": [((2, 3, 4),)],
    "mean_axis1": [((3, 4),)],
    "mean_keepdims": [((3, 4),)],
    "logsumexp_axis1": [((4, 5),)],
    "logsumexp_keepdims": [((4, 5),)],
    "reshape": [((3, 4),)],
    "index_rows_repeated": [((5, 3),)],
    "index_slice": [((5, 4),)],
    "cross_entropy": [((6, 4),)],
    "batch_norm": [((6, 3), (3,), (3,))],
    "dropout": [((4, 5),)],
}

KIND = {
    "div": "positive_second",
    "pow3": "any",
    "rsqrt": "positive",
    "log": "positive",
    "relu": "kink",
}


def inputs(name, shapes, seed):
    rng = np.random.default_rng(seed)
    kind = KIND.get(name, "any")
    xs = []
    for k, s in enumerate(shapes):
        if kind == "positive" or (kind == "positive_second" and k == 1):
            x = rng.uniform(0.5, 2.0, s)
        else:
            x = rng.standard_normal(s)
            if kind == "kink":
                x = x + 0.05 * np.sign(x)
        xs.append(np.asarray(x, dtype=np.float64))
    return xs


LABELS = np.array([0, 3, 1, 1, 2, 3])
ROWS = np.array([4, 0, 4, 2])
MASK = (np.random.default_rng(7).random((4, 5)) >= 0.3).astype(np.float64)


def apply_numpy_engine(A, name, ts):
    """The case's output with dlnotes.autograd (``A``) operating on tensors ``ts``."""
    ops = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "neg": lambda x: -x,
        "pow3": lambda x: x**3,
        "rsqrt": lambda x: x**-0.5,
        "exp": lambda x: x.exp(),
        "log": lambda x: x.log(),
        "relu": lambda x: x.relu(),
        "tanh": lambda x: x.tanh(),
        "sigmoid": lambda x: x.sigmoid(),
        "matmul": lambda x, y: x @ y,
        "transpose": lambda x: x.T,
        "sum_all": lambda x: x.sum(),
        "sum_axis0": lambda x: x.sum(axis=0),
        "sum_axes02_keepdims": lambda x: x.sum(axis=(0, 2), keepdims=True),
        "mean_axis1": lambda x: x.mean(axis=1),
        "mean_keepdims": lambda x: x.mean(axis=0, keepdims=True),
        "logsumexp_axis1": lambda x: A.logsumexp(x, axis=1),
        "logsumexp_keepdims": lambda x: A.logsumexp(x, axis=1, keepdims=True),
        "reshape": lambda x: x.reshape(2, 6),
        "index_rows_repeated": lambda x: x[ROWS],
        "index_slice": lambda x: x[1:4, ::2],
        "cross_entropy": lambda x: A.softmax_cross_entropy(x, LABELS),
        "batch_norm": lambda x, g, b: A.batch_norm(x, g, b),
        "dropout": lambda x: A.dropout(x, 0.3, MASK),
    }
    return ops[name](*ts)


def apply_torch(torch, name, ts):
    """The same case in torch."""
    F = torch.nn.functional
    ops = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "neg": lambda x: -x,
        "pow3": lambda x: x**3,
        "rsqrt": lambda x: x**-0.5,
        "exp": torch.exp,
        "log": torch.log,
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "matmul": lambda x, y: x @ y,
        "transpose": lambda x: x.T,
        "sum_all": lambda x: x.sum(),
        "sum_axis0": lambda x: x.sum(dim=0),
        "sum_axes02_keepdims": lambda x: x.sum(dim=(0, 2), keepdim=True),
        "mean_axis1": lambda x: x.mean(dim=1),
        "mean_keepdims": lambda x: x.mean(dim=0, keepdim=True),
        "logsumexp_axis1": lambda x: torch.logsumexp(x, dim=1),
        "logsumexp_keepdims": lambda x: torch.logsumexp(x, dim=1, keepdim=True),
        "reshape": lambda x: x.reshape(2, 6),
        "index_rows_repeated": lambda x: x[torch.as_tensor(ROWS)],
        "index_slice": lambda x: x[1:4, ::2],
        "cross_entropy": lambda x: F.cross_entropy(x, torch.as_tensor(LABELS)),
        "batch_norm": lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
        "dropout": lambda x: x * torch.as_tensor(MASK) / 0.7,
    }
    return ops[name](*ts)


def all_cases():
    return [(name, shapes) for name, shape_list in CASES.items() for shapes in shape_list]
