"""The book's offline copies: a zip of the website and a PDF printed from its single-page build.

    python tools/offline_copy.py --site _build/html --single _build/singlehtml --out _build

writes ``OUT/dlnotes-site.zip`` (the html site under a ``dlnotes-site/`` folder: unzip it and
open ``dlnotes-site/index.html``; math, figures and the precomputed explorers work from disk)
and ``OUT/dlnotes-book.pdf`` (Chromium prints the single-page build once MathJax has typeset
it and every image has loaded, so the PDF holds rendered math, not TeX). Both are then copied
into ``SITE/downloads/``, where the introduction links to them. No TeX toolchain, no network:
the page is opened from disk and every request that is not a local file is refused.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

ZIP_NAME = "dlnotes-site.zip"
PDF_NAME = "dlnotes-book.pdf"
ZIP_FOLDER = "dlnotes-site"
DOWNLOADS = "downloads"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
CHROMIUM_FLAGS += ["--disable-background-networking", "--disable-component-update"]


def zip_site(site: Path, out: Path) -> Path:
    """Zip every file of the built ``site`` (but a zip of itself) under ``dlnotes-site/``."""
    if not (site / "index.html").is_file():
        raise ValueError(f"site must be a built html site with an index.html, got {site}")
    target = out / ZIP_NAME
    itself = site / DOWNLOADS / ZIP_NAME
    files = sorted(p for p in site.rglob("*") if p.is_file() and p != itself)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            arcname = f"{ZIP_FOLDER}/{path.relative_to(site).as_posix()}"
            # A fixed timestamp makes the archive depend on the content only.
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return target


def print_pdf(single: Path, out: Path, chromium: str) -> Path:
    """Print ``single/index.html`` (the single-page build) to ``OUT/dlnotes-book.pdf``."""
    from playwright.sync_api import sync_playwright

    index = single / "index.html"
    if not index.is_file():
        raise ValueError(f"single must be a singlehtml build with an index.html, got {single}")
    # Jupyter Book writes index.html as a redirect to the root page (book/intro.html), which
    # holds the whole book but links its assets relative to the build's root: print a copy
    # placed at the root.
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index.read_text())
    if redirect:
        index = single / "print.html"
        shutil.copyfile(single / redirect.group(1), index)
    target = out / PDF_NAME
    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})

            def route(r: Any) -> None:
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    refused.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(index.resolve().as_uri(), wait_until="load", timeout=300_000)
            # MathJax typesets after load: wait for its startup promise, then for every image.
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=120_000,
            )
            page.evaluate("() => MathJax.startup.promise")
            page.wait_for_function(
                "() => Array.from(document.images).every(i => i.complete)", timeout=120_000
            )
            page.emulate_media(media="print")
            page.pdf(
                path=str(target),
                format="A4",
                print_background=True,
                margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center;">'
                    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
                ),
            )
        finally:
            browser.close()
    if refused:
        print(f"offline_copy: refused {len(refused)} network request(s), e.g. {refused[0]}")
    return target


def publish(site: Path, *files: Path) -> None:
    """Copy the offline copies into ``site/downloads/`` for the introduction's links."""
    downloads = site / DOWNLOADS
    downloads.mkdir(exist_ok=True)
    for f in files:
        shutil.copy2(f, downloads / f.name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, required=True, help="the html build, e.g. _build/html")
    ap.add_argument("--single", type=Path, required=True, help="the singlehtml build")
    ap.add_argument("--out", type=Path, required=True, help="where to write the zip and PDF")
    ap.add_argument("--chromium", default=os.environ.get("DLNOTES_CHROMIUM") or "chromium")
    args = ap.parse_args(argv)
    chromium = shutil.which(args.chromium) or args.chromium
    if not Path(chromium).is_file():
        print(f"offline_copy: no Chromium at {args.chromium!r} to print the PDF", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    pdf = print_pdf(args.single, args.out, chromium)
    publish(args.site, pdf)  # the zip carries the PDF too
    archive = zip_site(args.site, args.out)
    publish(args.site, archive)
    for f in (archive, pdf):
        print(f"offline_copy: wrote {f} ({f.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
