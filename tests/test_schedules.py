"""Learning-rate schedules against their closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlnotes import schedules as S
from dlnotes.optim import SGD

T = np.arange(0, 50)


def test_scalar_and_array_calls():
    s = S.exponential(0.1, 0.2)
    assert isinstance(s(3), float)
    out = s(np.arange(4))
    assert isinstance(out, np.ndarray) and out.shape == (4,) and out.dtype == np.float64
    assert s(np.arange(6).reshape(2, 3)).shape == (2, 3)
    assert out[3] == s(3)
    assert repr(s) == "exponential(lr0=0.1, k=0.2)"


def test_constant():
    np.testing.assert_array_equal(S.constant(0.3)(T), np.full(T.shape, 0.3))


def test_step_decay():
    s = S.step_decay(0.5, step_size=10, gamma=0.2)
    assert [s(0), s(9), s(10), s(19), s(20), s(35)] == pytest.approx(
        [0.5, 0.5, 0.1, 0.1, 0.02, 0.004]
    )


def test_multistep():
    s = S.multistep(1.0, [3, 7], gamma=0.5)
    np.testing.assert_allclose(s(np.arange(9)), [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_exponential_closed_form():
    np.testing.assert_allclose(S.exponential(0.4, 0.05)(T), 0.4 * np.exp(-0.05 * T), rtol=1e-15)
    assert S.exponential(0.4, math.log(2))(3) == pytest.approx(0.05)  # halves every step


def test_inverse_time_closed_form():
    s = S.inverse_time(0.6, 0.5)
    assert [s(0), s(2), s(10)] == pytest.approx([0.6, 0.3, 0.1])


def test_cosine_closed_form_and_after_the_end():
    s = S.cosine(1.0, 100, lr_min=0.1)
    assert s(0) == 1.0
    assert s(50) == pytest.approx(0.55)  # halfway: (1 + cos(pi/2)) / 2 = 1/2
    assert s(100) == pytest.approx(0.1)
    assert s(25) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2)
    assert s(150) == pytest.approx(0.1)  # stays at lr_min (torch would climb back up)
    assert np.all(np.diff(s(np.arange(101))) <= 0)


def test_cosine_restarts():
    s = S.cosine_restarts(1.0, 10, lr_min=0.0)
    np.testing.assert_allclose(s(np.arange(10)), s(np.arange(10, 20)), rtol=1e-15)
    assert s(10) == 1.0 and s(5) == pytest.approx(0.5)


def test_triangular():
    s = S.triangular(0.1, 0.5, half_cycle=4)
    np.testing.assert_allclose(
        s(np.arange(10)), [0.1, 0.2, 0.3, 0.4, 0.5, 0.4, 0.3, 0.2, 0.1, 0.2], rtol=1e-14
    )


def test_linear_warmup_then_base_schedule():
    base = S.cosine(0.8, 20)
    s = S.linear_warmup(base, warmup_steps=4)
    np.testing.assert_allclose(s(np.arange(5)), [0.0, 0.2, 0.4, 0.6, 0.8], rtol=1e-15)
    assert s(4 + 10) == base(10)
    s2 = S.linear_warmup(base, warmup_steps=4, start_factor=0.5)
    np.testing.assert_allclose(s2(np.arange(5)), [0.4, 0.5, 0.6, 0.7, 0.8], rtol=1e-15)


def test_sequential_chains_by_step_ranges():
    s = S.sequential([S.constant(0.1), S.exponential(0.5, 0.1), S.constant(0.01)], [5, 15])
    assert s(0) == s(4) == 0.1
    assert s(5) == 0.5 and s(7) == pytest.approx(0.5 * math.exp(-0.2))
    assert s(15) == s(100) == 0.01
    np.testing.assert_array_equal(s(np.array([4, 5, 15])), [0.1, 0.5, 0.01])


def test_lr_range_test_is_geometric():
    s = S.lr_range_test(1e-5, 1.0, num_steps=6)
    np.testing.assert_allclose(s(np.arange(6)), [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)


def test_apply_schedule_drives_an_optimizer():
    x = np.array([0.0])
    opt = SGD(x, lr=1.0)
    s = S.step_decay(1.0, step_size=2, gamma=0.5)
    lrs = []
    for step in range(5):
        lrs.append(S.apply_schedule(opt, s, step))
        opt.step(np.array([-1.0]))  # x += lr each step
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert x[0] == pytest.approx(3.25)
    assert opt.lr == 0.25


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: S.exponential(0.1, 0.1)(-1), ValueError, r"step must be >= 0"),
        (
            lambda: S.exponential(0.1, 0.1)(np.array([0, 1, np.nan])),
            ValueError,
            r"step must be >= 0",
        ),
        (lambda: S.constant(0.1)("3"), TypeError, r"step must be a step index"),
        (lambda: S.constant(-0.1), ValueError, r"lr0 must be >= 0"),
        (lambda: S.step_decay(0.1, 0), ValueError, r"step_size must be >= 1"),
        (lambda: S.step_decay(0.1, 2.5), TypeError, r"step_size must be an integer"),
        (lambda: S.step_decay(0.1, 5, gamma=1.5), ValueError, r"gamma must be <= 1\.0"),
        (lambda: S.exponential(0.1, -0.1), ValueError, r"k must be >= 0"),
        (lambda: S.cosine(0.1, 0), ValueError, r"total_steps must be >= 1"),
        (lambda: S.triangular(0.5, 0.1, 4), ValueError, r"lr_max must be >= lr_min"),
        (lambda: S.multistep(0.1, [5, 3]), ValueError, r"milestones must be strictly increasing"),
        (lambda: S.multistep(0.1, 5), TypeError, r"milestones must be a list"),
        (
            lambda: S.sequential([S.constant(0.1)], [5]),
            ValueError,
            r"milestones must have len\(schedules\) - 1 = 0 entries, got 1",
        ),
        (lambda: S.sequential([0.1, 0.2], [5]), TypeError, r"schedules must be a non-empty list"),
        (lambda: S.linear_warmup(0.1, 5), TypeError, r"schedule must be callable"),
        (
            lambda: S.linear_warmup(S.constant(0.1), 5, start_factor=2.0),
            ValueError,
            r"start_factor must be <= 1\.0",
        ),
        (lambda: S.lr_range_test(0.0, 1.0, 10), ValueError, r"lr_start must be > 0"),
    ],
)
def test_bad_input(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# -- fuzz-review refusals --------------------------------------------------------------------------


def test_lr_range_test_stays_at_lr_end_after_its_last_step():
    s = S.lr_range_test(1e-3, 1.0, 10)
    assert s(9) == pytest.approx(1.0)
    assert s(50) == s(9) and s(1e6) == s(9)
    np.testing.assert_array_equal(s(np.array([9, 10, 100])), s(9))
    assert s(0) == 1e-3


def test_bool_steps_are_refused():
    for step in (True, np.array([True, False])):
        with pytest.raises(TypeError, match="step must be a step index"):
            S.cosine(0.1, 10)(step)


@pytest.mark.parametrize("make", [S.cosine, S.cosine_restarts])
def test_cosine_schedules_refuse_lr_min_above_lr0(make):
    with pytest.raises(
        ValueError, match=r"lr_min must be <= lr0 = 0.1 \(the rate anneals down\), got 1.0"
    ):
        make(0.1, 10, 1.0)
    assert make(0.1, 10, 0.1)(3) == pytest.approx(0.1)


def test_apply_schedule_refuses_array_steps_and_non_optimizers():
    s = S.cosine(0.1, 10)
    opt = SGD(np.ones(2), lr=0.1)
    with pytest.raises(TypeError, match=r"step must be an integer, got array"):
        S.apply_schedule(opt, s, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"step must be >= 0"):
        S.apply_schedule(opt, s, -1)
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer with a learning rate"):
        S.apply_schedule(object(), s, 1)
    with pytest.raises(TypeError, match=r"schedule must be callable"):
        S.apply_schedule(opt, 0.1, 1)
    assert S.apply_schedule(opt, s, np.int64(10)) == opt.lr == 0.0
