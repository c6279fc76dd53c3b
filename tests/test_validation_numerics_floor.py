"""The numerics floor validates its inputs like the rest of the public
API, a layer's mode has one vocabulary, and the optimizers share their boilerplate.

Each test asserts behaviour that was missing (a raw ``AttributeError``, a silent NaN, a message
naming the wrong function or the wrong cause) and now gives a clear error naming the argument.
"""

from __future__ import annotations

import math
import pathlib
import re
from typing import ClassVar

import numpy as np
import pytest

import dlnotes.autograd as ag
import dlnotes.layers as L
import dlnotes.optim as optim
from dlnotes import gradcheck
from dlnotes.averages import EMA
from dlnotes.layers import Linear
from dlnotes.model import Sequential
from dlnotes.optim import SGD, Adam, AdamW, teaching
from dlnotes.train import fit
from dlnotes.tuning import Choice, LogUniform, Results, Uniform, random_search

OPTIM = pathlib.Path(optim.__file__).parent  # the imported package's sources


# -- item 5: one vocabulary for a layer's mode; ``training`` is validated ----------------------


def test_train_takes_bools_as_torch_does_and_tells_a_string_the_layers_way() -> None:
    d = L.Dropout(0.5, seed=0)
    assert d.train(False).mode == "eval" and d.train(True).mode == "train"  # torch's bools
    with pytest.raises(TypeError, match=r"got 'eval' \(a layer switches with \.train\(\) and"):
        d.train("eval")  # type: ignore[arg-type]
    assert d.mode == "train"  # unchanged
    model = Sequential([Linear(4, 3, seed=0), L.Dropout(0.5, seed=0)])
    assert model.train(False) is model and not model.training
    assert all(layer.mode == "eval" for layer in model.layers)
    with pytest.raises(TypeError, match=r"mode must be True \(train\) or False \(eval\)"):
        model.train("train")  # type: ignore[arg-type]


def test_an_unknown_mode_or_a_non_bool_training_is_refused() -> None:
    with pytest.raises(TypeError, match=r"mode must be True \(train\).*got 'training'"):
        L.ReLU().train("training")
    with pytest.raises(TypeError, match=r"got 'evaluate'"):
        Sequential([Linear(2, 2, seed=0)]).train("evaluate")
    d = L.Dropout(0.5, seed=0)
    with pytest.raises(TypeError, match=r"training must be True .* or False .*got 'eval'"):
        d.training = "eval"  # type: ignore[assignment]
    assert d.mode == "train"  # unchanged, and no longer silently in train mode
    d.training = np.False_  # a numpy bool is a bool
    assert d.mode == "eval"
    X = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(d.forward(X), X)


# -- item 6: a cache holding the wrong things names the cache, not dout -------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: L.linear_backward(np.ones((4, 2)), (1, 2)), r"item 0 is X, the input"),
        (lambda: L.leaky_relu_backward(np.ones((4, 3)), (1, 2)), r"item 0 is the mask X > 0"),
        (
            lambda: L.batchnorm_backward(np.ones((4, 3)), (1, 2, 3, 4)),
            r"item 1 is xhat, the normalized input",
        ),
        (
            lambda: L.layernorm_backward(np.ones((4, 3)), (1, 2, 3)),
            r"item 0 is xhat, the normalized input",
        ),
        (
            lambda: L.dropconnect_backward(np.ones((4, 2)), ((1, 2), 3)),
            r"cache\[0\] must be what dropconnect_forward returned, whose item 0 is X",
        ),
    ],
)
def test_a_cache_holding_non_arrays_gets_a_message_naming_the_item(call, message) -> None:
    with pytest.raises(TypeError, match=message):
        call()


def test_a_swapped_or_mixed_cache_blames_the_cache_not_dout() -> None:
    X, W, b = np.ones((4, 2)), np.ones((2, 3)), np.zeros(3)
    out, (Xc, Wc) = L.linear_forward(X, W, b)
    with pytest.raises(ValueError, match=r"linear_backward: cache is not what linear_forward"):
        L.linear_backward(np.ones_like(out), (Wc, Xc))
    x = np.random.default_rng(0).standard_normal((4, 3))
    _, (mode, xhat, inv_std, gamma) = L.batchnorm_forward(
        x, np.ones(3), np.zeros(3), None, None, mode="train"
    )
    with pytest.raises(ValueError, match=r"batchnorm_backward: cache is not what"):
        L.batchnorm_backward(np.ones((4, 3)), (mode, xhat, gamma[:2], gamma))
    with pytest.raises(ValueError, match=r"first item must be 'train' or 'eval'"):
        L.batchnorm_backward(np.ones((4, 3)), (xhat, xhat, inv_std, gamma))
    _, (xhat, inv_std, gamma) = L.layernorm_forward(x, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"layernorm_backward: cache is not what"):
        L.layernorm_backward(np.ones((4, 3)), (xhat, gamma, inv_std))
    _, cache = L.dropconnect_forward(X, W, b, 0.5, seed=0)
    with pytest.raises(ValueError, match=r"the multiplier .* must be None .* or an array"):
        L.dropconnect_backward(np.ones((4, 3)), (cache[0], cache[1][:1]))
    # the caches the forwards return still work
    assert L.dropconnect_backward(np.ones((4, 3)), cache)[1].shape == W.shape


# -- item 7: EMA.decay is validated when reassigned ---------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), 1.5, -0.1, "0.9"])
def test_ema_decay_is_validated_on_assignment_and_keeps_the_old_value(bad) -> None:
    e = EMA([np.ones(2)], 0.9)
    with pytest.raises((TypeError, ValueError), match="decay must be"):
        e.decay = bad
    assert e.decay == 0.9
    e.update([np.ones(2) * 2])
    assert np.all(np.isfinite(e.averaged[0]))
    with pytest.raises(TypeError, match="bias_correction must be True or False"):
        e.bias_correction = "no"  # type: ignore[assignment]


# -- item 9: tuning ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dist", "name"),
    [(Uniform(0, 1), "Uniform"), (LogUniform(1e-3, 1), "LogUniform"), (Choice([1, 2]), "Choice")],
)
def test_a_distribution_refuses_a_non_generator_and_a_grid_of_fewer_than_one(dist, name) -> None:
    with pytest.raises(TypeError, match=rf"{name}\.sample: rng must be a np\.random\.Generator"):
        dist.sample(0)
    assert dist.sample(np.random.default_rng(0)) is not None
    for n in (0, -1):
        with pytest.raises(ValueError, match=rf"n must be >= 1, got {n}"):
            dist.grid(n)
    with pytest.raises(TypeError, match="n must be an int"):
        dist.grid(2.5)
    assert len(dist.grid(2)) == 2


def test_results_refuses_rows_that_are_not_dicts_and_unknown_markdown_columns() -> None:
    with pytest.raises(TypeError, match=r"rows\[0\] must be a dict"):
        Results([1, 2], metric="score")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="rows must be a list of dicts"):
        Results({"score": 1.0}, metric="score")  # type: ignore[arg-type]
    r = Results([{"score": 1.0, "x": 2}], metric="score")
    with pytest.raises(KeyError, match=r"no column 'zz'; columns are \['score', 'x'\]"):
        r.to_markdown(["zz"])
    assert "| score |" in r.to_markdown(["score"])


def test_a_nan_score_is_never_the_best_and_all_nan_raises() -> None:
    space = {"x": Uniform(0, 1)}
    nan = random_search(lambda c, s: float("nan"), space, n_trials=3, seed=0)
    with pytest.raises(ValueError, match=r"no trial succeeded: every row's 'score' is NaN"):
        _ = nan.best
    assert "best=None" in repr(nan)
    mixed = Results(
        [{"score": float("nan"), "trial": 0}, {"score": 2.0, "trial": 1}], metric="score"
    )
    assert mixed.best["trial"] == 1


# -- items 10, 11: autograd.unbroadcast, gradcheck -----------------------------------------------


def test_unbroadcast_names_a_non_array_gradient_and_a_bad_shape() -> None:
    with pytest.raises(TypeError, match="unbroadcast: g must be a numpy array"):
        ag.unbroadcast([[1.0, 1.0]], (2,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unbroadcast: shape must be a tuple of sizes"):
        ag.unbroadcast(np.ones((2, 2)), 2)  # type: ignore[arg-type]
    assert ag.unbroadcast(np.ones((3, 2)), (2,)).tolist() == [3.0, 3.0]


def test_gradcheck_names_a_non_callable_f() -> None:
    with pytest.raises(TypeError, match=r"f must be callable as f\(x\) -> a real scalar"):
        gradcheck.numerical_gradient(3, np.ones(2))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"f must be callable as f\(x\) -> an array"):
        gradcheck.numerical_gradient_array(None, np.ones(2), np.ones(2))  # type: ignore[arg-type]


# -- item 12: fit names loss, augment and schedule ----------------------------------------------


def _fit(**options):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    model = Sequential([Linear(4, 3, seed=0)])
    return fit(model, X, y, optimizer=SGD(model.params, lr=0.1), epochs=1, batch_size=8,
               progress=False, **options)  # fmt: skip


def test_fit_names_a_loss_that_does_not_return_value_and_dout() -> None:
    with pytest.raises(TypeError, match=r"loss must return \(value, dout\).*got 1\.0"):
        _fit(loss=lambda o, t: 1.0)
    with pytest.raises(ValueError, match=r"loss must return \(value, dout\).*its dout is"):
        _fit(loss=lambda o, t: (1.0, np.zeros(3)))


def test_fit_checks_augment_output_and_words_a_nan_before_any_update_apart() -> None:
    with pytest.raises(ValueError, match=r"augment returned a batch holding nan .* finite"):
        _fit(augment=lambda Xb, r: Xb * np.nan)
    with pytest.raises(FloatingPointError, match=r"before fit updated any parameter") as err:
        _fit(loss=lambda o, t: (float("nan"), np.zeros_like(o)))
    assert "smaller learning rate" not in str(err.value)


def test_fit_names_the_schedule_and_its_step() -> None:
    with pytest.raises(ValueError, match=r"schedule\(3\) returned nan: a learning rate"):
        _fit(schedule=lambda s: float("nan") if s == 3 else 0.1)
    with pytest.raises(TypeError, match=r"schedule\(0\) returned 'fast'"):
        _fit(schedule=lambda s: "fast")
    assert len(_fit(schedule=lambda s: 0.1).step_loss) == 4


# -- item 13 ------------------------------------------------------------------------------------


def test_dropconnect_forward_reports_shape_errors_under_its_own_name() -> None:
    X, W, b = np.ones((4, 2)), np.ones((2, 3)), np.zeros(3)
    with pytest.raises(ValueError, match=r"^dropconnect_forward: X must have shape \(N, 3\)"):
        L.dropconnect_forward(X, W.T, b, 0.5, seed=0)
    with pytest.raises(ValueError, match=r"^dropconnect_forward: b must have shape \(3,\)"):
        L.dropconnect_forward(X, W, np.zeros(2), 0.5, mode="eval")


# -- item 17: no unused re-exports ---------------------------------------------------------------


def test_optim_no_longer_re_exports_the_averages() -> None:
    for name in ("EMA", "PolyakAverage", "ewa"):
        assert name not in optim.__all__ and not hasattr(optim, name)


# -- item 20: AdamW shares Adam's signature; None is the constructor's "class default" only --


def test_adamw_keeps_adams_signature_and_its_own_default() -> None:
    assert "__init__" not in AdamW.__dict__  # issue 16: AdamW does not restate Adam's signature
    assert AdamW([np.zeros(2)]).weight_decay == 1e-2 and Adam([np.zeros(2)]).weight_decay == 0
    assert "1e-2" in (AdamW.__doc__ or "")  # help(AdamW) says its default
    for cls in (Adam, AdamW):
        opt = cls([np.zeros(2)])
        with pytest.raises(TypeError, match="weight_decay must be a real number, got None"):
            opt.weight_decay = None  # type: ignore[assignment]


# -- item 21: the optimizers share the weight-decay prelude and hyperparameter_names ---------------


def test_a_subclass_that_adds_a_validated_hyperparameter_lists_it() -> None:
    from dlnotes.optim._hyper import check_nonneg
    from dlnotes.optim.base import HyperparameterChecks

    class Clipped(SGD):
        hyperparameter_checks: ClassVar[HyperparameterChecks] = {
            **SGD.hyperparameter_checks,
            "max_norm": check_nonneg,
        }

        def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                     nesterov=False, max_norm=1.0, *, check_finite=True):  # fmt: skip
            self.max_norm = max_norm
            super().__init__(params, lr, momentum, dampening, weight_decay, nesterov,
                             check_finite=check_finite)  # fmt: skip

    assert Clipped.hyperparameter_names == (*SGD.hyperparameter_names, "max_norm")
    assert Clipped([np.zeros(2)]).hyperparameters["max_norm"] == 1.0
    assert optim.Optimizer.hyperparameter_checks["weight_decay"] is check_nonneg


@pytest.mark.parametrize("module", ["sgd", "adagrad", "rmsprop", "adam"])
def test_the_optimizer_files_do_not_repeat_the_boilerplate(module: str) -> None:
    source = (OPTIM / f"{module}.py").read_text()
    assert "hyperparameters_of(__init__)" not in source
    assert '"weight_decay": check_nonneg' not in source
    assert "self.weight_decay = weight_decay" not in source


# -- item 22: notation in comments ---------------------------------------------------------------


@pytest.mark.parametrize("module", ["sgd", "adagrad", "rmsprop", "adam", "teaching"])
def test_optimizer_sources_use_the_notation_names(module: str) -> None:
    source = (OPTIM / f"{module}.py").read_text()
    assert not re.search(r"\bwd\b", source), "weight decay is weight_decay (or λ), not wd"
    assert not re.search(r"_root\(cache\b", source), "the accumulator is G or v, not cache"


# -- item 18: the teaching forms say when they equal the library's ---------------------------------


def test_teaching_docstrings_say_the_eps_defaults_differ() -> None:
    for fn, lib_default in ((teaching.adagrad_step, "1e-10"), (teaching.rmsprop_step, "1e-8")):
        doc = " ".join((fn.__doc__ or "").split())
        assert "same ``eps`` passed to both" in doc and lib_default in doc


# -- item 23: relu and leaky relu refuse int input like the other activations ------------------


@pytest.mark.parametrize("fn", [L.relu_forward, L.leaky_relu_forward, L.tanh_forward])
def test_activations_refuse_int_input_alike(fn) -> None:
    with pytest.raises(TypeError, match=r"X must be a float array \(float32 or float64\)"):
        fn(np.array([[1, -2]]))
    assert fn(np.array([[1.0, -2.0]]))[0].dtype == np.float64


def test_valid_inputs_are_unchanged() -> None:
    assert math.isclose(Uniform(0, 1).grid(1)[0], 0.0)
    _, cache = L.leaky_relu_forward(np.array([[1.0, -2.0]]), 0.1)
    np.testing.assert_allclose(L.leaky_relu_backward(np.ones((1, 2)), cache), [[1.0, 0.1]])
