"""Does this checkout's dbt project build the same marts as another revision's? A one-off check
for refactorings that must not change a number (not collected by pytest; its output is quoted in
the commit that ran it):

    uv run python tests/dbt/marts_before_after.py REV [--landing DIR] [--work DIR]

It lands a generated study whose samples are reviewed (rejected items replaced), labelled and
adjudicated, with the label suggester's results (or reuses the landing directory DIR), builds
it with the dbt project of REV (`git archive REV dbt`) and with this checkout's, and compares every mart of
either project: the same columns with the same types, and the same rows. The build stamp
(build_id, built_at) is left out, the study parameters are compared. Doubles are compared to 1e-8
relative or 1e-12 absolute (the probit moved from a SQL approximation to Python's; sums over rows
in another order differ in the last digit), and the table says how many differ at all and by how
much at most. The table also says whether the rows are stored in the same order (what an
analyst's `select *` sees); a mart without an `order by` has no order to keep: two builds of one
project may store its rows differently."""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
STAMP = ("build_id", "built_at")
REL_TOL = 1e-8
ABS_TOL = 1e-12


def labelled_study(root: Path, project: Path) -> Path:
    """Lands tests/conftest.py's labelled study (a reviewer's rejections replaced, two raters,
    adjudication, all from the generator's truth) and the label suggester's results, every dbt
    build by `project`; returns the landing directory."""
    from analysis.warehouse import run as suggest_labels
    from demo.study_data import Scale, generate
    from demo.truth import review_and_label_from_truth

    landing, truth, warehouse = root / "landing", root / "truth", root / "warehouse.duckdb"
    scale = Scale(selected_projects=8, excluded_by_inspection=2, failing_candidates=5,
                  commits=3_000, issues=1_200)  # fmt: skip
    generate(landing, scale, seed=5, truth_dir=truth)
    build(project, landing, warehouse)
    review_and_label_from_truth(
        warehouse, landing, truth, root / "annotation-files",
        rebuild=lambda: build(project, landing, warehouse),
    )  # fmt: skip
    build(project, landing, warehouse)
    suggest_labels(warehouse, landing)
    return landing


def project_at(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", rev, "dbt"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "dbt"


def build(project: Path, landing: Path, warehouse: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MMS_SAMPLE_DATA", "MMS_CODE_VERSION")}
    env.update(
        MMS_LANDING_DIR=str(landing),
        MMS_DUCKDB_PATH=str(warehouse),
        MMS_DBT_BUILD_PATH=str(warehouse),
    )
    target = warehouse.with_suffix(".target")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(project),
         "--profiles-dir", str(project), "--target-path", str(target), "--log-path", str(target)],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"dbt build of {project} failed:\n{done.stdout[-4000:]}")


def marts(project: Path) -> set[str]:
    return {path.stem for path in (project / "models" / "marts").rglob("*.sql")}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = ? and table_schema = 'main' order by ordinal_position",
        [table],
    ).fetchall()


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    kept = [name for name, _ in columns(con, table) if name not in STAMP]
    listed = ", ".join(f'"{name}"' for name in kept)
    # rowid: the order the build stored, which a `select *` returns.
    return con.execute(f"select {listed} from {table} order by rowid").fetchall()


def sort_key(value):
    """Orders rows whose doubles differ in the last digits the same way."""
    if value is None:
        return (0, "")
    if isinstance(value, float):
        return (1, float(f"{value:.6g}"))
    if isinstance(value, (list, tuple)):
        return (2, tuple(sort_key(v) for v in value))
    if isinstance(value, dict):
        return (3, tuple((k, sort_key(v)) for k, v in value.items()))
    return (4, str(value))


def compare(a, b, drift: list[float]) -> bool:
    """Equal, with doubles equal to REL_TOL; every double that differs at all is noted."""
    if isinstance(a, float) and isinstance(b, float):
        if a != b and not (math.isnan(a) and math.isnan(b)):
            # Relative to the larger; within ABS_TOL of 0 (a bound of 0 in 44) float noise is absolute.
            drift.append(abs(a - b) / max(abs(a), abs(b)) if max(abs(a), abs(b)) > ABS_TOL else 0.0)
            return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all([compare(x, y, drift) for x, y in zip(a, b, strict=True)])
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all([compare(a[k], b[k], drift) for k in a])
    return a == b


def compare_mart(before, after, mart: str) -> tuple[int, int, str]:
    """(rows, columns, verdict) of one mart."""
    if columns(before, mart) != columns(after, mart):
        return 0, 0, f"COLUMNS DIFFER: {columns(before, mart)} != {columns(after, mart)}"
    old, new = rows(before, mart), rows(after, mart)
    width = len(old[0]) if old else len(columns(before, mart)) - len(STAMP)
    if len(old) != len(new):
        return len(old), width, f"ROW COUNT DIFFERS: {len(old)} != {len(new)}"
    drift: list[float] = []
    if not compare(sorted(old, key=sort_key), sorted(new, key=sort_key), drift):
        return len(old), width, "ROWS DIFFER"
    order = "same order" if compare(old, new, []) else "other row order"
    if drift:
        return (
            len(old),
            width,
            f"equal, {order}; {len(drift)} doubles differ, max {max(drift):.1e} rel",
        )
    return len(old), width, f"identical, {order}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the revision whose dbt project builds the 'before' marts")
    parser.add_argument("--landing", type=Path, help="a landing directory to reuse")
    parser.add_argument("--work", type=Path, help="where to build (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="marts-before-after-"))
    work.mkdir(parents=True, exist_ok=True)
    before_project = project_at(args.rev, work / "before")
    landing = args.landing or labelled_study(work / "study", before_project)
    build(before_project, landing, work / "before.duckdb")
    build(ROOT / "dbt", landing, work / "after.duckdb")
    names = sorted(marts(before_project) | marts(ROOT / "dbt"))
    failed = 0
    print(f"| mart | rows | columns | {args.rev} -> working tree |")
    print("| --- | ---: | ---: | --- |")
    with (
        duckdb.connect(str(work / "before.duckdb"), read_only=True) as before,
        duckdb.connect(str(work / "after.duckdb"), read_only=True) as after,
    ):
        for mart in names:
            count, width, verdict = compare_mart(before, after, mart)
            failed += not verdict.startswith(("identical", "equal"))
            print(f"| {mart} | {count:,} | {width} | {verdict} |")
    total = sum(1 for _ in names)
    print(f"\n{total - failed} of {total} marts equal; warehouses in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
