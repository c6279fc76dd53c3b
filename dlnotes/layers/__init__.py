"""Layers with forward and backward passes, at two levels.

**Functional** (the cs231n convention of the exercises): ``out, cache = *_forward(...)`` and
``grads = *_backward(dout, cache)``, pure functions of arrays, e.g.::

    out, cache = linear_forward(X, W, b)          # X (N, D), W (D, M), b (M,)
    dX, dW, db = linear_backward(dout, cache)     # dout (N, M)

**Modules** built on them own their parameters and gradients (``layer.params``,
``layer.grads``), have train/eval modes and plug into :class:`dlnotes.model.Sequential`::

    layer = Linear(784, 256, init="kaiming_normal", seed=0)
    out = layer.forward(X)
    dX = layer.backward(dout)                     # fills layer.grads = [dW, db]

Rows are examples: ``X`` has shape ``(N, D)``. Courses that put examples in columns (``A`` of
shape ``(D, N)``, ``Z = W A + b``) use the transposes: their ``W`` is our ``W.T``.

=================  =========================================  =================================
module             functional pair                            chapter
=================  =========================================  =================================
``Linear``         ``linear_forward/backward``                07 Initialization
``ReLU``           ``relu_forward/backward``                  07 Initialization
``LeakyReLU``      ``leaky_relu_forward/backward``            07 Initialization
``Tanh``           ``tanh_forward/backward``                  07 Initialization
``Sigmoid``        ``sigmoid_forward/backward``               07 Initialization
``Dropout``        ``dropout_forward/backward``               10 Dropout
``DropConnect``    ``dropconnect_forward/backward``           10 Dropout
``BatchNorm``      ``batchnorm_forward/backward``             11 Batch normalization
``BatchNorm2d``    ``spatial_batchnorm_forward/backward``     11 Batch normalization
``LayerNorm``      ``layernorm_forward/backward``             11 Batch normalization
``Flatten``        ``flatten_forward/backward``               09 Regularization
=================  =========================================  =================================

Defined in chapter 07 (Initialization).
"""

from dlnotes.layers._base import Layer
from dlnotes.layers.activations import (
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from dlnotes.layers.dropout import (
    DropConnect,
    Dropout,
    dropconnect_backward,
    dropconnect_forward,
    dropout_backward,
    dropout_forward,
)
from dlnotes.layers.linear import (
    Flatten,
    Linear,
    flatten_backward,
    flatten_forward,
    linear_backward,
    linear_forward,
)
from dlnotes.layers.normalization import (
    BatchNorm,
    BatchNorm1d,
    BatchNorm2d,
    LayerNorm,
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    update_running_stats_in_place,
)

__all__ = [
    "BatchNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "DropConnect",
    "Dropout",
    "Flatten",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "batchnorm_backward",
    "batchnorm_forward",
    "dropconnect_backward",
    "dropconnect_forward",
    "dropout_backward",
    "dropout_forward",
    "flatten_backward",
    "flatten_forward",
    "layernorm_backward",
    "layernorm_forward",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "linear_backward",
    "linear_forward",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "tanh_backward",
    "tanh_forward",
    "update_running_stats_in_place",
]
