"""The book's text: cross-references are links, the glossary is complete, the notation page
agrees with the package.

"Prose" here means the markdown cells of the master chapter notebooks in ``notebooks/`` and the
Markdown pages in ``book/``, with inline code spans and fenced code blocks (fences with a
language such as ```` ```python ````; MyST directive fences like ```` ```{admonition} ```` hold
prose and are kept) removed. The tests read the files under ``ROOT``, so they also check a
copy of the repository, and they apply to a chapter added later without change.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
GLOSSARY = ROOT / "book" / "glossary.md"
NOTATION = ROOT / "book" / "notation.md"

# A link: a {doc}/{ref}/{numref}/{term} role or a Markdown link [text](target).
LINK = re.compile(r"\{(?:doc|ref|numref|term)\}`[^`]*`|\[[^\]]*\]\([^)]*\)")
CODE_SPAN = re.compile(r"`[^`\n]*`")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*[A-Za-z][^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
# A plain mention of one of this book's chapters: "chapter 04", "Chapters 03–06" ...
CHAPTER_MENTION = re.compile(r"\b[Cc]hapters?\s+\d\d\b")
# ... except a chapter of a cited book: "chapter 11 of {cite}`goodfellow2016`".
CITED_BOOK = re.compile(r"\s+of\s+\{cite")
DOC_ROLE = re.compile(r"\{doc\}`(?:([^`<]*?)\s*<)?(/[^`>]+?)>?`")
REF_ROLE = re.compile(r"\{ref\}`(?:[^`<]*<)?([^`>]+?)>?`")
LABEL = re.compile(r"^\(([A-Za-z0-9_.:-]+)\)=[ \t]*$", re.M)


def _notebook_markdown(path: Path) -> Iterator[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            src = cell["source"]
            yield f"{path.relative_to(ROOT)} cell {index}", "".join(src)


def prose() -> Iterator[tuple[str, str]]:
    """(where, text) for every markdown cell of every chapter and every book page."""
    for path in CHAPTERS:
        yield from _notebook_markdown(path)
    for path in PAGES:
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def strip_code(text: str) -> str:
    """``text`` with fenced code blocks and inline code spans blanked (offsets kept)."""
    text = CODE_FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    return CODE_SPAN.sub(lambda m: " " * len(m.group()), text)


def plain_chapter_mentions(text: str) -> list[str]:
    """Mentions of "chapter NN" that are not inside a link (nor a chapter of a cited book)."""
    masked = LINK.sub(lambda m: " " * len(m.group()), text)
    masked = strip_code(masked)
    return [
        m.group() for m in CHAPTER_MENTION.finditer(masked) if not CITED_BOOK.match(masked, m.end())
    ]


def test_the_rule_for_plain_chapter_mentions():
    """The detector itself: what counts as a plain mention and what does not."""
    assert plain_chapter_mentions("as chapter 02 showed") == ["chapter 02"]
    assert plain_chapter_mentions("Chapter\n01's data") == ["Chapter\n01"]
    assert plain_chapter_mentions("(chapters 03–06)") == ["chapters 03"]
    assert plain_chapter_mentions("{doc}`chapter 02 </notebooks/02_conditioning>`'s") == []
    assert plain_chapter_mentions("[chapter 02](02_conditioning.ipynb)") == []
    assert plain_chapter_mentions("chapter 11 of {cite}`goodfellow2016`") == []
    assert plain_chapter_mentions("# 04 · Momentum") == []
    assert plain_chapter_mentions("`chapter 04` in code") == []
    assert plain_chapter_mentions("```python\n# chapter 04\n```\n") == []
    assert plain_chapter_mentions("```{admonition} Note\nsee chapter 04\n```\n") == ["chapter 04"]


def test_every_mention_of_another_chapter_is_a_link():
    plain = [
        f"{where}: {mention!r}"
        for where, text in prose()
        for mention in plain_chapter_mentions(text)
    ]
    assert not plain, (
        "write a link, {doc}`chapter NN </notebooks/NN_topic>`, instead of a plain mention:\n"
        + "\n".join(plain)
    )


def test_doc_links_point_to_pages_that_exist_and_say_the_right_number():
    problems = []
    for where, text in prose():
        for m in DOC_ROLE.finditer(text):
            title, target = m.group(1), m.group(2).strip()
            candidates = [ROOT / (target.lstrip("/") + ext) for ext in (".ipynb", ".md")]
            if not any(c.is_file() for c in candidates):
                problems.append(f"{where}: {m.group()} points to no page")
                continue
            number = re.search(r"\b[Cc]hapters?\s+(\d\d)\b", title or "")
            page = re.match(r"/notebooks/(\d\d)_", target)
            if number and page and number.group(1) != page.group(1):
                problems.append(f"{where}: {m.group()} names another chapter than it links")
    assert not problems, "\n".join(problems)


def test_ref_links_point_to_labels_that_exist():
    labels = {label for _, text in prose() for label in LABEL.findall(text)}
    missing = [
        f"{where}: {m.group()}"
        for where, text in prose()
        for m in REF_ROLE.finditer(text)
        if m.group(1).strip() not in labels
    ]
    assert not missing, f"{{ref}} to labels that no page defines: {missing}"


# --------------------------------------------------------------------------------------------
# glossary
#
# The book's convention: **bold** introduces a term, *italics* emphasise. A bold span in a
# chapter's prose is a *definition* when it is a short phrase (at most six words) that does not
# end a lead-in sentence (". ? ! :"), outside a "Common mistakes" admonition (whose list items
# open with a bold label naming the mistake). Every definition links its glossary entry with
# {term}, so Sphinx (-W) fails the build if the entry is missing. Bold that is emphasis and must
# stay bold is listed here, with the reason.

BOLD = re.compile(r"\*\*(?!\s)([^*]+?)\*\*")
TERM_ROLE = re.compile(r"\{term\}`(?:([^`<]*?)\s*<)?([^`<>]+?)>?`")
MISTAKES = re.compile(
    r"^(`{3,}|:{3,})\{admonition\}[^\n]*[Mm]istake[^\n]*\n.*?^\1[ \t]*$", re.M | re.S
)
EMPHASIS_ALLOWED: dict[str, str] = {}


def bold_definitions(text: str) -> list[str]:
    """The bold spans of ``text`` that define a term, by the rule above."""
    masked = MISTAKES.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    masked = strip_code_fences(masked)
    found = []
    for m in BOLD.finditer(masked):
        span = text[m.start(1) : m.end(1)]
        words = " ".join(span.split())
        if words[-1] in ".?!:" or len(words.split()) > 6:
            continue
        found.append(words)
    return found


def strip_code_fences(text: str) -> str:
    return CODE_FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def glossary_entries() -> list[tuple[list[str], str]]:
    """(terms, definition) for each entry of the ```{glossary} directive of book/glossary.md."""
    text = GLOSSARY.read_text(encoding="utf-8")
    block = re.search(r"^```\{glossary\}[^\n]*\n(.*?)^```[ \t]*$", text, re.M | re.S)
    assert block, "book/glossary.md has no ```{glossary} directive"
    entries: list[tuple[list[str], str]] = []
    terms: list[str] = []
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            if entries and not terms and not entries[-1][1]:
                raise AssertionError(f"glossary term without a definition: {entries[-1][0]}")
            terms.append(line.strip())
        elif terms:
            entries.append((terms, line.strip()))
            terms = []
        else:
            entries[-1] = (entries[-1][0], entries[-1][1] + " " + line.strip())
    assert not terms, f"glossary terms without a definition: {terms}"
    return entries


def chapter_term_links() -> set[str]:
    """Lower-cased targets of every {term} role in the chapters' markdown cells."""
    return {
        m.group(2).strip().lower()
        for path in CHAPTERS
        for _, text in _notebook_markdown(path)
        for m in TERM_ROLE.finditer(text)
    }


def test_the_rule_for_bold_definitions():
    """The detector itself: short bold phrases count, labels and long statements do not."""
    text = (
        "The **condition number** and **{term}`Hessian`**. **Stability.** Then a\n"
        "**statement that is far too long to be a term**.\n"
        "```{admonition} Common mistakes\n- **Not shuffling** (or once)\n```\n"
        "```python\nx = '**not prose**'\n```\n"
    )
    assert bold_definitions(text) == ["condition number", "{term}`Hessian`"]


def test_every_bold_definition_links_its_glossary_entry():
    unlinked = [
        f"{where}: **{span}**"
        for path in CHAPTERS
        for where, text in _notebook_markdown(path)
        for span in bold_definitions(text)
        if "{term}`" not in span and span.lower() not in EMPHASIS_ALLOWED
    ]
    assert not unlinked, (
        "bold introduces a term: link its glossary entry, **{term}`text <entry>`**, or write\n"
        "emphasis in *italics*:\n" + "\n".join(unlinked)
    )


def test_glossary_has_at_least_80_entries_each_with_a_link_to_its_chapter():
    entries = glossary_entries()
    assert len(entries) >= 80, f"the glossary has only {len(entries)} entries"
    terms = [t.lower() for names, _ in entries for t in names]
    assert len(terms) == len(set(terms)), "a glossary term is listed twice"
    no_link = [names[0] for names, definition in entries if not DOC_ROLE.search(definition)]
    assert not no_link, f"entries without a link to where they are taught: {no_link}"
    short = [names[0] for names, definition in entries if len(definition.split()) < 8]
    assert not short, f"entries without a real definition: {short}"


def test_every_glossary_entry_is_linked_from_a_chapter():
    linked = chapter_term_links()
    entries = glossary_entries()
    terms = {t.lower() for names, _ in entries for t in names}
    orphans = [names[0] for names, _ in entries if not {t.lower() for t in names} & linked]
    assert not orphans, f"glossary entries no chapter links with {{term}}: {orphans}"
    dangling = sorted(linked - terms)
    assert not dangling, f"{{term}} links to entries the glossary lacks: {dangling}"


# --------------------------------------------------------------------------------------------
# notation
#
# book/notation.md holds a table "| symbol | meaning | code name | module |", one row per
# meaning. Every code name must occur in the *interface* of its module: the docstrings, the
# names of public functions, classes, parameters and attributes (ast, no import). A symbol that
# heads rows of different meanings (subscripts aside: mu and mu_B) is overloaded and must be
# stated under the page's "One symbol, several meanings" list.

NOTATION_HEADER = ["symbol", "meaning", "code name", "module"]


def notation_rows() -> list[dict[str, str]]:
    lines = NOTATION.read_text(encoding="utf-8").splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    start = next((i for i, row in enumerate(cells) if row == NOTATION_HEADER), None)
    assert start is not None, f"book/notation.md has no table with the header {NOTATION_HEADER}"
    rows = []
    for row, line in zip(cells[start + 2 :], lines[start + 2 :], strict=True):
        if not line.startswith("|"):
            break
        rows.append(dict(zip(NOTATION_HEADER, row, strict=True)))
    return rows


def module_interface(module: str) -> tuple[set[str], str]:
    """(names, docstrings) of ``module`` (a dotted name of a file or package in the repository)."""
    base = ROOT.joinpath(*module.split("."))
    files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
    assert files and all(f.is_file() for f in files), f"no source for {module}"
    names: set[str] = set()
    docs: list[str] = []
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                docs.append(ast.get_docstring(node) or "")
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                names.add(node.name)
            if isinstance(node, ast.arguments):
                every = [*node.posonlyargs, *node.args, *node.kwonlyargs]
                every += [a for a in (node.vararg, node.kwarg) if a is not None]
                names.update(a.arg for a in every)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "self":
                    names.add(node.attr)
    return names, "\n".join(docs)


def code_names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def base_symbols(cell: str) -> set[str]:
    """The symbols a row defines, without subscripts: "$\\mu_B$, $\\sigma_B^2$" -> mu, sigma^2."""
    pieces = re.findall(r"\$([^$]+)\$", cell)
    return {re.sub(r"_(\{[^}]*\}|\\?[A-Za-z0-9]+)", "", p).split("=")[0].strip() for p in pieces}


def test_notation_table_matches_the_package():
    rows = notation_rows()
    assert len(rows) >= 20, f"the notation table has only {len(rows)} rows"
    problems = []
    for row in rows:
        modules = code_names(row["module"])
        assert modules, f"row {row['symbol']} names no module"
        interfaces = [module_interface(m) for m in modules]
        for name in code_names(row["code name"]):
            word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
            if not any(name in names or word.search(docs) for names, docs in interfaces):
                problems.append(
                    f"{row['symbol']} ({row['meaning'][:40]}): `{name}` not in {modules}"
                )
    assert not problems, "notation page and package disagree:\n" + "\n".join(problems)


def test_every_overloaded_symbol_is_stated_on_the_notation_page():
    rows = notation_rows()
    meanings: dict[str, set[str]] = {}
    for row in rows:
        for symbol in base_symbols(row["symbol"]):
            meanings.setdefault(symbol, set()).add(row["meaning"])
    overloaded = sorted(s for s, m in meanings.items() if len(m) > 1)
    assert {"\\lambda", "\\mu", "\\beta", "\\rho", "p"} <= set(overloaded), overloaded
    text = NOTATION.read_text(encoding="utf-8")
    section = text.split("(overloaded-symbols)=", 1)[-1]
    stated = set(re.findall(r"^- \$([^$]+)\$:", section, re.M))
    missing = [s for s in overloaded if s not in stated]
    where = "'One symbol, several meanings'"
    assert not missing, f"overloaded symbols not stated under {where}: {missing}"
    assert "the same thing in every chapter" not in text
