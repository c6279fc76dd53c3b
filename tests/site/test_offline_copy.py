"""The offline copies that ``python3 tasks.py book`` writes beside the site: the zipped website,
opened from disk (``file://``) in Chromium with the network cut, and the PDF of the whole book,
checked by text extraction (pdftotext, from Debian's poppler-utils) and its images (pypdf).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from site_pages import PROJECTS, ROOT, SITE

OFFLINE = SITE.parent  # _build/, beside _build/html
ZIP = OFFLINE / "dlnotes-site.zip"
PDF = OFFLINE / "dlnotes-book.pdf"
CHAPTER_FILES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSON_FILES = [p for p in CHAPTER_FILES if p.stem not in PROJECTS]
# TeX that MathJax should have replaced; in the PDF it may only appear inside code (plot labels).
RAW_TEX = re.compile(r"\$\$|\\(?:frac|begin|sqrt|alpha|beta|rho|nabla|sum|mathbf)\b|\\\(|\\\[")


def chapter_title(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{path.name} has no '# ' title")


@pytest.fixture(scope="module")
def built() -> None:
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built site in {SITE}: `python3 tasks.py test` builds it and runs these")
    missing = [p.name for p in (ZIP, PDF) if not p.is_file()]
    assert not missing, f"the book build wrote no {missing} (python3 tasks.py book writes them)"


@pytest.fixture(scope="module")
def unzipped(built, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("offline")
    with zipfile.ZipFile(ZIP) as zf:
        names = zf.namelist()
        assert all(n.startswith("dlnotes-site/") for n in names), names[:5]
        zf.extractall(target)
    return target / "dlnotes-site"


def open_from_disk(browser: Any, page_file: Path) -> tuple[Any, list[str], list[str]]:
    """Open ``page_file`` as a file:// URL; return the page, its console errors, network tries."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    external: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(page_file.resolve().as_uri(), wait_until="load")
    page.wait_for_function(
        "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=20000
    )
    page.evaluate("() => window.MathJax && MathJax.startup.promise")
    return page, errors, external


def test_the_zip_holds_the_whole_site(unzipped: Path) -> None:
    site_files = {
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*")
        if p.is_file() and p.relative_to(SITE).as_posix() != "downloads/dlnotes-site.zip"
    }
    zipped = {p.relative_to(unzipped).as_posix() for p in unzipped.rglob("*") if p.is_file()}
    assert zipped == site_files, sorted(zipped ^ site_files)[:10]


# The first and the last lesson, and the last chapter (the capstone, a project with no explorer).
@pytest.mark.parametrize(
    "stem", sorted({LESSON_FILES[0].stem, LESSON_FILES[-1].stem, CHAPTER_FILES[-1].stem})
)
def test_a_chapter_reads_from_disk_without_errors(browser, unzipped: Path, stem: str) -> None:
    page, errors, external = open_from_disk(browser, unzipped / "notebooks" / f"{stem}.html")
    assert not errors, f"console errors from disk: {errors}"
    assert not external, f"needs the network: {external}"
    assert page.locator("mjx-container").count() > 0, "no math rendered from disk"
    images = page.evaluate(
        "Array.from(document.querySelectorAll('article img')).map(i => i.naturalWidth)"
    )
    assert len(images) >= 3 and all(w > 0 for w in images), images
    if stem in PROJECTS:
        page.context.close()
        return
    # The precomputed explorer still answers its slider.
    player = page.locator(".dlnotes-explorer").first
    player.scroll_into_view_if_needed()
    image, slider = player.locator("img").first, player.locator("input.anim-slider").first
    before = image.get_attribute("src")
    top, start = int(slider.get_attribute("max")), int(slider.input_value())
    slider.evaluate(
        "(s, value) => { s.value = value; s.dispatchEvent(new Event('input')); }",
        0 if start == top else top,  # it opens on the recommended value, which may be the last
    )
    assert image.get_attribute("src") != before, "the explorer did not respond from disk"
    assert not errors, errors
    page.context.close()


def test_the_intro_links_to_both_downloads(built) -> None:
    html = (SITE / "book" / "intro.html").read_text(encoding="utf-8")
    links = re.findall(r'class="dlnotes-download" href="([^"]+)"', html)
    assert sorted(Path(link).name for link in links) == ["dlnotes-book.pdf", "dlnotes-site.zip"]
    for link in links:
        target = (SITE / "book" / link).resolve()
        assert target.is_file(), f"the intro links to {link}, which the site does not hold"


@pytest.fixture(scope="module")
def pdf_text(built) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing (Debian: apt-get install poppler-utils)"
    out = subprocess.run(
        [pdftotext, "-layout", str(PDF), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout


def test_the_pdf_has_every_chapter(pdf_text: str) -> None:
    missing = [chapter_title(p) for p in CHAPTER_FILES if chapter_title(p) not in pdf_text]
    assert not missing, f"chapters missing from the PDF: {missing}"
    assert pdf_text.count("Learning objectives") >= len(CHAPTER_FILES)


def test_the_pdf_has_rendered_math_and_no_raw_tex_in_its_prose(pdf_text: str) -> None:
    # MathJax's output comes out of the PDF as symbols: the book's α, β, ρ, √, ∑.
    symbols = {s: pdf_text.count(s) for s in "αβρ√∑"}
    assert all(n >= 10 for n in symbols.values()), symbols
    # TeX may remain only inside code cells (matplotlib labels such as r"$\alpha$").
    raw = [
        line.strip()
        for line in pdf_text.splitlines()
        if RAW_TEX.search(line) and not re.search(r"[\"']", line)
    ]
    assert not raw, f"raw TeX in the PDF's prose: {raw[:5]}"


def test_the_pdf_has_the_figures_and_enough_pages(built) -> None:
    from pypdf import PdfReader

    reader = PdfReader(PDF)
    assert len(reader.pages) >= 20 * len(CHAPTER_FILES), len(reader.pages)
    figures = 0
    for page in reader.pages:
        for image in page.images:
            if image.image.width >= 200 and image.image.height >= 150:
                figures += 1
    assert figures >= 3 * len(CHAPTER_FILES), f"only {figures} figure-sized images in the PDF"
