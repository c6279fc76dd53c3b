"""Correct-but-different answers to chapter 07's exercises: each must pass both suites.

Both exercises fix the random call, so an alternative must consume the generator the same way:
the same draws in the same order (numpy's uniform is ``low + (high − low)·random()`` and its
normal ``loc + scale·standard_normal()``, one draw per entry, row by row).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# --------------------------------------------------------------------------------------------
# ch07_xavier_uniform
# --------------------------------------------------------------------------------------------


def xavier_uniform_scaled_random(fan_in, fan_out, rng):
    """U(-a, a) built from U(0, 1): -a + 2a·random()."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return -a + 2.0 * a * rng.random((fan_in, fan_out))


def xavier_uniform_keywords(n_in, n_out, generator):
    """Renamed parameters, keyword arguments, the bound from the target variance."""
    variance = 2.0 / (n_in + n_out)
    bound = math.sqrt(3.0 * variance)  # U(-a, a) has variance a²/3
    return generator.uniform(low=-bound, high=bound, size=(n_in, n_out))


def xavier_uniform_loops(fan_in, fan_out, rng):
    """One scalar draw per entry, row by row (the order numpy fills an array in)."""
    a = math.sqrt(6 / (fan_in + fan_out))
    W = np.empty((fan_in, fan_out))
    for i in range(fan_in):
        for j in range(fan_out):
            W[i, j] = rng.uniform(-a, a)
    return W


# --------------------------------------------------------------------------------------------
# ch07_kaiming_normal
# --------------------------------------------------------------------------------------------


def kaiming_normal_standard_normal(fan_in, fan_out, rng):
    """std times standard normal draws."""
    return np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))


def kaiming_normal_gain(n_in, n_out, generator):
    """Renamed parameters; torch's form, gain / sqrt(fan_in) with gain √2 for ReLU."""
    gain = math.sqrt(2.0)
    return generator.normal(loc=0.0, scale=gain / math.sqrt(n_in), size=(n_in, n_out))


def kaiming_normal_loops(fan_in, fan_out, rng):
    """Scalar draws in a nested list, turned into an array at the end."""
    std = (2 / fan_in) ** 0.5
    return np.array([[rng.normal(0.0, std) for _ in range(fan_out)] for _ in range(fan_in)])


ALTERNATIVES: dict[str, list[Callable]] = {
    "ch07_xavier_uniform": [
        xavier_uniform_scaled_random,
        xavier_uniform_keywords,
        xavier_uniform_loops,
    ],
    "ch07_kaiming_normal": [
        kaiming_normal_standard_normal,
        kaiming_normal_gain,
        kaiming_normal_loops,
    ],
}
