"""The website as a reader meets it, in headless Chromium with the network cut."""

from __future__ import annotations

import re

import pytest
from site_pages import ARTIFACTS, chapter_pages, lesson_pages, pages

PAGES = pages()
CHAPTERS = chapter_pages()
LESSONS = lesson_pages()


def test_the_site_was_built() -> None:
    assert PAGES, "no pages found: build the site first (python3 tasks.py book)"
    assert CHAPTERS, "the site has no chapter pages"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_errors(visit, path: str) -> None:
    v = visit(path)
    assert not v.failed_local, f"{path}: requests to the site's own files failed: {v.failed_local}"
    assert not v.errors, f"{path}: console errors: {v.errors}"
    assert not v.external, f"{path}: needs the network to be read: {v.external}"
    broken = v.page.evaluate(
        "Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0)"
        ".map(i => i.getAttribute('src'))"
    )
    assert not broken, f"{path}: images that did not load: {broken}"
    footer = v.page.evaluate(
        "Array.from(document.querySelectorAll('footer')).map(f => f.innerText).join(' ')"
    )
    assert "CC BY 4.0" in footer and "MIT" in footer, f"{path}: licence missing from the footer"


@pytest.mark.parametrize("path", [*CHAPTERS, "book/notation.html"])
def test_math_is_rendered(visit, path: str) -> None:
    v = visit(path)
    rendered = v.page.locator("mjx-container").count()
    assert rendered > 0, f"{path}: no math rendered by MathJax"
    # The prose only: code cells legitimately hold "$" and backslashes (plot labels).
    text = v.page.evaluate(
        "() => { const a = document.querySelector('article').cloneNode(true);"
        " a.querySelectorAll('pre, code, script, style, .highlight, mjx-container')"
        ".forEach(e => e.remove());"
        " return a.textContent; }"
    )
    raw = re.findall(r"\\\(|\\\[|\$\$|\$[^$\n]{0,80}\\[A-Za-z]+", text)
    assert not raw, f"{path}: raw TeX left on the page: {raw[:5]}"


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_figures_load_and_screenshot(visit, path: str) -> None:
    v = visit(path)
    images = v.page.evaluate(
        "Array.from(document.querySelectorAll('article img'))"
        ".map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, alt: i.alt}))"
    )
    assert len(images) >= 3, f"{path}: expected figures, found {len(images)} images"
    broken = [i["src"][:80] for i in images if i["w"] == 0]
    assert not broken, f"{path}: images that did not load: {broken}"
    figures = [i for i in images if "_images/" in (i["src"] or "")]
    no_alt = [i["src"] for i in figures if not i["alt"].strip()]
    assert not no_alt, f"{path}: figures without alt text: {no_alt}"
    ARTIFACTS.mkdir(exist_ok=True)
    name = path.replace("/", "_").removesuffix(".html")
    v.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
    v.page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)


@pytest.mark.parametrize("path", CHAPTERS)
def test_launch_buttons_open_the_learner_edition(visit, path: str) -> None:
    v = visit(path)
    links = v.page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.href)")
    stem = path.removeprefix("notebooks/").removesuffix(".html")
    binder = [h for h in links if h.startswith("https://mybinder.org/v2/gh/")]
    colab = [h for h in links if h.startswith("https://colab.research.google.com/github/")]
    assert binder and all(h.endswith(f"urlpath=tree/learner/{stem}.ipynb") for h in binder), binder
    assert colab and all(h.endswith(f"/learner/{stem}.ipynb") for h in colab), colab


@pytest.mark.parametrize("path", LESSONS)
def test_static_explorer_responds_to_its_slider(visit, path: str) -> None:
    v = visit(path)
    players = v.page.locator(".dlnotes-explorer")
    assert players.count() >= 1, f"{path}: no static explorer on the page"
    for i in range(players.count()):
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        image = player.locator("img").first
        slider = player.locator("input.anim-slider").first
        top = int(slider.get_attribute("max"))
        assert top >= 1, f"{path}: explorer {i} has only {top + 1} frame"
        before = image.get_attribute("src")
        start = int(slider.input_value())  # the player opens on the recommended value
        slider.evaluate(
            "(s, value) => { s.value = value; s.dispatchEvent(new Event('input')); }",
            0 if start == top else top,
        )
        after = image.get_attribute("src")
        assert after != before, f"{path}: explorer {i}: moving the slider did not change the frame"
    assert not v.errors, v.errors


@pytest.mark.parametrize("path", LESSONS)
def test_quiz_answers_a_click(visit, path: str) -> None:
    v = visit(path)
    buttons = v.page.locator(".Quiz .MCButton")
    assert buttons.count() >= 2, f"{path}: no quiz found"
    buttons.first.scroll_into_view_if_needed()
    buttons.first.click()
    # The clicked answer is marked right or wrong and its question's feedback gets text.
    marked = buttons.first.evaluate(
        "b => b.classList.contains('correctButton') || b.classList.contains('incorrectButton')"
    )
    assert marked, f"{path}: the clicked quiz answer was not marked"
    v.page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.Quiz .Feedback'))"
        ".some(f => f.innerText.trim().length > 0)",
        timeout=5000,
    )


def test_search_finds_a_term(visit) -> None:
    v = visit("search.html?q=condition+number")
    results = v.page.locator("#search-results li")
    results.first.wait_for(timeout=10000)
    hrefs = v.page.evaluate(
        "Array.from(document.querySelectorAll('#search-results li a')).map(a => a.href)"
    )
    assert any("02_conditioning" in h for h in hrefs), hrefs


@pytest.mark.parametrize("path", CHAPTERS)
def test_code_and_outputs_fit_the_page_without_scrolling(visit, path: str) -> None:
    """Every line of a chapter's code and outputs is at most 88 characters, and where the page
    is narrow (both sidebars open on a 1200-1365 px screen) their text shrinks to fit it, down
    to 11 px: no output scrolls sideways at 1200 px, no code cell at 1280 px (code cells are a
    little narrower; at 1440 px and wider, and on narrow screens, 88 columns fit at full size)."""
    pres = "Array.from(document.querySelectorAll('div.cell_PART pre'))"
    for part, width in (("output", 1200), ("input", 1280)):
        page = visit(path, width=width).page
        lines = page.evaluate(
            pres.replace("PART", part) + ".flatMap(p => p.textContent.split('\\n'))"
        )
        long = [line for line in lines if len(line) > 88]
        assert not long, f"{path}: {part} lines over 88 characters: {long[:3]}"
        wide = page.evaluate(
            pres.replace("PART", part) + ".filter(p => p.scrollWidth > p.clientWidth + 1)"
            ".map(p => p.textContent.slice(0, 80))"
        )
        assert not wide, f"{path}: {part}s that scroll sideways at {width} px: {wide[:3]}"
