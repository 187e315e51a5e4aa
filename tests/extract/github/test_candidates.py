import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from base.repo_id import InvalidRepoId, validate_repo_id
from extract.github.candidates import CandidateListError, load_candidates, valid_candidates

# The reference data sit beside the project (../shared/data), in CI as on a developer's machine;
# MMS_STUDY_DATA_DIR points elsewhere (a checkout in another folder, a benchmark's worktree).
STUDY_DATA = Path(
    os.environ.get("MMS_STUDY_DATA_DIR")
    or Path(__file__).resolve().parents[3].parent / "shared" / "data"
)
STUDY_LIST = str(STUDY_DATA / "ml_projects_breadth_corpus.csv")


def _is_repo_id(value):
    try:
        validate_repo_id(value)
    except InvalidRepoId:
        return False
    return True


def _rows(load):
    return pq.read_table(load.path).to_pylist()


def test_study_list_lands_every_row_and_only_ml_types_are_candidates(tmp_path):
    import csv

    if not Path(STUDY_LIST).exists():
        message = f"no study candidate list at {STUDY_LIST} (set MMS_STUDY_DATA_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI has the reference data: a missing file there is an error
        pytest.skip(message)

    with open(STUDY_LIST, newline="") as handle:
        source = list(csv.DictReader(handle))
    load = load_candidates(STUDY_LIST, tmp_path)
    rows = _rows(load)
    assert load.list_name == "ml_projects_breadth_corpus"
    assert len(rows) == len(source)
    ml = [r["ProjectName"] for r in source if r["ProjectType"] in ("Applied", "Tool")]
    assert len(ml) == 4031  # the study's ML repositories
    well_formed = {name.lower() for name in ml if _is_repo_id(name)}
    assert load.valid == len(well_formed)
    # The list names chainer/chainercv twice (Applied on line 415, Tool on line 3090).
    dup = next(r for r in rows if r["line_number"] == 3090)
    assert dup["raw_value"] == "chainer/chainercv" and not dup["is_valid"]
    assert dup["problem"].startswith("line 3090: 'chainer/chainercv' duplicates line 415")
    non_ml = [r for r in rows if r["candidate_type"] == "NonML"]
    assert non_ml and all(not r["is_valid"] and r["problem"] for r in non_ml)
    typed_out = [r for r in non_ml if "is not a candidate type (Applied, Tool)" in r["problem"]]
    assert len(typed_out) > 0.9 * len(non_ml)  # the rest are malformed or duplicates
    assert rows[0]["line_number"] == 2 and rows[0]["raw_value"] == source[0]["ProjectName"]


def test_malformed_rows_are_kept_with_a_problem_naming_row_and_value(tmp_path):
    csv_path = tmp_path / "my list.csv"
    csv_path.write_text(
        "ProjectName,ProjectType\n"
        "Owner/Repo,Applied\n"
        ",Tool\n"
        "a/b/c,Tool\n"
        "https://github.com/Some-One/proj.git,Tool\n"
        "https://gitlab.com/x/y,Tool\n"
        "owner/repo,Applied\n"
        "../etc,Tool\n"
        "ok/other,NonML\n"
    )
    load = load_candidates(csv_path, tmp_path / "landing")
    rows = [(r["line_number"], r["repo_id"], r["is_valid"], r["problem"]) for r in _rows(load)]
    assert load.list_name == "my-list"
    assert rows[0] == (2, "Owner/Repo", True, None)
    assert rows[1][:3] == (3, None, False) and rows[1][3] == "line 3: blank repository"
    assert rows[2][:3] == (4, None, False) and "line 4" in rows[2][3] and "'a/b/c'" in rows[2][3]
    assert rows[3] == (5, "Some-One/proj", True, None)
    assert rows[4][:3] == (6, None, False) and "gitlab.com/x/y" in rows[4][3]
    assert rows[5][:3] == (7, None, False) and "duplicates line 2" in rows[5][3]
    assert rows[6][:3] == (8, None, False) and "'../etc'" in rows[6][3]
    assert rows[7][:3] == (9, None, False) and "'NonML' is not a candidate type" in rows[7][3]
    assert valid_candidates(tmp_path / "landing") == ["Owner/Repo", "Some-One/proj"]


def test_reloading_replaces_the_list_and_all_types_keeps_every_type(tmp_path):
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("repo_id,type\na/b,NonML\nc/d,Tool\n")
    assert load_candidates(csv_path, tmp_path / "l").valid == 1
    again = load_candidates(csv_path, tmp_path / "l", include_types=None)
    assert again.valid == 2 and len(_rows(again)) == 2
    assert sorted(p.name for p in again.path.parent.iterdir()) == ["_schema.parquet", "c.parquet"]


def test_headerless_list_and_list_from_a_url(tmp_path, httpserver):
    httpserver.expect_request("/lists/few.csv").respond_with_data("a/b\nc/d\n")
    load = load_candidates(httpserver.url_for("/lists/few.csv"), tmp_path)
    assert load.list_name == "few" and load.valid == 2
    assert [r["line_number"] for r in _rows(load)] == [1, 2]


@pytest.mark.parametrize(
    "content, message",
    [("name,stars\nfoo bar,3\n", "no repository column"), ("", "is empty")],
)
def test_unreadable_lists_raise_naming_the_list(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CandidateListError, match=message):
        load_candidates(path, tmp_path / "l")
    with pytest.raises(CandidateListError, match="missing.csv"):
        load_candidates(tmp_path / "missing.csv", tmp_path / "l")


@pytest.mark.parametrize("content", ["ProjectName,ProjectType\n", "repo_id\n\n,\n"])
def test_a_header_only_list_is_an_error_and_leaves_the_landed_list_alone(
    tmp_path, run_cli, content
):
    landing_root = tmp_path / "landing"
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "study.csv").write_text("repo_id\na/b\nc/d\n")
    landed = load_candidates(tmp_path / "good" / "study.csv", landing_root)
    before = landed.path.read_bytes()
    (tmp_path / "study.csv").write_text(content)
    with pytest.raises(CandidateListError, match=r"study\.csv has a header but no repository rows"):
        load_candidates(tmp_path / "study.csv", landing_root)
    code, out, err = run_cli("github", "candidates", "load", tmp_path / "study.csv")
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert f"{tmp_path / 'study.csv'} has a header but no repository rows" in err
    assert landed.path.read_bytes() == before
    assert valid_candidates(landing_root, "study") == ["a/b", "c/d"]
