"""``python -m report``: write the study report from the published warehouse, without Dagster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from base import settings
from report.build import write_report
from report.provenance import project_checkout
from report.publish import ReportDirectoryError
from report.warehouse import WarehouseError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: MMS_DUCKDB_PATH)")
    parser.add_argument("--out", type=Path, help="reports directory (default: MMS_REPORTS_DIR)")
    parser.add_argument(
        "--evaluation",
        type=Path,
        help="an `mms-suggest evaluate --out` directory (default: MMS_SUGGESTER_EVALUATION_DIR)",
    )
    args = parser.parse_args(argv)
    warehouse = args.warehouse or settings.duckdb_path()
    out = args.out or settings.reports_dir()
    try:
        written = write_report(
            warehouse,
            out,
            project_dir=project_checkout(),
            evaluation_dir=args.evaluation or settings.suggester_evaluation_dir(),
        )
    except (WarehouseError, ReportDirectoryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    banner = " (SAMPLE DATA)" if written.report.provenance.is_sample_data else ""
    print(f"report{banner}: {written.html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
