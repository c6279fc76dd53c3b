#!/usr/bin/env python3
"""Start a new chapter from the template: ``python3 tools/new_chapter.py NN slug "Title"``.

    python3 tools/new_chapter.py 07 initialization "Initialization"

copies ``templates/chapter_template.ipynb`` to ``notebooks/07_initialization.ipynb``, fills in
the chapter number and title (the placeholders ``{{NN}}``, ``{{TITLE}}`` and ``{{SLUG}}``), gives
every cell a fresh id, and prints the next steps: the table-of-contents line to add, where the
chapter's exercises and explorers go, and the commands to run.

The new notebook runs as it is (its example exercise and explorer borrow chapter 02's), but it
is full of ``TODO(template)`` markers; the repository tests fail until none is left. Only the
standard library is used, so the tool runs with any Python >= 3.10. ``--dest DIR`` writes
somewhere other than ``notebooks/`` (the tests use it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "chapter_template.ipynb"
NOTEBOOKS = ROOT / "notebooks"
MARKER = "TODO(template)"
PLACEHOLDER = re.compile(r"\{\{[A-Z]+\}\}")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{{KEY}}`` by ``values[KEY]``; an unknown placeholder raises ``KeyError``."""

    def sub(match: re.Match[str]) -> str:
        key = match.group(0)[2:-2]
        if key not in values:
            raise KeyError(f"unknown placeholder {match.group(0)} in the template")
        return values[key]

    return PLACEHOLDER.sub(sub, text)


def check_arguments(number: str, slug: str, title: str) -> None:
    """Raise ``ValueError`` naming the argument when one is malformed."""
    if not re.fullmatch(r"\d\d", number) or number == "00":
        raise ValueError(f"number must be two digits 01..99 (e.g. 07), got {number!r}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", slug):
        raise ValueError(
            f"slug must be lower-case letters, digits and underscores, starting with a letter "
            f"(e.g. batch_norm), got {slug!r}"
        )
    if not title.strip() or "\n" in title or "{{" in title:
        raise ValueError(f"title must be one non-empty line, got {title!r}")


def new_chapter(
    number: str, slug: str, title: str, *, dest: Path = NOTEBOOKS, template: Path = TEMPLATE
) -> Path:
    """Write ``dest/NN_slug.ipynb`` from the template and return its path.

    Refuses (``FileExistsError``) when ``dest`` already holds a notebook with that number.
    """
    check_arguments(number, slug, title)
    title = title.strip()
    dest = Path(dest)
    taken = sorted(dest.glob(f"{number}_*.ipynb"))
    if taken:
        raise FileExistsError(f"chapter {number} already exists: {taken[0]}")
    nb = json.loads(Path(template).read_text(encoding="utf-8"))
    values = {"NN": number, "TITLE": title, "SLUG": slug}
    for cell in nb["cells"]:
        # sources as lists of lines, as nbformat writes them
        cell["source"] = fill(_source(cell), values).splitlines(keepends=True)
        cell["id"] = uuid.uuid4().hex[:8]
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    out = dest / f"{number}_{slug}.ipynb"
    dest.mkdir(parents=True, exist_ok=True)
    # the same layout as nbformat.write, so the first save in Jupyter changes nothing
    out.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return out


def next_steps(path: Path, number: str, slug: str) -> str:
    """What to do after creating ``path`` (printed by the command line)."""
    try:
        shown = path.relative_to(ROOT)
    except ValueError:
        shown = path
    stem = f"notebooks/{number}_{slug}"
    return f"""\
Created {shown}.

Next steps (details in CONTRIBUTING.md, "Adding a chapter"):
  1. Add the chapter to _toc.yml, under its part, in chapter order:
         - file: {stem}
     and a row to the chapter table in book/intro.md.
  2. Write the chapter: replace every {MARKER} marker (the tests fail while one is left).
     Each claim gets a hidden assertion cell (tag remove-cell), each figure alt text.
  3. Exercises: register them in dlnotes/exercises/ch{number}.py (see the docstring of
     dlnotes/exercises/__init__.py), then rename the template's example exercise cells.
  4. Explorers: write dlnotes/explorers/ch{number}.py with its EXPLORERS list, then import it in
     the notebook instead of chapter 02's.
  5. Run, in this order:
         python3 tasks.py learner                      # writes learner/{number}_{slug}.ipynb
         python3 tasks.py test tests/test_repository.py {stem}.ipynb
         python3 tasks.py test                         # everything, the site included
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("number", help="two digits, e.g. 07")
    ap.add_argument("slug", help="file-name part, e.g. initialization")
    ap.add_argument("title", help='the chapter title, e.g. "Initialization"')
    ap.add_argument("--dest", type=Path, default=NOTEBOOKS, help="folder to write into")
    args = ap.parse_args(argv)
    try:
        path = new_chapter(args.number, args.slug, args.title, dest=args.dest)
    except (ValueError, FileExistsError) as err:
        print(f"new_chapter: {err}", file=sys.stderr)
        return 2
    print(next_steps(path, args.number, args.slug))
    return 0


if __name__ == "__main__":
    sys.exit(main())
