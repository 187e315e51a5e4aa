import pytest

from tests.report.labelled_study import SCALE, SEED, build_labelled_study
from tests.session_builds import build_once


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory):
    """A labelled generated study's warehouse with the suggester's estimates (not sample data, no
    recorded code version). Built once per session and shared by the workers: read-only, copy it
    (and its landing folder beside it) to write."""
    inputs = {"scale": repr(SCALE), "seed": SEED, "suggest": True}
    root, _ = build_once(tmp_path_factory, "report-study", inputs,
                         lambda root: str(build_labelled_study(root, suggest=True)))  # fmt: skip
    return root / "warehouse.duckdb"
