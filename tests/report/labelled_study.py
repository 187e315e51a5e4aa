"""A generated study built by the real `dbt build`, its samples labelled by two raters through the
real export/import round trip, then built again: a warehouse with every mart the report reads. With
``suggest``, the label suggester then runs on it and dbt builds a third time, as the job
refresh_suggestions does, so the estimate, agreement and trend marts hold numbers.

Built once per session and shared by tests/report and tests/browser (the HTML in Chromium, on a copy
rebuilt with the sample flag)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from analysis.warehouse import run as suggest_labels
from demo.labels import label_samples
from demo.study_data import Scale, generate
from tests.dbt_cli import WITHOUT_TESTS
from tests.dbt_cli import dbt as run_dbt
from tests.session_builds import build_once, copy_study

ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = ROOT / "dbt"

#: Both populations exceed the 385-item target, so Tables 3-6 rest on a full sample.
SCALE = Scale(selected_projects=6, excluded_by_inspection=2, failing_candidates=5, commits=2_500,
              issues=900)  # fmt: skip
SEED = 13


def dbt(env: dict[str, str], *args: str) -> None:
    run_dbt(env, *args, target=Path(env["MMS_DBT_TARGET"]))


def study_env(root: Path, *, sample_data: bool = False, code_version: str | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        MMS_LANDING_DIR=str(root / "landing"),
        # dbt writes the build file; these tests read it as the published warehouse.
        MMS_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        MMS_DBT_BUILD_PATH=str(root / "warehouse.duckdb"),
        MMS_DBT_TARGET=str(root / "target"),
    )
    for name, value in (("MMS_SAMPLE_DATA", "1" if sample_data else None),
                        ("MMS_CODE_VERSION", code_version)):  # fmt: skip
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def build_labelled_study(
    root: Path, *, sample_data: bool = False, suggest: bool = False, changed_only: bool = False
) -> Path:
    """The warehouse file of a labelled generated study (one build stamp on every mart); the
    warehouse before labelling is kept beside it as ``unlabelled.duckdb``, and with ``suggest`` the
    labelled one before the suggester ran as ``unsuggested.duckdb``.

    With ``changed_only``, the builds after the first build only what reads the newly landed
    labels, then suggestions, as the product's jobs do (half the CPU of the whole study): the marts
    then carry several build stamps, and the data tests are left to the shared studies."""
    root.mkdir(parents=True, exist_ok=True)
    env = study_env(root, sample_data=sample_data)
    warehouse = Path(env["MMS_DUCKDB_PATH"])
    generate(root / "landing", SCALE, seed=SEED)
    dbt(env, "build", *WITHOUT_TESTS)
    shutil.copy(warehouse, root / "unlabelled.duckdb")
    label_samples(warehouse, root / "landing", root)
    untested = WITHOUT_TESTS if suggest or changed_only else ()
    dbt(env, "build", *untested, *(("--select", "source:annotations+") if changed_only else ()))
    if suggest:
        shutil.copy(warehouse, root / "unsuggested.duckdb")
        suggest_labels(warehouse, root / "landing")
        if changed_only:
            dbt(env, "build", *WITHOUT_TESTS, "--select", "source:suggestions+")
        else:
            dbt(env, "build")
    return warehouse


def shared_report_study(tmp_path_factory) -> Path:
    """The warehouse of ``build_labelled_study(suggest=True)``, built once per session for every
    worker (tests.session_builds): read-only; ``unlabelled.duckdb``, ``unsuggested.duckdb`` and the
    landing folder beside it."""
    inputs = {"scale": repr(SCALE), "seed": SEED, "suggest": True}
    root, _ = build_once(tmp_path_factory, "report-study", inputs,
                         lambda root: str(build_labelled_study(root, suggest=True)))  # fmt: skip
    return root / "warehouse.duckdb"


def as_sample_data(warehouse: Path, root: Path) -> Path:
    """A copy of a study's warehouse and landing folder in ``root``, the models that read the
    sample flag (MMS_SAMPLE_DATA: ``build_info`` and what reads it) rebuilt by `dbt build` with
    it set: the same data, marked as the bundled sample's. The other marts do not read the flag,
    so rebuilding them (4 of 5 of the project's nodes) would write the same rows again."""
    copy_study(warehouse.parent, root, "landing", warehouse.name)
    env = study_env(root, sample_data=True)
    dbt(env, "build", "--select", "build_info+")
    return Path(env["MMS_DUCKDB_PATH"])
