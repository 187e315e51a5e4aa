"""Time the study report on a built warehouse and print a table.

Baseline, measured in the same run: opening the warehouse read-only and loading every table the
report reads (the floor of any report). Then building the study's artefacts alone (Tables 1-8,
Figure 1), building the whole report (with issue 10's estimates, agreement and trend figures when
the warehouse has their marts) and writing it (Markdown, HTML, PNG, swapped into place). Imports
(pandas, matplotlib) are paid once, before timing.

    uv run python benchmarks/study_report.py --warehouse data/warehouse.duckdb
    uv run python benchmarks/study_report.py --warehouse /tmp/mms-bench/landing-full.duckdb --runs 7
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from report import (
    EXTRA_ARTEFACTS,
    STUDY_ARTEFACTS,
    Warehouse,
    build_report,
    render_files,
    required_tables,
)
from report.publish import publish_directory


def _median(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with Warehouse.open(args.warehouse) as warehouse:
        extras = tuple(a for a in EXTRA_ARTEFACTS if warehouse.has(*a.requires))
    tables = required_tables(STUDY_ARTEFACTS + extras)

    def load_only() -> None:
        with Warehouse.open(args.warehouse) as warehouse:
            for table in tables:
                warehouse.load(table)

    def build_study() -> None:
        with Warehouse.open(args.warehouse) as warehouse:
            build_report(warehouse, artefacts=STUDY_ARTEFACTS)

    def build() -> None:
        with Warehouse.open(args.warehouse) as warehouse:
            build_report(warehouse)

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "reports"

        def build_and_write() -> None:
            with Warehouse.open(args.warehouse) as warehouse:
                report = build_report(warehouse)
            publish_directory(render_files(report), out, grace_seconds=0)

        build_and_write()  # warm-up: imports, matplotlib's font cache
        cases = [
            ("load the marts (baseline)", _median(args.runs, load_only)),
            ("build the study's artefacts", _median(args.runs, build_study)),
            ("build the report", _median(args.runs, build)),
            ("build and write every file", _median(args.runs, build_and_write)),
        ]
        size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    with Warehouse.open(args.warehouse) as warehouse:
        frame = warehouse.connection.execute(
            "select run_count from pipeline_counts where step = 'commits_mined'"
        ).fetchone()[0]
    print(f"warehouse {args.warehouse} ({frame:,} commits mined), median of {args.runs} runs")
    print(f"sections beyond the study with their marts: {len(extras)} of {len(EXTRA_ARTEFACTS)}")
    print(f"{'case':<30}{'median s':>10}{'x baseline':>12}")
    for name, seconds in cases:
        print(f"{name:<30}{seconds:>10.3f}{seconds / cases[0][1]:>12.1f}")
    print(f"files written: {size:.2f} MB")


if __name__ == "__main__":
    main()
