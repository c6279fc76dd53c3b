"""Search spaces, random and grid search, results tables (dlnotes.tuning, chapter 13)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from dlnotes.tuning import (
    Choice,
    HalvingResults,
    LogUniform,
    Results,
    Uniform,
    grid_points,
    grid_search,
    halving_schedule,
    hyperband,
    hyperband_brackets,
    narrow_space,
    plot_results,
    random_search,
    sample_config,
    successive_halving,
    toy_objective,
    trial_seeds,
)

SPACE = {"lr": LogUniform(1e-4, 1.0), "p": Uniform(0.1, 0.5), "width": Choice([16, 32, 64])}


def quadratic_objective(config, seed):
    """A deterministic loss of lr and p plus seed-dependent noise: catches mixed-up seeds."""
    noise = np.random.default_rng(seed).normal(0.0, 0.01)
    return (math.log10(config["lr"]) + 2.0) ** 2 + (config["p"] - 0.3) ** 2 + noise


def dict_objective(config, seed):
    return {"dev_error": abs(math.log10(config["lr"]) + 1.5), "curve": [1.0, 0.5, 0.25]}


# ------------------------------------------------------------------ distributions


def test_log_uniform_is_uniform_in_the_exponent():
    rng = np.random.default_rng(0)
    dist = LogUniform(1e-4, 1.0)
    draws = np.array([dist.sample(rng) for _ in range(20_000)])
    assert draws.min() >= 1e-4 and draws.max() <= 1.0
    # each of the four decades holds a quarter of the draws (binomial sd ~ 0.003)
    shares = np.histogram(np.log10(draws), bins=[-4, -3, -2, -1, 0])[0] / len(draws)
    np.testing.assert_allclose(shares, 0.25, atol=0.015)
    # a uniform draw would put 90% in the top decade
    assert np.mean(draws > 0.1) < 0.27


def test_log_uniform_equals_the_closed_form():
    dist = LogUniform(2e-3, 0.5)
    got = [dist.sample(np.random.default_rng(7)) for _ in range(1)]
    u = np.random.default_rng(7).uniform(math.log(2e-3), math.log(0.5))
    assert got[0] == pytest.approx(math.exp(u), rel=1e-14)


def test_uniform_and_choice_ranges():
    rng = np.random.default_rng(1)
    u = np.array([Uniform(-2.0, 3.0).sample(rng) for _ in range(5000)])
    assert u.min() >= -2 and u.max() <= 3 and abs(u.mean() - 0.5) < 0.06
    c = [Choice(["a", "b", "c"]).sample(rng) for _ in range(3000)]
    counts = np.array([c.count(k) for k in "abc"]) / 3000
    np.testing.assert_allclose(counts, 1 / 3, atol=0.03)


def test_grids():
    assert LogUniform(1e-3, 1.0).grid(4) == pytest.approx([1e-3, 1e-2, 1e-1, 1.0])
    assert Uniform(0.2, 0.8).grid(3) == pytest.approx([0.2, 0.5, 0.8])
    assert Choice([3, 5]).grid(10) == [3, 5]
    points = grid_points({"a": Uniform(0, 1), "b": Choice(["x", "y"])}, 3)
    assert len(points) == 6
    assert points[:2] == [{"a": 0.0, "b": "x"}, {"a": 0.0, "b": "y"}]
    # k = m^d points, but only m distinct values per axis
    pts = grid_points({"a": Uniform(0, 1), "b": Uniform(0, 1)}, 4)
    assert len(pts) == 16 and len({p["a"] for p in pts}) == 4


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: LogUniform(0.0, 1.0), ValueError),
        (lambda: LogUniform(-1e-3, 1.0), ValueError),
        (lambda: LogUniform(1.0, 0.1), ValueError),
        (lambda: Uniform(1.0, 1.0), ValueError),
        (lambda: Uniform("0", 1.0), TypeError),
        (lambda: Choice([]), ValueError),
        (lambda: Choice("abc"), TypeError),
    ],
)
def test_distribution_validation(make, error):
    with pytest.raises(error):
        make()


def test_sample_config_validation_names_the_argument():
    with pytest.raises(TypeError, match="space\\['lr'\\]"):
        sample_config({"lr": (1e-4, 1.0)}, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        sample_config(SPACE, 0)
    with pytest.raises(ValueError, match="space"):
        sample_config({}, np.random.default_rng(0))
    config = sample_config(SPACE, np.random.default_rng(3))
    assert list(config) == ["lr", "p", "width"]
    assert (
        1e-4 <= config["lr"] <= 1 and 0.1 <= config["p"] <= 0.5 and config["width"] in (16, 32, 64)
    )


# ------------------------------------------------------------------ seeds and searches


def test_trial_seeds_come_from_seedsequence_spawn():
    pairs = trial_seeds(5, 4)
    child = np.random.SeedSequence(5).spawn(4)[2]
    config_seq, objective_seq = child.spawn(2)
    assert pairs[2][1] == int(objective_seq.generate_state(1, np.uint32)[0])
    assert pairs[2][0].random() == np.random.default_rng(config_seq).random()
    # trial i does not depend on how many trials there are
    assert trial_seeds(5, 10)[2][1] == pairs[2][1]
    assert len({s for _, s in trial_seeds(5, 50)}) == 50


def test_random_search_is_deterministic_and_sorted():
    a = random_search(quadratic_objective, SPACE, 12, seed=3)
    b = random_search(quadratic_objective, SPACE, 12, seed=3)
    c = random_search(quadratic_objective, SPACE, 12, seed=4)
    assert a == b and a != c
    scores = a.column("score")
    assert np.all(np.diff(scores) >= 0) and a.best["score"] == scores.min()
    assert sorted(r["trial"] for r in a) == list(range(12))
    row = a.best
    assert row["score"] == quadratic_objective({k: row[k] for k in SPACE}, row["seed"])
    assert len(a.seconds) == 12


def test_parallel_threads_equal_serial():
    serial = random_search(quadratic_objective, SPACE, 8, seed=11, n_jobs=1)
    threads = random_search(quadratic_objective, SPACE, 8, seed=11, n_jobs=2, backend="threading")
    assert serial.rows == threads.rows
    grid1 = grid_search(quadratic_objective, SPACE, 2, seed=1)
    grid2 = grid_search(quadratic_objective, SPACE, 2, seed=1, n_jobs=2, backend="threading")
    assert grid1 == grid2 and len(grid1) == 2 * 2 * 3


@pytest.mark.slow
def test_parallel_processes_equal_serial():
    serial = random_search(quadratic_objective, SPACE, 8, seed=11, n_jobs=1)
    parallel = random_search(quadratic_objective, SPACE, 8, seed=11, n_jobs=2)  # loky processes
    assert serial.rows == parallel.rows
    assert serial.best["score"] == min(r["score"] for r in parallel.rows)


def test_random_beats_grid_when_one_hyperparameter_matters():
    space = {"x": Uniform(0, 1), "y": Uniform(0, 1)}
    grid_best = grid_search(toy_objective, space, 4).best["score"]
    random_best = [random_search(toy_objective, space, 16, seed=s).best["score"] for s in range(40)]
    assert np.mean(random_best) < grid_best
    assert len(set(grid_search(toy_objective, space, 4).column("x"))) == 4


def test_toy_objective_closed_form():
    assert toy_objective({"x": 0.62, "y": 0.5}) == 0.0
    got = toy_objective({"x": 0.5, "y": 0.9})
    assert got == pytest.approx(1 - math.exp(-(0.12**2) / (2 * 0.06**2)) + 0.02 * 0.16)
    arr = toy_objective({"x": np.array([0.5, 0.62]), "y": np.array([0.9, 0.5])})
    np.testing.assert_allclose(arr, [got, 0.0])


def test_metric_mode_and_dict_results():
    res = random_search(dict_objective, SPACE, 6, seed=2, metric="dev_error")
    assert res.best["dev_error"] == res.column("dev_error").min()
    assert res.best["curve"] == [1.0, 0.5, 0.25]
    high = random_search(dict_objective, SPACE, 6, seed=2, metric="dev_error", mode="max")
    assert high.best["dev_error"] == res.column("dev_error").max()
    md = res.to_markdown()
    assert md.splitlines()[0] == "| trial | seed | lr | p | width | dev_error |"
    assert len(md.splitlines()) == 2 + 6 and "curve" not in md
    assert "more rows" in res.to_markdown(max_rows=2)


@pytest.mark.parametrize(
    "search", ["random_search", "grid_search", "successive_halving", "hyperband"]
)
def test_every_search_takes_the_same_options_and_names_a_misspelled_one(search: str) -> None:
    import inspect

    from dlnotes import tuning

    fn = getattr(tuning, search)
    kwargs = inspect.signature(fn).parameters["options"]
    assert kwargs.kind is kwargs.VAR_KEYWORD and "SearchOptions" in str(kwargs.annotation)
    args = {
        "random_search": (SPACE, 3),
        "grid_search": (SPACE, 2),
        "successive_halving": (SPACE, 3, 1, 3),
        "hyperband": (SPACE, 3),
    }[search]
    options = "the options n_jobs, backend, progress, metric, mode"
    with pytest.raises(
        TypeError,
        match=rf"{search}\(\) got an unexpected keyword argument 'n_job' \(did you mean "
        rf"'n_jobs'\?\); it takes objective, space, .*seed and {options}",
    ):
        fn(quadratic_objective, *args, n_job=2)
    # a misspelling of the search's own argument is pointed at that argument
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'sed' \(did you mean 'seed'"):
        fn(quadratic_objective, *args, sed=2)


def test_search_validation():
    with pytest.raises(ValueError, match="n_trials"):
        random_search(quadratic_objective, SPACE, 0)
    with pytest.raises(ValueError, match="seed"):
        random_search(quadratic_objective, SPACE, 3, seed=-1)
    with pytest.raises(ValueError, match="n_jobs"):
        random_search(quadratic_objective, SPACE, 3, n_jobs=0)
    with pytest.raises(ValueError, match="mode"):
        random_search(quadratic_objective, SPACE, 3, mode="best")
    with pytest.raises(TypeError, match="objective"):
        random_search("f", SPACE, 3)
    with pytest.raises(ValueError, match="metric 'loss'"):
        random_search(dict_objective, SPACE, 2, metric="loss")
    with pytest.raises(TypeError, match="number"):
        random_search(lambda c, s: "bad", SPACE, 2)
    with pytest.raises(ValueError, match="n_per_axis"):
        grid_search(quadratic_objective, SPACE, 0)


def test_nan_trials_sort_last():
    rows = [
        {"trial": 0, "score": float("nan")},
        {"trial": 1, "score": 2.0},
        {"trial": 2, "score": 1.0},
    ]
    res = Results(rows, metric="score")
    assert [r["trial"] for r in res] == [2, 1, 0]
    assert [r["trial"] for r in Results(rows, metric="score", mode="max")] == [1, 2, 0]


def test_narrow_space_keeps_the_best_box():
    res = random_search(quadratic_objective, SPACE, 20, seed=0)
    new = narrow_space(res, keep_fraction=0.2)
    kept = res.rows[:4]
    assert isinstance(new["lr"], LogUniform) and isinstance(new["p"], Uniform)
    assert new["lr"].low == min(r["lr"] for r in kept)
    assert new["lr"].high == max(r["lr"] for r in kept)
    assert set(new["width"].options) == {r["width"] for r in kept}
    assert len(res.top(0.2)) == 4 and len(res.top(0.01)) == 1


@pytest.mark.slow
def test_plot_results_runs_and_uses_log_axes():
    import matplotlib.pyplot as plt

    res = random_search(quadratic_objective, SPACE, 8, seed=0)
    ax = plot_results(res, "lr")
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "score"
    ax2 = plot_results(res, "p", "lr")
    assert ax2.get_yscale() == "log" and ax2.get_xscale() == "linear"
    with pytest.raises(KeyError):
        plot_results(res, "nope")
    plt.close("all")


def test_objectives_can_be_partials():
    f = functools.partial(toy_objective, x_star=0.3)
    res = random_search(
        f, {"x": Uniform(0, 1), "y": Uniform(0, 1)}, 30, seed=0, n_jobs=2, backend="threading"
    )
    assert abs(res.best["x"] - 0.3) < 0.1


def test_explorer_updates_and_reports_both_searches():
    from dlnotes.explorers import all_explorers, ch13

    assert "ch13.grid_vs_random" in all_explorers()
    explorer = ch13.grid_vs_random()
    fig, state = explorer.setup()
    status = explorer.redraw(state, **explorer.defaults)
    assert status == "grid: 4 distinct x, best loss 0.262; random: 16 distinct x, best loss 0.049"
    x, _ = state["random"]["pts"].get_data()
    assert len(x) == 16
    status = explorer.redraw(state, n_trials=25, seed=0)
    assert status.startswith("grid: 5 distinct x, best loss 0.865; random: 25 distinct x")
    import matplotlib.pyplot as plt

    plt.close(fig)


# ------------------------------------------------------------------ successive halving, Hyperband


def budgeted_objective(config, seed, budget):
    """The quadratic loss seen through noise that shrinks like 1/sqrt(budget) (more epochs,
    a better estimate), with the noise drawn from (seed, budget): a fresh run per rung."""
    noise = np.random.default_rng([seed, int(budget)]).normal(0.0, 0.3 / math.sqrt(budget))
    return (math.log10(config["lr"]) + 2.0) ** 2 + (config["p"] - 0.3) ** 2 + noise


def test_halving_schedule_closed_form():
    assert halving_schedule(27, 1, 27, eta=3) == [(27, 1), (9, 3), (3, 9), (1, 27)]
    assert halving_schedule(20, 2, 8, eta=2) == [(20, 2), (10, 4), (5, 8)]
    assert halving_schedule(5, 1, 100, eta=3) == [(5, 1), (1, 3)]  # one left: stop early
    assert halving_schedule(9, 4, 10, eta=3) == [(9, 4), (3, 10)]  # the budget is capped
    with pytest.raises(ValueError, match="max_budget must be >= 4"):
        halving_schedule(9, 4, 2)
    with pytest.raises(ValueError, match="eta must be >= 2"):
        halving_schedule(9, 1, 9, eta=1)


def test_successive_halving_keeps_the_best_third_at_every_rung():
    res = successive_halving(budgeted_objective, SPACE, 27, 1, 27, eta=3, seed=5)
    assert isinstance(res, HalvingResults)
    assert [len(r) for r in res.rungs] == [27, 9, 3, 1]
    assert [r.rows[0]["budget"] for r in res.rungs] == [1, 3, 9, 27]
    for lower, upper in zip(res.rungs, res.rungs[1:]):
        kept = {row["trial"] for row in lower.rows[: len(upper)]}
        assert {row["trial"] for row in upper.rows} == kept
    assert res.budget_spent == 27 * 1 + 9 * 3 + 3 * 9 + 1 * 27  # 108, vs 27 * 27 = 729
    # the first rung is exactly a random search with the same seeds (configs and trial seeds)
    first = random_search(
        lambda c, s: budgeted_objective(c, s, 1), SPACE, 27, seed=5
    )  # same trial_seeds
    assert [(r["trial"], r["lr"], r["seed"]) for r in first.rows] == [
        (r["trial"], r["lr"], r["seed"]) for r in res.rungs[0].rows
    ]
    assert len(res) == 1 and res.best["budget"] == 27


def test_successive_halving_finds_a_good_config_for_a_fraction_of_the_compute():
    full = [
        random_search(lambda c, s: budgeted_objective(c, s, 27), SPACE, 4, seed=k)
        for k in range(30)
    ]
    halving = [successive_halving(budgeted_objective, SPACE, 27, 1, 27, seed=k) for k in range(30)]
    # equal compute: 4 full runs cost 4 * 27 = 108 = one halving run of 27 configurations
    assert halving[0].budget_spent == 4 * 27
    true_loss = lambda row: (math.log10(row["lr"]) + 2.0) ** 2 + (row["p"] - 0.3) ** 2  # noqa: E731
    h = np.median([true_loss(r.best) for r in halving])
    f = np.median([true_loss(r.best) for r in full])
    assert h < 0.5 * f  # measured: medians 0.030 vs 0.145


def test_successive_halving_is_the_same_in_parallel():
    serial = successive_halving(budgeted_objective, SPACE, 9, 1, 9, seed=3)
    threads = successive_halving(
        budgeted_objective, SPACE, 9, 1, 9, seed=3, n_jobs=2, backend="threading"
    )
    assert serial.rows == threads.rows
    assert [r.rows for r in serial.rungs] == [r.rows for r in threads.rungs]


def test_hyperband_brackets_follow_li_et_al():
    res = hyperband(budgeted_objective, SPACE, 27, eta=3, seed=2)
    # s_max = 3: brackets start (27 at 1), (12 at 3), (6 at 9), (4 at 27)
    budgets = [r.rows[0]["budget"] for r in res.rungs]
    starts = [
        (len(r), b)
        for k, (r, b) in enumerate(zip(res.rungs, budgets))
        if k == 0 or b <= budgets[k - 1]
    ]
    assert starts == [(27, 1.0), (12, 3.0), (6, 9.0), (4, 27.0)]
    assert sorted(set(res.column("bracket"))) == [0, 1, 2, 3]
    assert all(row["budget"] == 27 for row in res.rows)
    assert res.budget_spent == sum(len(r) * b for r, b in zip(res.rungs, budgets))
    again = hyperband(budgeted_objective, SPACE, 27, eta=3, seed=2)
    assert again.rows == res.rows


def test_halving_validation():
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        successive_halving(budgeted_objective, SPACE, 0, 1, 9)
    with pytest.raises(ValueError, match="min_budget must be > 0"):
        hyperband(budgeted_objective, SPACE, 9, min_budget=0)
    with pytest.raises(TypeError, match="objective must be callable"):
        successive_halving(None, SPACE, 3, 1, 3)


@pytest.mark.slow
def test_searches_scale_out_on_a_dask_cluster_with_the_serial_results():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with distributed.Client(cluster):
            rs = random_search(quadratic_objective, SPACE, 8, seed=11, backend="dask")
            sh = successive_halving(budgeted_objective, SPACE, 9, 1, 9, seed=3, backend="dask")
    finally:
        cluster.close()
    assert rs.rows == random_search(quadratic_objective, SPACE, 8, seed=11).rows
    serial = successive_halving(budgeted_objective, SPACE, 9, 1, 9, seed=3)
    assert sh.rows == serial.rows
    assert [r.rows for r in sh.rungs] == [r.rows for r in serial.rungs]


@pytest.mark.parametrize(("n", "fraction", "k"), [(10, 0.3, 3), (100, 0.07, 7), (25, 0.28, 7)])
def test_top_keeps_the_exact_ceiling_of_a_decimal_share(n, fraction, k):
    # 0.07 * 100 == 7.000000000000001 in floats: math.ceil of it would keep 8 rows
    rows = [{"trial": i, "score": float(i)} for i in range(n)]
    res = Results(rows, metric="score")
    assert len(res.top(fraction)) == k
    assert len(res.top(0.25)) == math.ceil(0.25 * n)  # a true fraction still rounds up
    space = {"score": Uniform(0.0, float(n))}
    assert narrow_space(res, fraction, space=space)["score"].high == k - 1


def test_chapter_13_shows_no_progress_bars():
    """Every search the chapter runs passes progress=False: a bar is noise on the static page
    and, in a loop of 600 searches, a screen of bars in a live notebook."""
    import ast
    import json
    from pathlib import Path

    nb = json.loads(
        (Path(__file__).resolve().parent.parent / "notebooks" / "13_tuning.ipynb").read_text()
    )
    searches = {"random_search", "grid_search", "successive_halving", "hyperband"}
    missing = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in searches
                and "progress" not in {kw.arg for kw in node.keywords}
            ):
                missing.append((i, node.func.id))
    assert not missing, f"searches without progress=False (cell, call): {missing}"


def test_hyperband_brackets_take_the_exact_ceiling():
    from fractions import Fraction

    assert hyperband_brackets(27, eta=3) == [(27, 1.0), (12, 3.0), (6, 9.0), (4, 27.0)]
    assert hyperband_brackets(81, eta=3, min_budget=1) == [
        (81, 1.0),
        (34, 3.0),
        (15, 9.0),
        (8, 27.0),
        (5, 81.0),
    ]  # Li et al. 2018, Table 1 (R = 81, eta = 3)
    for eta in (2, 3, 4, 5):
        for s_max in range(0, 12):
            brackets = hyperband_brackets(float(eta) ** s_max, eta=eta)
            assert len(brackets) == s_max + 1
            for (n_s, r_s), s in zip(brackets, range(s_max, -1, -1)):
                assert n_s == math.ceil(Fraction(s_max + 1, s + 1) * eta**s)
                assert r_s == eta ** (s_max - s)
    # in floats, 11 / 9 * 3**8 is 8019.000000000001 and math.ceil gives 8020
    assert math.ceil(11 / 9 * 3**8) == 8020
    assert hyperband_brackets(3**10, eta=3)[2] == (8019, 9.0)


def test_hyperband_brackets_validation():
    with pytest.raises(ValueError, match="min_budget"):
        hyperband_brackets(9, min_budget=10)
    with pytest.raises(ValueError, match="eta"):
        hyperband_brackets(9, eta=1)
