"""Correct-but-different answers to chapter 16's exercise, a value exercise: other ways of
writing the right diagnosis, each of which must be accepted."""

from __future__ import annotations

from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import numpy as np

#: The right diagnosis, written out as a learner would (not imported from the answer key).
_RIGHT = [
    ("A", "high_variance", "more_data_or_regularize"),
    ("B", "lr_too_low", "raise_lr"),
    ("C", "batchnorm_mismatch", "fix_bn_running_stats"),
    ("D", "lr_too_high", "lower_lr"),
    ("E", "no_shuffle", "shuffle_batches"),
    ("F", "saturating_init", "scaled_init"),
    ("G", "high_bias", "bigger_model"),
]

#: Pairs as lists instead of tuples.
AS_LISTS = {run: [cause, fix] for run, cause, fix in _RIGHT}
#: The runs in another order, in an OrderedDict.
REVERSED = OrderedDict((run, (cause, fix)) for run, cause, fix in reversed(_RIGHT))
#: A read-only mapping whose strings come out of a numpy array (np.str_, not str).
FROM_NUMPY: Any = MappingProxyType(
    {str(row[0]): (row[1], row[2]) for row in np.array(_RIGHT, dtype=np.str_)}
)

ALTERNATIVES: dict[str, list[Any]] = {
    "ch16_diagnose_runs": [AS_LISTS, REVERSED, FROM_NUMPY],
}
