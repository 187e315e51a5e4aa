"""What dbt's JSON artefacts cost a warehouse build: `mms-warehouse build` as it ships (dbt told
`--no-write-json`: no manifest.json or run_results.json, the saved parse still written) against the
same build with `--write-json` (the baseline: what every build wrote before), alternated, and print
a table: median wall seconds and median CPU seconds (user + system of `mms-warehouse` and its dbt).

Two builds of one generated study (the test suite's small one, 2,500 commits): the whole project,
and one model (`--select build_info`: what a build of a small selection costs, mostly dbt's own
start). Every build publishes (the same data each time, so the shrink guard lets it through) and
starts from the saved parse of the build before it.

    uv run python benchmarks/dbt_write_json.py --pairs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from measure import run_measured  # noqa: E402

from demo.study_data import Scale, generate  # noqa: E402

MMS_WAREHOUSE = str(Path(sys.executable).parent / "mms-warehouse")
SMALL = Scale(
    selected_projects=6, excluded_by_inspection=2, failing_candidates=5, commits=2_500, issues=900
)
BUILDS = {"whole project": [], "one model (build_info)": ["--select", "build_info"]}
CONFIGURATIONS = {"--write-json (before, baseline)": ["--write-json"], "no JSON (shipped)": []}


def _build(work: Path, args: list[str]) -> tuple[float, float]:
    """One `mms-warehouse build`: wall s, CPU s of it and the dbt it waited for."""
    env = {**os.environ, "MMS_LANDING_DIR": str(work / "landing"),
           "MMS_DUCKDB_PATH": str(work / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip
    log = work / "build-output.log"
    wall, cpu, code = run_measured([MMS_WAREHOUSE, "build", *args], env, log)
    if code != 0:
        sys.exit(f"mms-warehouse build {' '.join(args)} failed:\n{log.read_text()[-3000:]}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/mms-bench-write-json"))
    args = parser.parse_args()
    work = args.work_dir
    if not (work / "landing" / ".generated").exists():
        print(f"generating the small study into {work / 'landing'} ...", flush=True)
        generate(work / "landing", SMALL, seed=11)
        (work / "landing" / ".generated").touch()
    _build(work, [])  # the first build: a published warehouse and a saved parse to start from
    print(
        "| build | dbt's JSON artefacts | median wall s | median CPU s | wall ratio | CPU ratio |"
    )
    print("|---|---|---|---|---|---|")
    for build, selection in BUILDS.items():
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in CONFIGURATIONS}
        for _ in range(args.pairs):
            for name, extra in CONFIGURATIONS.items():
                results[name].append(_build(work, [*selection, *extra]))
        base = [statistics.median(r[i] for r in results[next(iter(CONFIGURATIONS))])
                for i in range(2)]  # fmt: skip
        for name, done in results.items():
            wall, cpu = (statistics.median(r[i] for r in done) for i in range(2))
            print(f"| {build} | {name} | {wall:.2f} | {cpu:.2f} | {wall / base[0]:.2f} | "
                  f"{cpu / base[1]:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
