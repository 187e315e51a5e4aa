"""The parts of a labelling round that need no Label Studio: the interface, the diff a task shows
(from a real git mirror), project titles, kappa so far, and the client's errors."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import pytest
from pytest_httpserver import HTTPServer
from sklearn.metrics import cohen_kappa_score

from analysis.suggester import multi_instance_pairs
from extract.annotations.files import AnnotationFileError
from extract.git import gitcmd
from labelling.client import LabelStudio, LabelStudioError, from_environment
from labelling.config import NOT_ML_RELATED, label_config
from labelling.progress import pair_kappa
from labelling.rounds import project_title
from labelling.tasks import MAX_DIFF_LINES, connect, model_file_diff


def test_the_interface_offers_the_taxonomy_and_not_ml_related():
    taxonomy = {"Bug Fix": 'Fixing <bugs> & "errors"', "Testing": "Tests"}
    root = ET.fromstring(label_config("commits", taxonomy))
    (choices,) = root.iter("Choices")
    assert choices.get("choice") == "multiple" and choices.get("toName") == "message"
    assert [c.get("value") for c in choices] == ["Bug Fix", "Testing", NOT_ML_RELATED]
    assert choices[0].get("hint") == 'Fixing <bugs> & "errors"'
    names = {tag.get("name") for tag in root.iter() if tag.get("name")}
    assert {"message", "paths", "diff", "suggestion", "link"} <= names
    adjudication = ET.fromstring(label_config("issues", taxonomy, adjudication=True))
    names = {tag.get("name") for tag in adjudication.iter() if tag.get("name")}
    assert {"title", "body", "context", "rater_labels"} <= names and "suggestion" not in names


def _commit(work, git, files: dict[str, str], message: str) -> str:
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", message], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def test_the_diff_is_the_model_files_of_the_commit_from_its_mirror(tmp_path):
    work = tmp_path / "work"
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    _commit(work, git, {"src/model.py": "a = 1\n", "README.md": "x\n"}, "base")
    head = _commit(
        work, git, {"src/model.py": "a = 2\n" + "b = 3\n" * (MAX_DIFF_LINES + 5), "README.md": "y\n"},
        "change",
    )  # fmt: skip
    mirrors = tmp_path / "mirrors"
    subprocess.run(
        ["git", "clone", "-q", "--mirror", str(work), str(gitcmd.mirror_path(mirrors, "o/r"))],
        check=True,
    )
    diff = model_file_diff(mirrors, "o/r", head, ["src/model.py"])
    lines = diff.splitlines()
    assert "+a = 2" in lines and "-a = 1" in lines
    assert "README.md" not in diff  # only the model files
    assert len(lines) == MAX_DIFF_LINES + 1 and lines[-1].endswith("more line(s): open the link")
    assert "no mirror of o/other" in model_file_diff(mirrors, "o/other", head, ["src/model.py"])
    missing = model_file_diff(mirrors, "o/r", "0" * 40, ["src/model.py"])
    assert missing.startswith("(diff not available: o/r: git failed")
    assert model_file_diff(mirrors, "o/r", head, []).startswith("(no model file")


def test_a_warehouse_that_cannot_be_read_is_one_line_naming_it(tmp_path):
    """Tasks read the published warehouse as every reader does (open_published): a missing file or
    one that is not DuckDB is the importer's one-line error naming it, not DuckDB's traceback."""
    missing, garbage = tmp_path / "missing.duckdb", tmp_path / "garbage.duckdb"
    garbage.write_text("not a database")
    for path in (missing, garbage):
        with pytest.raises(AnnotationFileError) as caught:
            connect(path)
        assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_project_titles_name_frame_round_and_rater():
    assert project_title("commits", "round-1", "Alice") == "commits round-1 alice"
    assert project_title("issues", "r2", None) == "issues r2 adjudication"
    for frame, round_name, rater in (("commits", "round 1", "a"), ("commits", "r", "../x"),
                                     ("tables", "r", "a"), ("commits", "r" * 30, "b" * 30)):  # fmt: skip
        with pytest.raises(AnnotationFileError):
            project_title(frame, round_name, rater)


def test_kappa_so_far_is_scikit_learns_on_the_items_both_labelled():
    first = {"a": ["Testing"], "b": ["Bug Fix", "Testing"], "c": ["Plumbing"], "d": ["Testing"],
             "e": [NOT_ML_RELATED], "only-first": ["Testing"]}  # fmt: skip
    second = {"a": ["Testing"], "b": ["Bug Fix"], "c": ["Testing"], "d": ["Testing"],
              "e": ["Testing"]}  # fmt: skip
    shared = ["a", "b", "c", "d"]
    pairs = multi_instance_pairs([first[k] for k in shared], [second[k] for k in shared])
    assert pair_kappa(first, second) == (4, pytest.approx(cohen_kappa_score(*pairs)))
    assert pair_kappa({"a": ["Testing"]}, {}) == (0, None)


def test_the_client_names_the_failure_in_one_line_without_the_token(httpserver: HTTPServer):
    token = "s3cret-token-value"
    httpserver.expect_request("/api/current-user/whoami").respond_with_json(
        {"detail": "Invalid token."}, status=401
    )
    httpserver.expect_request("/api/projects").respond_with_data("<html>not json</html>")
    client = LabelStudio(httpserver.url_for("/"), token)
    with pytest.raises(LabelStudioError) as refused:
        client.check()
    with pytest.raises(LabelStudioError) as not_json:
        client.projects()
    for error in (refused, not_json):
        assert token not in str(error.value) and "\n" not in str(error.value)
    assert "refused the token" in str(refused.value)
    assert "sent no JSON" in str(not_json.value)
    with pytest.raises(LabelStudioError, match="MMS_LABEL_STUDIO_TOKEN is not set"):
        from_environment({"MMS_LABEL_STUDIO_URL": httpserver.url_for("/")})
