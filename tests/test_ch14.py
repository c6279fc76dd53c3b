"""Chapter 14: the noise-floor closed forms, the EMA explorer, and the exercise reference solutions
against hand-derived values and the library (dlnotes.averages)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.averages import EMA, PolyakAverage
from dlnotes.exercises import ch14 as ex
from dlnotes.exercises import get
from dlnotes.explorers import ch14
from dlnotes.optim import SGD

# --------------------------------------------------------------------------------------------
# noise_floor: closed forms
# --------------------------------------------------------------------------------------------


def test_noise_floor_hand_values():
    # lambda = 1, lr = 0.5, sigma = 2: V = 0.5*4 / (1*1.5) = 4/3, E f = V/2 = 2/3
    assert math.isclose(ls.noise_floor(0.5, [1.0], 2.0**2), 2 / 3, rel_tol=1e-14)
    # EMA with beta = 0.5, r = 0.5: factor (0.5/1.5) * (1.25/0.75) = 5/9
    assert math.isclose(ls.noise_floor(0.5, [1.0], 2.0**2, decay=0.5), 2 / 3 * 5 / 9, rel_tol=1e-14)
    # coordinates add: lr sigma^2 / (2 (2 - lr lambda)) for lambda = 1 and 0.25
    expected = 0.3 / (2 * 1.7) + 0.3 / (2 * 1.925)
    assert math.isclose(ls.noise_floor(0.3, [1.0, 0.25], 1.0**2), expected, rel_tol=1e-14)


def test_ema_floor_with_zero_decay_is_the_plain_floor_and_falls_with_decay():
    plain = ls.noise_floor(0.2, [0.7, 2.1, 0.4], 1.3**2)
    assert math.isclose(
        ls.noise_floor(0.2, [0.7, 2.1, 0.4], 1.3**2, decay=0.0), plain, rel_tol=1e-14
    )
    floors = [ls.noise_floor(0.2, [0.7, 2.1, 0.4], 1.3**2, decay=b) for b in (0.5, 0.9, 0.99)]
    assert plain > floors[0] > floors[1] > floors[2] > 0


@pytest.mark.parametrize(
    ("lr", "lam", "beta"), [(0.3, 1.0, 0.95), (0.1, 0.25, 0.8), (1.2, 1.0, 0.5)]
)
def test_ema_floor_equals_the_double_sum_of_autocovariances(lr, lam, beta):
    # EMA xbar = (1-b) sum_k b^k x_{t-k}; Cov(x_t, x_{t-h}) = V r^h; sum over j, k numerically.
    sigma, r = 0.8, 1 - lr * lam
    V = lr * sigma**2 / (lam * (2 - lr * lam))
    k = np.arange(800)  # beta^800 < 1e-17 for beta <= 0.95
    w = (1 - beta) * beta**k
    var = V * np.sum(np.outer(w, w) * r ** np.abs(k[:, None] - k[None, :]))
    assert math.isclose(
        ls.noise_floor(lr, [lam], sigma**2, decay=beta), 0.5 * lam * var, rel_tol=1e-9
    )


def test_noise_floor_matches_a_long_simulation():
    # One long run of the explorer's SGD: the second-half means sit on the closed forms.
    noise = np.random.default_rng(3).standard_normal((40_000, 2))
    lam = np.array(ch14.CURVATURES)
    xs, avg = ch14._noisy_sgd(0.3, 0.9, noise, lam, np.array(ch14.X0))
    f_x = 0.5 * np.sum(lam * xs[20_000:] ** 2, axis=1).mean()
    f_a = 0.5 * np.sum(lam * avg[20_000:] ** 2, axis=1).mean()
    assert abs(f_x / ls.noise_floor(0.3, lam, ch14.SIGMA**2) - 1) < 0.05
    assert abs(f_a / ls.noise_floor(0.3, lam, ch14.SIGMA**2, decay=0.9) - 1) < 0.08


def test_noise_floor_validates_its_arguments():
    with pytest.raises(ValueError, match="lr must be below 2 / max"):
        ls.noise_floor(2.5, [1.0, 0.1], 1.0**2)
    with pytest.raises(ValueError, match="curvatures must be positive"):
        ls.noise_floor(0.1, [1.0, -0.5], 1.0**2)
    with pytest.raises(ValueError, match="decay"):
        ls.noise_floor(0.1, [1.0], 1.0**2, decay=1.0)
    with pytest.raises(ValueError, match="lr"):
        ls.noise_floor(0.0, [1.0], 1.0**2)


def test_noisy_sgd_equals_the_library_sgd_and_ema():
    rng = np.random.default_rng(8)
    noise = rng.standard_normal((50, 2))
    lam, x0 = np.array([1.3, 0.2]), np.array([-1.5, 2.2])
    xs, avg = ch14._noisy_sgd(0.4, 0.85, noise, lam, x0)
    x = x0.copy()
    opt, ema = SGD([x], lr=0.4), EMA(x, decay=0.85)
    for t in range(50):
        opt.step([lam * x + ch14.SIGMA * noise[t]])
        ema.update(x)
        np.testing.assert_allclose(xs[t + 1], x, rtol=1e-12)
        np.testing.assert_allclose(avg[t + 1], ema.averaged, rtol=1e-12)
    np.testing.assert_array_equal(xs[0], x0)


# --------------------------------------------------------------------------------------------
# the explorer
# --------------------------------------------------------------------------------------------


@pytest.mark.slow  # imports matplotlib and builds the figure (~1-5 s)
def test_explorer_is_registered_and_redraws():
    assert ch14.EXPLORERS == ["ema_noisy_quadratic"]
    explorer = ch14.ema_noisy_quadratic(steps=60)
    fig, state = explorer.setup()
    try:
        verdict = explorer.redraw(state, lr=0.3, decay=0.9)
        assert "f(x̄)" in verdict and "α = 0.3," in verdict
        xs = state["cloud"].get_xdata()
        assert len(xs) == 61 and xs[0] == ch14.X0[0]
        floor = state["floor_iter"].get_ydata()[0]
        assert math.isclose(floor, ls.noise_floor(0.3, ch14.CURVATURES, ch14.SIGMA**2))
        # beta = 0: the average is the iterate itself
        explorer.redraw(state, lr=0.3, decay=0.0)
        np.testing.assert_allclose(state["path"].get_xdata(), state["cloud"].get_xdata())
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_the_explorer_run_sits_near_its_floors():
    """The floors are expected values and the explorer draws one run: its noise (the default
    seed) must not put the losses far from them (seed 0 drew them at 0.3 to 0.5 times the floors
    at α = 0.05, and the EMA's gain at the defaults at 6x instead of the chapter's 4x)."""
    explorer = ch14.ema_noisy_quadratic()
    lrs, decays = explorer._control("lr").values, explorer._control("decay").values
    measured = {}
    for lr, decay in [(lr, 0.95) for lr in lrs] + [(0.3, d) for d in decays]:
        frame = explorer.compute(lr=lr, decay=decay)
        f_x, f_a = (float(np.mean(frame[k][ch14.STEPS // 2 :])) for k in ("f_iter", "f_avg"))
        measured[lr, decay] = f_x, f_a
        if lr == min(lrs):
            continue  # 400 steps at α = 0.02 are too few to reach the floor (the caption says)
        assert abs(f_x / frame["floor_iter"] - 1) < 0.12, (lr, decay)
        assert abs(f_a / frame["floor_avg"] - 1) < 0.12, (lr, decay)
    # the prose: the EMA gains about 4x at the defaults, lags at a small α, helps most at a
    # large α; at β = 0 the "average" is the iterate
    gains = {k: f_x / f_a for k, (f_x, f_a) in measured.items()}
    assert 3.5 < gains[0.3, 0.95] < 4.5
    assert gains[min(lrs), 0.95] < 1
    assert max((g, lr) for (lr, d), g in gains.items() if d == 0.95)[1] == max(lrs)
    assert gains[0.3, 0.0] == pytest.approx(1.0)


def test_every_control_value_is_a_stable_setting():
    explorer = ch14.ema_noisy_quadratic(steps=5)
    lr_values = explorer._control("lr").values
    assert max(lr_values) * max(ch14.CURVATURES) < 2  # noise_floor defined everywhere


# --------------------------------------------------------------------------------------------
# the exercise reference solutions
# --------------------------------------------------------------------------------------------


def test_ema_update_hand_values_and_no_side_effects():
    avg = [np.array([1.0, -2.0]), np.array([[0.5]])]
    params = [np.array([3.0, 2.0]), np.array([[-1.5]])]
    before = [a.copy() for a in avg], [p.copy() for p in params]
    out = ex.ema_update(avg, params, 0.75)
    np.testing.assert_allclose(out[0], [1.5, -1.0], rtol=1e-15)  # 0.75*1 + 0.25*3 ...
    np.testing.assert_allclose(out[1], [[0.0]], atol=1e-15)
    for a, b in zip(avg + params, before[0] + before[1]):
        np.testing.assert_array_equal(a, b)
    assert not any(np.shares_memory(o, a) for o in out for a in avg + params)


def test_ema_update_repeated_equals_the_library_shadow():
    rng = np.random.default_rng(2)
    iterates = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(12)]
    lib = EMA(iterates[0], decay=0.9, bias_correction=False)
    avg = [np.zeros((3, 2)), np.zeros(2)]
    for params in iterates:
        lib.update(params)
        avg = ex.ema_update(avg, params, 0.9)
    for a, b in zip(avg, lib.averaged):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_ensemble_predict_averages_probabilities_not_logits():
    # Member 1 is very sure of class 0 on example 0; members 2 and 3 mildly prefer class 1.
    z1 = np.array([[6.0, 0.0], [0.0, 1.0]])
    z2 = np.array([[0.0, 2.0], [0.0, 1.0]])
    z3 = np.array([[0.0, 2.0], [1.0, 0.0]])
    # example 0: probs of class 0 = (0.9975, 0.1192, 0.1192) -> mean 0.412 < 0.5: class 1;
    # mean logits (2, 1.33) would say class 0.
    pred = ex.ensemble_predict([z1, z2, z3])
    np.testing.assert_array_equal(pred, [1, 1])
    assert ex._ens_average_logits([z1, z2, z3])[0] == 0
    assert pred.shape == (2,) and pred.dtype.kind == "i"


def test_ensemble_predict_is_the_library_softmax_average():
    from dlnotes.losses import softmax

    rng = np.random.default_rng(6)
    logits = [rng.normal(0, 3, (20, 5)) for _ in range(4)]
    expected = np.mean([softmax(z) for z in logits], axis=0).argmax(axis=1)
    np.testing.assert_array_equal(ex.ensemble_predict(logits), expected)


def test_polyak_average_hand_values_and_library():
    iterates = np.array([[10.0, -10.0], [1.0, 2.0], [3.0, 6.0], [2.0, 1.0]])
    np.testing.assert_allclose(ex.polyak_average(iterates, 1), [2.0, 3.0], rtol=1e-15)
    lib = PolyakAverage(iterates[0])
    for row in iterates[2:]:
        lib.update(row)
    np.testing.assert_allclose(ex.polyak_average(iterates, 2), lib.averaged, rtol=1e-14)


def test_noise_floor_takes_one_noise_variance_per_direction():
    """Chapter 06's mini-batch noise ``σ² λ_i / B`` and chapter 14's isotropic ``σ²`` are the same
    formula with different per-direction variances ``s_i``: ``Σ α s_i / (2 (2 − αλ_i))``."""
    lam, s, lr = np.array([2.0, 0.5, 0.1]), np.array([0.3, 1.2, 0.05]), 0.4
    expected = float(np.sum(lr * s / (2 * (2 - lr * lam))))
    assert math.isclose(ls.noise_floor(lr, lam, s), expected, rel_tol=1e-14)
    assert math.isclose(ls.noise_floor(lr, lam, 0.7), ls.noise_floor(lr, lam, np.full(3, 0.7)))
    with pytest.raises(ValueError, match="noise"):
        ls.noise_floor(lr, lam, [1.0, 2.0])
    with pytest.raises(ValueError, match="noise"):
        ls.noise_floor(lr, lam, -1.0)


# --------------------------------------------------------------------------------------------
# check's feedback (learner review): dtypes stated and explained, NaN rows not "all zeros"
# --------------------------------------------------------------------------------------------


def _verdict(name, answer):
    import re

    from dlnotes.exercises import check

    with pytest.raises(AssertionError) as info:
        check(name, answer)
    return str(info.value), re.findall(r"Likely mistake: (.+?) — ", str(info.value))


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_ensemble_predict_accepts_any_integer_labels_and_explains_float_ones():
    from dlnotes.exercises import check

    def labels(logit_list, dtype):
        mean = np.mean([_softmax_rows(np.asarray(z)) for z in logit_list], axis=0)
        return mean.argmax(axis=1).astype(dtype)

    # np.argmax gives int32 on some platforms: any integer dtype is the same labels
    for dtype in (np.int32, np.int64, np.uint8):
        check("ch14_ensemble_predict", lambda z, d=dtype: labels(z, d))
    msg, named = _verdict("ch14_ensemble_predict", lambda z: labels(z, np.float64))
    assert named == ["right values, wrong dtype"], msg
    assert "class labels are integers" in msg and "keep the inputs' dtype" not in msg


def test_ensemble_softmax_with_one_max_for_the_batch_is_named():
    def batch_max(logit_list):
        probs = []
        for z in logit_list:
            e = np.exp(z - np.max(z))  # rows far below the batch's max: 0/0 = NaN
            probs.append(e / np.sum(e, axis=1, keepdims=True))
        return np.argmax(sum(probs) / len(probs), axis=1)

    with np.errstate(all="ignore"):
        msg, named = _verdict("ch14_ensemble_predict", batch_max)
    assert named == ["softmax shifted by the batch's maximum"], msg
    assert "all zeros" not in msg


def test_ensemble_all_zero_labels_point_at_nan_rows():
    def zeros(logit_list):
        return np.zeros(len(logit_list[0]), dtype=np.intp)

    msg, _ = _verdict("ch14_ensemble_predict", zeros)
    assert "NaN" in msg


def test_ema_update_states_its_dtype_and_explains_a_float64_result():
    assert "float32 weights give a float32 average" in ex.ema_update.__doc__
    assert "dtype" in get("ch14_ema_update").signature

    def promoted(avg_params, params, decay):
        d = np.float64(decay)  # promotes float32 weights to float64 under NumPy 2
        return [(d * a + (1 - d) * p).astype(np.float64) for a, p in zip(avg_params, params)]

    msg, named = _verdict("ch14_ema_update", promoted)
    assert named == ["right values, wrong dtype"], msg
    assert "keeps its weights' dtype" in msg
