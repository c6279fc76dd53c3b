"""Feedback on chapters 11 (batch normalization) and 12 (transfer learning) for answers a new
learner writes: each is named by a registered mistake or a generic diagnosis that says what is
wrong, never by a diagnosis that is false ("not repeatable" for a generator)."""

from __future__ import annotations

import numpy as np
from verdicts import feedback, likely

from dlnotes.layers import Linear


def _positions(model):
    """Where each Linear layer is, then the end of the model: the answers below handle every
    Linear layer frozen (nothing to train) and go wrong elsewhere."""
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)] + [
        len(model.layers)
    ]


# --------------------------------------------------------------------------------------------
# ch12_freeze
# --------------------------------------------------------------------------------------------


def test_freeze_leaving_out_the_trainable_norms_fails_the_visible_checks_and_is_named():
    def freeze(model, n_frozen):
        lins = [layer for layer in model.layers if isinstance(layer, Linear)]
        return [p for layer in lins[n_frozen:] for p in layer.params]

    for suite in ("visible", "hidden"):
        line = likely(feedback("ch12_freeze", freeze, suite))
        assert "norm layers of the trainable part left out" in line
        assert "not only those of the Linear layers" in line


def test_freeze_returning_a_generator_is_told_to_return_a_list():
    def freeze(model, n_frozen):
        start = _positions(model)[n_frozen]
        return (p for layer in model.layers[start:] for p in layer.params)

    message = feedback("ch12_freeze", freeze)
    line = likely(message)
    assert "returned a generator: return a list" in line
    assert "build it with square brackets, [... for ...]" in line
    assert "not repeatable" not in message


def test_freeze_returning_one_list_per_layer_is_told_to_flatten():
    def freeze(model, n_frozen):
        start = _positions(model)[n_frozen]
        return [layer.params for layer in model.layers[start:] if layer.params]

    line = likely(feedback("ch12_freeze", freeze))
    assert "a list of lists: flatten it" in line
    assert "your 2 lists hold the expected 4 items in the right order" in line


def test_freeze_returning_the_layers_is_told_to_return_their_arrays():
    def freeze(model, n_frozen):
        return model.layers[_positions(model)[n_frozen] :]

    message = feedback("ch12_freeze", freeze)
    line = likely(message)
    assert "returned the layers, not their parameter arrays (layer.params)" in line
    assert "your list holds Linear, ReLU objects" in line
    assert "not repeatable" not in message


def test_freeze_with_one_layer_too_few_frozen_says_where_the_extra_items_are():
    def freeze(model, n_frozen):
        start = _positions(model)[max(n_frozen - 1, 0)]
        return [p for layer in model.layers[start:] for p in layer.params]

    # Since the suite freezes every Linear layer of one network too (n_frozen = 3 of 3), every
    # failing check is the answer for n_frozen one less, and the feedback says so.
    line = likely(feedback("ch12_freeze", freeze))
    assert "as if n_frozen were 0" in line and "off by one in n_frozen" in line


def test_a_generator_and_a_map_are_named_in_another_exercise_too():
    def gen_lrs(base_lr, n_layers, factor):
        return (base_lr * factor ** (n_layers - 1 - k) for k in range(n_layers))

    def map_lrs(base_lr, n_layers, factor):
        return map(lambda k: base_lr * factor ** (n_layers - 1 - k), range(n_layers))

    assert "returned a generator: return a list" in likely(feedback("ch12_finetune_lrs", gen_lrs))
    line = likely(feedback("ch12_finetune_lrs", map_lrs))
    assert "returned a map iterator: return a list" in line


# --------------------------------------------------------------------------------------------
# ch11
# --------------------------------------------------------------------------------------------


def test_forward_over_the_wrong_axis_with_keepdims_is_named():
    def batchnorm_forward(X, gamma, beta, eps):
        mean = X.mean(axis=1, keepdims=True)
        var = X.var(axis=1, keepdims=True)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mean, var)

    line = likely(feedback("ch11_batchnorm_forward", batchnorm_forward))
    assert "normalising over the wrong axis" in line and "keepdims" in line


def _backward(dbeta_mean: bool = False, no_n: bool = False):
    def batchnorm_backward(dout, X, gamma, eps):
        N = X.shape[0]
        mean = X.mean(axis=0)
        sigma = np.sqrt(((X - mean) ** 2).mean(axis=0) + eps)
        x_hat = (X - mean) / sigma
        dgamma = (dout * x_hat).sum(axis=0)
        dbeta = dout.mean(axis=0) if dbeta_mean else dout.sum(axis=0)
        dx_hat = dout * gamma
        dX = N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)
        return dX / (sigma if no_n else N * sigma), dgamma, dbeta

    return batchnorm_backward


def test_a_factor_of_the_batch_size_is_named_as_such():
    line = likely(feedback("ch11_batchnorm_backward", _backward(dbeta_mean=True)))
    assert "your dbeta (result 2) is 1/N × the expected one, where N is the batch size" in line
    assert "a mean where a sum belongs" in line and "the factor changes with the inputs" not in line
    line = likely(feedback("ch11_batchnorm_backward", _backward(no_n=True)))
    assert "your dX (result 0) is N × the expected one" in line
    assert "a missing 1/N" in line


def test_the_unbiased_variance_in_the_cache_is_named_by_its_factor():
    def batchnorm_forward(X, gamma, beta, eps):
        mean, var = X.mean(axis=0), X.var(axis=0)
        x_hat = (X - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x_hat, mean, X.var(axis=0, ddof=1))  # cache: unbiased

    line = likely(feedback("ch11_batchnorm_forward", batchnorm_forward))
    assert "N/(N − 1) × the expected one" in line
    assert "the unbiased variance where the biased one belongs" in line


def test_an_object_returned_for_arrays_is_named_without_blaming_repeatability():
    from dlnotes import layers

    def batchnorm_backward(dout, X, gamma, eps):
        return layers.BatchNorm(X.shape[1])  # the layer, not its gradients

    message = feedback("ch11_batchnorm_backward", batchnorm_backward)
    line = likely(message)
    assert "returned objects, not arrays" in line
    assert "your result is a BatchNorm object where numpy arrays are expected" in line
    assert "layer.params" not in line and "not repeatable" not in message


def test_the_extra_items_advice_names_every_exercises_result_with_an_article():
    from dlnotes.exercises import exercises
    from dlnotes.exercises.diagnose import _a

    assert _a("list of the arrays left to train") == "a list of the arrays left to train"
    assert _a("int array of shape (N,)") == "an int array of shape (N,)"
    assert _a("(out, (x_hat, mean, var))") == "(out, (x_hat, mean, var))"
    for ex in exercises():
        if ex.kind == "function":
            phrase = _a(ex.signature.partition("->")[2].strip())
            assert phrase.startswith(("(", "a ", "an ")), (ex.name, phrase)
