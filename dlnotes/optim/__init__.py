"""Optimizers in numpy, with torch.optim's hyperparameters and updates.

Every optimizer updates a list of numpy arrays in place (a single array works too)::

    from dlnotes.optim import Adam
    opt = Adam([W, b], lr=1e-3)
    opt.step([dW, db])            # W and b change in place
    opt.lr = 5e-4                 # schedules set the learning rate between steps
    opt.state[0]["first_moment"]  # buffers under readable names; opt.t counts steps

======================  =================================================  ===========
class                   update                                             chapter
======================  =================================================  ===========
:class:`SGD`            momentum, dampening, Nesterov, weight decay        04
:class:`Adagrad`        accumulated squared gradients                      05
:class:`RMSprop`        running squared gradients, centered, momentum      05
:class:`Adam`           bias-corrected moments, AMSGrad, L2 decay          05
:class:`AdamW`          Adam with decoupled weight decay                   05
:class:`LBFGS`          two-loop recursion, strong-Wolfe line search       06
======================  =================================================  ===========

:mod:`dlnotes.optim.teaching` holds the seed formulas the chapters quote, as pure functions.
Averages live in :mod:`dlnotes.averages` (:func:`~dlnotes.averages.ewa`,
:class:`~dlnotes.averages.EMA`, :class:`~dlnotes.averages.PolyakAverage`), schedules in
:mod:`dlnotes.schedules`.
"""

from dlnotes._validate import NonFiniteError
from dlnotes.optim.adagrad import Adagrad
from dlnotes.optim.adam import Adam, AdamW
from dlnotes.optim.base import CHUNK, Optimizer
from dlnotes.optim.lbfgs import LBFGS
from dlnotes.optim.rmsprop import RMSprop
from dlnotes.optim.sgd import SGD

__all__ = [
    "CHUNK",
    "LBFGS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "NonFiniteError",
    "Optimizer",
    "RMSprop",
]
