"""Report the built site's weight: each page with what it loads, and the whole site.

Usage: ``python tools/site_report.py _build/html [--budget-mb 5] [--json out.json]``.

A page's weight is its HTML plus the page-specific files it references (figures in
``_images/``, downloads); the theme's shared ``_static/`` files are listed once, since a browser
caches them across pages. Chapters over the budget (5 MB by default, frames of the static
explorers included) make the command exit 1, so ``tasks.py book`` fails on them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

REF = re.compile(r"""(?:src|href)\s*=\s*["']([^"'#?]+)""")
MB = 1024 * 1024


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def page_weight(html: Path, site: Path) -> tuple[int, list[tuple[str, int]]]:
    """Bytes of ``html`` plus the non-shared local files it references, and those files."""
    text = html.read_text(encoding="utf-8", errors="replace")
    files: dict[str, int] = {}
    for ref in REF.findall(text):
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or ref.startswith("data:"):
            continue
        target = (html.parent / unquote(parts.path)).resolve()
        try:
            rel = target.relative_to(site.resolve())
        except ValueError:
            continue
        # Shared theme files, and the book's offline copies (tools/offline_copy.py), which the
        # introduction links for download and no page loads.
        if rel.parts and rel.parts[0] in {"_static", "downloads"}:
            continue
        if target.is_file() and target.suffix != ".html":
            files[str(rel)] = target.stat().st_size
    total = html.stat().st_size + sum(files.values())
    return total, sorted(files.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--budget-mb", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    site: Path = args.site
    if not (site / "index.html").is_file():
        print(f"site_report: no index.html in {site}; build the book first", file=sys.stderr)
        return 2
    pages = []
    for html in sorted(site.rglob("*.html")):
        rel = html.relative_to(site)
        if rel.parts[0] in {"_static", "_sources", "_images"}:
            continue
        weight, files = page_weight(html, site)
        pages.append({"page": str(rel), "bytes": weight, "largest": files[:3]})
    shared = tree_size(site / "_static") if (site / "_static").is_dir() else 0
    total = tree_size(site)
    over = [p for p in pages if p["bytes"] > args.budget_mb * MB]

    print(
        f"\nSite weight ({site}): {total / MB:.1f} MB in total; shared theme files "
        f"(_static, cached across pages) {shared / MB:.1f} MB"
    )
    print(f"{'page':48s} {'MB':>6s}  budget {args.budget_mb:g} MB")
    for p in sorted(pages, key=lambda p: -p["bytes"]):
        flag = "  OVER BUDGET" if p in over else ""
        print(f"{p['page']:48s} {p['bytes'] / MB:6.2f}{flag}")
    if args.json:
        args.json.write_text(
            json.dumps({"total_bytes": total, "shared_bytes": shared, "pages": pages}, indent=1)
        )
    if over:
        print(f"\n{len(over)} page(s) over the {args.budget_mb:g} MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
