"""The README's first command end to end: the main job on the bundled sample, run again and again
on one data directory.

Runs `python -m demo` as a user would (fresh DuckDB file, landing zone and Dagster instance), checks
the warehouse against the sample's own truth (git and the stand-in's data), the reports and that no
token reached any file. Then a run costs what changed (issue 20): a second run with nothing new
changes no row, builds nothing and says why; a new commit in one repository, a changed label file
and a changed dbt model each rebuild exactly what depends on them (Dagster's own materializations
and data versions in the run's instance). One sample is built for the whole file (the suite's
longest setup, so it is built once): the tests run in file order, each on the state the previous
one left.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from base import settings
from demo.git_repos import SAMPLE_REPOS
from demo.github_data import SAMPLE_TOKEN
from report.formatting import interval, percent
from tests.bare_repositories import add_commit

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_JOBS = ("refresh_selection", "build_warehouse", "refresh_suggestions")


def _env(root):
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(root / "dagster_home"),
        MMS_DUCKDB_PATH=str(root / "data" / "warehouse.duckdb"),
        MMS_LANDING_DIR=str(root / "data" / "landing"),
        MMS_MIRROR_DIR=str(root / "data" / "mirrors"),
        MMS_REPORTS_DIR=str(root / "reports"),
    )
    env.pop("MMS_DBT_THREADS", None)  # the README's run, with the shipped dbt threads
    return env


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    env = _env(root)
    (root / "dagster_home").mkdir()
    shutil.copy(settings.project_dir() / "dagster_home" / "dagster.yaml", root / "dagster_home")

    def run():
        done = subprocess.run(
            [sys.executable, "-m", "demo"],
            cwd=settings.project_dir(),
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    first = run()
    return root, run, first


def _git_commit_count(git_dir):
    out = subprocess.run(
        ["git", "-C", str(git_dir), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def _snapshot(con):
    return {
        "commits": con.execute(
            "select count(*), count(distinct commit_key) from stg_git__commits"
        ).fetchone(),
        "files": con.execute("select count(*) from stg_git__modified_files").fetchone()[0],
        "issues": con.execute(
            "select count(*), count(distinct issue_key) from stg_github__issues"
        ).fetchone(),
        "prs": con.execute("select count(*) from stg_github__pull_requests").fetchone()[0],
        "commit_sample": sorted(
            r[0] for r in con.execute("select commit_key from commit_sample").fetchall()
        ),
        "issue_sample": sorted(
            r[0] for r in con.execute("select issue_key from issue_sample").fetchall()
        ),
    }


def _materialized(root: Path) -> dict[str, int]:
    """Materializations recorded per asset (every partition), read from the run's instance."""
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        counts = {}
        for key in instance.get_asset_keys():
            records = instance.fetch_materializations(key, limit=10_000).records
            counts[key.to_user_string()] = len(records)
    return counts


def _built_between(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {key for key, count in after.items() if count > before.get(key, 0)}


def _line(output: str, pattern: str) -> str:
    found = [line for line in output.splitlines() if re.search(pattern, line)]
    assert found, f"no line matching {pattern!r} in:\n{output}"
    return found[0]


def _partitions_materialized(root: Path, key: dg.AssetKey) -> dict[str, int]:
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        records = instance.fetch_materializations(key, limit=10_000).records
    counts: dict[str, int] = {}
    for record in records:
        counts[record.partition_key] = counts.get(record.partition_key, 0) + 1
    return counts


def test_sample_run_builds_the_warehouse_from_the_sample(sample_run):
    root, _, output = sample_run
    assert "SAMPLE DATA" in output
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        selected = sorted(
            r[0] for r in con.execute("select repo_id from selected_projects").fetchall()
        )
        assert selected == sorted(spec.repo_id for spec in SAMPLE_REPOS)
        excluded = dict(
            con.execute(
                "select repo_id, selection_status from project_selection where not is_selected"
            ).fetchall()
        )
        assert len(excluded) >= 5  # one per failing criterion plus the missing repository
        for spec in SAMPLE_REPOS:
            truth = _git_commit_count(
                root / "data" / "sample" / "git" / f"{spec.repo_id.replace('/', '__')}.git"
            )
            landed = con.execute(
                "select count(*) from stg_git__commits where repo_id = ?", [spec.repo_id]
            ).fetchone()[0]
            assert landed == truth
            issues = con.execute(
                "select count(*) from stg_github__issues where repo_id = ?", [spec.repo_id]
            ).fetchone()[0]
            prs = con.execute(
                "select count(*) from stg_github__pull_requests where repo_id = ?", [spec.repo_id]
            ).fetchone()[0]
            assert issues + prs == spec.commits // 2  # what the sample's stand-in serves
            assert prs == spec.commits // 2 // 3
        kappas = [r[0] for r in con.execute("select cohen_kappa from rater_agreement").fetchall()]
        assert kappas and all(k is not None and -1 <= k < 1 for k in kappas)
        assert con.execute("select sum(occurrences) from challenge_distribution").fetchone()[0] > 0
        links = con.execute(
            "select count(*) from stg_github__issue_crawls where is_complete"
        ).fetchone()[0]
        assert links == len(SAMPLE_REPOS)


def test_each_build_starts_from_the_last_parse_and_leaves_no_folder_behind(sample_run):
    """The builds share one build path and one dbt target folder (warehouse/files.py), so dbt
    re-parses only what changed since the last build, never the whole project for a new path;
    nothing of a build stays behind it, in the builds folder or in the dbt project."""
    root, _, _ = sample_run
    started = (root / "dagster_home" / "dagster.yaml").stat().st_mtime
    builds = root / "data" / "warehouse.duckdb.builds"
    assert sorted(p.name for p in builds.iterdir()) == ["builds.jsonl", "dbt-target"]
    log = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((builds / "dbt-target").glob("dbt.log*"), reverse=True)
    )
    runs = log.split("Running with dbt=")[1:]
    assert len(runs) >= 4
    # The first starts from the parse the definitions keep in the dbt project, whichever warehouse
    # it was made for (the build path dbt is given is relative to the builds folder: the profile
    # is the same); each later one from its predecessor's.
    assert "profile has changed" not in runs[0]
    assert not [run for run in runs[1:] if "Unable to do partial parsing" in run]
    # at info, not debug: every statement and connection would be 6% of each build's CPU
    assert "[debug]" not in log
    # the shipped dbt threads (dbt/profiles.yml), which the rest of the suite lowers to 1
    assert all("Concurrency: 2 threads" in run for run in runs)
    per_invocation = [
        p for p in (ROOT / "dbt" / "target").glob("*-*-*") if p.stat().st_mtime >= started
    ]
    assert per_invocation == []


#: One value the study prints per artefact (STUDY-FACTS.md): each must stand beside this run's.
STUDY_VALUES = {
    "table1_selected_projects.md": "2,898.04",  # mean commits
    "table2_keywords.md": "support_vector, supportvector, svm",  # as Table 2 prints it
    "table3_commit_sample.md": "1,808.6",  # mean deleted lines
    "table4_issue_sample.md": "1,462",  # max age in days
    "rater_agreement.md": "0.61",
    "table5_activities.md": "20.5%",  # Refactoring
    "table6_challenges.md": "15.3%",  # Documentation Maintenance
    "figure1_closure_times.md": "908-day outlier for Resource Constraints",
    "table7_survey_background.md": "52.4%",
    "table8_survey_solutions.md": "61.9%",
    "pipeline_counts.md": "95,765",
}


def test_sample_run_writes_the_report_beside_the_study_marked_sample(sample_run):
    root, _, output = sample_run
    reports = root / "reports"
    assert str(reports / "report.html") in output
    for name, value in STUDY_VALUES.items():
        text = (reports / name).read_text(encoding="utf-8")
        assert value in text, name
        assert text.count("\n|") >= 3, name
    for path in reports.iterdir():
        if path.suffix in (".md", ".html"):
            assert "SAMPLE DATA" in path.read_text(encoding="utf-8"), path.name
    html = (reports / "report.html").read_text(encoding="utf-8")
    assert 'class="sample-banner"' in html and "data:image/png;base64," in html
    png = (reports / "figure1_closure_times.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"SAMPLE DATA" in png  # the PNG's Warning text chunk
    provenance = json.loads((reports / "provenance.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        build_id, is_sample = con.execute(
            "select build_id, is_sample_data from build_info"
        ).fetchone()
        selected = con.execute("select count(*) from selected_projects").fetchone()[0]
    assert (provenance["build_id"], provenance["is_sample_data"]) == (build_id, is_sample) == (
        build_id, True)  # fmt: skip
    assert provenance["counts"]["selected_projects"] == selected == len(SAMPLE_REPOS)


#: issue 10's sections (report/artefacts.py EXTRA_ARTEFACTS) and the frame each reads
ESTIMATE_SECTIONS = {"activity_estimates": "commits", "challenge_estimates": "issues",
                     "suggester_agreement": "commits", "activity_trends": "commits",
                     "challenge_trends": "issues"}  # fmt: skip


def test_make_run_computes_suggestions_and_the_report_shows_the_estimates(sample_run):
    root, _, _ = sample_run
    reports = root / "reports"
    with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
        status = {
            frame: (has, stale, state, reason)
            for frame, has, stale, state, reason in con.execute(
                "select frame, has_suggestions, is_stale, suggester_status, "
                "suggester_status_reason from suggestion_status"
            ).fetchall()
        }
        refactoring = con.execute(
            "select estimate, ci_lower, ci_upper from activity_estimates where name = 'Refactoring'"
        ).fetchone()
    # the suggester ran on the labels of the last build: current, whatever it concluded
    assert {frame: s[:2] for frame, s in status.items()} == {
        "commits": (True, False), "issues": (True, False)}  # fmt: skip
    for key, frame in ESTIMATE_SECTIONS.items():
        text = (reports / f"{key}.md").read_text(encoding="utf-8")
        assert text.startswith("> **SAMPLE DATA:**"), key
        _, _, state, reason = status[frame]
        if state == "ok" and key.endswith("_trends"):  # no year may have 20 labelled items
            assert text.count("\n|") >= 3 or "- No estimate for " in text, key
        elif state == "ok":
            assert text.count("\n|") >= 3, key
        else:  # too few labels on the sample: the report says so instead of a table
            assert "\n|" not in text and reason in text, key
    if status["commits"][2] == "ok":
        estimates = (reports / "activity_estimates.md").read_text(encoding="utf-8")
        assert "95% CI (PPI)" in estimates and "95% CI (Wilson)" in estimates
        estimate, low, high = refactoring
        shown = f"{percent(estimate)} | {interval(low, high)}"
        row = next(line for line in estimates.splitlines() if "| Refactoring " in line)
        assert shown in re.sub(r" +", " ", row) and row.rstrip(" |").endswith("20.5%"), row
        for figure in ("activity_trends.png", "challenge_trends.png"):
            png = (reports / figure).read_bytes()
            assert png.startswith(b"\x89PNG") and b"SAMPLE DATA" in png, figure
        html = (reports / "report.html").read_text(encoding="utf-8")
        assert html.count("data:image/png;base64,") == 3


def test_the_report_asset_shows_the_report_in_the_ui(sample_run):
    root, _, _ = sample_run
    instance = dg.DagsterInstance.from_config(str(root / "dagster_home"))
    try:
        event = instance.get_latest_materialization_event(dg.AssetKey(["reports", "study_report"]))
        metadata = event.asset_materialization.metadata
    finally:
        instance.dispose()
    for name in STUDY_VALUES:
        entry = metadata[name.removesuffix(".md")]
        assert "SAMPLE DATA" in entry.value and STUDY_VALUES[name] in entry.value, name
    # the latest report is the one refresh_suggestions wrote, with the estimates
    for key in ESTIMATE_SECTIONS:
        assert "SAMPLE DATA" in metadata[key].value, key
    assert "data:image/png;base64," in metadata["figure1_closure_times"].value
    assert metadata["is_sample_data"].value is True
    # no path of this machine: the reports directory lies outside the project, so its file name
    assert metadata["html_report"].value == "report.html"
    assert str(root) not in metadata["provenance"].value


def test_the_report_names_each_build_once_and_the_later_partial_builds_with_why(sample_run):
    """Each step of the run builds only what is stale or missing (docs/incremental-runs.md), so the
    marts come from several dbt builds of a selection, refresh_suggestions' last: the provenance
    listed each mart of such a build as a row of its own and named build_info's older build as the
    published one. Each build is named once, with the job that ran it."""
    root, _, _ = sample_run
    reports = root / "reports"
    provenance = json.loads((reports / "provenance.json").read_text(encoding="utf-8"))
    others = provenance["other_builds"]
    builds = [provenance["build_id"], *(b["build_id"] for b in others)]
    assert len(set(builds)) == len(builds)
    *_, last = others
    assert last["later"] and "(refresh_suggestions)" in last["ran_by"]
    assert "(build_warehouse)" in provenance["ran_by"]
    assert provenance["publication"]["published_build_id"] == last["build_id"]
    assert {"activity_estimates", "challenge_estimates", "suggestion_status"} <= set(last["marts"])
    text = (reports / "provenance.md").read_text(encoding="utf-8")
    assert text.count("| Warehouse build ") == 1
    assert text.count("| Later partial build ") == sum(1 for b in others if b["later"])
    assert text.count("| Earlier build ") == sum(1 for b in others if not b["later"])
    assert "| Mart " not in text and "| Published build " not in text
    assert provenance["warehouse"] == "warehouse.duckdb"  # not this machine's path


def test_no_file_of_the_run_contains_the_token(sample_run):
    root, _, output = sample_run
    assert SAMPLE_TOKEN not in output
    for path in root.rglob("*"):
        if path.is_file():
            assert SAMPLE_TOKEN.encode() not in path.read_bytes(), path


def test_a_second_run_with_nothing_new_changes_no_row_builds_nothing_and_says_why(sample_run):
    root, run, first = sample_run
    # The first run built everything and said so.
    assert "never built" in _line(first, r"5/7 build_warehouse: ok, built \d+ of \d+ assets")
    warehouse = root / "data" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows_before = _snapshot(con)
    before = _materialized(root)
    second = run()
    built = _built_between(before, _materialized(root))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert _snapshot(con) == rows_before
    assert rows_before["commits"][0] == rows_before["commits"][1]  # no duplicate commits
    assert "repository partitions match the selection" in second
    # No dbt model, no suggester refit, no report, no repository refreshed (each one asked first,
    # nothing new): only the candidate list and the metadata are looked at again, as always.
    assert built <= {"github/candidates", "github/repository_metadata"}, built
    assert "refresh_selection: unchanged (nothing new landed;" in second
    for job in WAREHOUSE_JOBS:
        line = _line(second, rf"\] [\d/]+ {job}: ")
        assert re.search(
            rf"{job}: unchanged \(.*no input data version or code version changed", line
        )
    for spec in SAMPLE_REPOS:
        line = _line(second, rf"\[\d/\d\] {re.escape(spec.repo_id)} ")
        assert "refresh_repository: unchanged (same head" in line
    # The summary says what changed, never how many rows exist.
    assert not re.search(r"[\d,]+ rows", second), second


def test_the_run_prints_a_short_progress_report_not_dagsters_event_log(sample_run):
    _, _, output = sample_run
    lines = output.strip().splitlines()
    assert len(lines) < 40, output
    assert not [line for line in lines if "DEBUG" in line]
    assert all(line.startswith("[sample]") for line in lines), output
    # each step with its counts and time, and where the results are
    # what changed (a first run: nothing was built yet), not how many rows exist
    assert any(
        re.match(
            r"\[sample\] 5/7 build_warehouse: ok, built \d+ of \d+ assets \(never built\)", line
        )
        for line in lines
    ), output
    # the last step: suggestions, the marts that read them, the report; what the suggester said
    assert any(
        re.match(
            r"\[sample\] 7/7 refresh_suggestions: ok, .*, suggester: commits .+; issues ", line
        )
        for line in lines
    ), output
    assert any("warehouse (DuckDB, published)" in line for line in lines)


def test_a_second_run_on_the_same_data_directory_fails_at_once_naming_the_first(sample_run):
    root, _, _ = sample_run
    env = _env(root)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\nfrom demo.pipeline import exclusive_run\n"
         # far longer than the second run takes to give up: it must not wait for the first
         "with exclusive_run(Path(sys.argv[1])):\n    print('running', flush=True); time.sleep(600)\n",
         str(root / "data")],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "running"
        done = subprocess.run(
            [sys.executable, "-m", "demo"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 3 and holder.poll() is None  # gave up while the first ran on
        assert f"another `make run` is using {root / 'data'}" in done.stdout
        assert f'"pid": {holder.pid}' in done.stdout
    finally:
        holder.kill()


def test_a_new_commit_in_one_repository_refreshes_it_and_what_reads_git(sample_run):
    root, run, _ = sample_run
    changed = SAMPLE_REPOS[0].repo_id
    slug = changed.replace("/", "__")
    add_commit(root / "data" / "sample" / "git" / f"{slug}.git", "Tune the learning rate")
    commits, issues = dg.AssetKey(["git", "commits"]), dg.AssetKey(["github", "closed_issues"])
    before = (_partitions_materialized(root, commits), _partitions_materialized(root, issues))
    output = run()
    after = (_partitions_materialized(root, commits), _partitions_materialized(root, issues))
    # Only the repository with the new commit was mined (and crawled, in the same run).
    assert {p for p in after[0] if after[0][p] > before[0].get(p, 0)} == {changed}
    assert {p for p in after[1] if after[1][p] > before[1].get(p, 0)} == {changed}
    assert "new data: git/commits" in _line(output, rf"\[\d/\d\] {re.escape(changed)} ")
    for spec in SAMPLE_REPOS[1:]:
        assert "unchanged (same head" in _line(output, rf"\[\d/\d\] {re.escape(spec.repo_id)} ")
    # The warehouse rebuilt what reads the git landing, because of that one partition.
    build = _line(output, r"5/7 build_warehouse: ")
    assert re.search(
        rf"build_warehouse: ok, built \d+ of \d+ assets \(git/\w+ \[{changed}\]", build
    )


@pytest.fixture
def steps_of(monkeypatch):
    """The sample's steps run in this process, against the sample's instance and warehouse."""
    opened = []

    def open_steps(root: Path):
        from dagster_project.definitions import defs as load_definitions
        from dagster_project.defs.warehouse import dbt
        from demo.steps import SampleSteps

        for name, value in _env(root).items():
            if name.startswith(("MMS_", "DAGSTER_")):
                monkeypatch.setenv(name, value)
        monkeypatch.delenv("MMS_DBT_THREADS", raising=False)  # as the runs before: same parse
        dbt.dbt_project.cache_clear()
        dbt.warehouse_dbt_assets.cache_clear()
        instance = dg.DagsterInstance.from_config(str(root / "dagster_home"))
        opened.append(instance.__enter__())
        said = []
        steps = SampleSteps(
            instance,
            load_definitions(),
            run_config={},
            tags={},
            log_path=root / "steps.log",
            verbose=False,
            say=said.append,
        )
        return steps, said

    yield open_steps
    from dagster_project.defs.warehouse import dbt

    for instance in opened:
        instance.__exit__(None, None, None)
    dbt.dbt_project.cache_clear()
    dbt.warehouse_dbt_assets.cache_clear()


def _downstream(steps, key: dg.AssetKey, job: str) -> set[str]:
    """The job's assets that read ``key`` through the job's own assets: one that reads it only
    through an asset of another job (the suggester, the issue links) has nothing new until that
    job runs."""
    job_keys = set(steps.defs.resolve_job_def(job).asset_layer.executable_asset_keys)
    below: set[dg.AssetKey] = set()
    for asset in steps.graph.toposorted_asset_keys:
        parents = steps.graph.get(asset).parent_keys
        if asset in job_keys and (key in parents or parents & below):
            below.add(asset)
    return {k.to_user_string() for k in below}


def test_a_changed_label_file_rebuilds_only_what_reads_the_labels(sample_run, steps_of):
    from extract.annotations.files import import_labels

    root, _, _ = sample_run
    landing, warehouse = root / "data" / "landing", root / "data" / "warehouse.duckdb"
    rated = root / "data" / "sample" / "commits__sample-rater-b.csv"
    with rated.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # One rater changes her mind on one commit.
    rows[1][1] = "Testing" if rows[1][1] != "Testing" else "Refactoring"
    with rated.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    import_labels(landing, rated, "commits", "sample-rater-b", warehouse)

    steps, said = steps_of(root)
    steps.observe_annotations()
    before = _materialized(root)
    assert steps.run("again", "build_warehouse")
    built = _built_between(before, _materialized(root))
    labels = dg.AssetKey(["annotations", "labels"])
    assert built == _downstream(steps, labels, "build_warehouse"), said
    assert "stg_git__commits" not in built and "selected_projects" not in built
    assert "annotations/labels: new data version" in said[-1]
    # The suggester reads the labels' marts: it refits, the rest of the frame stays as it is.
    before = _materialized(root)
    assert steps.run("again", "refresh_suggestions")
    assert "suggestions/label_suggestions" in _built_between(before, _materialized(root)), said


def test_a_changed_dbt_model_rebuilds_it_and_its_downstream_only(
    sample_run, steps_of, tmp_path, monkeypatch
):
    root, _, _ = sample_run
    project = tmp_path / "project"
    shutil.copytree(ROOT / "dbt", project / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    # As in the project itself, whose target folder keeps the last parse: the definitions then
    # re-parse the edited model only, not a new folder's whole project (dbt checks every file).
    parsed = project / "dbt" / "target" / "dagster"
    parsed.mkdir(parents=True)
    builds = root / "data" / "warehouse.duckdb.builds" / "dbt-target"
    shutil.copy(builds / "partial_parse.msgpack", parsed)
    edited = next((project / "dbt" / "models").rglob("int_labels__final_labels.sql"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- reviewed\n", encoding="utf-8")
    monkeypatch.setenv("MMS_PROJECT_DIR", str(project))

    steps, said = steps_of(root)
    model = dg.AssetKey("int_labels__final_labels")
    before = _materialized(root)
    assert steps.run("again", "build_warehouse")
    built = _built_between(before, _materialized(root))
    assert built == {"int_labels__final_labels"} | _downstream(steps, model, "build_warehouse")
    assert "int_labels__final_labels: new code version" in said[-1]
