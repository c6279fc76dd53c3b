"""Benchmarks: ``python3 tasks.py bench`` (or ``python -m benchmarks``).

Every ``benchmarks/bench_*.py`` module defines ``run(quick: bool = False) -> dict`` returning
``{"title": str, "rows": list[dict], "notes": str}``; the runner collects them into
``benchmarks/report.md`` and ``benchmarks/report.json``. Ratios are always against a reference
measured in the same run (PyTorch when installed, the machine's memory-bandwidth floor).
"""
