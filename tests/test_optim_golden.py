"""Golden values: every optimizer and option against update sequences worked out by hand.

Each test runs three steps on a 2-vector in float64, with the learning rate changed before the
third step, and compares with the arithmetic written out line by line (the comments carry the
numbers where they are short decimals). The expected values never call the library.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes.optim import LBFGS, SGD, Adagrad, Adam, AdamW, RMSprop

X0 = np.array([1.0, -2.0])
G1 = np.array([0.5, -1.0])
G2 = np.array([0.25, 0.5])
G3 = np.array([-1.0, 2.0])
LRS = (0.1, 0.1, 0.05)  # lr for steps 1, 2, 3 (changed between steps 2 and 3)


def run(opt_cls, lrs=LRS, **hyper):
    """Three steps from X0 with gradients G1, G2, G3; returns the iterates x1, x2, x3."""
    x = X0.copy()
    opt = opt_cls(x, lr=lrs[0], **hyper)
    out = []
    for lr, g in zip(lrs, (G1, G2, G3)):
        opt.lr = lr
        opt.step(g)
        out.append(x.copy())
    return out, opt


def check(actual, expected):
    for k, (a, e) in enumerate(zip(actual, expected), start=1):
        np.testing.assert_allclose(a, e, rtol=1e-13, atol=1e-15, err_msg=f"x{k}")


# ---------------------------------------------------------------------------- SGD
def test_sgd_plain():
    xs, _ = run(SGD)
    # x1 = x0 - 0.1 g1 ; x2 = x1 - 0.1 g2 ; x3 = x2 - 0.05 g3
    check(xs, [[0.95, -1.9], [0.925, -1.95], [0.975, -2.05]])


def test_sgd_momentum():
    xs, opt = run(SGD, momentum=0.9)
    # v1 = g1 = [0.5, -1]                        x1 = x0 - 0.1 v1 = [0.95, -1.9]
    # v2 = 0.9 v1 + g2 = [0.7, -0.4]             x2 = x1 - 0.1 v2 = [0.88, -1.86]
    # v3 = 0.9 v2 + g3 = [-0.37, 1.64]           x3 = x2 - 0.05 v3 = [0.8985, -1.942]
    check(xs, [[0.95, -1.9], [0.88, -1.86], [0.8985, -1.942]])
    np.testing.assert_allclose(opt.state[0]["velocity"], [-0.37, 1.64], rtol=1e-14)


def test_sgd_momentum_dampening_weight_decay():
    xs, opt = run(SGD, momentum=0.9, dampening=0.5, weight_decay=0.1)
    # t=1: g = g1 + 0.1 x0 = [0.6, -1.2];  v = g (no dampening on the first step)
    #      x1 = x0 - 0.1 v = [0.94, -1.88]
    # t=2: g = g2 + 0.1 x1 = [0.344, 0.312];  v = 0.9 [0.6, -1.2] + 0.5 g = [0.712, -0.924]
    #      x2 = x1 - 0.1 v = [0.8688, -1.7876]
    # t=3: g = g3 + 0.1 x2 = [-0.91312, 1.82124]
    #      v = 0.9 [0.712, -0.924] + 0.5 g = [0.18424, 0.07902]
    #      x3 = x2 - 0.05 v = [0.859588, -1.791551]
    check(xs, [[0.94, -1.88], [0.8688, -1.7876], [0.859588, -1.791551]])
    np.testing.assert_allclose(opt.state[0]["velocity"], [0.18424, 0.07902], rtol=1e-13)


def test_sgd_nesterov_weight_decay():
    xs, _ = run(SGD, momentum=0.9, nesterov=True, weight_decay=0.1)
    # t=1: g = [0.6, -1.2]; v = g; d = g + 0.9 v = [1.14, -2.28]; x1 = [0.886, -1.772]
    # t=2: g = g2 + 0.1 x1 = [0.3386, 0.3228]; v = 0.9 [0.6, -1.2] + g = [0.8786, -0.7572]
    #      d = g + 0.9 v = [1.12934, -0.35868]; x2 = x1 - 0.1 d = [0.773066, -1.736132]
    # t=3: g = g3 + 0.1 x2 = [-0.9226934, 1.8263868]
    #      v = 0.9 [0.8786, -0.7572] + g = [-0.1319534, 1.1449068]
    #      d = g + 0.9 v = [-1.04145146, 2.85680292]
    #      x3 = x2 - 0.05 d = [0.825138573, -1.878972146]
    check(xs, [[0.886, -1.772], [0.773066, -1.736132], [0.825138573, -1.878972146]])


def test_sgd_resumes_from_nonzero_state():
    x = np.array([0.3, -0.7])
    opt = SGD(x, lr=0.2, momentum=0.5, dampening=0.25)
    opt.t = 4  # as if four steps had been taken
    opt.state[0]["velocity"][:] = [1.0, -3.0]
    opt.step(np.array([2.0, 4.0]))
    # v = 0.5 [1, -3] + 0.75 [2, 4] = [2.0, 1.5];  x = [0.3 - 0.4, -0.7 - 0.3]
    np.testing.assert_allclose(x, [-0.1, -1.0], rtol=1e-14)
    assert opt.t == 5


# ---------------------------------------------------------------------------- Adagrad
def test_adagrad_all_options():
    eps = 0.01
    xs, opt = run(Adagrad, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.25, eps=eps)
    # t=1: g = g1 + 0.1 x0 = [0.6, -1.2]; S = 0.25 + g^2 = [0.61, 1.69]; clr = 0.1
    x1 = np.array([1 - 0.1 * 0.6 / (math.sqrt(0.61) + eps), -2 + 0.1 * 1.2 / (1.3 + eps)])
    # t=2: g = g2 + 0.1 x1;  S = [0.61, 1.69] + g^2;  clr = 0.1 / (1 + 1 * 0.5)
    g = G2 + 0.1 * x1
    s2 = np.array([0.61 + g[0] ** 2, 1.69 + g[1] ** 2])
    x2 = x1 - (0.1 / 1.5) * g / (np.sqrt(s2) + eps)
    # t=3: lr = 0.05, clr = 0.05 / (1 + 2 * 0.5) = 0.025
    g = G3 + 0.1 * x2
    s3 = s2 + g * g
    x3 = x2 - 0.025 * g / (np.sqrt(s3) + eps)
    check(xs, [x1, x2, x3])
    np.testing.assert_allclose(opt.state[0]["grad_sum"], s3, rtol=1e-14)
    # 0.06 / (0.781025 + 0.01) = 0.075851 and 0.12 / 1.31 = 0.091603 (by calculator)
    np.testing.assert_allclose(x1, [0.924149, -1.908397], atol=1e-6)


def test_adagrad_defaults():
    xs, _ = run(Adagrad)
    # S1 = g1^2 = [0.25, 1]: x1 = x0 - 0.1 * [0.5/0.5, -1/1] = [0.9, -1.9] (eps 1e-10)
    x1 = np.array([1 - 0.1 * 0.5 / (0.5 + 1e-10), -2 + 0.1 * 1.0 / (1.0 + 1e-10)])
    # S2 = [0.25 + 0.0625, 1 + 0.25] = [0.3125, 1.25]
    x2 = x1 - 0.1 * G2 / (np.sqrt([0.3125, 1.25]) + 1e-10)
    # S3 = [1.3125, 5.25], lr 0.05
    x3 = x2 - 0.05 * G3 / (np.sqrt([1.3125, 5.25]) + 1e-10)
    check(xs, [x1, x2, x3])
    np.testing.assert_allclose(x1, [0.9, -1.9], rtol=1e-9)


# ---------------------------------------------------------------------------- RMSprop
def test_rmsprop_plain():
    xs, opt = run(RMSprop, alpha=0.9, eps=1e-3)
    # E1 = 0.1 g1^2 = [0.025, 0.1]
    x1 = X0 - 0.1 * G1 / (np.sqrt([0.025, 0.1]) + 1e-3)
    # E2 = 0.9 E1 + 0.1 g2^2 = [0.0225 + 0.00625, 0.09 + 0.025] = [0.02875, 0.115]
    x2 = x1 - 0.1 * G2 / (np.sqrt([0.02875, 0.115]) + 1e-3)
    # E3 = 0.9 E2 + 0.1 g3^2 = [0.025875 + 0.1, 0.1035 + 0.4] = [0.125875, 0.5035]
    x3 = x2 - 0.05 * G3 / (np.sqrt([0.125875, 0.5035]) + 1e-3)
    check(xs, [x1, x2, x3])
    np.testing.assert_allclose(opt.state[0]["grad_squared"], [0.125875, 0.5035], rtol=1e-14)


def test_rmsprop_centered():
    xs, opt = run(RMSprop, alpha=0.9, eps=1e-3, centered=True)
    # E = as in test_rmsprop_plain; M (grad_avg): M1 = 0.1 g1 = [0.05, -0.1]
    x1 = X0 - 0.1 * G1 / (np.sqrt([0.025 - 0.0025, 0.1 - 0.01]) + 1e-3)
    # M2 = 0.9 M1 + 0.1 g2 = [0.045 + 0.025, -0.09 + 0.05] = [0.07, -0.04]
    x2 = x1 - 0.1 * G2 / (np.sqrt([0.02875 - 0.0049, 0.115 - 0.0016]) + 1e-3)
    # M3 = 0.9 M2 + 0.1 g3 = [0.063 - 0.1, -0.036 + 0.2] = [-0.037, 0.164]
    x3 = x2 - 0.05 * G3 / (np.sqrt([0.125875 - 0.001369, 0.5035 - 0.026896]) + 1e-3)
    check(xs, [x1, x2, x3])
    np.testing.assert_allclose(opt.state[0]["grad_avg"], [-0.037, 0.164], rtol=1e-13)


def test_rmsprop_centered_momentum_weight_decay():
    xs, opt = run(RMSprop, alpha=0.9, eps=1e-3, centered=True, momentum=0.5, weight_decay=0.1)
    # t=1: g = g1 + 0.1 x0 = [0.6, -1.2]; E = 0.1 g^2 = [0.036, 0.144]; M = 0.1 g = [0.06, -0.12]
    #      avg = sqrt(E - M^2) + eps;  B = g / avg;  x1 = x0 - 0.1 B
    b1 = np.array([0.6, -1.2]) / (np.sqrt([0.036 - 0.0036, 0.144 - 0.0144]) + 1e-3)
    x1 = X0 - 0.1 * b1
    # t=2: g = g2 + 0.1 x1; E = 0.9 [0.036, 0.144] + 0.1 g^2; M = 0.9 [0.06, -0.12] + 0.1 g
    g = G2 + 0.1 * x1
    e2 = np.array([0.0324, 0.1296]) + 0.1 * g * g
    m2 = np.array([0.054, -0.108]) + 0.1 * g
    b2 = 0.5 * b1 + g / (np.sqrt(e2 - m2 * m2) + 1e-3)
    x2 = x1 - 0.1 * b2
    # t=3 (lr 0.05)
    g = G3 + 0.1 * x2
    e3 = 0.9 * e2 + 0.1 * g * g
    m3 = 0.9 * m2 + 0.1 * g
    b3 = 0.5 * b2 + g / (np.sqrt(e3 - m3 * m3) + 1e-3)
    x3 = x2 - 0.05 * b3
    check(xs, [x1, x2, x3])
    np.testing.assert_allclose(opt.state[0]["velocity"], b3, rtol=1e-13)


# ---------------------------------------------------------------------------- Adam / AdamW
def test_adam_plain():
    xs, opt = run(Adam, betas=(0.8, 0.5), eps=1e-3)
    # t=1: m = 0.2 g1 = [0.1, -0.2]; v = 0.5 g1^2 = [0.125, 0.5]
    #      step = lr / (1 - 0.8);  denom = sqrt(v) / sqrt(1 - 0.5) + eps
    x1 = X0 - (0.1 / 0.2) * np.array([0.1, -0.2]) / (np.sqrt([0.125, 0.5]) / math.sqrt(0.5) + 1e-3)
    # t=2: m = 0.8 m + 0.2 g2 = [0.08 + 0.05, -0.16 + 0.1] = [0.13, -0.06]
    #      v = 0.5 v + 0.5 g2^2 = [0.0625 + 0.03125, 0.25 + 0.125] = [0.09375, 0.375]
    x2 = x1 - (0.1 / 0.36) * np.array([0.13, -0.06]) / (
        np.sqrt([0.09375, 0.375]) / math.sqrt(0.75) + 1e-3
    )
    # t=3: m = [0.104 - 0.2, -0.048 + 0.4] = [-0.096, 0.352]
    #      v = [0.046875 + 0.5, 0.1875 + 2] = [0.546875, 2.1875]; 1 - 0.8^3 = 0.488
    x3 = x2 - (0.05 / 0.488) * np.array([-0.096, 0.352]) / (
        np.sqrt([0.546875, 2.1875]) / math.sqrt(0.875) + 1e-3
    )
    check(xs, [x1, x2, x3])
    np.testing.assert_allclose(opt.state[0]["first_moment"], [-0.096, 0.352], rtol=1e-13)
    np.testing.assert_allclose(opt.state[0]["second_moment"], [0.546875, 2.1875], rtol=1e-14)


def test_adam_amsgrad_keeps_max_of_raw_second_moment():
    g3 = np.array([0.1, 0.1])
    x = X0.copy()
    opt = Adam(x, lr=0.1, betas=(0.8, 0.5), eps=1e-3, amsgrad=True)
    opt.step(G1)
    opt.step(G2)
    opt.lr = 0.05
    opt.step(g3)
    # v: [0.125, 0.5] -> [0.09375, 0.375] -> [0.046875 + 0.005, 0.1875 + 0.005]
    # v_max: [0.125, 0.5] -> [0.125, 0.5] -> [0.125, 0.5]   (the max of the *raw* v)
    # m: [0.1, -0.2] -> [0.13, -0.06] -> [0.104 + 0.02, -0.048 + 0.02] = [0.124, -0.028]
    x1 = X0 - 0.5 * np.array([0.1, -0.2]) / (np.sqrt([0.125, 0.5]) / math.sqrt(0.5) + 1e-3)
    x2 = x1 - (0.1 / 0.36) * np.array([0.13, -0.06]) / (
        np.sqrt([0.125, 0.5]) / math.sqrt(0.75) + 1e-3
    )
    x3 = x2 - (0.05 / 0.488) * np.array([0.124, -0.028]) / (
        np.sqrt([0.125, 0.5]) / math.sqrt(0.875) + 1e-3
    )
    np.testing.assert_allclose(x, x3, rtol=1e-13)
    np.testing.assert_allclose(opt.state[0]["max_second_moment"], [0.125, 0.5], rtol=1e-15)
    np.testing.assert_allclose(opt.state[0]["second_moment"], [0.051875, 0.1925], rtol=1e-14)
    # without amsgrad the smaller v would give a different (larger) last step
    y = X0.copy()
    plain = Adam(y, lr=0.1, betas=(0.8, 0.5), eps=1e-3)
    plain.step(G1)
    plain.step(G2)
    plain.lr = 0.05
    plain.step(g3)
    assert np.all(np.abs(y - x2) > np.abs(x - x2))


def test_adam_l2_weight_decay():
    xs, _ = run(Adam, betas=(0.8, 0.5), eps=1e-3, weight_decay=0.1)
    # t=1: g = g1 + 0.1 x0 = [0.6, -1.2]; m = 0.2 g = [0.12, -0.24]; v = 0.5 g^2 = [0.18, 0.72]
    x1 = X0 - 0.5 * np.array([0.12, -0.24]) / (np.sqrt([0.18, 0.72]) / math.sqrt(0.5) + 1e-3)
    # t=2: g = g2 + 0.1 x1
    g = G2 + 0.1 * x1
    m2 = np.array([0.096, -0.192]) + 0.2 * g
    v2 = np.array([0.09, 0.36]) + 0.5 * g * g
    x2 = x1 - (0.1 / 0.36) * m2 / (np.sqrt(v2) / math.sqrt(0.75) + 1e-3)
    # t=3
    g = G3 + 0.1 * x2
    m3 = 0.8 * m2 + 0.2 * g
    v3 = 0.5 * v2 + 0.5 * g * g
    x3 = x2 - (0.05 / 0.488) * m3 / (np.sqrt(v3) / math.sqrt(0.875) + 1e-3)
    check(xs, [x1, x2, x3])


def test_adamw_decoupled_weight_decay():
    xs, _ = run(AdamW, betas=(0.8, 0.5), eps=1e-3, weight_decay=0.1)
    # each step: x *= 1 - lr * 0.1, then the Adam step of test_adam_plain (raw gradients)
    x1 = X0 * (1 - 0.01) - 0.5 * np.array([0.1, -0.2]) / (
        np.sqrt([0.125, 0.5]) / math.sqrt(0.5) + 1e-3
    )
    x2 = x1 * (1 - 0.01) - (0.1 / 0.36) * np.array([0.13, -0.06]) / (
        np.sqrt([0.09375, 0.375]) / math.sqrt(0.75) + 1e-3
    )
    x3 = x2 * (1 - 0.005) - (0.05 / 0.488) * np.array([-0.096, 0.352]) / (
        np.sqrt([0.546875, 2.1875]) / math.sqrt(0.875) + 1e-3
    )
    check(xs, [x1, x2, x3])


def test_adamw_default_weight_decay_is_torchs():
    assert AdamW(np.zeros(2)).weight_decay == 0.01
    assert Adam(np.zeros(2)).weight_decay == 0.0


def test_adam_resumes_from_nonzero_state():
    x = np.array([0.5, -0.5])
    opt = Adam(x, lr=0.01, betas=(0.5, 0.75), eps=0.0)
    opt.t = 1
    opt.state[0]["first_moment"][:] = [0.2, -0.4]
    opt.state[0]["second_moment"][:] = [0.04, 0.16]
    opt.step(np.array([0.6, 0.4]))
    # t=2: m = 0.5 m + 0.5 g = [0.4, 0.0]; v = 0.75 v + 0.25 g^2 = [0.03 + 0.09, 0.12 + 0.04]
    #      step = 0.01 / (1 - 0.25); denom = sqrt(v) / sqrt(1 - 0.5625)
    denom = np.sqrt([0.12, 0.16]) / math.sqrt(0.4375)
    np.testing.assert_allclose(x, [0.5 - 0.01 / 0.75 * 0.4 / denom[0], -0.5], rtol=1e-14)


# ---------------------------------------------------------------------------- L-BFGS
def quadratic_closure(x):
    """f = (x1^2 + 4 x2^2) / 2, grad = (x1, 4 x2)."""

    def closure():
        return 0.5 * (x[0] ** 2 + 4 * x[1] ** 2), np.array([x[0], 4 * x[1]])

    return closure


def test_lbfgs_two_iterations_fixed_step():
    x = np.array([1.0, 1.0])
    opt = LBFGS(x, lr=1.0, max_iter=2, max_eval=10)  # default max_eval = 2 * 5 // 4 = 2
    loss = opt.step(quadratic_closure(x))
    assert loss == 2.5
    # iteration 1: g0 = [1, 4]; d = -g0; t = min(1, 1/|g0|_1) lr = 0.2; x1 = [0.8, 0.2]
    # iteration 2: g1 = [0.8, 0.8]; s = 0.2 d = [-0.2, -0.8]; y = g1 - g0 = [-0.2, -3.2]
    #   y.s = 0.04 + 2.56 = 2.6;  rho = 1/2.6;  H_diag = 2.6 / (0.04 + 10.24)
    rho, h_diag = 1 / 2.6, 2.6 / 10.28
    s, y, g1 = np.array([-0.2, -0.8]), np.array([-0.2, -3.2]), np.array([0.8, 0.8])
    #   two-loop: q = -g1; a = rho s.q = 0.8/2.6; q -= a y; r = H_diag q; b = rho y.r;
    #             r += (a - b) s;   t = lr = 1
    a = rho * (0.16 + 0.64)
    q = np.array([-0.8 + 0.2 * a, -0.8 + 3.2 * a])
    r = h_diag * q
    b = rho * (-0.2 * r[0] - 3.2 * r[1])
    d = r + (a - b) * s
    np.testing.assert_allclose(x, np.array([0.8, 0.2]) + d, rtol=1e-14)
    assert opt.func_evals == 2  # no evaluation after the last iteration
    assert opt.n_iter == 2
    np.testing.assert_allclose(opt.s_history[0], s, rtol=1e-15)
    np.testing.assert_allclose(opt.y_history[0], y, rtol=1e-15)
    assert opt.H_diag == pytest.approx(h_diag, rel=1e-15)
    np.testing.assert_allclose(g1, opt.prev_flat_grad)


def test_lbfgs_strong_wolfe_on_a_parabola():
    x = np.array([0.0])

    def closure():
        return float((x[0] - 3.0) ** 2), 2 * (x - 3.0)

    opt = LBFGS(x, line_search_fn="strong_wolfe")
    opt.step(closure)
    # iteration 1: g = -6, d = 6, t = min(1, 1/6) = 1/6 -> trial x = 1: f = 4, f' d = -24;
    #   Armijo 4 <= 9 - 1e-4 * 36 / 6 and |-24| <= 0.9 * 36: accepted at once (1 evaluation).
    # iteration 2: s = 1, y = -4 - (-6) = 2, H_diag = s.y / y.y = 0.5, rho = 0.5;
    #   q = 4, a = 0.5 * 4 = 2, q = 4 - 2 * 2 = 0, r = 0, b = 0, r = 2 * 1 = 2: d = 2, t = 1
    #   -> trial x = 3: f = 0, f' = 0: accepted; max|g| = 0 stops.
    assert x[0] == 3.0
    assert opt.func_evals == 3
    assert opt.n_iter == 2
    assert opt.step_length == 1.0
