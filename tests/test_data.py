"""dlnotes.data: bundled and shipped datasets, idx reading, synthetic sets, stratified splits,
train-only normalization, seeded mini-batches and augmentation."""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlnotes import data
from dlnotes._validate import NonFiniteError

ROOT = Path(__file__).resolve().parent.parent


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.array(array.shape, dtype=">i4").tobytes()
    raw = header + array.tobytes()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        Path(path).write_bytes(raw)


# -- datasets -------------------------------------------------------------------------------


def test_load_digits_offline():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    images, _ = data.load_digits(images=True, dtype=np.float64)
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    np.testing.assert_array_equal(images.reshape(1797, 64), X.astype(np.float64))


def test_fashion_mnist_subset_is_shipped_stratified_with_its_licence():
    X_train, y_train, X_test, y_test = data.load_fashion_mnist_subset()
    assert X_train.shape == (6000, 784) and X_test.shape == (2000, 784)
    assert X_train.dtype == np.float32 and 0.0 <= X_train.min() and X_train.max() <= 1.0
    np.testing.assert_array_equal(np.bincount(y_train), np.full(10, 600))
    np.testing.assert_array_equal(np.bincount(y_test), np.full(10, 200))
    assert len(data.FASHION_MNIST_CLASSES) == 10
    images = data.load_fashion_mnist_subset(images=True)[0]
    assert images.shape == (6000, 28, 28)
    npz = ROOT / "dlnotes" / "data" / "fashion_mnist_subset.npz"
    assert npz.stat().st_size < 4_000_000
    licence = (ROOT / "dlnotes" / "data" / "LICENSE-fashion-mnist.txt").read_text()
    assert "Copyright © [2017] Zalando SE" in licence and "MIT License" in licence


def test_read_idx_and_load_full_fashion_mnist_from_a_folder(tmp_path):
    r = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": r.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": r.integers(0, 10, 7, dtype=np.uint8),
        "t10k-images-idx3-ubyte": r.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": r.integers(0, 10, 3, dtype=np.uint8),
    }
    for name, a in arrays.items():
        write_idx(tmp_path / name, a)
    np.testing.assert_array_equal(
        data.read_idx(tmp_path / "t10k-labels-idx1-ubyte"), arrays["t10k-labels-idx1-ubyte"]
    )
    X_train, y_train, X_test, y_test = data.load_fashion_mnist(tmp_path)
    np.testing.assert_allclose(
        X_train * 255, arrays["train-images-idx3-ubyte.gz"].reshape(7, -1), rtol=1e-6
    )
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    assert X_test.shape == (3, 784) and y_train.dtype == np.int64
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an idx file"):
        data.read_idx(tmp_path / "bad")


def test_missing_full_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"train-images-idx3-ubyte\[\.gz\] not found"
        r".*apt-get install dataset-fashion-mnist",
    ):
        data.load_fashion_mnist(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(
    not Path(data.FASHION_MNIST_DIR).is_dir(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_the_shipped_subset_is_reproduced_by_the_tool(tmp_path):
    out = tmp_path / "subset.npz"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_fashion_mnist_subset.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    shipped = np.load(ROOT / "dlnotes" / "data" / "fashion_mnist_subset.npz")
    regenerated = np.load(out)
    for key in shipped.files:
        np.testing.assert_array_equal(shipped[key], regenerated[key])
    X_train = data.load_fashion_mnist(images=True)[0]
    np.testing.assert_array_equal(
        shipped["X_train"], (X_train[shipped["train_index"]] * 255).round().astype(np.uint8)
    )


# -- synthetic sets -------------------------------------------------------------------------


@pytest.mark.parametrize("make", [data.make_spirals, data.make_moons, data.make_circles])
def test_synthetic_sets_are_balanced_and_seeded(make):
    X, y = make(301)
    assert X.shape == (301, 2) and X.dtype == np.float32 and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    X2, y2 = make(301)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(301, seed=1)[0])


def test_noise_free_shapes_are_exact():
    X, y = data.make_circles(100, noise=0.0, factor=0.3, dtype=np.float64)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1], axis=1), 0.3)
    X, y = data.make_moons(100, noise=0.0, dtype=np.float64)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0)
    X, y = data.make_spirals(300, 3, noise=0.0, dtype=np.float64)
    assert np.linalg.norm(X, axis=1).max() == pytest.approx(1.0)
    assert len(np.unique(y)) == 3


# -- splits, normalization, mini-batches ----------------------------------------------------


def test_stratified_split_keeps_class_balance_and_partitions():
    X = np.arange(1000, dtype=np.float32)[:, None]
    y = np.repeat([0, 1, 2, 3], [100, 200, 300, 400])
    X_tr, y_tr, X_dev, y_dev, X_te, y_te = data.train_dev_test_split(X, y, sizes=(0.7, 0.1, 0.2))
    assert (len(y_tr), len(y_dev), len(y_te)) == (700, 100, 200)
    for part, n in ((y_tr, 700), (y_dev, 100), (y_te, 200)):
        np.testing.assert_array_equal(np.bincount(part), np.array([100, 200, 300, 400]) * n // 1000)
    ids = np.concatenate([X_tr[:, 0], X_dev[:, 0], X_te[:, 0]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(1000))  # disjoint and complete
    np.testing.assert_array_equal(y[X_tr[:, 0].astype(int)], y_tr)  # rows stay with labels
    again = data.train_dev_test_split(X, y, sizes=(0.7, 0.1, 0.2))
    np.testing.assert_array_equal(again[0], X_tr)
    assert not np.array_equal(data.train_dev_test_split(X, y, seed=1)[0][:50], X_tr[:50])


def test_split_with_counts_two_ways_and_errors():
    X, y = np.zeros((50, 2)), np.repeat([0, 1], 25)
    parts = data.train_dev_test_split(X, y, sizes=(30, 10, 10))
    assert [len(p) for p in parts[1::2]] == [30, 10, 10]
    _, y_tr, _, y_te = data.train_dev_test_split(X, y, sizes=(0.8, 0.2))
    assert (len(y_tr), len(y_te)) == (40, 10)
    with pytest.raises(ValueError, match="fractions in sizes must sum to 1"):
        data.train_dev_test_split(X, y, sizes=(0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match=r"same number of examples.*expected \(50,\)"):
        data.train_dev_test_split(X, y[:-1])


def test_standardizer_is_fitted_on_train_only():
    train = np.array([[1.0, 5.0, 0.0], [3.0, 5.0, 0.0], [5.0, 5.0, 0.0]], dtype=np.float32)
    dev = np.array([[7.0, 6.0, 1.0]], dtype=np.float32)
    scaler = data.Standardizer().fit(train)
    sigma = np.sqrt(8 / 3)
    np.testing.assert_allclose(scaler.transform(dev), [[(7 - 3) / sigma, 1.0, 1.0]], rtol=1e-6)
    z = scaler.transform(train)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(z[:, 0].std(), 1, rtol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(z), train, rtol=1e-6)
    glob = data.Standardizer(per_feature=False).fit(train)
    assert glob.mean.shape == () and float(glob.mean) == pytest.approx(train.mean())


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="before fit"):
        data.Standardizer().transform(np.ones((2, 2)))
    bad = np.ones((3, 2))
    bad[1, 1] = np.nan
    with pytest.raises(NonFiniteError, match=r"X is not finite.*\(1, 1\)"):
        data.Standardizer().fit(bad)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\).*got \(4, 3\)"):
        data.Standardizer().fit(np.ones((3, 2))).transform(np.ones((4, 3)))


def test_minibatches_cover_every_example_once_and_are_seeded():
    X = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    batches = list(data.minibatches(X, y, 4, seed=0))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(np.sort(seen), y)
    assert not np.array_equal(seen, y)  # shuffled
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in batches]), seen)
    again = np.concatenate([b[1] for b in data.minibatches(X, y, 4, seed=0)])
    np.testing.assert_array_equal(seen, again)
    assert [len(b[0]) for b in data.minibatches(X, None, 4, drop_last=True)] == [4, 4]
    ordered = [b[1] for b in data.minibatches(X, y, 3, shuffle=False)]
    np.testing.assert_array_equal(ordered[0], [0, 1, 2])
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        next(data.minibatches(X, y, 0))


# -- augmentation ---------------------------------------------------------------------------


def images(n=6, h=5, w=7, seed=0):
    return np.random.default_rng(seed).random((n, h, w)).astype(np.float32)


def test_flip_all_or_nothing_and_input_untouched():
    x = images()
    x0 = x.copy()
    np.testing.assert_array_equal(data.random_flip(x, p=1.0, seed=0), x[..., ::-1])
    np.testing.assert_array_equal(data.random_flip(x, p=0.0, seed=0), x)
    mixed = data.random_flip(x, p=0.5, seed=3)
    flipped = [np.array_equal(m, xi[:, ::-1]) for m, xi in zip(mixed, x)]
    kept = [np.array_equal(m, xi) for m, xi in zip(mixed, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    np.testing.assert_array_equal(x, x0)


def shift(img, dy, dx):
    out = np.zeros_like(img)
    H, W = img.shape
    out[max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = img[
        max(-dy, 0) : H - max(dy, 0), max(-dx, 0) : W - max(dx, 0)
    ]
    return out


def test_random_shift_is_a_zero_filled_translation_within_range():
    x = images(n=20)
    out = data.random_shift(x, 2, seed=1)
    shifts = set()
    for o, xi in zip(out, x):
        found = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-2, 3)
            if np.array_equal(o, shift(xi, dy, dx))
        ]
        assert found, "every output is a shifted input"
        shifts.add(found[0])
    assert len(shifts) > 3


def test_random_crop_shapes_and_channels_and_noise():
    x = images()
    assert data.random_crop(x, 3, seed=0).shape == (6, 3, 3)
    assert data.random_crop(x, (5, 7), padding=1, seed=0).shape == (6, 5, 7)
    x4 = np.random.default_rng(1).random((4, 3, 5, 5)).astype(np.float32)
    out = data.random_crop(x4, 5, padding=2, seed=0)
    assert out.shape == (4, 3, 5, 5)
    with pytest.raises(ValueError, match="size must fit"):
        data.random_crop(x, 9)
    noisy = data.add_noise(np.full((200, 20, 20), 0.5, dtype=np.float32), 0.1, seed=0)
    assert noisy.dtype == np.float32 and abs(noisy.std() - 0.1) < 0.005
    assert data.add_noise(x, 5.0, seed=0).max() <= 1.0


def test_augmenter_on_flat_rows():
    x = images(n=8, h=4, w=4).reshape(8, 16)
    aug = data.Augmenter((4, 4), flip=True, max_shift=1, noise_std=0.01)
    out = aug(x, np.random.default_rng(0))
    assert out.shape == (8, 16) and out.dtype == np.float32 and not np.array_equal(out, x)
    np.testing.assert_array_equal(out, aug(x, np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"expects X of shape \(N, 16\), got \(8, 15\)"):
        aug(x[:, :15], 0)


@pytest.mark.slow
def test_digits_fast_path_equals_scikit_learns_loader():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X, y = data.load_digits(dtype=np.float64)
    np.testing.assert_array_equal(X * 16, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


# -- rotations, scaling, brightness, contrast (issue 19) --------------------------------------


def test_rotate_and_scale_identity_and_exact_quarter_turns():
    x = images(n=4, h=6, w=6)
    np.testing.assert_array_equal(data.rotate_and_scale(x, 0.0, 1.0), x)
    # a quarter turn counter-clockwise is np.rot90 exactly, for odd and even sizes
    np.testing.assert_array_equal(data.rotate_and_scale(x, 90.0), np.rot90(x, 1, axes=(1, 2)))
    odd = images(n=3, h=5, w=5, seed=2)
    np.testing.assert_array_equal(data.rotate_and_scale(odd, -90.0), np.rot90(odd, -1, (1, 2)))
    np.testing.assert_array_equal(data.rotate_and_scale(odd, 180.0), odd[:, ::-1, ::-1])
    # channels are rotated together, and the dtype is kept
    rgb = np.random.default_rng(3).random((2, 3, 4, 4)).astype(np.float32)
    out = data.rotate_and_scale(rgb, 90.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.rot90(rgb, 1, axes=(2, 3)))


def test_rotation_is_bilinear_and_keeps_a_centred_blob_centred():
    # a smooth, rotation-invariant blob stays unchanged up to the interpolation error, which is
    # at most max|f''| / 4 = (2/18) / 4 ~ 0.028 for bilinear interpolation on a unit grid
    H = 21
    yy, xx = np.mgrid[:H, :H] - (H - 1) / 2
    blob = np.exp(-(yy**2 + xx**2) / 18.0)[None]
    for angle in (17.0, -33.0, 45.0):
        assert np.abs(data.rotate_and_scale(blob, angle) - blob).max() < 0.028
    # a linear ramp is reproduced exactly by bilinear interpolation inside the image
    ramp = (xx / H)[None] + 0.5
    shifted = data.rotate_and_scale(ramp, 0.0, 2.0)  # zoom x2: output x reads source x/2
    centre = slice(H // 4 + 1, H - H // 4 - 1)
    expected = (xx / 2 / H)[None] + 0.5
    np.testing.assert_allclose(shifted[:, centre, centre], expected[:, centre, centre], atol=1e-12)


def test_shrinking_pads_with_zeros_and_rotation_zero_fills_corners():
    x = np.ones((1, 9, 9))
    small = data.rotate_and_scale(x, 0.0, 0.5)
    assert small[0, 0, 0] == 0 and small[0, 4, 4] == 1
    turned = data.rotate_and_scale(x, 45.0)
    assert turned[0, 0, 0] == 0 and turned[0, 4, 4] == 1


def test_random_rotation_and_scale_are_seeded_bounded_and_leave_inputs_alone():
    x = images(n=10, h=8, w=8)
    x0 = x.copy()
    a = data.random_rotation(x, 10.0, seed=4)
    np.testing.assert_array_equal(a, data.random_rotation(x, 10.0, seed=4))
    assert not np.array_equal(a, x)
    np.testing.assert_array_equal(data.random_rotation(x, 0.0, seed=1), x)
    np.testing.assert_array_equal(data.random_scale(x, (1.0, 1.0), seed=1), x)
    np.testing.assert_array_equal(x, x0)
    # the angles used are the seeded uniform draws in [-10, 10]
    angles = np.random.default_rng(4).uniform(-10, 10, 10)
    np.testing.assert_allclose(a, data.rotate_and_scale(x, angles), rtol=1e-6)
    with pytest.raises(ValueError, match="max_degrees must be <= 180"):
        data.random_rotation(x, 200.0)
    with pytest.raises(ValueError, match=r"scale_range\[0\] must be > 0"):
        data.random_scale(x, (0.0, 1.2))
    with pytest.raises(TypeError, match="scale_range must be a pair"):
        data.random_scale(x, 1.1)


def test_brightness_and_contrast():
    x = np.random.default_rng(5).uniform(0.2, 0.8, (50, 6, 6))
    b = data.random_brightness(x, 0.1, seed=0)
    delta = (b - x).reshape(50, -1)
    assert np.allclose(delta, delta[:, :1]) and np.abs(delta).max() <= 0.1  # one offset per image
    assert np.abs(delta[:, 0]).std() > 0.02
    c = data.random_contrast(x, (0.5, 1.5), seed=1)
    np.testing.assert_allclose(c.mean(axis=(1, 2)), x.mean(axis=(1, 2)), rtol=1e-12)  # no clip
    ratio = (c - c.mean(axis=(1, 2), keepdims=True)) / (x - x.mean(axis=(1, 2), keepdims=True))
    a = ratio.reshape(50, -1)
    assert np.allclose(a, a[:, :1]) and a.min() >= 0.5 and a.max() <= 1.5
    assert data.random_brightness(np.ones((2, 3, 3)), 0.5, seed=2).max() <= 1.0
    with pytest.raises(TypeError, match="floating-point"):
        data.random_contrast(np.ones((2, 3, 3), dtype=np.uint8), (0.5, 1.0))


def test_augmenter_with_rotation_scale_brightness_contrast_is_reproducible():
    x = images(n=8, h=6, w=6).reshape(8, 36)
    aug = data.Augmenter(
        (6, 6), max_degrees=10, scale_range=(0.9, 1.1), brightness=0.1, contrast_range=(0.8, 1.2)
    )
    out = aug(x, np.random.default_rng(0))
    assert out.shape == (8, 36) and out.dtype == np.float32 and not np.array_equal(out, x)
    np.testing.assert_array_equal(out, aug(x, np.random.default_rng(0)))
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert "max_degrees=10" in repr(aug)


@pytest.mark.parametrize("stratify", [True, False])
def test_train_dev_test_split_refuses_to_return_an_empty_split(stratify):
    X, y = np.ones((3, 2)), np.arange(3)
    with pytest.raises(ValueError, match=r"the (dev|test) split would be empty: 3 examples"):
        data.train_dev_test_split(X, y, stratify=stratify, seed=0)
    out = data.train_dev_test_split(np.ones((10, 2)), np.arange(10) % 2, stratify=stratify, seed=0)
    assert [len(a) for a in out[1::2]] == [6, 2, 2]
    out = data.train_dev_test_split(X, y, sizes=(1.0, 0.0), stratify=stratify, seed=0)
    assert [len(a) for a in out[1::2]] == [3, 0]  # a zero fraction may be empty
