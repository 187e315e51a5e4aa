"""Labelling rounds against a real Label Studio (conftest.py starts it once per session).

A generated study is built by the real `dbt build`, labelled by two CSV raters and suggested by the
real suggester; then `mms-label` exports the commit sample to Label Studio, annotations are
submitted through Label Studio's own API as two raters would, imported back, and the warehouse is
built again: its kappa must equal scikit-learn's on those annotations. The adjudication round, the
Dagster asset, a browser view of a task and the bad cases follow. The tests run in file order and
share one study (what a round does to the warehouse is what the next step reads).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import requests
from sklearn.metrics import cohen_kappa_score

import landing
from analysis.suggester import multi_instance_pairs
from demo.study_data import Scale
from extract.annotations.files import taxonomy
from extract.git import gitcmd
from labelling import cli
from tests.report import labelled_study

#: Large enough that the suggester trains on the commits (40 adjudicated items) and suggests.
SCALE = Scale(selected_projects=4, excluded_by_inspection=1, failing_candidates=2, commits=400,
              issues=120)  # fmt: skip
ROUND = "round-1"
RATERS = ("carol", "dave")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
DIFF_LINE = "+class AttentionPredictor(nn.Module):"


@pytest.fixture(scope="module")
def study(tmp_path_factory, label_studio_starting):
    ls, _ = label_studio_starting
    root = tmp_path_factory.mktemp("labelling-study")
    labelled_study.SCALE, saved = SCALE, labelled_study.SCALE
    try:
        warehouse = labelled_study.build_labelled_study(root, suggest=True, changed_only=True)
    finally:
        labelled_study.SCALE = saved
    env = labelled_study.study_env(root)
    env.update(
        MMS_MIRROR_DIR=str(root / "mirrors"),
        MMS_LABEL_STUDIO_URL=ls.url,
        MMS_LABEL_STUDIO_TOKEN=ls.token,
    )
    return {"root": root, "warehouse": warehouse, "env": env, "landing": root / "landing"}


@pytest.fixture
def environment(study, monkeypatch):
    for name, value in study["env"].items():
        if name.startswith("MMS_"):
            monkeypatch.setenv(name, value)
    return study


def mms_label(*args: str) -> int:
    return cli.main(list(args))


def api(ls, method: str, path: str, **kwargs):
    response = requests.request(
        method, ls.url + path, headers={"Authorization": f"Token {ls.token}"}, timeout=120, **kwargs
    )
    response.raise_for_status()
    return response.json() if response.content else None


def project(ls, title: str) -> dict:
    found = [p for p in api(ls, "GET", "/api/projects", params={"page_size": 100})["results"]
             if p["title"] == title]  # fmt: skip
    assert len(found) == 1, title
    return found[0]


def tasks_of(ls, project_id: int) -> list[dict]:
    return api(ls, "GET", f"/api/projects/{project_id}/export",
               params={"exportType": "JSON", "download_all_tasks": "true"})  # fmt: skip


def annotate(ls, task_id: int, labels: list[str], anchor: str = "message") -> dict:
    result = [{"from_name": "labels", "to_name": anchor, "type": "choices",
               "value": {"choices": labels}}]  # fmt: skip
    return api(ls, "POST", f"/api/tasks/{task_id}/annotations", json={"result": result})


def sample_keys(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute("select commit_key from commit_sample").fetchall()]


def landed_bytes(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(Path(root).rglob("annotations/*/*.parquet"))}


@pytest.fixture(scope="module")
def diff_commit(study):
    """One sampled commit pointed at a real commit of a real mirror, so its task shows a real
    diff: the generated study's hashes are not git's, so the published sample row gets the hash
    of a commit this fixture makes that changes the row's model files."""
    warehouse, mirrors = study["warehouse"], Path(study["env"]["MMS_MIRROR_DIR"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        key, repo_id, paths = con.execute(
            """
            select s.commit_key, s.repo_id, list(m.path order by m.path)
            from commit_sample s join int_commits__model_file_matches m using (commit_key)
            join label_suggestions g on g.frame = 'commits' and g.item_key = s.commit_key
            group by all order by s.commit_key limit 1
            """
        ).fetchone()
    work = study["root"] / "diff-work"
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    for path in paths:
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text("import torch.nn as nn\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    for path in paths:
        (work / path).write_text(f"import torch.nn as nn\n\n\n{DIFF_LINE[1:]}\n    pass\n")
    subprocess.run([*git, "commit", "-qam", "Add attention layer"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    mirror = gitcmd.mirror_path(mirrors, repo_id)
    subprocess.run(["git", "clone", "-q", "--mirror", str(work), str(mirror)], check=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update commit_sample set commit_hash = ? where commit_key = ?",
                    [head.stdout.strip(), key])  # fmt: skip
    return key


def test_a_rater_sees_message_diff_and_the_prefilled_suggestion(
    environment, diff_commit, label_studio, tmp_path
):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI=true but no chromium on PATH: .ci/run should have installed it")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    assert mms_label("export", "--frame", "commits", "--round", "preview", "--raters", "gina") == 0
    ls = label_studio
    found = project(ls, "commits preview gina")
    task = next(t for t in tasks_of(ls, found["id"]) if t["data"]["item_key"] == diff_commit)
    with duckdb.connect(str(environment["warehouse"]), read_only=True) as con:
        message, suggested = con.execute(
            "select s.message, g.suggested_labels from commit_sample s join label_suggestions g "
            "on g.frame = 'commits' and g.item_key = s.commit_key where s.commit_key = ?",
            [diff_commit],
        ).fetchone()
    shots = Path(os.environ.get("MMS_SCREENSHOT_DIR") or tmp_path)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        page.goto(f"{ls.url}/user/login/")
        page.fill("input[name=email]", ls.email)
        page.fill("input[name=password]", ls.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{ls.url}/projects/{found['id']}/data?task={task['id']}")
        sync_api.expect(page.get_by_text(message, exact=True).first).to_be_visible(timeout=120_000)
        sync_api.expect(page.get_by_text(DIFF_LINE).first).to_be_visible()
        sync_api.expect(
            page.get_by_text("Suggestion (the label suggester, not a rater")
        ).to_be_visible()
        choice = page.locator("label.lsf-choice__checkbox input")
        names = taxonomy("commits", environment["warehouse"])
        sync_api.expect(choice).to_have_count(len(names) + 1)  # and not ML-related
        for label in suggested:
            sync_api.expect(
                page.locator(f"label.lsf-choice__checkbox input[name='{label}']")
            ).to_be_checked()
        unsuggested = next(n for n in names if n not in suggested)
        sync_api.expect(
            page.locator(f"label.lsf-choice__checkbox input[name='{unsuggested}']")
        ).not_to_be_checked()
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "label-studio-task.png"), full_page=True)
        browser.close()


def _suggested(task: dict) -> list[str]:
    """The suggester's labels, as the task shows them ("Suggested: a; b (model ...")."""
    text = task["data"].get("suggestion", "")
    if not text.startswith("Suggested: "):
        return []
    return text.removeprefix("Suggested: ").split(" (model ")[0].split("; ")


def _rater_labels(tasks: list[dict], names: list[str]) -> dict[str, dict[int, list[str]]]:
    """carol takes the suggestion (or a drawn label); dave agrees about two times in three, else
    picks another label, sometimes two: kappa is neither 0 nor 1."""
    rng = random.Random(19)
    carol, dave = {}, {}
    for task in tasks:
        base = _suggested(task) or [rng.choice(names)]
        carol[task["id"]] = sorted(base)
        roll = rng.random()
        if roll < 0.65:
            dave[task["id"]] = sorted(base)
        elif roll < 0.85:
            dave[task["id"]] = [rng.choice(names)]
        else:
            dave[task["id"]] = sorted({*base, rng.choice(names)})
    return {"carol": carol, "dave": dave}


@pytest.fixture(scope="module")
def round_one(study, label_studio):
    """Round 1 exported, both raters' annotations submitted through Label Studio's API."""
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in study["env"].items() if k.startswith("MMS_")})
    try:
        assert mms_label("export", "--frame", "commits", "--round", ROUND,
                         "--raters", ",".join(RATERS)) == 0  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
    ls = label_studio
    projects = {r: project(ls, f"commits {ROUND} {r}") for r in RATERS}
    tasks = {r: tasks_of(ls, projects[r]["id"]) for r in RATERS}
    names = taxonomy("commits", study["warehouse"])
    by_key = {r: {t["data"]["item_key"]: t for t in tasks[r]} for r in RATERS}
    plan = _rater_labels(tasks["carol"], names)
    given = {r: {} for r in RATERS}
    for task in tasks["carol"]:
        key = task["data"]["item_key"]
        for rater in RATERS:
            labels = plan[rater][task["id"]]
            annotate(ls, by_key[rater][key]["id"], labels)
            given[rater][key] = labels
    return {"projects": projects, "tasks": tasks, "given": given}


def test_export_one_project_per_rater_with_suggestions_and_round_tripping_keys(
    environment, round_one, label_studio
):
    keys = sample_keys(environment["warehouse"])
    for rater in RATERS:
        tasks = round_one["tasks"][rater]
        assert sorted(t["data"]["item_key"] for t in tasks) == sorted(keys)
    with duckdb.connect(str(environment["warehouse"]), read_only=True) as con:
        suggestions = {
            key: (labels, score)
            for key, labels, score in con.execute(
                "select item_key, suggested_labels, top_probability from label_suggestions "
                "where frame = 'commits'"
            ).fetchall()
        }
    tasks = round_one["tasks"]["carol"]
    assert all(t["data"]["item_key"] in suggestions for t in tasks)
    for task in tasks[:5]:
        labels, score = suggestions[task["data"]["item_key"]]
        assert task["data"]["suggestion"].startswith(f"Suggested: {'; '.join(labels)} (model ")
        (prediction,) = api(label_studio, "GET", "/api/predictions", params={"task": task["id"]})
        assert prediction["model_version"].startswith("suggestion ")
        assert prediction["score"] == pytest.approx(score)
        assert prediction["result"][0]["value"]["choices"] == list(labels)
    assert project(label_studio, f"commits {ROUND} carol")["model_version"].startswith("suggestion")


def test_reexport_adds_nothing(environment, round_one, capsys):
    assert mms_label("export", "--frame", "commits", "--round", ROUND,
                     "--raters", ",".join(RATERS)) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.count("0 task(s) added") == 2, out


def test_two_raters_kappa_in_the_warehouse_equals_scikit_learn(environment, round_one, capsys):
    for rater in RATERS:
        assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", rater) == 0
    out = capsys.readouterr().out
    assert "(complete)" in out and "left of" in out, out
    # the import changed the landed annotations only: what reads them is what a build redoes
    labelled_study.dbt(environment["env"], "build", "--select", "source:annotations+")
    given = round_one["given"]
    shared = sorted(given["carol"])
    first, second = multi_instance_pairs([given["carol"][k] for k in shared],
                                         [given["dave"][k] for k in shared])  # fmt: skip
    expected = cohen_kappa_score(first, second)
    with duckdb.connect(str(environment["warehouse"]), read_only=True) as con:
        kappa, items = con.execute(
            "select cohen_kappa, item_count from rater_agreement "
            "where frame = 'commits' and rater_a = 'carol' and rater_b = 'dave'"
        ).fetchone()
    assert items == len(shared)
    assert 0 < expected < 1
    assert kappa == pytest.approx(expected, abs=1e-9)


def test_progress_in_status_and_the_dagster_asset(environment, round_one, capsys):
    from dagster_project.defs.annotations.sources import LABELS, SAMPLE_REVIEWS
    from dagster_project.defs.labelling.assets import labelling_assets
    from dagster_project.defs.landing.resources import LandingResource
    from landing.versions import table_version
    from warehouse.labelling_progress import progress_lines

    lines = progress_lines(environment["warehouse"])
    total = len(sample_keys(environment["warehouse"]))
    assert f"  commits carol: {total} labelled, 0 left of {total}" in lines
    assert any(line.startswith("  commits kappa carol vs dave: ") for line in lines)

    assert (
        mms_label("status", "--frame", "commits", "--round", ROUND, "--raters", "carol,dave") == 0
    )
    out = capsys.readouterr().out
    assert f"commits {ROUND} carol: {total} labelled, 0 left of {total}" in out

    import dagster as dg

    _, annotations_asset = labelling_assets()
    config = {"round": ROUND, "raters": list(RATERS), "frames": ["commits"]}
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [annotations_asset], instance=instance,
            resources={"landing_zone": LandingResource(root=str(environment["landing"]))},
            run_config={"ops": {"labelling__rater_annotations": {"config": config}}},
        )  # fmt: skip
        assert result.success
        (materialization,) = result.asset_materializations_for_node("labelling__rater_annotations")
        metadata = materialization.metadata
        assert metadata["commits carol labelled"].value == total
        assert metadata["commits dave left"].value == 0
        assert "kappa carol vs dave so far" in metadata["commits progress"].value
        # The label sources are observed with what landed, so what reads them is stale now.
        for key, table in (
            (LABELS, "annotations/labels"),
            (SAMPLE_REVIEWS, "annotations/sample_reviews"),
        ):
            record = instance.get_latest_data_version_record(key, is_source=True)
            assert record is not None and record.run_id == result.run_id
            assert record.event_log_entry.tags["dagster/data_version"] == table_version(
                environment["landing"], table
            )
        logs = "".join(str(e) for e in instance.all_logs(result.run_id))
        assert environment["env"]["MMS_LABEL_STUDIO_TOKEN"] not in logs
        assert environment["env"]["MMS_LABEL_STUDIO_TOKEN"] not in str(
            instance.get_run_by_id(result.run_id).run_config
        )


def _landed(environment, table: str, stem: str) -> list[dict]:
    path = landing.table_dir(environment["landing"], table) / f"{stem}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else []


def test_reimport_is_idempotent_and_a_changed_annotation_replaces(
    environment, round_one, label_studio
):
    def rows():
        return sorted((r["item_key"], r["label"]) for r in
                      _landed(environment, "annotations/labels", "commits__dave"))  # fmt: skip

    before = rows()
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "dave") == 0
    assert rows() == before
    task = round_one["tasks"]["dave"][0]
    (annotation,) = tasks_of_one(label_studio, task["id"])
    old = round_one["given"]["dave"][task["data"]["item_key"]]
    new = "Plumbing" if old != ["Plumbing"] else "Testing"
    api(label_studio, "PATCH", f"/api/annotations/{annotation['id']}",
        json={"result": [{"from_name": "labels", "to_name": "message", "type": "choices",
                          "value": {"choices": [new]}}]})  # fmt: skip
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "dave") == 0
    after = rows()
    key = task["data"]["item_key"]
    assert [label for item, label in after if item == key] == [new]
    assert [r for r in after if r[0] != key] == [r for r in before if r[0] != key]


def tasks_of_one(ls, task_id: int) -> list[dict]:
    return [a for a in api(ls, "GET", f"/api/tasks/{task_id}/annotations")]


def test_a_rater_who_labelled_half_is_imported_as_partial(environment, label_studio, capsys):
    assert mms_label("export", "--frame", "commits", "--round", ROUND, "--raters", "erin") == 0
    tasks = tasks_of(label_studio, project(label_studio, f"commits {ROUND} erin")["id"])
    half = tasks[: len(tasks) // 2]
    for task in half:
        annotate(label_studio, task["id"], ["Refactoring"])
    capsys.readouterr()
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "erin") == 0
    out = capsys.readouterr().out
    left = len(tasks) - len(half)
    assert (
        f"{len(half)} labelled, 0 not ML-related, {left} left of {len(tasks)} task(s) (partial)"
        in out
    )
    landed = _landed(environment, "annotations/labels", "commits__erin")
    assert sorted(r["item_key"] for r in landed) == sorted(t["data"]["item_key"] for t in half)


def test_a_task_deleted_in_the_tool_is_reported(environment, label_studio, capsys):
    erin = project(label_studio, f"commits {ROUND} erin")
    labelled = [t for t in tasks_of(label_studio, erin["id"]) if t["annotations"]]
    gone = labelled[0]
    api(label_studio, "DELETE", f"/api/tasks/{gone['id']}")
    capsys.readouterr()
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "erin") == 0
    captured = capsys.readouterr()
    assert "1 task(s) of erin's previous import were deleted in Label Studio" in captured.err
    assert gone["data"]["item_key"].lower() in captured.err


def test_a_label_outside_the_taxonomy_lands_nothing(environment, label_studio, capsys):
    assert mms_label("export", "--frame", "commits", "--round", ROUND, "--raters", "frank") == 0
    tasks = tasks_of(label_studio, project(label_studio, f"commits {ROUND} frank")["id"])
    annotate(label_studio, tasks[0]["id"], ["Refactoring"])
    annotate(label_studio, tasks[1]["id"], ["Astrology"])
    before = landed_bytes(environment["landing"])
    capsys.readouterr()
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "frank") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"task {tasks[1]['id']}: unknown label 'Astrology'" in err
    assert landed_bytes(environment["landing"]) == before


@pytest.mark.parametrize("broken", ["unreachable", "wrong token"])
def test_an_unreachable_tool_or_a_wrong_token_is_one_line_and_changes_nothing(
    environment, round_one, monkeypatch, capsys, broken
):
    token = environment["env"]["MMS_LABEL_STUDIO_TOKEN"]
    if broken == "unreachable":
        with __import__("socket").socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        monkeypatch.setenv("MMS_LABEL_STUDIO_URL", f"http://127.0.0.1:{port}")
    else:
        monkeypatch.setenv("MMS_LABEL_STUDIO_TOKEN", "not-" + token)
    before = landed_bytes(environment["landing"])
    for command in ("export", "import", "status"):
        capsys.readouterr()
        code = mms_label(command, "--frame", "commits", "--round", ROUND, "--raters", "carol")
        captured = capsys.readouterr()
        assert code == 2 and captured.out == ""
        (line,) = captured.err.strip().splitlines()
        assert ("unreachable" if broken == "unreachable" else "refused the token") in line
        assert token not in line
    assert landed_bytes(environment["landing"]) == before


def test_adjudication_round_end_to_end(environment, round_one, label_studio, capsys):
    warehouse = environment["warehouse"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        disputed = {r[0] for r in con.execute(
            "select commit_key from commit_sample where label_status = 'disagreement'").fetchall()}  # fmt: skip
    assert disputed
    assert mms_label("export", "--frame", "commits", "--round", ROUND, "--adjudication") == 0
    adjudication = project(label_studio, f"commits {ROUND} adjudication")
    tasks = tasks_of(label_studio, adjudication["id"])
    assert {t["data"]["item_key"] for t in tasks} == disputed
    given = round_one["given"]
    for task in tasks:
        key = task["data"]["item_key"]
        shown = task["data"]["rater_labels"]
        for rater in RATERS:
            assert f"{rater}: {'; '.join(sorted(given[rater][key]))}" in shown
        assert "suggestion" not in task["data"]
        annotate(label_studio, task["id"], given["dave"][key])
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--adjudication",
                     "--raters", "panel") == 0  # fmt: skip
    labelled_study.dbt(environment["env"], "build", "--select", "source:annotations+")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        resolved = dict(con.execute(
            "select commit_key, label_source from commit_sample where label_status = 'labelled'"
        ).fetchall())  # fmt: skip
        rows = con.execute(
            "select item_key, list_sort(list(label)) from int_labels__final_labels "
            "where frame = 'commits' group by 1").fetchall()  # fmt: skip
    assert all(resolved.get(key) == "adjudication" for key in disputed)
    finals = dict(rows)
    assert all(finals[key] == sorted(given["dave"][key]) for key in disputed)


def test_not_ml_related_lands_as_the_raters_reject(environment, label_studio):
    assert mms_label("export", "--frame", "commits", "--round", ROUND, "--raters", "hana") == 0
    tasks = tasks_of(label_studio, project(label_studio, f"commits {ROUND} hana")["id"])
    annotate(label_studio, tasks[0]["id"], ["not ML-related"])
    annotate(label_studio, tasks[1]["id"], ["Testing"])
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "hana") == 0
    reviews = _landed(environment, "annotations/sample_reviews", "commits__hana")
    assert [(r["item_key"], r["decision"]) for r in reviews] == [
        (tasks[0]["data"]["item_key"], "reject")
    ]
    labels = _landed(environment, "annotations/labels", "commits__hana")
    assert [r["item_key"] for r in labels] == [tasks[1]["data"]["item_key"]]
    # changed in the tool to a label: the reject is withdrawn at the next import
    (annotation,) = tasks_of_one(label_studio, tasks[0]["id"])
    api(label_studio, "PATCH", f"/api/annotations/{annotation['id']}",
        json={"result": [{"from_name": "labels", "to_name": "message", "type": "choices",
                          "value": {"choices": ["Testing"]}}]})  # fmt: skip
    assert mms_label("import", "--frame", "commits", "--round", ROUND, "--raters", "hana") == 0
    assert _landed(environment, "annotations/sample_reviews", "commits__hana") == []
    assert len(_landed(environment, "annotations/labels", "commits__hana")) == 2


def test_an_issue_task_shows_the_thread_facts_and_the_suggestion(environment, label_studio):
    assert mms_label("export", "--frame", "issues", "--round", ROUND, "--raters", "ivan") == 0
    ivan = project(label_studio, f"issues {ROUND} ivan")
    tasks = {t["data"]["item_key"]: t for t in tasks_of(label_studio, ivan["id"])}
    with duckdb.connect(str(environment["warehouse"]), read_only=True) as con:
        rows = con.execute(
            "select s.issue_key, s.title, s.html_url, i.labels, g.suggested_labels "
            "from issue_sample s join stg_github__issues i using (issue_key) "
            "left join label_suggestions g on g.frame = 'issues' and g.item_key = s.issue_key"
        ).fetchall()
    assert sorted(tasks) == sorted(r[0] for r in rows)
    for key, title, url, github_labels, suggested in rows:
        data = tasks[key]["data"]
        assert data["title"] == title and url in data["link_html"]
        assert f"GitHub labels: {', '.join(github_labels) or 'none'}" in data["context_html"]
        assert "Linked pull requests: " in data["context_html"]
        if suggested:
            assert data["suggestion"].startswith(f"Suggested: {'; '.join(suggested)} (model ")
    assert '<Choice value="Other"' in ivan["label_config"]
