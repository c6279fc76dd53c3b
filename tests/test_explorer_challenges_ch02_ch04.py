"""Chapters 02 and 04: the explorer challenges' verdicts (steps to stay below the target, the
direction a hint names, the loss printed beside the target); once they accepted a first dip,
named the wrong direction, or printed a loss above the target as if it met it."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from dlnotes import landscapes as ls
from dlnotes.exercises import check, get
from dlnotes.explorers import ch04 as explorers

# --- steps_to_stay ------------------------------------------------------------------------------


def test_steps_to_stay_equals_the_first_hit_on_a_monotone_run():
    fs = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.1])
    assert ls.steps_to_stay(fs, 1.0, 0.6) == ls.steps_to_target(fs, 1.0, 0.6) == 3
    assert ls.steps_to_stay(fs, 2.0, 0.3) == 3  # the threshold is target · f0
    assert ls.steps_to_stay(fs, 1.0, 0.01) == -1


def test_steps_to_stay_ignores_a_dip_that_climbs_back():
    dip_then_rise = np.array([4.0, 0.1, 3.0, 2.0])
    assert ls.steps_to_target(dip_then_rise, 1.0, 1.0) == 1
    assert ls.steps_to_stay(dip_then_rise, 1.0, 1.0) == -1
    dip_rise_dip = np.array([4.0, 0.1, 3.0, 0.5, 0.2])
    assert ls.steps_to_stay(dip_rise_dip, 1.0, 1.0) == 3  # the later step
    assert ls.steps_to_stay(np.array([0.1, 0.2]), 1.0, 1.0) == 0


def test_steps_to_stay_never_counts_nan_and_keeps_the_leading_shape():
    assert ls.steps_to_stay(np.array([4.0, 0.1, np.nan]), 1.0, 1.0) == -1
    assert ls.steps_to_stay(np.array([4.0, np.nan, 0.1]), 1.0, 1.0) == 2
    batch = np.array([[[4.0, 0.5, 0.1]], [[0.5, 2.0, 0.1]]])  # shape (2, 1, 3)
    out = ls.steps_to_stay(batch, 1.0, 1.0)
    assert out.shape == (2, 1) and out.tolist() == [[1], [2]]


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((np.array([]), 1.0, 1e-6), ValueError, "at least one loss"),
        ((np.float64(1.0), 1.0, 1e-6), ValueError, "at least one loss"),
        ((np.array([1.0]), 0.0, 1e-6), ValueError, "f0"),
        ((np.array([1.0]), 1.0, -1.0), ValueError, "target"),
        ((np.array(["a"]), 1.0, 1e-6), TypeError, "fs"),
    ],
)
def test_steps_to_stay_validates_its_inputs(args, error, match):
    with pytest.raises(error, match=match):
        ls.steps_to_stay(*args)


# --- ch04_momentum_challenge ---------------------------------------------------------------------

verify = get("ch04_momentum_challenge").verify
CHALLENGE = ls.MOMENTUM_CHALLENGE


def _run(lr: float, rho: float) -> ls.Run:
    return ls.heavy_ball(CHALLENGE.bowl(), CHALLENGE.x0, lr, rho, CHALLENGE.steps)


def test_a_dip_below_the_target_that_climbs_back_is_rejected_and_said_so():
    fs = _run(0.75, 0.9).fs
    hit = int(ls.steps_to_target(fs, 1.0, CHALLENGE.target))
    assert 0 < hit < 100 and fs[-1] > CHALLENGE.target  # the pair the old check accepted
    verdict = verify((0.75, 0.9))
    assert not verdict.passed and verdict.mistake == "too much momentum"
    assert f"dipped below the target 1e-06 at step {hit}" in verdict.summary
    assert f"but is {fs[-1]:.3g} at step 100: it must stay below" in verdict.summary
    with pytest.raises(AssertionError, match="Likely mistake: too much momentum"):
        check("ch04_momentum_challenge", (0.75, 0.9))


def test_no_accepted_pair_ends_above_the_target():
    for lr in np.geomspace(0.5, 4.0, 12):
        for rho in np.linspace(0.5, 0.95, 12):
            run = _run(float(lr), float(rho))
            if verify((float(lr), float(rho))).passed:
                assert not run.diverged and run.fs[-1] < CHALLENGE.target, (lr, rho)
                later = run.fs[int(ls.steps_to_stay(run.fs, 1.0, CHALLENGE.target)) :]
                assert np.all(later < CHALLENGE.target)
                # and it stays below long after the 100 steps, not just at step 100
                long = ls.heavy_ball(CHALLENGE.bowl(), CHALLENGE.x0, lr, rho, 1000)
                stay = int(ls.steps_to_stay(long.fs, 1.0, CHALLENGE.target))
                assert not long.diverged and 0 <= stay <= 100, (lr, rho, stay)


@pytest.mark.parametrize("pair", [(3.5, 0.8975), (1.975, 0.9)])
def test_below_at_step_100_by_luck_is_rejected_and_said_so(pair):
    """f is below the target at step 100 only: it was above at step 99 and is again at 101."""
    fs = ls.heavy_ball(CHALLENGE.bowl(), CHALLENGE.x0, *pair, 200).fs
    assert fs[99] > CHALLENGE.target > fs[100] and fs[101] > CHALLENGE.target
    assert ls.steps_to_stay(fs[:101], 1.0, CHALLENGE.target) == 100  # the old check passed
    verdict = verify(pair)
    assert not verdict.passed and verdict.mistake == "too much momentum", verdict
    assert (
        "f is below the target 1e-06 at step 100 but climbs back above it at step 101: it must "
        "stay below" in verdict.summary
    )
    with pytest.raises(AssertionError, match="Likely mistake: too much momentum"):
        check("ch04_momentum_challenge", pair)
    status = explorers.heavy_ball_quadratic().compute(
        lr=pair[0], rho=pair[1], kappa=CHALLENGE.kappa
    )["status"]
    assert status.startswith("heavy ball: f = ") and "(climbs back at 101)" in status, status


def test_the_tail_rejects_every_pair_a_much_longer_run_rejects():
    """On a grid across the band where the verdict flips, 100 extra steps decide as 1000 do."""
    bowl = CHALLENGE.bowl()
    passed, lucky = 0, 0
    for lr in np.linspace(1.5, 3.9, 25):
        for rho in np.linspace(0.85, 0.92, 15):
            long = ls.heavy_ball(bowl, CHALLENGE.x0, float(lr), float(rho), 1000)
            stay = int(ls.steps_to_stay(long.fs, 1.0, CHALLENGE.target))
            stays = not long.diverged and 0 <= stay <= CHALLENGE.steps
            assert verify((float(lr), float(rho))).passed == stays, (lr, rho)
            passed += stays
            lucky += not stays and ls.steps_to_stay(long.fs[:101], 1.0, 1e-6) >= 0
    assert passed > 0 and lucky > 0  # the grid holds both kinds


def test_the_explorer_counts_with_the_exercises_constants():
    frame = explorers.heavy_ball_quadratic().compute(lr=1.0, rho=0.9, kappa=100)
    assert frame["run"].steps == frame["gd_run"].steps == CHALLENGE.steps  # only 100 are drawn
    assert not frame["run"].diverged and not frame["gd_run"].diverged


def test_the_explorer_and_the_exercise_agree_on_every_setting_the_explorer_offers():
    explorer = explorers.heavy_ball_quadratic()
    values = {c.name: c.values for c in explorer.controls}
    for lr in values["lr"]:
        for rho in values["rho"]:
            status = explorer.compute(lr=lr, rho=rho, kappa=CHALLENGE.kappa)["status"]
            passed = re.match(r"heavy ball: \d+ steps;", status) is not None
            assert passed == verify((lr, rho)).passed, (lr, rho, status)
            if "dipped below" in verify((lr, rho)).summary:
                assert "(below the target at step" in status.split(";")[0], (lr, rho, status)
            if "climbs back above it" in verify((lr, rho)).summary:
                assert "(climbs back at" in status.split(";")[0], (lr, rho, status)


def test_the_reference_answer_and_every_registered_mistake_keep_their_verdicts():
    ex = get("ch04_momentum_challenge")
    assert verify(ex.solution).passed
    for mistake in ex.mistakes:
        verdict = verify(mistake.wrong)
        assert not verdict.passed and verdict.mistake == mistake.name, (mistake.name, verdict)


def test_a_barely_overdamped_flat_direction_at_large_rho_asks_for_less_momentum():
    """At ρ = 0.9 no α gets there (both directions shrink at best by √ρ per step); with the flat
    direction just overdamped, r_flat ≈ r_steep ≈ √ρ, and "raise ρ" would point the wrong way."""
    rho = 0.9
    lr = 0.99 * (1 - math.sqrt(rho)) ** 2 / 0.01  # just below critical damping of μ = 0.01
    flat = ls.heavy_ball_roots(lr, rho, 0.01)
    assert flat[0].imag == 0 and abs(flat).max() < 1.01 * math.sqrt(rho)
    verdict = verify((lr, rho))
    assert not verdict.passed and verdict.mistake == "too much momentum"
    hint = get("ch04_momentum_challenge").mistake("too much momentum").hint
    assert "Lower ρ" in hint


def test_both_directions_real_asks_for_more_momentum_not_a_smaller_step():
    """Flat overdamped and steep overshooting: lowering α alone never gets there at ρ = 0.13,
    raising ρ shrinks both real roots."""
    verdict = verify((2.241, 0.127))
    assert verdict.mistake == "too little momentum"
    assert not any(verify((a, 0.127)).passed for a in np.linspace(0.1, 2.241, 40))
    assert verify((2.241, 0.7)).passed


def test_the_hint_holds_every_pair_in_the_window_with_rho_up_to_077_passes():
    """The hint: (1 − √ρ)² ≤ αμ and αL ≤ (1 + √ρ)², which needs ρ ≥ ((√κ−1)/(√κ+1))², and with
    ρ ≤ 0.77 every such pair passes (window edges included)."""
    bowl = CHALLENGE.bowl()
    rho_min = ((math.sqrt(CHALLENGE.kappa) - 1) / (math.sqrt(CHALLENGE.kappa) + 1)) ** 2
    assert "ρ ≤ 0.77 passes" in get("ch04_momentum_challenge").hint
    for rho in np.linspace(rho_min, 0.77, 12):
        s = math.sqrt(rho)
        lo, hi = (1 - s) ** 2 / bowl.mu, (1 + s) ** 2 / bowl.L
        assert lo <= hi * (1 + 1e-12)
        for lr in np.linspace(lo, hi, 9):
            assert verify((float(lr), float(rho))).passed, (lr, rho)
    s = math.sqrt(0.6)  # below rho_min the window is empty
    assert (1 - s) ** 2 / bowl.mu > (1 + s) ** 2 / bowl.L


# --- ch02_lr_challenge ---------------------------------------------------------------------------


def _number_after(text: str, prefix: str) -> str:
    match = re.search(re.escape(prefix) + r"([0-9.e+-]+)", text)
    assert match, text
    return match.group(1).rstrip(",.:")


def test_a_loss_just_above_the_target_never_prints_as_the_target():
    lr = 0.967  # just below the band's lower edge 0.96715...
    f = ls.challenge_loss(ls.LR_CHALLENGE, lr)
    assert 1e-6 < f < 1.01e-6
    verdict = get("ch02_lr_challenge").verify(lr)
    assert not verdict.passed
    shown = _number_after(verdict.summary, "f = ")
    assert float(shown) > 1e-6 and shown != "1e-06", verdict.summary
    assert "not below 1e-06" in verdict.summary


def test_a_loss_just_below_the_target_prints_below_it():
    lo, _ = ls.lr_challenge_band(ls.LR_CHALLENGE)
    lr = lo + 1e-4
    f = ls.challenge_loss(ls.LR_CHALLENGE, lr)
    assert 0.99e-6 < f < 1e-6
    verdict = get("ch02_lr_challenge").verify(lr)
    assert verdict.passed and float(_number_after(verdict.summary, "reaches f = ")) < 1e-6


def test_loss_text_keeps_a_value_on_its_side_of_the_target():
    from dlnotes.landscapes import loss_text as _loss_text

    assert _loss_text(1.04e-6, 1e-6) == "1.04e-06"
    assert float(_loss_text(1.0000004e-6, 1e-6)) > 1e-6
    assert float(_loss_text(0.9999996e-6, 1e-6)) < 1e-6
    assert _loss_text(1e-6, 1e-6) == "1e-06"  # equal: not below, and printed as it is
    assert _loss_text(0.00268, 1e-6) == "0.00268"


def test_the_band_the_success_message_shows_lies_inside_the_band():
    summary = get("ch02_lr_challenge").verify(1.6).summary
    shown = re.search(r"any lr from ([0-9.]+) to ([0-9.]+) does", summary)
    assert shown, summary
    for lr in map(float, shown.groups()):
        assert get("ch02_lr_challenge").verify(lr).passed, lr
