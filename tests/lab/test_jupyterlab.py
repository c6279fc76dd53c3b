"""Chapter 04's learner edition as a learner meets it in JupyterLab (issues 24 and 25): it opens
unmodified, "Run All" reaches the last cell with the exercises unsolved, the markdown reads like
the book (boxes, citations, no raw MyST), no quiz or challenge answer is visible, a wrong answer's
feedback shows no dlnotes frames, the explorer responds, and the quiz works offline."""

from __future__ import annotations

import importlib.util
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
NOTEBOOK = "04_momentum.ipynb"
_spec = importlib.util.spec_from_file_location(
    "learner_edition", ROOT / "tools" / "learner_edition.py"
)
assert _spec and _spec.loader
learner_edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(learner_edition)

PANEL = "window.jupyterapp.shell.currentWidget"
CODE_CELLS = f"{PANEL}.content.widgets.filter(c => c.model.type === 'code')"
KERNEL_IDLE = f"{PANEL}.sessionContext.session?.kernel?.status === 'idle'"


@dataclass
class Session:
    page: Any
    dirty_at_open: bool
    kernel_version: str
    run_seconds: float
    page_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def _cells(page: Any) -> list[dict[str, Any]]:
    """Every cell: type, tags, source, execution count and outputs (as nbformat JSON)."""
    return page.evaluate(
        f"""{PANEL}.content.widgets.map(c => ({{
            type: c.model.type,
            tags: c.model.getMetadata('tags') || [],
            nbgrader: c.model.getMetadata('nbgrader') || {{}},
            source: c.model.sharedModel.getSource(),
            count: c.model.type === 'code' ? c.model.executionCount : null,
            outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
        }}))"""
    )


def _run_cells(page: Any, indices: list[int]) -> None:
    for i in indices:
        page.evaluate(f"{PANEL}.content.activeCellIndex = {i}")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
        page.wait_for_function(
            f"{CODE_CELLS}.length >= 0 && {PANEL}.content.widgets[{i}].model.executionCount"
            f" !== null && {KERNEL_IDLE}",
            timeout=60_000,
            polling=250,
        )


@pytest.fixture(scope="module")
def session(lab: dict[str, Any], browser: Any) -> Iterator[Session]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    external: list[str] = []
    page_errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(lab["url"]):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.goto(f"{lab['url']}lab/tree/{NOTEBOOK}?token={lab['token']}")
    page.wait_for_function(
        f"window.jupyterapp && {PANEL} && {PANEL}.context?.isReady", timeout=90_000
    )
    page.wait_for_function(KERNEL_IDLE, timeout=90_000, polling=250)
    time.sleep(1.0)  # let the kernel's info reach the notebook's metadata
    dirty = bool(page.evaluate(f"{PANEL}.context.model.dirty"))
    version = page.evaluate(f"({PANEL}.context.model.getMetadata('language_info') || {{}}).version")
    page.evaluate(f"{PANEL}.content.widgets.forEach(c => c.model.executionCount = null)")
    start = time.monotonic()
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"{KERNEL_IDLE} && {CODE_CELLS}.every(c => c.model.executionCount !== null)",
        timeout=150_000,
        polling=500,
    )
    yield Session(page, dirty, str(version), time.monotonic() - start, page_errors, external)
    page.close()


def test_opens_without_being_marked_modified(session: Session) -> None:
    wanted = learner_edition.LANGUAGE_INFO["version"]
    if session.kernel_version != wanted:
        pytest.skip(f"kernel runs Python {session.kernel_version}, the edition says {wanted}")
    assert not session.dirty_at_open, "JupyterLab changed the notebook as it opened it"


def test_run_all_reaches_the_last_cell_with_exercises_unsolved(session: Session) -> None:
    cells = _cells(session.page)
    code = [c for c in cells if c["type"] == "code"]
    assert all(c["count"] is not None for c in code), "Run All stopped before the end"
    failed = [c for c in code if any(o["output_type"] == "error" for o in c["outputs"])]
    tests = [c for c in code if c["nbgrader"].get("grade_id", "").endswith("_test")]
    assert len(tests) == 3 and all(c in failed for c in tests)
    assert [c for c in failed if c not in tests] == []
    for cell in tests:
        (error,) = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert error["ename"] == "CheckFailed"
    assert session.run_seconds < 90


def test_markdown_reads_like_the_book(session: Session) -> None:
    page = session.page
    text = page.inner_text(".jp-Notebook")
    for raw in ("{cite}", "{doc}", "{admonition}", ":class:", "```", "{term}", "{ref}"):
        assert raw not in text, f"raw MyST {raw!r} visible"
    boxes = page.locator(".jp-RenderedMarkdown blockquote strong")
    titles = [boxes.nth(i).inner_text() for i in range(boxes.count())]
    assert any("Common mistakes" in t for t in titles) and any("Predict" in t for t in titles)
    mistakes = page.locator(".jp-RenderedMarkdown blockquote", has_text="Common mistakes")
    assert mistakes.locator("li").count() >= 3 and mistakes.locator("code").count() >= 1
    assert mistakes.locator("mjx-container, .MathJax, math").count() >= 1, "math not typeset"
    cites = page.locator(".jp-RenderedMarkdown a[href$='book/bibliography.html']")
    assert cites.count() >= 5
    assert "Polyak, 1964" in [cites.nth(i).inner_text() for i in range(cites.count())]


def test_no_quiz_or_challenge_answer_is_visible(session: Session) -> None:
    text = session.page.inner_text(".jp-Notebook")
    for answer in ('"correct"', "correct: True", "3.3, 0.67", "_verify_challenge", "SOLUTION"):
        assert answer not in text, f"{answer!r} is visible"
    page = session.page
    # hidden sources: collapsed to JupyterLab's one-line placeholder, the editor not shown
    quiz = page.locator(".jp-CodeCell").filter(has=page.locator(".MCButton"))
    assert quiz.count() == 1 and not quiz.locator(".jp-InputArea").is_visible()
    assert quiz.locator(".jp-InputPlaceholder").is_visible()
    claims = page.locator(".jp-CodeCell", has_text=learner_edition.CLAIMS_TITLE)
    assert claims.count() >= 10
    for i in range(claims.count()):
        assert not claims.nth(i).locator(".jp-InputArea").is_visible()
        assert "assert" not in claims.nth(i).inner_text()
        assert "# Claim" not in claims.nth(i).inner_text()  # what a claim says stays hidden


def test_quiz_answers_a_click_offline_without_errors(session: Session) -> None:
    page = session.page
    buttons = page.locator(".jp-OutputArea .MCButton")
    assert buttons.count() >= 2
    before = list(session.page_errors)
    buttons.first.click()
    page.wait_for_timeout(1000)
    marked = page.locator(".jp-OutputArea .correctButton, .jp-OutputArea .incorrectButton")
    assert marked.count() == 1, "the clicked answer was not marked"
    assert session.page_errors == before == [], session.page_errors
    assert not [u for u in session.external if "mathjax" in u.lower()]


def test_wrong_answer_feedback_shows_no_dlnotes_frames(session: Session) -> None:
    page = session.page
    cells = _cells(page)
    ids = [c["nbgrader"].get("grade_id") for c in cells]
    solution, test = ids.index("ch04_momentum_step_solution"), ids.index("ch04_momentum_step_test")
    wrong = (
        "def momentum_step(x, v, g, lr, rho):\n"
        "    v_new = rho * v + (1 - rho) * g\n"
        "    return x - lr * v_new, v_new"
    )
    page.evaluate(
        f"{PANEL}.content.widgets[{solution}].model.sharedModel.setSource({wrong!r})".replace(
            "'", "`"
        )
    )
    _run_cells(page, [solution, test])
    outputs = page.locator(".jp-Cell").nth(test).locator(".jp-OutputArea-output")
    feedback = outputs.locator(".dlnotes-feedback")
    assert outputs.count() == 2 and feedback.count() == 1, "HTML feedback, then the error"
    assert "dampening" in feedback.inner_text()
    assert "CheckFailed" in outputs.last.inner_text()
    text = outputs.first.inner_text() + outputs.last.inner_text()
    for frame in ("core.py", "dlnotes/exercises", "File ", "Traceback", "__tracebackhide__"):
        assert frame not in text, f"{frame!r} in the feedback:\n{text}"
    assert not re.search(r"\*\w[^*]*\*", text), "Markdown asterisks in the feedback"
    # in a narrow window the feedback wraps between words (JupyterLab breaks a text output's
    # lines inside words, which is why it is HTML) and nothing scrolls sideways
    page.set_viewport_size({"width": 760, "height": 1000})
    page.wait_for_timeout(500)
    split, rows, lines, overflow, split_as_text = feedback.evaluate(
        """box => {
            const broken = element => {  // the words whose letters sit on two lines
                const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
                let found = [], node;
                while ((node = walker.nextNode())) {
                    for (const m of node.data.matchAll(/[^ \\n]+/g)) {
                        const r = document.createRange();
                        r.setStart(node, m.index);
                        r.setEnd(node, m.index + m[0].length);
                        const tops = new Set([...r.getClientRects()].map(q => Math.round(q.top)));
                        if (tops.size > 1) found.push(m[0]);
                    }
                }
                return found;
            };
            // the control: the same text as a text output (a <pre> in the output area)
            const pre = document.createElement('pre');
            pre.textContent = [...box.children].map(row => row.textContent).join('\\n');
            box.parentElement.appendChild(pre);
            const asText = broken(pre);
            pre.remove();
            const line = parseFloat(getComputedStyle(box).lineHeight);
            return [broken(box), box.children.length, Math.round(box.clientHeight / line),
                    box.scrollWidth - box.clientWidth, asText];
        }"""
    )
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert lines > rows, f"the test needs rows that wrap: {rows} rows on {lines} lines"
    assert split_as_text, "the control: as a text output, words break at this width"
    assert split == [], f"words broken across lines: {split}"
    assert overflow <= 1, f"the feedback scrolls sideways by {overflow} px"


def _explorer(page: Any) -> Any:
    return page.locator(".widget-vbox", has_text="Heavy-ball momentum").first


def _row(page: Any, symbol: str) -> Any:
    """The row of the slider whose description starts with ``symbol``: the slider and the
    readout beside it (``.dlnotes-readout``, what the kernel holds)."""
    rows = _explorer(page).locator(".widget-hbox", has=page.locator(".widget-slider"))
    return rows.filter(has=page.locator(".widget-slider", has_text=symbol)).first


def _readouts(page: Any) -> dict[str, str]:
    rows = _explorer(page).locator(".widget-hbox", has=page.locator(".widget-slider"))
    out = {}
    for i in range(rows.count()):
        label = rows.nth(i).locator(".widget-slider .widget-label").first.inner_text()
        out[label.split()[0]] = rows.nth(i).locator(".dlnotes-readout").inner_text().strip()
    return out


def test_explorer_slider_changes_the_figure(session: Session) -> None:
    page = session.page
    box = _explorer(page)
    image = box.locator("img").first
    image.wait_for(timeout=30_000)
    before = image.get_attribute("src")
    handle = box.locator(".widget-slider", has_text="ρ").locator(".ui-slider-handle, .noUi-handle")
    handle.first.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "([sel, src]) => { const i = document.querySelector(sel); return i && i.src !== src }",
        arg=[".widget-vbox img", before],
        timeout=30_000,
    )
    assert image.get_attribute("src") != before


def test_explorer_shows_its_documented_defaults_exactly(session: Session) -> None:
    page = session.page
    box = _explorer(page)
    box.get_by_role("button", name="reset to recommended").click()
    page.wait_for_timeout(1500)
    readouts = _readouts(page)
    assert float(readouts["α"]) == 1.0 and float(readouts["ρ"]) == 0.9
    assert float(readouts["κ"]) == 100.0


def test_explorer_slider_lands_on_the_exercise_value(session: Session) -> None:
    page = session.page
    box = _explorer(page)
    assert box.locator(".widget-readout:visible").count() == 0  # ipywidgets' (editable) one
    for symbol, value in (("α", "3.3"), ("ρ", "0.67"), ("κ", "100")):
        handle = _row(page, symbol).locator(".noUi-handle, .ui-slider-handle").first
        handle.focus()
        for _ in range(200):  # the arrow keys, one grid step each, until the kernel holds it
            now = _readouts(page)[symbol]
            if float(now) == float(value):
                break
            page.keyboard.press("ArrowRight" if float(now) < float(value) else "ArrowLeft")
            for _ in range(100):  # the readout is the kernel's: wait for its answer
                if _readouts(page)[symbol] != now:
                    break
                page.wait_for_timeout(50)
        assert float(_readouts(page)[symbol]) == float(value), (symbol, _readouts(page))


def test_an_answer_renamed_in_its_cell_is_not_counted(session: Session) -> None:
    """JupyterLab sends each cell's id with its code: a right answer whose cell is then edited
    to define another name leaves the older function, which ``check`` does not count."""
    page = session.page
    ids = [c["nbgrader"].get("grade_id") for c in _cells(page)]
    solution, test = ids.index("ch04_momentum_step_solution"), ids.index("ch04_momentum_step_test")
    right = (
        "def momentum_step(x, v, g, lr, rho):\n"
        "    v_new = rho * v + g\n"
        "    return x - lr * v_new, v_new"
    )
    source = f"{PANEL}.content.widgets[{solution}].model.sharedModel.setSource"
    page.evaluate(f"{source}({right!r})".replace("'", "`"))
    _run_cells(page, [solution, test])
    outputs = page.locator(".jp-Cell").nth(test).locator(".jp-OutputArea-output")
    assert "✓" in outputs.first.inner_text(), outputs.first.inner_text()
    renamed = right.replace("def momentum_step(", "def heavy_ball_update(")
    page.evaluate(f"{source}({renamed!r})".replace("'", "`"))
    _run_cells(page, [solution, test])
    text = " ".join(outputs.all_inner_texts())
    assert "not counted" in text and "now defines heavy_ball_update" in text, text
    assert "CheckFailed" in text, text
