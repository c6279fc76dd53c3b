"""The release: ``python -m build`` makes an sdist and a wheel holding exactly the ``dlnotes``
package and what it needs at run time, ``twine check`` accepts them, and the wheel works when
installed into a fresh virtual environment with the source tree nowhere on the path.

Nothing here downloads: the build runs without isolation on the pinned setuptools of ``.venv``,
and the fresh environment installs the wheel alone (``--no-deps --no-index``) and sees the
dependencies already installed in ``.venv`` through a path file. A path file only appends a
folder to ``sys.path``; the ``.pth`` files inside that folder (the editable install's finder)
are not run, so ``import dlnotes`` can only find the installed wheel.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def package_version() -> str:
    """``dlnotes.__version__`` as written in the source (the one place the version lives)."""
    tree = ast.parse((ROOT / "dlnotes" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [
            "__version__"
        ]:
            return str(ast.literal_eval(node.value))
    raise AssertionError("dlnotes/__init__.py defines no __version__")


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What a copy of the working tree leaves out: local environments, caches and build output.
NOT_SOURCE = (".git", ".venv", "venv", "_build", "build", "dist", "*.egg-info", "__pycache__")
NOT_SOURCE += (
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".jupyter_cache",
)
SDIST_TOP_LEVEL = {"dlnotes", "dlnotes.egg-info", "LICENSE", "MANIFEST.in", "PKG-INFO"}
SDIST_TOP_LEVEL |= {"README.md", "pyproject.toml", "setup.cfg"}

PIP = [sys.executable, "-m", "pip", "--no-cache-dir"]


def quiet_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("MPLBACKEND", None)
    return env


def runtime_files() -> set[str]:
    """Every file of the ``dlnotes/`` source folder (modules, data, weights, licences, py.typed).

    All of it is needed at run time, so all of it must ship: a data file left out of
    ``package-data`` would be missing on Colab, where only the installed package exists.
    """
    found = set()
    for path in (ROOT / "dlnotes").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found.add(f"dlnotes/{path.relative_to(ROOT / 'dlnotes').as_posix()}")
    return found


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """sdist and wheel built from a copy of the working tree (the wheel from the sdist)."""
    work = tmp_path_factory.mktemp("release")
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
    out = work / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)],
        capture_output=True,
        text=True,
        env=quiet_env(),
        cwd=work,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    version = package_version()
    sdist, wheel = out / f"dlnotes-{version}.tar.gz", out / f"dlnotes-{version}-py3-none-any.whl"
    assert sorted(p.name for p in out.iterdir()) == sorted([sdist.name, wheel.name])
    return {"sdist": sdist, "wheel": wheel, "work": work}


@pytest.mark.slow
def test_the_wheel_holds_the_package_its_data_and_licences_and_nothing_else(dists):
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = {n for n in whl.namelist() if not n.endswith("/")}
        metadata = whl.read(f"dlnotes-{package_version()}.dist-info/METADATA").decode()
    info = f"dlnotes-{package_version()}.dist-info/"
    package = {n for n in names if n.startswith("dlnotes/")}
    assert package == runtime_files(), (
        f"missing from the wheel: {sorted(runtime_files() - package)}; "
        f"unexpected: {sorted(package - runtime_files())}"
    )
    assert names - package <= {
        f"{info}{n}" for n in ("METADATA", "WHEEL", "RECORD", "top_level.txt")
    } | {f"{info}licenses/LICENSE", f"{info}licenses/dlnotes/data/LICENSE-fashion-mnist.txt"}
    for needed in (
        "dlnotes/py.typed",
        "dlnotes/data/fashion_mnist_subset.npz",
        "dlnotes/data/LICENSE-fashion-mnist.txt",
        "dlnotes/zoo/fashion10_mlp.npz",
        "dlnotes/zoo/fashion5_mlp.npz",
        f"{info}licenses/LICENSE",
    ):
        assert needed in names, needed
    assert f"Version: {package_version()}\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    for dep in PYPROJECT["project"]["dependencies"]:
        assert f"Requires-Dist: {dep}\n" in metadata, dep


@pytest.mark.slow
def test_the_sdist_holds_the_package_and_its_build_files_only(dists):
    prefix = f"dlnotes-{package_version()}/"
    with tarfile.open(dists["sdist"]) as tar:
        names = {m.name.removeprefix(prefix) for m in tar.getmembers() if m.isfile()}
    top = {n.split("/", 1)[0] for n in names}
    assert top <= SDIST_TOP_LEVEL, f"the sdist has more than the package: {top - SDIST_TOP_LEVEL}"
    package = {n for n in names if n.startswith("dlnotes/")}
    assert package == runtime_files(), sorted(package ^ runtime_files())


@pytest.mark.slow
def test_twine_accepts_both(dists):
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", dists["sdist"], dists["wheel"]],
        capture_output=True,
        text=True,
        env=quiet_env(),
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2, check.stdout


SMOKE = """
import sys
from pathlib import Path

import dlnotes

where = Path(dlnotes.__file__).resolve()
assert where.is_relative_to(Path(sys.prefix).resolve()), f"imported from {where}"
assert dlnotes.__version__ == VERSION, dlnotes.__version__
from dlnotes.data import load_fashion_mnist_subset
from dlnotes.exercises import check, get
from dlnotes.losses import softmax_cross_entropy
from dlnotes.model import mlp
from dlnotes.optim import SGD
from dlnotes.zoo import load

X, y, X_test, y_test = load_fashion_mnist_subset()
assert X.shape == (6000, 784) and X_test.shape == (2000, 784), (X.shape, X_test.shape)
model = mlp([784, 32, 10], seed=0)
loss_before, dlogits = softmax_cross_entropy(model.forward(X[:256]), y[:256])
model.backward(dlogits)
SGD(model.params, lr=0.1).step(model.grads)
loss_after, _ = softmax_cross_entropy(model.forward(X[:256]), y[:256])
assert loss_after < loss_before, (loss_before, loss_after)
zoo_model = load("fashion10_mlp")
assert zoo_model.forward(X_test[:8]).shape == (8, 10)
exercise = get("ch01_standardize")


def standardize(X_train, X_other):  # a learner's correct answer, typed out
    import numpy as np

    mu, sigma = X_train.mean(axis=0), X_train.std(axis=0)
    sigma = np.where(sigma < 1e-8, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma


check(exercise.name, standardize)
try:
    check(exercise.name, lambda *args, **kwargs: args[0])
except AssertionError:
    pass
else:
    raise SystemExit("check() accepted an answer that returns its input unchanged")
print("SMOKE OK", where)
"""


@pytest.mark.slow
def test_the_wheel_works_in_a_fresh_environment_away_from_the_source(dists):
    fresh = dists["work"] / "fresh"
    venv.EnvBuilder(with_pip=False, clear=True).create(fresh)
    python = fresh / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The dependencies already installed next to this interpreter, not the source tree.
    ours = sysconfig.get_paths()["purelib"]
    assert not Path(ours).resolve().is_relative_to(ROOT / "dlnotes")
    (Path(purelib) / "dlnotes-test-deps.pth").write_text(ours + "\n", encoding="utf-8")
    install = subprocess.run(
        [*PIP, "--python", python, "install", "--no-deps", "--no-index", "-q", dists["wheel"]],
        capture_output=True,
        text=True,
        env=quiet_env(),
        cwd=dists["work"],
    )
    assert install.returncode == 0, install.stdout + install.stderr
    script = dists["work"] / "smoke.py"
    script.write_text(f"VERSION = {package_version()!r}\n" + textwrap.dedent(SMOKE))
    smoke = subprocess.run(
        [python, "-I", script.name],
        capture_output=True,
        text=True,
        env=quiet_env(),
        cwd=dists["work"],
        timeout=300,
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "SMOKE OK" in smoke.stdout and str(fresh) in smoke.stdout, smoke.stdout
    assert "✓ ch01_standardize" in smoke.stdout, smoke.stdout


# Colab's preinstalled versions of the packages it has kept for years (GUIDE §5), at their
# lowest patch release: installing dlnotes there must leave every one of them as it is.
COLAB = {"numpy": "2.0.0", "ipywidgets": "7.7.0", "ipython": "7.34.0"}


def _requirements(lines: list[str]) -> list[Requirement]:
    reqs = [Requirement(line) for line in lines]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""})]


def test_colab_installs_dlnotes_without_upgrading_numpy_ipywidgets_or_ipython():
    """pip upgrades a preinstalled package only when a requirement excludes its version.

    Resolving against Colab for real would download its wheels; instead this checks the
    requirements that reach those packages: dlnotes' own, and those of every dependency Colab
    lacks (jupyterquiz), read from the metadata of the versions pinned in the lock.
    """
    ours = _requirements(PYPROJECT["project"]["dependencies"])
    reach = [(f"dlnotes {package_version()}", r) for r in ours]
    for name in ("jupyterquiz",):
        dist = metadata.distribution(name)
        reach += [(f"{name} {dist.version}", r) for r in _requirements(dist.requires or [])]
    names = {canonicalize_name(r.name) for _, r in reach}
    assert {"numpy", "ipywidgets"} <= names, names
    upgrades = [
        f"{who} requires {req}, Colab has {req.name} {COLAB[canonicalize_name(req.name)]}"
        for who, req in reach
        if canonicalize_name(req.name) in COLAB
        and not req.specifier.contains(COLAB[canonicalize_name(req.name)], prereleases=True)
    ]
    assert not upgrades, "installing on Colab would upgrade:\n" + "\n".join(upgrades)
    # requirements.txt (what Binder installs) states the same lower bounds as the package.
    listed = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    binder = {str(r) for r in _requirements([ln for ln in listed if ln and ln[0].isalpha()])}
    assert binder == {str(r) for r in ours}, binder ^ {str(r) for r in ours}
