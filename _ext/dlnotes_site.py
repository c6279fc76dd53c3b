"""Sphinx extension for the dlnotes website (loaded from ``_config.yml``).

1. **Launch buttons open the learner edition.** The website is built from the master notebooks
   in ``notebooks/`` (they hold the solutions, shown behind toggles), but a learner who clicks
   "launch" should get the exercise version in ``learner/`` that ``tools/learner_edition.py``
   generates. sphinx-book-theme adds its launch buttons in an ``html-page-context`` handler at
   priority 501; ours runs just after and rewrites ``notebooks/NN_topic.ipynb`` to
   ``learner/NN_topic.ipynb``.
2. **Math without a network.** MathJax 3 is served from the site itself (``_static/mathjax``),
   so the built site can be zipped and read offline. ``python3 tasks.py book`` fetches the pinned
   MathJax release once into ``.venv/share/mathjax`` (checksum-verified); this extension copies
   the parts the pages load into the output.
3. **No Thebe.** Live code on the page is off (launch buttons open Colab/Binder instead), so the
   sphinx-thebe scripts that Jupyter Book adds anyway are dropped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

MASTER, LEARNER = "notebooks/", "learner/"
MATHJAX_SCRIPT = "mathjax/tex-mml-chtml.js"
# The files of MathJax's es5 build that the pages need: the combined TeX/MathML + CHTML
# component, the SVG component jupyterquiz asks for, fonts, and TeX extensions loaded on demand.
MATHJAX_PARTS = ("tex-mml-chtml.js", "tex-svg.js", "output/chtml/fonts/woff-v2", "input/tex")


def learner_url(url: str, root: Path) -> str:
    """``url`` with the master notebook replaced by its learner edition."""
    if MASTER not in url or ".ipynb" not in url:
        return url
    name = url.split(MASTER, 1)[1].split(".ipynb", 1)[0] + ".ipynb"
    if not (root / LEARNER / name).exists():
        raise FileNotFoundError(
            f"launch buttons for notebooks/{name} need learner/{name}: "
            "run `python3 tasks.py learner` and commit the result"
        )
    return url.replace(MASTER + name, LEARNER + name)


def _rewrite_launch(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    if not pagename.startswith(MASTER):
        return
    root = Path(app.srcdir)
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if "url" in button:
                button["url"] = learner_url(button["url"], root)


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    """Thebe is off (``launch_buttons.thebe: false``), but sphinx-thebe still adds its script,
    twice on notebook pages, which raises "THEBE_JS_URL has already been declared"."""
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [f for f in context[key] if "thebe" not in str(f)]


def mathjax_source(srcdir: Path) -> Path:
    """The es5 folder of the vendored MathJax (``DLNOTES_MATHJAX`` or ``.venv/share/mathjax``)."""
    folder = Path(os.environ.get("DLNOTES_MATHJAX", srcdir / ".venv" / "share" / "mathjax"))
    if not (folder / "tex-mml-chtml.js").is_file():
        raise FileNotFoundError(
            f"MathJax not found in {folder}: build with `python3 tasks.py book`, which fetches it"
        )
    return folder


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source = mathjax_source(Path(app.srcdir))
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


GRADED_SITE = "DLNOTES_GRADED_SITE"


def drop_answers(app: Any, doctree: Any) -> None:
    """For a graded term (``DLNOTES_GRADED_SITE=1``, ``tasks.py book --graded``): remove every
    notebook cell that is an nbgrader answer (``solution: true``) or tagged ``answer``."""
    if os.environ.get(GRADED_SITE) != "1":
        return
    from docutils import nodes

    for node in list(doctree.findall(nodes.container)):
        if node.get("nb_element") != "cell_code":
            continue
        meta = node.get("cell_metadata") or {}
        nbgrader = meta.get("nbgrader") or {}
        if nbgrader.get("solution") or "answer" in meta.get("tags", []):
            node.parent.remove(node)


def _check_mathjax(app: Any, config: Any) -> None:
    mathjax_source(Path(app.srcdir))  # fail at the start of the build, not after executing
    config.mathjax_path = MATHJAX_SCRIPT


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _check_mathjax)
    app.connect("doctree-read", drop_answers)
    app.connect("html-page-context", _rewrite_launch, priority=502)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
