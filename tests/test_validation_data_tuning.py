"""Bad input to the data, zoo, tuning and landscape helpers gets a clear error naming the argument;
valid input keeps its old results (splits, samples and rates bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest

import dlnotes.landscapes as ls
from dlnotes import bayesopt, tuning, zoo
from dlnotes.data import (
    Augmenter,
    Standardizer,
    add_noise,
    load_digits,
    load_fashion_mnist,
    load_fashion_mnist_subset,
    make_circles,
    make_moons,
    make_spirals,
    minibatches,
    random_brightness,
    random_contrast,
    rotate_and_scale,
    train_dev_test_split,
)
from dlnotes.model import mlp
from dlnotes.optim import SGD

# --------------------------------------------------------------------------------------------
# train_dev_test_split (items 1 and 15)
# --------------------------------------------------------------------------------------------


def _reference_split(X, y, frac, stratify, seed):
    """The split as it was computed before counts were made exact: per group, the cut points
    round(F_k n_g) of the cumulative fractions. Fractions must still give exactly this."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts = [[] for _ in frac]
    for idx in groups:
        idx = rng.permutation(idx)
        cuts = np.round(np.cumsum(frac) * len(idx)).astype(int)
        cuts[-1] = min(cuts[-1], len(idx))
        for k, (lo, hi) in enumerate(zip(np.concatenate([[0], cuts[:-1]]), cuts)):
            parts[k].append(idx[lo:hi])
    out = []
    for chunks in parts:
        idx = rng.permutation(np.concatenate(chunks))
        out += [X[idx], y[idx]]
    return out


@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("sizes", [(0.6, 0.2, 0.2), (0.8, 0.2), (0.5, 0.5), (0.33, 0.33, 0.34)])
def test_split_by_fractions_is_unchanged_bit_for_bit(sizes, stratify):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(97, 3)), rng.integers(0, 4, 97)
    got = train_dev_test_split(X, y, sizes=sizes, stratify=stratify, seed=3)
    want = _reference_split(X, y, np.array(sizes, dtype=float), stratify, 3)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_split_by_counts_that_rounded_exactly_is_unchanged():
    """(5000, 1000) of the 6000 Fashion-MNIST images (600 per class), the chapters' split."""
    X, y = np.arange(6000.0)[:, None], np.repeat(np.arange(10), 600)
    got = train_dev_test_split(X, y, sizes=(5000, 1000), seed=0)
    want = _reference_split(X, y, np.array([5000, 1000]) / 6000, True, 0)
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


@pytest.mark.parametrize("stratify", [True, False])
def test_split_by_counts_gives_exactly_those_counts(stratify):
    """The report's case: per-class rounding gave 9, 6, 6 (21 examples) for (10, 5, 5)."""
    parts = train_dev_test_split(
        np.zeros((30, 1)), np.repeat([0, 1, 2], 10), sizes=(10, 5, 5), stratify=stratify
    )
    assert [len(p) for p in parts[::2]] == [10, 5, 5]
    rng = np.random.default_rng(0)
    for trial in range(300):
        n, K = int(rng.integers(3, 50)), int(rng.integers(1, 6))
        y, X = rng.integers(0, K, n), np.arange(n)[:, None]
        k = int(rng.integers(2, 4))
        counts = tuple(int(c) for c in rng.multinomial(int(rng.integers(2, n + 1)), [1 / k] * k))
        parts = train_dev_test_split(X, y, sizes=counts, stratify=stratify, seed=trial)
        assert [len(p) for p in parts[::2]] == list(counts)
        used = np.concatenate([p[:, 0] for p in parts[::2]])
        assert len(np.unique(used)) == len(used)  # no example in two splits
        for Xp, yp in zip(parts[::2], parts[1::2]):
            assert np.array_equal(y[Xp[:, 0]], yp)


def test_split_by_counts_keeps_the_class_balance():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    parts = train_dev_test_split(np.zeros((100, 1)), y, sizes=(41, 19, 17), seed=0)
    for yp, size in zip(parts[1::2], (41, 19, 17)):
        assert len(yp) == size
        share = np.bincount(yp, minlength=3)
        assert np.all(np.abs(share - size * np.array([0.5, 0.3, 0.2])) <= 1)


def test_split_stratifies_one_hot_labels_on_their_argmax():
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(30, 4)), np.repeat([0, 1, 2], 10)
    one_hot = np.eye(3)[labels]
    got = train_dev_test_split(X, one_hot, seed=1)
    want = train_dev_test_split(X, labels, seed=1)
    for (Xg, yg), (Xw, yw) in zip(zip(got[::2], got[1::2]), zip(want[::2], want[1::2])):
        assert np.array_equal(Xg, Xw) and np.array_equal(yg, np.eye(3)[yw])
    y_col = labels[:, None]  # (N, 1) labels stay stratified on their value
    for a, b in zip(train_dev_test_split(X, y_col, seed=1)[1::2], want[1::2]):
        assert np.array_equal(a[:, 0], b)
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) or \(N, K\) to stratify"):
        train_dev_test_split(X, np.zeros((30, 2, 2)))


@pytest.mark.parametrize("sizes", [0.8, "0.8", {"train": 0.8, "test": 0.2}])
def test_split_refuses_sizes_that_are_not_a_sequence(sizes):
    with pytest.raises(TypeError, match=r"sizes must be a sequence .* e\.g\. \(0\.8, 0\.2\)"):
        train_dev_test_split(np.zeros((10, 1)), np.arange(10) % 2, sizes=sizes)


def test_split_and_minibatches_refuse_a_0d_X():
    with pytest.raises(ValueError, match=r"X must have one row per example .* got shape \(\)"):
        train_dev_test_split(np.array(1.0), np.zeros(10))
    with pytest.raises(ValueError, match=r"X must have one row per example"):
        list(minibatches(np.array(3.0), None, 2))


# --------------------------------------------------------------------------------------------
# Standardizer and datasets (items 12, 21, 30)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X",
    [np.ones((3, 2), complex), np.array([["a", "b"]]), np.array([[1, None]], dtype=object)],
    ids=["complex", "str", "object"],
)
def test_standardizer_fit_refuses_non_real_arrays(X):
    with pytest.raises(TypeError, match=r"Standardizer\.fit: X must be a real-valued array"):
        Standardizer().fit(X)


def test_standardizer_fit_still_takes_int_and_bool():
    s = Standardizer().fit(np.array([[0, 2], [2, 4]]))
    assert np.array_equal(s.mean, [1.0, 3.0])
    assert Standardizer().fit(np.ones((2, 2), bool)).mean.dtype == np.float64


@pytest.mark.parametrize("make", [make_spirals, make_moons, make_circles])
@pytest.mark.parametrize("dtype", ["flaot32", int, np.float16, object])
def test_make_datasets_refuse_a_bad_dtype_naming_it(make, dtype):
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        make(dtype=dtype)


def test_make_datasets_take_float32_and_float64():
    assert make_spirals(dtype="float64")[0].dtype == np.float64
    assert make_moons(dtype=np.float32)[0].dtype == np.float32


@pytest.mark.parametrize(
    "load",
    [
        lambda v: load_digits(images=v),
        lambda v: load_fashion_mnist_subset(images=v),
        lambda v: load_fashion_mnist("/nonexistent", images=v),
    ],
    ids=["digits", "subset", "full"],
)
@pytest.mark.parametrize("images", ["no", 1, None])
def test_loaders_take_images_as_a_bool_only(load, images):
    with pytest.raises(TypeError, match="images must be True or False"):
        load(images)


def test_loaders_refuse_a_misspelt_dtype():
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got 'flaot32'"):
        load_digits(dtype="flaot32")


# --------------------------------------------------------------------------------------------
# Augmentation (items 6 and 21)
# --------------------------------------------------------------------------------------------

STANDARDIZED = np.random.default_rng(0).normal(size=(4, 5, 5))
PIXELS = np.random.default_rng(0).random((4, 5, 5))


@pytest.mark.parametrize(
    "augmentation, name",
    [
        (lambda im: random_brightness(im, 0.0, seed=0), "random_brightness"),
        (lambda im: random_contrast(im, (0.8, 1.2), seed=0), "random_contrast"),
        (lambda im: add_noise(im, 0.01, seed=0), "add_noise"),
    ],
)
def test_clipping_augmentations_refuse_standardized_images(augmentation, name):
    """Clipped to [0, 1], standardized values in [-2.4, 1.8] came back all in [0, 1]."""
    with pytest.raises(
        ValueError, match=rf"{name}: images must hold pixel intensities in \[0, 1\]"
    ):
        augmentation(STANDARDIZED)
    with pytest.raises(ValueError, match="standardize afterwards"):
        augmentation(STANDARDIZED)
    nan = PIXELS.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="images must hold pixel intensities"):
        augmentation(nan)
    out = augmentation(PIXELS)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_clip_none_or_a_custom_clip_sets_the_accepted_range():
    assert add_noise(STANDARDIZED, 0.01, clip=None, seed=0).min() < -1
    assert random_brightness(STANDARDIZED, 0.1, clip=(-5, 5), seed=0).min() < -1
    with pytest.raises(ValueError, match=r"in \[0, 255\]"):
        random_brightness(PIXELS * 300, 0.1, clip=(0, 255))


def test_clipping_accepts_rounding_of_an_earlier_step():
    """A rotation's interpolation may leave a pixel an ulp above 1."""
    ones = np.ones((3, 6, 6))
    rotated = rotate_and_scale(ones, [10.0, 33.0, 71.0])
    assert random_brightness(np.nextafter(rotated, 2.0), 0.1, seed=0).max() <= 1.0


def test_augmenter_refuses_standardized_rows_when_a_step_clips():
    X = STANDARDIZED.reshape(4, 25)
    for options in ({"noise_std": 0.01}, {"brightness": 0.1}, {"contrast_range": (0.8, 1.2)}):
        with pytest.raises(ValueError, match=r"Augmenter expects X to hold pixel intensities"):
            Augmenter((5, 5), **options)(X, 0)
    flips = Augmenter((5, 5), flip=True, max_shift=1)  # no clipping: any values are fine
    assert flips(X, 0).min() < 0
    out = Augmenter((5, 5), noise_std=0.01, max_degrees=10, brightness=0.1)(
        PIXELS.reshape(4, 25), 0
    )
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_rotate_and_scale_names_a_wrong_length_argument():
    wrong_length = r"degrees must be one number or one per image \(shape \(4,\)\), got shape \(3,\)"
    with pytest.raises(ValueError, match=wrong_length):
        rotate_and_scale(PIXELS, [1, 2, 3])
    with pytest.raises(ValueError, match=r"scale must be one number or one per image"):
        rotate_and_scale(PIXELS, 0.0, np.ones((2, 2)))
    with pytest.raises(TypeError, match="degrees must be a real-valued array"):
        rotate_and_scale(PIXELS, "a")
    with pytest.raises(ValueError, match="scale must be > 0"):
        rotate_and_scale(PIXELS, 0.0, [1.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="degrees must be finite"):
        rotate_and_scale(PIXELS, np.nan)
    np.testing.assert_array_equal(rotate_and_scale(PIXELS, [90.0]), np.rot90(PIXELS, axes=(1, 2)))


# --------------------------------------------------------------------------------------------
# Zoo helpers (items 8, 13, 19, 29)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_sample_per_class_matches_a_brute_force_draw(seed):
    y = np.random.default_rng(seed).integers(0, 4, 60)
    got = zoo.sample_per_class(y, 3, seed=seed)
    rng, expected = np.random.default_rng(seed), []
    for c in sorted(set(y.tolist())):
        members = [i for i in range(len(y)) if y[i] == c]
        expected += list(rng.choice(members, size=3, replace=False))
    assert got.tolist() == sorted(int(i) for i in expected)
    assert all(0 <= i < len(y) for i in got)
    assert sorted(y[got].tolist()) == sorted([c for c in set(y.tolist()) for _ in range(3)])


def test_sample_per_class_refuses_one_hot_and_nan_labels():
    """A one-hot y gave indices of its entries: [22 27 57 75] for 30 examples."""
    with pytest.raises(ValueError, match=r"y must be 1-D class labels .* y\.argmax\(axis=1\)"):
        zoo.sample_per_class(np.eye(3)[np.arange(30) % 3], 2)
    with pytest.raises(ValueError, match="y must hold finite class labels"):
        zoo.sample_per_class(np.array([0.0, 1.0, np.nan, 0.0, 1.0]), 1)


@pytest.mark.parametrize(
    "classes, error, message",
    [
        ([-1], ValueError, r"classes\[0\] must be >= 0"),
        ([0, 10], ValueError, r"classes\[1\] must be <= 9"),
        ([1.5], TypeError, r"classes\[0\] must be an integer"),
        (3, TypeError, "classes must be a sequence"),
        ("Bag", TypeError, "classes must be a sequence"),
    ],
)
def test_class_names_refuses_labels_outside_0_to_9(classes, error, message):
    with pytest.raises(error, match=message):
        zoo.class_names(classes)


def test_class_names_of_valid_labels():
    assert zoo.class_names(np.array([0, 9])) == ["T-shirt/top", "Ankle boot"]
    assert zoo.class_names(zoo.TARGET_CLASSES)[0] == "Sandal"


def _sgd(params, lr):
    return SGD(params, lr=lr, momentum=0.9)


def test_param_groups_say_what_was_expected():
    m = mlp([4, 8, 3], seed=0)
    with pytest.raises(TypeError, match=r"groups\[0\] must be a pair \(params, multiplier\)"):
        zoo.ParamGroups(m.params, [m.params], _sgd, lr=0.1)
    with pytest.raises(TypeError, match=r"groups\[0\] must be a pair .*wrap a single array"):
        zoo.ParamGroups(m.params, [(m.params[0], 1.0)], _sgd, lr=0.1)
    with pytest.raises(TypeError, match=r"model_params must be the model's list .* got Sequential"):
        zoo.ParamGroups(m, [(m.params, 1.0)], _sgd, lr=0.1)
    with pytest.raises(TypeError, match="groups must be a list of"):
        zoo.ParamGroups(m.params, None, _sgd, lr=0.1)
    with pytest.raises(TypeError, match=r"make must return an optimizer .* got None"):
        zoo.ParamGroups(m.params, [(m.params, 1.0)], lambda p, lr: None, lr=0.1)
    with pytest.raises(TypeError, match="make must be a function"):
        zoo.ParamGroups(m.params, [(m.params, 1.0)], SGD(m.params), lr=0.1)
    groups = zoo.ParamGroups(m.params, [(m.params[2:], 1.0), [m.params[:2], 0.1]], _sgd, lr=0.1)
    assert [opt.lr for opt in groups.optimizers] == pytest.approx([0.1, 0.01])


# --------------------------------------------------------------------------------------------
# Seeds (item 20)
# --------------------------------------------------------------------------------------------

PROBLEM = {
    "X": np.ones((4, 2)),
    "y": np.ones(4),
    "batch_size": 2,
    "H": np.eye(2),
    "w_star": np.zeros(2),
}


@pytest.mark.parametrize(
    "call",
    [
        lambda seed: ls.minibatch_stream(PROBLEM, 3, seed=seed),
        lambda seed: ls.NoisyGradient(ls.Quadratic(np.eye(2)), 0.1, seed=seed),
        lambda seed: zoo.shifted_task(0.5, seed=seed),
        lambda seed: bayesopt.bayesian_optimization(
            abs, np.linspace(0, 1, 5), n_trials=2, n_init=1, seed=seed
        ),
    ],
    ids=["minibatch_stream", "NoisyGradient", "shifted_task", "bayesian_optimization"],
)
@pytest.mark.parametrize("seed", [1.5, "a", [1, 2]])
def test_seeds_of_the_wrong_type_are_named(call, seed):
    with pytest.raises(TypeError, match="seed must be an int, a numpy Generator or None"):
        call(seed)


def test_seeds_keep_their_streams():
    a = ls.minibatch_stream(PROBLEM, 3, seed=4)[0]
    b = ls.minibatch_stream(PROBLEM, 3, seed=np.random.default_rng(4))[0]
    assert np.array_equal(a, b)
    noisy = ls.NoisyGradient(ls.Quadratic(np.eye(2)), 1.0, seed=5)
    assert np.array_equal(noisy.grad([0.0, 0.0]), np.random.default_rng(5).standard_normal(2))
    with pytest.raises(ValueError, match="seed must be >= 0"):
        ls.NoisyGradient(ls.Quadratic(np.eye(2)), 0.1, seed=-1)


# --------------------------------------------------------------------------------------------
# Landscapes (items 9, 21, 27)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ls.heavy_ball_rate(np.nan, 0.5, [1.0, 2.0]), "lr must be finite and >= 0"),
        (lambda: ls.heavy_ball_rate(np.inf, 0.5, [1.0]), "lr must be finite and >= 0"),
        (lambda: ls.heavy_ball_rate([0.1, -1], 0.5, [1.0]), "lr must be finite and >= 0"),
        (lambda: ls.heavy_ball_rate(0.1, np.nan, [1.0, 2.0]), r"rho must be in \[0, 1\)"),
        (lambda: ls.heavy_ball_rate(0.1, 0.5, [np.nan, 2.0]), "curvatures must be finite"),
        (lambda: ls.heavy_ball_rate(0.1, 0.5, []), "curvatures must hold at least one"),
        (lambda: ls.noise_floor(0.1, [1.0, 2.0], np.nan), "noise must be one finite variance"),
        (lambda: ls.noise_floor(0.1, [np.nan, 2.0], 1.0), "curvatures must be finite"),
        (lambda: ls.noise_floor(0.1, [np.inf], 1.0), "curvatures must be finite"),
        (lambda: ls.noise_floor(0.1, [], 1.0), "curvatures must hold at least one"),
    ],
)
def test_rate_helpers_refuse_nan_inf_and_empty_like_heavy_ball_roots(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_rate_helpers_keep_valid_results():
    assert ls.heavy_ball_rate(0.1, 0.9, [-1.0]) > 1  # a negative curvature is allowed
    assert abs(ls.heavy_ball_rate(1.0, 0.9, [1.0, 2.0]) - np.sqrt(0.9)) < 1e-12
    assert ls.noise_floor(0.1, [1.0, 2.0], 0.0) == 0.0


def test_quadratic_says_a_non_finite_A_or_b_is_not_finite():
    with pytest.raises(ValueError, match="A must be finite"):
        ls.Quadratic(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="A must be finite"):
        ls.Quadratic(np.array([[np.inf, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="b must be finite"):
        ls.Quadratic(np.eye(2), [np.nan, 0.0])
    with pytest.raises(ValueError, match="A must be symmetric"):
        ls.Quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]))


def test_lr_sweep_names_betas_that_are_not_a_pair():
    bowl = ls.Quadratic(np.diag([1.0, 10.0]))
    with pytest.raises(TypeError, match=r"betas must be a pair \(beta1, beta2\), got 0\.9"):
        ls.lr_sweep(bowl, [1.0, 2.0], "Adam", [0.1], 3, betas=0.9)
    with pytest.raises(TypeError, match="betas must be a pair"):
        ls.lr_sweep(bowl, [1.0, 2.0], "Adam", [0.1], 3, betas=(0.9, 0.99, 0.999))
    assert ls.lr_sweep(bowl, [1.0, 2.0], "Adam", [0.1], 3, betas=[0.8, 0.9]).shape == (1, 4, 2)


# --------------------------------------------------------------------------------------------
# Tuning and Bayesian optimization (items 12 and 21)
# --------------------------------------------------------------------------------------------

SPACE = {"x": tuning.Uniform(0, 1), "y": tuning.Uniform(0, 1)}


@pytest.mark.parametrize(
    "value",
    [np.complex128(1 + 2j), 1j, np.str_("0.5"), np.bool_(True), True],
    ids=["np.complex128", "complex", "np.str_", "np.bool_", "bool"],
)
def test_an_objective_returning_no_real_number_is_refused(value):
    with pytest.raises(TypeError, match=r"the objective must return a number .* under 'score'"):
        tuning.random_search(lambda c, s: value, SPACE, 2, progress=False)


def test_objectives_returning_numpy_numbers_still_work():
    for value in (np.float32(0.5), np.int64(2), 3, float("nan")):
        res = tuning.random_search(lambda c, s, v=value: v, SPACE, 2, progress=False)
        assert all(isinstance(row["score"], float) for row in res.rows)


def test_results_refuse_a_metric_that_is_no_number():
    with pytest.raises(TypeError, match="every row's metric 'score' must be a real number"):
        tuning.Results([{"score": "a"}], metric="score")


def test_narrow_space_names_hyperparameters_results_lack():
    res = tuning.random_search(tuning.toy_objective, SPACE, 4, progress=False)
    with pytest.raises(ValueError, match=r"space names \['z'\], which results has no column"):
        tuning.narrow_space(res, 0.5, space={"z": tuning.Uniform(0, 1)})
    assert set(tuning.narrow_space(res, 0.5)) == {"x", "y"}


def test_bayesopt_refuses_complex_inputs_and_results():
    with pytest.raises(TypeError, match="candidates must hold real numbers, got dtype complex"):
        bayesopt.bayesian_optimization(abs, np.linspace(0, 1, 5) + 0j, n_trials=2)
    with pytest.raises(TypeError, match=r"objective\(.*\) must be a real number"):
        bayesopt.bayesian_optimization(lambda x: x * 1j, np.linspace(0, 1, 5), n_trials=3)
    with pytest.raises(TypeError, match="mu must hold real numbers"):
        bayesopt.expected_improvement(np.ones(2) * 1j, np.ones(2), 0.0)
