"""The model zoo (dlnotes.zoo): registry, checksums, loading, reproducibility of the weights,
and the transfer helpers (freezing, new heads, parameter groups)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlnotes import zoo
from dlnotes.data import load_fashion_mnist_subset
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.zoo import transfer

ROOT = Path(__file__).resolve().parent.parent
NAME = "fashion5_mlp"
NAMES = ["fashion10_mlp", "fashion5_mlp"]


def test_available_and_info():
    assert zoo.available() == NAMES
    meta = zoo.info(NAME)
    assert meta["architecture"] == [784, 256, 128, 5]
    assert meta["source_classes"] == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"]
    assert 0.8 < meta["source_test_accuracy"] < 1.0
    meta["architecture"].append(1)  # a copy: the registry is unchanged
    assert zoo.info(NAME)["architecture"] == [784, 256, 128, 5]


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(KeyError, match="available: fashion10_mlp, fashion5_mlp"):
        zoo.load("resnet50")


def test_load_gives_the_recorded_source_accuracy():
    model = zoo.load(NAME)
    assert model.dtype == np.float32 and model.num_params == 784 * 256 + 256 + 256 * 128 + 128 + 645
    X_train, _, X_test, y_test = zoo.source_task()
    assert X_train.shape == (3000, 784) and X_test.shape == (1000, 784)
    assert np.bincount(y_test).tolist() == [200] * 5
    acc = float(np.mean(model.predict(X_test).argmax(1) == y_test))
    assert acc == pytest.approx(zoo.info(NAME)["source_test_accuracy"], abs=0.002)
    size = (ROOT / "dlnotes" / "zoo" / f"{NAME}.npz").stat().st_size
    assert size < 1.5e6


def test_fashion10_is_pretrained_on_all_ten_classes():
    meta = zoo.info("fashion10_mlp")
    assert meta["architecture"] == [784, 256, 128, 10] and meta["source_labels"] == list(range(10))
    model = zoo.load("fashion10_mlp")
    assert model.dtype == np.float32
    _, _, X_test, y_test = load_fashion_mnist_subset()
    acc = float(np.mean(model.predict(X_test).argmax(1) == y_test))
    assert acc == pytest.approx(meta["source_test_accuracy"], abs=0.002)
    assert (ROOT / "dlnotes" / "zoo" / "fashion10_mlp.npz").stat().st_size < 1.5e6


def test_shifted_task_splits_the_noisy_test_images():
    X_pool, y_pool, X_eval, y_eval = zoo.shifted_task()
    assert X_pool.shape == X_eval.shape == (1000, 784) and X_pool.dtype == np.float32
    assert np.bincount(y_pool).tolist() == np.bincount(y_eval).tolist() == [100] * 10
    assert X_pool.min() >= 0.0 and X_pool.max() <= 1.0
    _, _, X_test, _ = load_fashion_mnist_subset()
    clean = {row.tobytes() for row in X_test}
    both = np.concatenate([X_pool, X_eval])
    # no image in both halves, and noise changed every image
    assert len({row.tobytes() for row in both}) == 2000
    assert not any(row.tobytes() in clean for row in both)
    # seeded: the same seed gives the same images, another seed other noise
    again = zoo.shifted_task()
    np.testing.assert_array_equal(again[0], X_pool)
    assert not np.array_equal(zoo.shifted_task(seed=1)[0], X_pool)
    X0 = zoo.shifted_task(noise_std=0.0)
    assert {row.tobytes() for row in np.concatenate([X0[0], X0[2]])} <= clean
    with pytest.raises(ValueError, match="noise_std"):
        zoo.shifted_task(noise_std=-1.0)


@pytest.mark.parametrize("name", NAMES)
def test_corrupted_copy_is_rejected(tmp_path, name):
    NAME = name
    src = ROOT / "dlnotes" / "zoo"
    for f in (f"{NAME}.npz", f"{NAME}_sweep.npz"):
        shutil.copy(src / f, tmp_path / f)
    zoo.load(NAME, directory=tmp_path)  # an intact copy loads
    raw = bytearray((tmp_path / f"{NAME}.npz").read_bytes())
    raw[len(raw) // 2] ^= 0x01  # flip one bit in the middle of a weight
    (tmp_path / f"{NAME}.npz").write_bytes(bytes(raw))
    with pytest.raises(zoo.ChecksumError, match=rf"checksum mismatch for {NAME}\.npz"):
        zoo.load(NAME, directory=tmp_path)
    (tmp_path / f"{NAME}_sweep.npz").write_bytes(b"not a zip file")
    with pytest.raises(zoo.ChecksumError):
        zoo.load_sweep(NAME, directory=tmp_path)


def test_sha256_matches_hashlib_on_a_known_string(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert zoo.sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("name", NAMES)
def test_sweep_layout(name):
    sw = zoo.load_sweep(name)
    F, M, S, R = len(sw["n_frozen"]), len(sw["lr_mults"]), len(sw["sizes"]), len(sw["seeds"])
    assert sw["finetune"].shape == (F, M, S, R) and sw["scratch"].shape == (S, R)
    assert np.all((sw["finetune"] > 0.15) & (sw["finetune"] <= 1.0))
    # a full freeze ignores the multiplier
    assert np.all(sw["finetune"][-1] == sw["finetune"][-1, :1])


def _mlp64(seed=3):
    return mlp([6, 5, 4, 3], seed=seed, dtype=np.float64)


def test_trainable_params_counts_linear_layers():
    model = _mlp64()  # Linear, ReLU, Linear, ReLU, Linear
    assert zoo.linear_layer_indices(model) == [0, 2, 4]
    assert all(a is b for a, b in zip(zoo.trainable_params(model, 0), model.params))
    probe = zoo.trainable_params(model, 2)
    assert len(probe) == 2 and probe[0] is model.layers[4].W and probe[1] is model.layers[4].b
    assert zoo.trainable_params(model, 3) == []
    with pytest.raises(ValueError, match="n_frozen must be at most 3"):
        zoo.trainable_params(model, 4)
    ln = mlp([6, 5, 4, 3], norm="layernorm", seed=1)  # Linear, LN, ReLU, Linear, LN, ReLU, Linear
    assert len(zoo.trainable_params(ln, 1)) == 2 + 2 + 2  # Linear 1, its LayerNorm, head


def test_replace_head_keeps_the_body_and_leaves_the_original_alone():
    model = _mlp64()
    before = [p.copy() for p in model.params]
    new = zoo.replace_head(model, 7, seed=0)
    assert new.layers[-1].W.shape == (4, 7)
    for a, b in zip(new.params[:4], model.params[:4]):
        np.testing.assert_array_equal(a, b)
        assert a is not b
    new.params[0][...] = 0.0
    for a, b in zip(model.params, before):
        np.testing.assert_array_equal(a, b)


def test_discriminative_lrs_closed_form():
    assert zoo.discriminative_lrs(0.05, 3, 0.1) == pytest.approx([0.0005, 0.005, 0.05])


def test_param_groups_freeze_and_scale():
    rng = np.random.default_rng(0)
    model = _mlp64()
    X, y = rng.standard_normal((9, 6)), rng.integers(0, 3, 9)
    from dlnotes.losses import softmax_cross_entropy

    _, dout = softmax_cross_entropy(model.forward(X), y)
    model.backward(dout)
    grads = [g.copy() for g in model.grads]
    before = [p.copy() for p in model.params]
    body = zoo.trainable_params(model, 1)[:2]  # the second Linear layer
    head = list(model.layers[4].params)
    opt = zoo.ParamGroups(
        model.params, [(body, 0.1), (head, 1.0)], lambda p, lr: SGD(p, lr=lr), lr=0.5
    )
    opt.step(grads)
    for i in (0, 1):  # frozen
        np.testing.assert_array_equal(model.params[i], before[i])
    for i in (2, 3):
        np.testing.assert_allclose(model.params[i], before[i] - 0.05 * grads[i], rtol=1e-12)
    for i in (4, 5):
        np.testing.assert_allclose(model.params[i], before[i] - 0.5 * grads[i], rtol=1e-12)
    opt.lr = 0.2
    assert [o.lr for o in opt.optimizers] == pytest.approx([0.02, 0.2])
    with pytest.raises(ValueError, match="grads must hold 6 arrays"):
        opt.step(grads[:2])


def test_sample_per_class_is_stratified_and_seeded():
    y = np.repeat(np.arange(4), 10)
    idx = zoo.sample_per_class(y, 3, seed=5)
    assert np.bincount(y[idx]).tolist() == [3, 3, 3, 3]
    np.testing.assert_array_equal(idx, zoo.sample_per_class(y, 3, seed=5))
    with pytest.raises(ValueError, match="at most 10"):
        zoo.sample_per_class(y, 11)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_make_zoo_reproduces_the_shipped_weights(tmp_path, name):
    NAME = name
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    script = str(ROOT / "tools" / "make_zoo.py")

    def make_zoo(out_dir):
        out = subprocess.run(
            [sys.executable, script, "--model", NAME, "--no-sweep", "--out", str(out_dir)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=600,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    report = make_zoo(tmp_path)
    # On one machine the run is bit-reproducible, whatever its CPU.
    assert make_zoo(tmp_path / "again")["sha256"] == report["sha256"]
    meta = zoo.info(NAME)
    fresh = mlp(meta["architecture"], seed=1).load(tmp_path / f"{NAME}.npz")
    shipped = zoo.load(NAME)
    # Any machine: the recipe reproduces the model's quality and nearly all of its predictions
    # (another CPU's BLAS kernels round differently, and 20 epochs amplify that a little).
    assert abs(report["source_test_accuracy"] - meta["source_test_accuracy"]) <= 0.01
    _, _, X_test, _ = (
        transfer.source_task() if NAME == "fashion5_mlp" else load_fashion_mnist_subset()
    )
    agree = np.mean(fresh.predict(X_test).argmax(axis=1) == shipped.predict(X_test).argmax(axis=1))
    assert agree > 0.9, f"fresh and shipped {NAME} agree on only {agree:.1%} of the test images"
    same_stack = (np.__version__, platform.machine(), report["blas"]) == (
        meta["made_with"]["numpy"],
        meta["made_with"]["machine"],
        meta["made_with"].get("blas"),
    )
    if same_stack:  # one BLAS thread, same numpy and BLAS kernels: bit-identical
        assert report["sha256"] == meta["sha256"]
        for a, b in zip(fresh.params, shipped.params):
            np.testing.assert_array_equal(a, b)
