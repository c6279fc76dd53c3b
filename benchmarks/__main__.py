"""Run every ``bench_*`` module and write ``benchmarks/report.{md,json}``.

python -m benchmarks            # all benchmarks
python -m benchmarks --quick    # smaller sizes, for a smoke test
python -m benchmarks optim mlp  # only these
python -m benchmarks --publish  # all, and refresh benchmarks/published.md (book: Performance)
python -m benchmarks headless --publish  # refresh only that section of published.md
python -m benchmarks headless --runs 30  # the headless stress check, 30 runs per notebook
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)\n"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("only", nargs="*", help="benchmark names (bench_<name>.py); default all")
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--out", default=str(HERE / "report"), help="report path without suffix")
    ap.add_argument(
        "--publish",
        action="store_true",
        help="also write benchmarks/published.md, the tables the book's Performance page shows; "
        "with benchmark names, only their sections are replaced (each says when it was measured)",
    )
    ap.add_argument(
        "--runs",
        type=int,
        default=None,
        help="repetitions for benchmarks that repeat whole runs (headless: runs per notebook, "
        "default 20, 3 with --quick)",
    )
    args = ap.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        ap.error(f"--runs must be >= 1, got {args.runs}")
    if args.publish and args.quick:
        ap.error("--publish needs full-size runs (no --quick)")
    names = sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    if args.only:
        unknown = set(args.only) - set(names)
        if unknown:
            ap.error(f"unknown benchmark(s) {sorted(unknown)}; available: {names}")
        names = [n for n in names if n in args.only]
    results = {}
    for name in names:
        print(f"[bench] {name} ...", flush=True)
        t0 = time.perf_counter()
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        kwargs = {"quick": args.quick}
        if args.runs is not None and "runs" in inspect.signature(mod.run).parameters:
            kwargs["runs"] = args.runs
        res = mod.run(**kwargs)
        if getattr(mod, "PUBLISHED", None) is not None:  # it writes its own page (feedback.md)
            res["published_elsewhere"] = True
        res["seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = res
        print(table(res["rows"]), flush=True)
    meta = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "quick": args.quick,
        "cpu": f"{cpu_name()}, {os.cpu_count()} cores",
    }
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    header = (
        f"{meta['date']}, Python {meta['python']}, {meta['platform']}, {meta['cpu']}"
        f"{' (quick)' if args.quick else ''}\n"
    )
    body = []
    for res in results.values():
        body += [f"\n## {res['title']}\n", res.get("notes", "") + "\n", table(res["rows"])]
    out.with_suffix(".md").write_text("\n".join([f"# Benchmark report\n\n{header}", *body]))
    print(f"[bench] wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    if args.publish:
        published = HERE / "published.md"
        old = published.read_text() if args.only and published.exists() else None
        shown = {n: r for n, r in results.items() if not r.get("published_elsewhere")}
        published.write_text(publish(header, shown, old))
        print(f"[bench] wrote {published} (commit it)")
    return 0


PUBLISHED_NOTE = (
    "<!-- Written by `python3 tasks.py bench --publish`; shown in book/performance.md -->\n"
)


def _section(name: str, res: dict, measured: str | None = None) -> str:
    when = f"Measured {measured}\n" if measured else ""
    notes = res.get("notes", "")
    return f"<!-- bench:{name} -->\n### {res['title']}\n\n{when}{notes}\n\n{table(res['rows'])}"


def publish(header: str, results: dict[str, dict], old: str | None = None) -> str:
    """The text of ``benchmarks/published.md``.

    With ``old`` (the current file), only the sections of ``results`` are replaced (or appended),
    each stating when it was measured; the rest of ``old`` stays as it was. Sections are found
    by their ``<!-- bench:NAME -->`` marker (in a file older than the markers, by their title).
    """
    if old is None:
        body = [_section(name, res) for name, res in results.items()]
        return PUBLISHED_NOTE + "\n".join([f"Measured {header}", *body])
    text = old
    for name, res in results.items():
        section = _section(name, res, measured=header.strip() + " (this section alone).")
        marker = f"<!-- bench:{name} -->"
        start = text.find(marker)
        if start < 0:
            # A file written before the markers: the section is found by its title.
            start = _heading(text, res["title"])
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + section
            continue
        own_heading = text.find("### ", start)
        end = _next_section(text, text.find("\n", own_heading) if own_heading >= 0 else start + 1)
        text = text[:start] + section + ("\n" + text[end:] if end >= 0 else "")
    return text


def _heading(text: str, title: str) -> int:
    """Where the line ``### title`` starts in ``text``, or -1."""
    heading = f"### {title}\n"
    if text.startswith(heading):
        return 0
    at = text.find("\n" + heading)
    return at + 1 if at >= 0 else -1


def _next_section(text: str, after: int) -> int:
    """Where the section after position ``after`` starts (its marker or heading), or -1."""
    starts = [text.find("<!-- bench:", after), text.find("\n### ", after)]
    starts = [s + (1 if text[s] == "\n" else 0) for s in starts if s >= 0]
    return min(starts) if starts else -1


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
