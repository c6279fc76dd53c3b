"""Chapter 14's ensemble exercise refuses SciPy's softmax as its prompt says: the
check names the call and counts the answer wrong, as it does for dlnotes' own softmax."""

from __future__ import annotations

import numpy as np
import pytest

from dlnotes.exercises import CheckFailed, check


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_scipy_softmax_is_refused_in_the_words_of_the_prompt(name):
    import scipy.special

    library = getattr(scipy.special, name)

    def ensemble_predict(logit_list):
        return np.mean([library(z, axis=1) for z in logit_list], axis=0).argmax(axis=1)

    for suite in ("visible", "hidden"):
        with pytest.raises(CheckFailed) as info:
            check("ch14_ensemble_predict", ensemble_predict, suite=suite)
        said = " ".join(str(info.value).split())
        assert f"your function calls scipy.special.{name}" in said, said
        assert "the check refuses a library's softmax code (dlnotes' or SciPy's)" in said, said


def test_a_softmax_written_in_numpy_still_passes():
    def ensemble_predict(logit_list):
        def softmax(z):
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        return np.mean([softmax(z) for z in logit_list], axis=0).argmax(axis=1)

    for suite in ("visible", "hidden"):
        check("ch14_ensemble_predict", ensemble_predict, suite=suite)  # raises if it fails
