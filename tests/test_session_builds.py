"""The session's shared studies (tests/session_builds.py): one build of a study however many worker
processes ask for it meanwhile, a failed build tried again, a study of other inputs built apart."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.session_builds import build_once_in

ROOT = Path(__file__).resolve().parents[1]
#: a worker asking for the study; its build waits for the file `gate` so the test decides when the
#: study is done: argv = shared folder, tests folder, gate
ASK = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])  # tests/: site-packages may hold another package named tests
from session_builds import build_once_in

def build(folder):
    with open(folder.parent.parent / "builds.log", "a") as log:
        log.write(folder.name + "\\n")
    print("building", flush=True)
    while not Path(sys.argv[3]).exists():
        time.sleep(0.02)
    (folder / "study.txt").write_text("built")
    return {"rows": 3}

print("asking", flush=True)
folder, result = build_once_in(Path(sys.argv[1]), "study", {"seed": 1}, build)
print(json.dumps([str(folder), result, (folder / "study.txt").read_text()]))
"""


def _ask(shared: Path, gate: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", ASK, str(shared), str(ROOT / "tests"), str(gate)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _build_study(folder: Path) -> dict:
    (folder / "study.txt").write_text("built")
    return {"rows": 3}


def test_a_worker_asking_while_another_builds_the_study_waits_and_reads_that_build(tmp_path):
    gate = tmp_path / "gate"
    first = _ask(tmp_path, gate)
    assert [first.stdout.readline().strip() for _ in range(2)] == ["asking", "building"]
    second = _ask(tmp_path, gate)
    try:
        assert second.stdout.readline().strip() == "asking"
        # A window for the second worker to reach the study while the first still builds it; the
        # gate then lets the build finish, so a correct run never depends on this being enough.
        time.sleep(1)
    finally:
        gate.touch()
    answers = []
    for worker in (first, second):
        out, err = worker.communicate()
        assert worker.returncode == 0, err
        answers.append(json.loads(out.splitlines()[-1]))
    assert answers[0] == answers[1] and answers[0][1:] == [{"rows": 3}, "built"]
    assert len((tmp_path / "builds.log").read_text().splitlines()) == 1


def test_a_failed_build_is_tried_again_and_other_inputs_build_apart(tmp_path):
    def failing(folder: Path):
        (folder / "half.txt").write_text("half a study")
        raise RuntimeError("dbt failed")

    with pytest.raises(RuntimeError, match="dbt failed"):
        build_once_in(tmp_path, "study", {"seed": 1}, failing)
    folder, result = build_once_in(tmp_path, "study", {"seed": 1}, _build_study)
    assert result == {"rows": 3} and not (folder / "half.txt").exists()
    other, _ = build_once_in(tmp_path, "study", {"seed": 2}, _build_study)
    assert other != folder
    again, _ = build_once_in(tmp_path, "study", {"seed": 1}, failing)  # built: not called
    assert again == folder
