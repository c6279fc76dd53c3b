"""The learner editions' markdown is plain CommonMark: no MyST directive or role survives, and the
conversions keep the book's content (titles, math, citations as author–year links)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
m2m = load_script(Path("tools/myst_to_markdown.py"))

BASE = "https://example.github.io/book/"
BIB = BASE + "book/bibliography.html"
LEFTOVER_MYST = ("{cite}", "{cite:", "{doc}", "{ref}", "{term}", "```{", ":::{", ":class:")
DIRECTIVE = re.compile(r"^ {0,3}(?:`{3,}|:{3,})\{([^}]*)\}", re.M)
ROLE = re.compile(r"\{([A-Za-z][\w:+-]*)\}`")


def convert(text: str) -> str:
    return m2m.myst_to_markdown(text, BASE)


def test_site_base_url_comes_from_the_repository_url(tmp_path):
    assert m2m.site_base_url() == "https://dlnotes.github.io/dlnotes/"
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/Some-Org/my.book\n")
    assert m2m.site_base_url(config) == "https://some-org.github.io/my.book/"
    config.write_text("repository:\n  url: https://gitlab.com/a/b\n")
    with pytest.raises(ValueError, match=r"repository\.url"):
        m2m.site_base_url(config)


def test_admonition_becomes_a_titled_blockquote_with_markdown_and_math_intact():
    src = (
        "Before.\n\n```{admonition} Common mistakes\n:class: warning\n"
        "- **Mixing** $\\rho v$ and `x -= lr*v`;\n- second.\n\nMore text.\n```\nAfter."
    )
    out = convert(src)
    assert out == (
        "Before.\n\n> **⚠️ Common mistakes**\n>\n> - **Mixing** $\\rho v$ and `x -= lr*v`;\n"
        "> - second.\n>\n> More text.\nAfter."
    )
    html = MarkdownIt("commonmark").render(out)
    assert "<blockquote>" in html and "<strong>⚠️ Common mistakes</strong>" in html
    assert "<li><strong>Mixing</strong> $\\rho v$ and <code>x -= lr*v</code>;</li>" in html


def test_display_math_in_a_box_stays_on_one_quoted_line_and_note_directives_work():
    out = convert("```{note}\nThe rate is\n$$\nr = \\sqrt\\rho\n$$\nfor large rho.\n```")
    assert out == "> **📝 Note**\n>\n> The rate is\n> $$ r = \\sqrt\\rho $$\n> for large rho."
    nested = convert("````{tip} Outer\n```{warning} Inner\nx\n```\n````")
    assert nested == "> **💡 Outer**\n>\n> > **⚠️ Inner**\n> >\n> > x"


def test_code_blocks_are_left_alone():
    src = "```python\nx = {1: 2}  # {cite}`not a role in code`\n```"
    assert convert(src) == src


def test_citations_are_author_year_links_to_the_bibliography():
    assert convert("see {cite}`polyak1964`.") == f"see [[Polyak, 1964]({BIB})]."
    two = convert("{cite:p}`polyak1964,duchi2011`")
    assert two == f"[[Polyak, 1964]({BIB}); [Duchi et al., 2011]({BIB})]"
    assert convert("{cite:t}`polyak1992`") == f"Polyak and Juditsky [[1992]({BIB})]"
    with pytest.raises(m2m.UnknownMySTError, match="nosuchkey"):
        convert("{cite}`nosuchkey`")


def test_doc_term_and_ref_roles_link_to_the_published_site():
    chapter = BASE + "notebooks/01_learning_problem.html"
    title = m2m._page_titles()["/notebooks/01_learning_problem"]
    assert "01" in title
    assert convert("{doc}`/notebooks/01_learning_problem`") == f"[{title}]({chapter})"
    assert (
        convert("{doc}`chapter 01 </notebooks/01_learning_problem>`") == f"[chapter 01]({chapter})"
    )
    glossary = BASE + "book/glossary.html#term-learning-rate"
    assert convert("{term}`Learning rate`") == f"[Learning rate]({glossary})"
    assert convert("{term}`step size <learning rate>`") == f"[step size]({glossary})"
    with pytest.raises(m2m.UnknownMySTError, match="no page"):
        convert("{doc}`/notebooks/99_nothing`")
    with pytest.raises(m2m.UnknownMySTError, match="no label"):
        convert("{ref}`no-such-label`")


def test_unknown_directives_roles_and_options_are_errors():
    with pytest.raises(m2m.UnknownMySTError, match="directive"):
        convert("```{figure} a.png\n```")
    with pytest.raises(m2m.UnknownMySTError, match="role"):
        convert("{math}`x`")
    with pytest.raises(m2m.UnknownMySTError, match="option"):
        convert("```{note}\n:name: x\nbody\n```")


def _markdown(nb_path: Path) -> list[str]:
    nb = nbformat.read(nb_path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


MASTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_masters_use_only_the_directives_and_roles_the_generator_converts(master):
    text = "\n".join(_markdown(master))
    directives = set(DIRECTIVE.findall(text))
    roles = set(ROLE.findall(text))
    assert directives <= set(m2m.ADMONITIONS), f"convert these in the generator: {directives}"
    assert roles <= m2m.ROLES, f"convert these in the generator: {roles - m2m.ROLES}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.name)
def test_learner_markdown_renders_as_commonmark_without_myst(master):
    learner = ROOT / "learner" / master.name
    md = MarkdownIt("commonmark").enable("table")
    boxes = sum(len(DIRECTIVE.findall(src)) for src in _markdown(master))
    rendered_boxes = 0
    for src in _markdown(learner):
        html = md.render(src)
        for token in LEFTOVER_MYST:
            assert token not in src and token not in html, f"raw MyST {token!r} in {src[:200]!r}"
        assert "language-{" not in html
        assert not re.search(r"^\([\w.:-]+\)=", src, re.M), f"a MyST label in {src[:200]!r}"
        rendered_boxes += html.count("<blockquote>\n<p><strong>")
    assert rendered_boxes == boxes  # every admonition is a box with a bold title
    cites = sum(s.count("{cite}") for s in _markdown(master))
    links = sum(s.count("book/bibliography.html") for s in _markdown(learner))
    assert links >= cites


def test_target_labels_are_dropped():
    """Jupyter shows ``(label)=`` as text above the heading it marks (7 learner editions did)."""
    source = "(ch11-covariate-shift)=\n## The covariate-shift story\n\nText (a)= b.\n"
    assert convert(source) == "## The covariate-shift story\n\nText (a)= b.\n"
