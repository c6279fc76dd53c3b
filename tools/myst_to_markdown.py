"""Turn the MyST-only markup of a master notebook's markdown into plain Jupyter markdown.

Jupyter Book understands directives (```` ```{admonition} ````) and roles (``{cite}`key` ``);
JupyterLab, Notebook 7, Colab and VS Code render CommonMark/GFM plus ``$``-math and show MyST as
raw text. The learner edition therefore rewrites, in every markdown cell:

* admonitions (``admonition`` and the titled kinds ``note``, ``tip``, ``hint``, ``warning``, ...)
  into a blockquote whose first line is the bold title, with the body's markdown and math intact;
* ``{cite}``/``{cite:p}``/``{cite:t}`` into author–year text as the site writes it, linked to
  the published site's bibliography page (``[Polyak, 1964]``, or ``Polyak [1964]`` for
  ``cite:t``);
* ``{doc}`` into a link to the chapter on the published site, titled by the chapter's heading;
* ``{ref}`` into a link to the page that defines the label; ``{term}`` into a link to the
  glossary entry.

Anything else in MyST syntax is an error (:class:`UnknownMySTError`) so a new directive or role
in a master cannot leak raw markup into a learner's notebook unnoticed. The published site's
address is derived from ``_config.yml``'s ``repository.url`` in :func:`site_base_url`, the one
place it is computed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

#: Directives the converter understands, with the symbol shown before the title of the box.
ADMONITIONS: dict[str, str] = {
    "admonition": "",
    "note": "📝",
    "tip": "💡",
    "hint": "💡",
    "important": "❗",
    "attention": "❗",
    "caution": "⚠️",
    "warning": "⚠️",
    "danger": "⛔",
    "error": "⛔",
    "seealso": "🔗",
}
#: ``:class:`` values of a generic ``admonition`` and the symbol each gets.
CLASS_SYMBOLS: dict[str, str] = {k: v for k, v in ADMONITIONS.items() if v}
#: Roles the converter understands.
ROLES: frozenset[str] = frozenset({"cite", "cite:p", "cite:t", "doc", "ref", "term"})

_FENCE_OPEN = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[^}]*)\}(?P<arg>.*)$"
)
_ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+-]*)\}`(?P<content>[^`]*)`")
_LABEL = re.compile(r"^\((?P<label>[\w.:-]+)\)=\s*$", re.M)
_TITLED = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


class UnknownMySTError(ValueError):
    """A master uses a MyST directive or role that the learner edition cannot convert."""


def site_base_url(config: Path = ROOT / "_config.yml") -> str:
    """The published site's base URL (ends with ``/``), from ``repository.url`` in ``_config.yml``.

    ``https://github.com/OWNER/REPO`` is published by GitHub Pages at
    ``https://OWNER.github.io/REPO/``.
    """
    url = yaml.safe_load(config.read_text(encoding="utf-8"))["repository"]["url"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if match is None:
        raise ValueError(f"repository.url must be https://github.com/OWNER/REPO, got {url!r}")
    owner, repo = match.groups()
    return f"https://{owner.lower()}.github.io/{repo}/"


# ---------------------------------------------------------------------------------------------
# what the roles point at


@cache
def _bibliography(path: Path = ROOT / "book" / "references.bib") -> dict[str, tuple[str, str]]:
    """``{key: (authors as cited, year)}`` for every entry of ``references.bib``."""
    from pybtex.database import parse_file
    from pybtex.richtext import Text

    def plain(latex: str) -> str:
        return str(Text.from_latex(latex)).replace("{", "").replace("}", "")

    entries: dict[str, tuple[str, str]] = {}
    for key, entry in parse_file(str(path), bib_format="bibtex").entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [plain(" ".join(p.prelast_names + p.last_names)) for p in people]
        if not last:
            authors = plain(entry.fields.get("organization", entry.fields.get("title", key)))
        elif len(last) == 1:
            authors = last[0]
        elif len(last) == 2:
            authors = f"{last[0]} and {last[1]}"
        else:
            authors = f"{last[0]} et al."
        entries[key] = (authors, plain(entry.fields.get("year", "n.d.")))
    return entries


@cache
def _page_titles() -> dict[str, str]:
    """``{"/notebooks/01_learning_problem": "Setting up ...", ...}``: each page's first heading."""
    import nbformat

    titles: dict[str, str] = {}
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            heading = re.search(r"^# (.+)$", cell.source, re.M)
            if cell.cell_type == "markdown" and heading:
                titles[f"/notebooks/{nb_path.stem}"] = heading.group(1).strip()
                break
    for md in sorted((ROOT / "book").glob("*.md")):
        heading = re.search(r"^# (.+)$", md.read_text(encoding="utf-8"), re.M)
        if heading:
            titles[f"/book/{md.stem}"] = heading.group(1).strip()
    return titles


@cache
def _labels() -> dict[str, str]:
    """``{label: "/notebooks/04_momentum"}`` for every ``(label)=`` target in the book."""
    import nbformat

    labels: dict[str, str] = {}
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            for m in _LABEL.finditer(cell.source):
                labels[m["label"]] = f"/notebooks/{nb_path.stem}"
    for md in sorted((ROOT / "book").glob("*.md")):
        for m in _LABEL.finditer(md.read_text(encoding="utf-8")):
            labels[m["label"]] = f"/book/{md.stem}"
    return labels


def _page_url(doc: str, base: str) -> str:
    return base + doc.lstrip("/") + ".html"


def _split_titled(content: str) -> tuple[str | None, str]:
    """``"text <target>"`` -> ``("text", "target")``; ``"target"`` -> ``(None, "target")``."""
    m = _TITLED.match(content.strip())
    if m:
        return m["text"], m["target"].strip()
    return None, content.strip()


def _cite(keys: str, kind: str, base: str) -> str:
    """As the site's author–year style writes it, each citation linked to the bibliography:
    ``[Polyak, 1964; Nesterov, 1983]`` (``cite``, ``cite:p``), ``Polyak [1964]`` (``cite:t``)."""
    bib = _bibliography()
    url = _page_url("/book/bibliography", base)
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in bib:
            raise UnknownMySTError(f"{{cite}}`{key}`: no entry {key!r} in book/references.bib")
        authors, year = bib[key]
        if kind == "cite:t":
            parts.append(f"{authors} [[{year}]({url})]")
        else:
            parts.append(f"[{authors}, {year}]({url})")
    return ", ".join(parts) if kind == "cite:t" else "[" + "; ".join(parts) + "]"


def _doc(content: str, base: str, current: str | None) -> str:
    text, target = _split_titled(content)
    if not target.startswith("/"):  # relative to the current page's folder
        folder = (current or "/notebooks/x").rsplit("/", 1)[0]
        target = f"{folder}/{target}"
    target = target.removesuffix(".ipynb").removesuffix(".md")
    title = text or _page_titles().get(target)
    if title is None:
        raise UnknownMySTError(f"{{doc}}`{content}`: no page {target!r} in the book")
    return f"[{title}]({_page_url(target, base)})"


def _ref(content: str, base: str) -> str:
    text, label = _split_titled(content)
    page = _labels().get(label)
    if page is None:
        raise UnknownMySTError(f"{{ref}}`{content}`: no label ({label})= in the book")
    title = text or _page_titles().get(page, label)
    return f"[{title}]({_page_url(page, base)}#{_anchor(label)})"


def _anchor(text: str) -> str:
    """The HTML id Sphinx gives a label or glossary term (lower case, runs of others -> ``-``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _term(content: str, base: str) -> str:
    text, term = _split_titled(content)
    url = _page_url("/book/glossary", base) + "#term-" + _anchor(term)
    return f"[{text or term}]({url})"


def convert_roles(text: str, base: str, current: str | None = None) -> str:
    """Replace every MyST role in ``text`` (one markdown line or paragraph) by plain markdown."""

    def replace(m: re.Match[str]) -> str:
        name, content = m["name"], m["content"]
        if name in ("cite", "cite:p", "cite:t"):
            return _cite(content, name, base)
        if name == "doc":
            return _doc(content, base, current)
        if name == "ref":
            return _ref(content, base)
        if name == "term":
            return _term(content, base)
        raise UnknownMySTError(f"unknown MyST role {{{name}}} (known: {sorted(ROLES)})")

    return _ROLE.sub(replace, text)


# ---------------------------------------------------------------------------------------------
# directives


def _blockquote(title: str, symbol: str, body: list[str]) -> list[str]:
    """A titled blockquote; a multi-line ``$$`` block is joined onto one line so the ``> ``
    prefixes do not end up inside the TeX (front-ends extract math before parsing markdown)."""
    joined: list[str] = []
    in_math: list[str] | None = None
    for line in body:
        if in_math is not None:
            in_math.append(line.strip())
            if line.strip().endswith("$$"):
                joined.append(" ".join(in_math))
                in_math = None
        elif line.strip().startswith("$$") and not (
            line.strip().endswith("$$") and len(line.strip()) > 2
        ):
            in_math = [line.strip()]
        else:
            joined.append(line)
    if in_math is not None:
        joined.append(" ".join(in_math))
    while joined and not joined[-1].strip():
        joined.pop()
    while joined and not joined[0].strip():
        joined.pop(0)
    head = f"**{symbol} {title}**" if symbol else f"**{title}**"
    out = [f"> {head}", ">"]
    out += [f"> {line}" if line.strip() else ">" for line in joined]
    return out


def convert_directives(source: str, convert_inline: Callable[[str], str]) -> str:
    """Replace every MyST directive fence in ``source`` by plain markdown (recursively)."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    in_code: str | None = None  # the fence of an ordinary code block we are inside
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        m = _FENCE_OPEN.match(line)
        if in_code is not None:
            out.append(line)
            if stripped.startswith(in_code) and set(stripped) == {in_code[0]}:
                in_code = None
            i += 1
            continue
        if m is None:
            code = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
            if code:
                in_code = code.group(1)
                out.append(line)
            else:
                out.append(convert_inline(line))
            i += 1
            continue
        name, arg, fence = m["name"].strip(), m["arg"].strip(), m["fence"]
        j = i + 1
        depth = 0
        while j < len(lines):  # the matching closing fence (same character, same length or more)
            s = lines[j].strip()
            inner = _FENCE_OPEN.match(lines[j])
            if inner and inner["fence"][0] == fence[0] and len(inner["fence"]) == len(fence):
                depth += 1
            elif s and set(s) == {fence[0]} and len(s) >= len(fence):
                if depth == 0:
                    break
                depth -= 1
            j += 1
        body = lines[i + 1 : j]
        options: dict[str, str] = {}
        while body and re.match(r"^:[\w-]+:", body[0].strip()):
            key, _, value = body.pop(0).strip()[1:].partition(":")
            options[key] = value.strip()
        if name not in ADMONITIONS:
            raise UnknownMySTError(
                f"unknown MyST directive {{{name}}} (known: {sorted(ADMONITIONS)})"
            )
        unknown = set(options) - {"class"}
        if unknown:
            raise UnknownMySTError(f"{{{name}}}: unknown option(s) {sorted(unknown)}")
        if name == "admonition":
            if not arg:
                raise UnknownMySTError("{admonition} needs a title")
            title = arg
            classes = options.get("class", "").split()
            symbol = next((CLASS_SYMBOLS[c] for c in classes if c in CLASS_SYMBOLS), "")
        else:
            title = arg or ("See also" if name == "seealso" else name.capitalize())
            symbol = ADMONITIONS[name]
        inner = convert_directives("\n".join(body), convert_inline).split("\n")
        out += _blockquote(convert_inline(title), symbol, inner)
        i = j + 1
    return "\n".join(out)


def myst_to_markdown(source: str, base: str, current: str | None = None) -> str:
    """Plain Jupyter markdown for a MyST markdown cell ``source``.

    ``base`` is the published site's URL (:func:`site_base_url`); ``current`` is the page the
    cell belongs to (``"/notebooks/04_momentum"``), for relative ``{doc}`` targets. Target
    labels (``(ch11-covariate-shift)=`` above a heading) are dropped: Jupyter would show them
    as text, and references to them already point at the website.
    """
    source = _LABEL_LINE.sub("", source)
    return convert_directives(source, lambda text: convert_roles(text, base, current))


#: A MyST target label on a line of its own, with its line break.
_LABEL_LINE = re.compile(r"^\([\w.:-]+\)=[ \t]*(?:\n|$)", re.M)
