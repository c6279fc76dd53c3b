"""dlnotes.losses: golden values, stability for huge logits, gradients vs finite differences,
the L2 / weight-decay equivalence, and label errors."""

import numpy as np
import pytest

from dlnotes import losses
from dlnotes.gradcheck import numerical_gradient, relative_error
from dlnotes.optim import SGD


def test_softmax_cross_entropy_golden_value_and_gradient():
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    y = np.array([2, 0])
    loss, dlogits = losses.softmax_cross_entropy(logits, y)
    lse = np.log(np.exp(logits).sum(axis=1))
    assert loss == pytest.approx(((lse[0] - 3.0) + (lse[1] - 0.5)) / 2, rel=1e-14)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dlogits, (p - np.eye(3)[y]) / 2, rtol=1e-14)


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    r = np.random.default_rng(0)
    logits = r.standard_normal((6, 4)) * 3
    y = r.integers(0, 4, 6)
    _, dlogits = losses.softmax_cross_entropy(logits, y)
    num = numerical_gradient(lambda z: losses.softmax_cross_entropy(z, y)[0], logits)
    assert relative_error(dlogits, num) < 1e-8


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [5e3, 5e3 + 1.0, 0.0]])
    y = np.array([1, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dlogits = losses.softmax_cross_entropy(logits, y)
    # row 0: log(1 + e^-1e4 + ...) - 0 + 1e4 = 1e4; row 1: log(1 + e^-1) (the shift is exact)
    assert loss == pytest.approx((1e4 + np.log1p(np.exp(-1.0))) / 2, rel=1e-12)
    assert np.all(np.isfinite(dlogits))
    shifted, _ = losses.softmax_cross_entropy(logits - 7.0, y)
    assert shifted == pytest.approx(loss, rel=1e-12)


def test_float32_logits_give_float32_gradients():
    logits = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    _, d = losses.softmax_cross_entropy(logits, np.array([0, 1, 2, 0, 1]))
    assert d.dtype == np.float32


def test_softmax_and_log_softmax():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
    p = losses.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], 1 / 3)
    np.testing.assert_allclose(losses.log_softmax(z), np.log(p))


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([0, 3, 1]), r"y must hold class indices in \[0, 3\).*got y\[1\] = 3"),
        (np.array([0, -1, 1]), r"got y\[1\] = -1"),
        (np.array([0, 1]), r"y must have shape \(3,\)"),
    ],
)
def test_labels_out_of_range_or_misshaped(y, match):
    with pytest.raises(ValueError, match=match):
        losses.softmax_cross_entropy(np.zeros((3, 3)) + 0.5, y)


def test_float_labels_are_rejected():
    with pytest.raises(TypeError, match="y must hold integer class indices, got dtype float64"):
        losses.softmax_cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        losses.softmax_cross_entropy(np.ones(3), np.array([0]))


def test_mse_golden_and_gradient():
    pred = np.array([[1.0, 2.0], [3.0, -1.0]])
    target = np.array([[0.0, 2.5], [3.0, 1.0]])
    loss, d = losses.mse(pred, target)
    assert loss == pytest.approx((1 + 0.25 + 0 + 4) / 4)
    np.testing.assert_allclose(d, 2 * (pred - target) / 4)
    num = numerical_gradient(lambda p: losses.mse(p, target)[0], pred.copy())
    assert relative_error(d, num) < 1e-8
    loss_col, _ = losses.mse(np.array([[1.0], [2.0]]), np.array([0.0, 4.0]))
    assert loss_col == pytest.approx((1 + 4) / 2)
    with pytest.raises(ValueError, match=r"target must have the shape of pred \(2, 2\)"):
        losses.mse(pred, np.ones(3))


def test_l2_and_l1_penalties_golden_and_gradients():
    W1 = np.array([[1.0, -2.0], [0.5, 0.0]])
    W2 = np.array([3.0, -0.25])
    value, grads = losses.l2_penalty([W1, W2], 0.1)
    assert value == pytest.approx(0.05 * (1 + 4 + 0.25 + 9 + 0.0625))
    np.testing.assert_allclose(grads[0], 0.1 * W1)
    value, grads = losses.l1_penalty([W1, W2], 0.2)
    assert value == pytest.approx(0.2 * (1 + 2 + 0.5 + 3 + 0.25))
    np.testing.assert_allclose(grads[0], 0.2 * np.array([[1, -1], [1, 0]]))
    num = numerical_gradient(lambda w: losses.l2_penalty([w], 0.3)[0], W1.copy())
    assert relative_error(losses.l2_penalty([W1], 0.3)[1][0], num) < 1e-8
    both, g = losses.penalty([W1], l2=0.1, l1=0.2)
    assert both == pytest.approx(losses.l2_penalty([W1], 0.1)[0] + losses.l1_penalty([W1], 0.2)[0])
    np.testing.assert_allclose(g[0], 0.1 * W1 + 0.2 * np.sign(W1))
    assert losses.penalty([W1]) == (0.0, None)
    with pytest.raises(ValueError, match="lam must be >= 0"):
        losses.l2_penalty([W1], -1.0)


def test_l2_penalty_step_equals_sgd_weight_decay():
    r = np.random.default_rng(2)
    W = r.standard_normal((4, 3))
    g = r.standard_normal((4, 3))
    a, b = W.copy(), W.copy()
    SGD([a], lr=0.1).step([g + losses.l2_penalty([a], 0.01)[1][0]])
    SGD([b], lr=0.1, weight_decay=0.01).step([g])
    np.testing.assert_allclose(a, b, rtol=1e-15)


def test_get_loss_and_accuracy():
    assert losses.get_loss("cross_entropy") is losses.softmax_cross_entropy
    assert losses.get_loss("mse") is losses.mse
    with pytest.raises(ValueError, match="loss must be one of"):
        losses.get_loss("hinge")
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert losses.accuracy(logits, np.array([1, 1, 1])) == pytest.approx(2 / 3)


# -- sigmoid (binary) cross-entropy from logits -----------------------------------------------


def test_sigmoid_cross_entropy_golden_value_and_gradient():
    z = np.array([2.0, -1.0, 0.5, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss, dz = losses.sigmoid_cross_entropy(z, y)
    s = 1 / (1 + np.exp(-z))
    naive = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
    assert loss == pytest.approx(naive, rel=1e-14)
    np.testing.assert_allclose(dz, (s - y) / 4, rtol=1e-14)


def test_sigmoid_cross_entropy_gradient_matches_finite_differences_with_soft_targets():
    r = np.random.default_rng(3)
    z = r.standard_normal((7, 1)) * 4
    y = r.uniform(0, 1, 7)  # probabilities, as torch accepts; (N,) against (N, 1) logits
    _, dz = losses.sigmoid_cross_entropy(z, y)
    num = numerical_gradient(lambda w: losses.sigmoid_cross_entropy(w, y)[0], z)
    assert dz.shape == (7, 1)
    assert relative_error(dz, num) < 1e-8


def test_two_class_softmax_is_logistic_regression():
    # softmax over (0, z) gives class 1 the probability e^z / (1 + e^z) = sigmoid(z)
    r = np.random.default_rng(4)
    z = r.standard_normal(9) * 3
    y = r.integers(0, 2, 9)
    bce, dz = losses.sigmoid_cross_entropy(z, y)
    two = np.stack([np.zeros_like(z), z], axis=1)
    ce, dtwo = losses.softmax_cross_entropy(two, y)
    assert bce == pytest.approx(ce, rel=1e-13)
    np.testing.assert_allclose(dz, dtwo[:, 1], rtol=1e-12, atol=1e-17)
    # and any (a, b) logit pair is the same as (0, b - a): only the difference matters
    shifted = two + r.standard_normal((9, 1))
    assert losses.softmax_cross_entropy(shifted, y)[0] == pytest.approx(bce, rel=1e-12)


def test_sigmoid_cross_entropy_is_stable_for_huge_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4])
    y = np.array([1, 0, 0, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dz = losses.sigmoid_cross_entropy(z, y)
    # right answers cost ~0, confident wrong ones cost |z| each
    assert loss == pytest.approx((1e4 + 1e4) / 4, rel=1e-12)
    np.testing.assert_allclose(dz, np.array([0.0, 0.0, 1.0, -1.0]) / 4, atol=1e-300)


def test_sigmoid_cross_entropy_keeps_float32_and_is_a_named_loss():
    z = np.array([[0.3], [-2.0]], dtype=np.float32)
    loss, dz = losses.sigmoid_cross_entropy(z, np.array([1, 0]))
    assert dz.dtype == np.float32 and isinstance(loss, float)
    assert losses.get_loss("binary_cross_entropy") is losses.sigmoid_cross_entropy


def test_sigmoid_cross_entropy_matches_torch_bce_with_logits():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    z = r.standard_normal(11) * 5
    y = r.uniform(0, 1, 11)
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.BCEWithLogitsLoss()(zt, torch.tensor(y))
    lt.backward()
    loss, dz = losses.sigmoid_cross_entropy(z, y)
    assert loss == pytest.approx(lt.item(), rel=1e-13)
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-12, atol=1e-18)


def test_sigmoid_cross_entropy_bad_input_names_the_problem():
    z = np.array([0.1, 0.2])
    with pytest.raises(TypeError, match="logits must be a floating-point numpy array, got list"):
        losses.sigmoid_cross_entropy([0.1, 0.2], np.array([0, 1]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N,\) or \(N, 1\)"):
        losses.sigmoid_cross_entropy(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"y must have the shape of logits \(2,\), got \(3,\)"):
        losses.sigmoid_cross_entropy(z, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"y must hold targets in \[0, 1\], got values from 0"):
        losses.sigmoid_cross_entropy(z, np.array([0, 2]))
    with pytest.raises(TypeError, match="y must hold 0/1 labels or probabilities"):
        losses.sigmoid_cross_entropy(z, np.array(["a", "b"]))


def test_mse_bad_pred_says_what_it_got():
    with pytest.raises(TypeError, match="pred must be a floating-point numpy array, got list"):
        losses.mse([1.0, 2.0], np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="pred must be a floating-point numpy array, got dtype int"):
        losses.mse(np.array([1, 2]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"target must have the shape of pred \(3, 1\)"):
        losses.mse(np.ones((3, 1)), np.ones((3, 2)))


def test_expected_calibration_error_closed_forms():
    from dlnotes.losses import expected_calibration_error as ece

    # every prediction at confidence 0.9: ECE is |0.9 - accuracy|
    probs = np.tile([0.9, 0.1], (10, 1))
    y = np.array([0] * 7 + [1] * 3)
    assert ece(probs, y) == pytest.approx(0.2, abs=1e-12)
    # a calibrated bin (accuracy 0.9 at confidence 0.9) and one at 0.6 with accuracy 0.2,
    # weighted by their sizes 10 and 5: (10 * 0 + 5 * 0.4) / 15
    probs2 = np.vstack([np.tile([0.9, 0.1], (10, 1)), np.tile([0.4, 0.6], (5, 1))])
    y2 = np.array([0] * 9 + [1] + [1] + [0] * 4)
    assert ece(probs2, y2) == pytest.approx(2 / 15, abs=1e-12)
    # one bin covers everything: ECE = |mean confidence - accuracy|
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 4))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 4, 50)
    acc = np.mean(p.argmax(axis=1) == labels)
    assert ece(p, labels, bins=1) == pytest.approx(abs(p.max(axis=1).mean() - acc), abs=1e-12)


@pytest.mark.parametrize(
    "probs, y, bins, error, match",
    [
        (np.array([[2.0, -1.0]]), np.array([0]), 10, ValueError, "probabilities in"),
        (np.array([[0.5, 0.5]]), np.array([2]), 10, ValueError, "class indices"),
        (np.array([[0.5, 0.5]]), np.array([0.0]), 10, TypeError, "integer"),
        (np.array([0.5, 0.5]), np.array([0]), 10, ValueError, "shape"),
        (np.array([[0.5, 0.5]]), np.array([0]), 0, ValueError, "bins"),
        ([[0.5, 0.5]], np.array([0]), 10, TypeError, "numpy array"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), 10, ValueError, "at least one"),
    ],
)
def test_expected_calibration_error_rejects_bad_input(probs, y, bins, error, match):
    from dlnotes.losses import expected_calibration_error

    with pytest.raises(error, match=match):
        expected_calibration_error(probs, y, bins=bins)


# -- fuzz-review refusals --------------------------------------------------------------------------


def test_accuracy_refuses_non_finite_logits_and_an_empty_batch():
    from dlnotes._validate import NonFiniteError

    with pytest.raises(NonFiniteError, match=r"logits is not finite in accuracy.*\(0, 0\)"):
        losses.accuracy(np.array([[np.nan, 1.0], [1.0, 0.0]]), np.array([1, 0]))
    with pytest.raises(ValueError, match=r"logits must hold at least one example"):
        losses.accuracy(np.zeros((0, 2)), np.zeros(0, dtype=int))
    assert losses.accuracy(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1, 1])) == 0.5


def test_expected_calibration_error_requires_rows_summing_to_one():
    with pytest.raises(ValueError, match=r"probs must have rows summing to 1.*row 0 summing to 0"):
        losses.expected_calibration_error(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"row 1 summing to 0\.9"):
        losses.expected_calibration_error(np.array([[0.5, 0.5], [0.4, 0.5]]), np.array([0, 1]))
    probs = losses.softmax(np.random.default_rng(0).standard_normal((50, 10)).astype(np.float32))
    y = np.arange(50) % 10
    assert 0.0 <= losses.expected_calibration_error(probs, y) <= 1.0


def test_penalties_check_their_weights_even_at_strength_zero():
    for bad in ("garbage", None, 3.0):
        with pytest.raises(TypeError, match=r"weights must be a float array or a list"):
            losses.penalty(bad)
    with pytest.raises(TypeError, match=r"weights must be a float array or a list.*NoneType"):
        losses.l2_penalty(None, 0.1)
    with pytest.raises(TypeError, match=r"weights\[0\] must be a floating-point"):
        losses.penalty([np.ones(2, dtype=int)])
    assert losses.penalty([np.ones(2)]) == (0.0, None)


def test_check_labels_validates_n_classes_and_string_labels():
    with pytest.raises(ValueError, match=r"n_classes must be >= 1, got -1"):
        losses.check_labels(np.array([0]), 1, -1)
    with pytest.raises(TypeError, match=r"n_classes must be an integer, got 2.5"):
        losses.check_labels(np.array([0]), 1, 2.5)
    with pytest.raises(
        TypeError,
        match=r"y must hold integer class indices in \[0, 2\), got dtype <U1 \(map class names",
    ):
        losses.check_labels(np.array(["a"]), 1, 2)
