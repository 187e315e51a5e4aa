import pytest

from tests.report.labelled_study import build_labelled_study


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory):
    """A labelled generated study's warehouse with the suggester's estimates (not sample data, no
    recorded code version)."""
    return build_labelled_study(tmp_path_factory.mktemp("report-study"), suggest=True)
