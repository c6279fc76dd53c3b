"""Repository hygiene: notebooks committed clean, the table of contents complete, one repository
URL, one version, every chapter with its required parts, licences and data notices in place.

Each chapter rule is a function ``*_problems(nb) -> list[str]`` naming the offending cells, so
``tests/test_new_chapter.py`` applies the same rules to a chapter made from the template. The
tests read the files under ``ROOT`` (never the installed package), so they also check a copy of
the repository.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIRS = ("notebooks", "learner", "templates")
TEMPLATE_MARKER = "TODO(template)"
PLACEHOLDER = re.compile(r"\{\{[A-Z]+\}\}")
LICENCE_LEGALCODE = "https://creativecommons.org/licenses/by/4.0/legalcode"

# --------------------------------------------------------------------------------------------
# helpers


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def read_notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def where(index: int, cell: dict[str, Any]) -> str:
    """How a message names a cell: its position, id and first line."""
    first = source(cell).strip().splitlines()[0][:60] if source(cell).strip() else "(empty)"
    return f"cell {index} (id {cell.get('id', '?')}, {first!r})"


def committed_notebooks() -> list[Path]:
    found: list[Path] = []
    for folder in NOTEBOOK_DIRS:
        found += [
            p for p in (ROOT / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
        ]
    return sorted(found)


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def repository_url() -> str:
    return str(config()["repository"]["url"]).rstrip("/")


def toc_entries() -> list[str]:
    """Every ``root``/``file`` entry of _toc.yml (paths from the repository root, as written)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    entries.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return entries


def toc_glob_entries() -> list[str]:
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*-?\s*glob:\s*(\S+)", text, flags=re.MULTILINE)


def _no_suffix(entry: str) -> str:
    return re.sub(r"\.(md|ipynb|rst)$", "", entry)


def package_version() -> str:
    """``dlnotes.__version__`` read from the source file (not from whatever is installed)."""
    tree = ast.parse((ROOT / "dlnotes" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise AssertionError("dlnotes/__init__.py defines no __version__")


def _has_assert(code: str) -> bool:
    try:
        return any(isinstance(n, ast.Assert) for n in ast.walk(ast.parse(code)))
    except SyntaxError:  # IPython magics: fall back to the text
        return re.search(r"^\s*assert\b", code, flags=re.MULTILINE) is not None


def _strip_comments(code: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in code.splitlines())


# --------------------------------------------------------------------------------------------
# the rules for one chapter notebook (shared with tests/test_new_chapter.py)

FIGURE_CALL = re.compile(
    r"\bplt\.(show|subplots|subplot|subplot_mosaic|figure|imshow|plot|scatter|hist|bar)\("
)


def output_problems(nb: dict[str, Any]) -> list[str]:
    """Code cells that carry outputs or an execution count."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{where(i, cell)}: {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"{where(i, cell)}: execution_count {cell['execution_count']}")
    return problems


def kernelspec_problems(nb: dict[str, Any]) -> list[str]:
    name = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    return [] if name == "python3" else [f"kernelspec name is {name!r}, expected 'python3'"]


def objectives_problems(nb: dict[str, Any]) -> list[str]:
    """Learning objectives, as a list, in the markdown before the first ``##`` section."""
    for cell in nb.get("cells", []):
        text = source(cell)
        if cell.get("cell_type") == "markdown":
            if re.search(r"learning objectives", text, flags=re.IGNORECASE) and re.search(
                r"^\s*(?:[-*]|\d+\.)\s+\S", text, flags=re.MULTILINE
            ):
                return []
            if re.search(r"^##\s", text, flags=re.MULTILINE):
                break
    return ["no 'Learning objectives' list before the first '##' section"]


def hidden_assertion_problems(nb: dict[str, Any]) -> list[str]:
    """At least one code cell tagged remove-cell with an ``assert`` statement."""
    for cell in nb.get("cells", []):
        if (
            cell.get("cell_type") == "code"
            and "remove-cell" in tags(cell)
            and _has_assert(source(cell))
        ):
            return []
    return ["no hidden assertion cell (a code cell tagged remove-cell with an assert)"]


def alt_text_problems(nb: dict[str, Any]) -> list[str]:
    """Every visible cell that draws a matplotlib figure has ``mystnb.image.alt`` text."""
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or {"remove-cell", "remove-output"} & set(tags(cell)):
            continue
        if not FIGURE_CALL.search(_strip_comments(source(cell))):
            continue
        alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
        if not (isinstance(alt, str) and alt.strip()):
            problems.append(f"{where(i, cell)}: figure without metadata mystnb.image.alt")
    return problems


RELEASE_PIN = re.compile(r'^DLNOTES_RELEASE = "([^"]+)"$', flags=re.MULTILINE)
PINNED_URL = re.compile(r"git\+(https?://[^\s\"'@#]+)@v\{DLNOTES_RELEASE\}")


def bootstrap_pin(nb: dict[str, Any]) -> str | None:
    """The release the bootstrap cell installs (its ``DLNOTES_RELEASE``), or None."""
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    match = RELEASE_PIN.search(source(code[0])) if code else None
    return match.group(1) if match else None


def bootstrap_problems(nb: dict[str, Any], url: str) -> list[str]:
    """The first code cell installs the pinned release from ``url``; no other install anywhere.

    The pin (``DLNOTES_RELEASE = "X.Y.Z"``, installed as the git tag ``vX.Y.Z``) must equal the
    package version, so a notebook always installs the release it was written for.
    """
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    first = source(code[0]) if code else ""
    if "git+" not in first:
        return ["the first code cell is not the bootstrap cell (pip install ... git+URL@vX.Y.Z)"]
    problems = []
    pin = bootstrap_pin(nb)
    if pin != package_version():
        problems.append(
            f"the bootstrap cell pins DLNOTES_RELEASE = {pin!r}, the package version is "
            f"{package_version()!r} (dlnotes/__init__.py)"
        )
    if not PINNED_URL.search(first):
        problems.append("the bootstrap cell does not install the tag @v{DLNOTES_RELEASE}")
    if "pip" not in first or "check_call" not in first:
        problems.append("the bootstrap cell does not run pip with subprocess.check_call")
    if "remove-cell" not in tags(code[0]):
        problems.append("the bootstrap cell is not tagged remove-cell")
    for i, cell in enumerate(nb["cells"]):
        for found in re.findall(r"git\+(https?://[^\s\"'@#]+)", source(cell)):
            if found.removesuffix(".git").rstrip("/") != url:
                problems.append(f"{where(i, cell)}: installs from {found}, _config.yml has {url}")
        if i and re.search(r"\bpip\b.*\binstall\b|%pip|!pip", source(cell)):
            if cell is not code[0]:
                problems.append(f"{where(i, cell)}: installs packages outside the bootstrap cell")
    return problems


def chapter_problems(nb: dict[str, Any], url: str) -> list[str]:
    """Every rule a chapter notebook must satisfy (outputs are checked for all notebooks)."""
    return [
        *kernelspec_problems(nb),
        *objectives_problems(nb),
        *hidden_assertion_problems(nb),
        *alt_text_problems(nb),
        *bootstrap_problems(nb, url),
    ]


# --------------------------------------------------------------------------------------------
# notebooks


COMMITTED = committed_notebooks()
CHAPTERS = chapter_notebooks()


@pytest.mark.parametrize("path", COMMITTED, ids=rel)
def test_committed_notebook_is_valid_and_has_no_outputs(path):
    nb = read_notebook(path)
    nbformat.validate(nbformat.from_dict(nb))
    problems = output_problems(nb)
    assert not problems, (
        f"{rel(path)} was committed with outputs (clear them: Kernel > Restart & Clear Output, "
        f"or nbstripout --keep-id):\n  " + "\n  ".join(problems)
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=rel)
def test_chapter_has_the_required_parts(path):
    problems = chapter_problems(read_notebook(path), repository_url())
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    "path", [p for p in COMMITTED if p.parts[-2] in {"notebooks", "learner", "templates"}], ids=rel
)
def test_every_notebook_pins_the_current_release(path):
    """Masters, learner editions and the template install exactly ``dlnotes.__version__``."""
    nb = read_notebook(path)
    assert bootstrap_pin(nb) == package_version(), (
        f"{rel(path)} pins dlnotes {bootstrap_pin(nb)!r}, the package is {package_version()!r}: "
        "update DLNOTES_RELEASE in the master's first cell and run `python3 tasks.py learner`"
    )
    assert not bootstrap_problems(nb, repository_url()), bootstrap_problems(nb, repository_url())


@pytest.mark.parametrize("path", [p for p in COMMITTED if "templates" not in p.parts], ids=rel)
def test_no_template_placeholders_left(path):
    nb = read_notebook(path)
    left = [
        where(i, cell)
        for i, cell in enumerate(nb["cells"])
        if TEMPLATE_MARKER in source(cell)
        or TEMPLATE_MARKER in json.dumps(cell.get("metadata", {}))
        or PLACEHOLDER.search(source(cell))
    ]
    assert not left, f"{rel(path)} still has template markers ({TEMPLATE_MARKER}):\n  " + (
        "\n  ".join(left)
    )


def test_the_template_follows_the_chapter_rules():
    """The template itself obeys every chapter rule (placeholders are in prose only)."""
    nb = read_notebook(ROOT / "templates" / "chapter_template.ipynb")
    assert not chapter_problems(nb, repository_url())


# --------------------------------------------------------------------------------------------
# table of contents


def test_every_toc_entry_exists():
    missing = []
    for entry in toc_entries():
        candidates = (
            [ROOT / entry]
            if entry != _no_suffix(entry)
            else [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb", ".rst")]
        )
        if not any(c.is_file() for c in candidates):
            missing.append(entry)
    for pattern in toc_glob_entries():
        if not list(ROOT.glob(pattern + ".*")) and not list(ROOT.glob(pattern)):
            missing.append(f"glob: {pattern}")
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_notebook_and_book_page_is_in_the_toc():
    """only_build_toc_files drops pages silently, so every chapter and book page must be listed."""
    listed = {_no_suffix(e) for e in toc_entries()}
    globbed = toc_glob_entries()
    pages = [*CHAPTERS, *sorted((ROOT / "book").glob("*.md"))]
    absent = [
        rel(p)
        for p in pages
        if _no_suffix(rel(p)) not in listed
        and not any(fnmatch.fnmatch(_no_suffix(rel(p)), g) for g in globbed)
    ]
    assert not absent, f"not in _toc.yml (add `- file: <path without extension>`): {absent}"
    assert not any(e.startswith("templates/") for e in listed), "the template must stay out"


# --------------------------------------------------------------------------------------------
# versions and metadata


def changelog_top_version() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    match = re.search(r"^## \[(\d+\.\d+\.\d+[^\]]*)\]", text, flags=re.MULTILINE)
    assert match, "CHANGELOG.md has no '## [x.y.z]' heading"
    return match.group(1)


def citation() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_versions_agree():
    version = package_version()
    assert str(citation()["version"]) == version, "CITATION.cff version != dlnotes.__version__"
    assert changelog_top_version() == version, "CHANGELOG.md top version != dlnotes.__version__"


CFF_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
    "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
    "references", "repository", "repository-artifact", "repository-code", "title", "type", "url",
    "version",
}  # fmt: skip


def test_citation_file_is_cff_1_2_0():
    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    assert set(cff) <= CFF_KEYS, f"keys CFF 1.2.0 does not define: {set(cff) - CFF_KEYS}"
    for key in ("message", "title"):
        assert isinstance(cff[key], str) and cff[key].strip(), key
    assert cff["authors"] and all(
        isinstance(a, dict) and (a.get("name") or a.get("family-names")) for a in cff["authors"]
    )
    assert cff.get("type", "software") in {"software", "dataset"}
    licences = cff["license"] if isinstance(cff["license"], list) else [cff["license"]]
    assert "MIT" in licences
    assert cff["repository-code"].rstrip("/") == repository_url()


# --------------------------------------------------------------------------------------------
# licences and data


def test_licence_files():
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License") and "the dlnotes authors" in mit
    assert "Permission is hereby granted, free of charge" in mit
    content = (ROOT / "LICENSE-CONTENT.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in content and LICENCE_LEGALCODE in content


def test_site_footer_names_both_licences():
    footer = str(config().get("html", {}).get("extra_footer", ""))
    assert "MIT" in footer, "the site footer does not mention the MIT licence (code)"
    assert re.search(r"CC[ -]BY[ -]4\.0", footer), "the site footer does not mention CC BY 4.0"


def test_bundled_data_is_licensed_packaged_and_documented():
    data_dir = ROOT / "dlnotes" / "data"
    data = [
        p
        for p in sorted(data_dir.iterdir())
        if p.is_file() and p.suffix not in {".py", ".pyc"} and not p.name.startswith("LICENSE")
    ]
    data += [p for p in sorted((ROOT / "dlnotes").rglob("*.npz")) if p.parent != data_dir]
    licences = sorted(data_dir.glob("LICENSE*"))
    notice = (ROOT / "book" / "data-sources.md").read_text(encoding="utf-8")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["dlnotes"]
    problems = []
    if data and not licences:
        problems.append("dlnotes/data holds data but no LICENSE-* file")
    for p in [*data, *licences]:
        if p.name not in notice:
            problems.append(f"{rel(p)} is not named in book/data-sources.md")
        packaged = p.relative_to(ROOT / "dlnotes").as_posix()
        if not any(fnmatch.fnmatch(packaged, pat) for pat in patterns):
            problems.append(f"{rel(p)} is not in pyproject's package-data (Colab would miss it)")
    assert not problems, "\n".join(problems)
