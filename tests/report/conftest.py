import pytest

from tests.report.labelled_study import shared_report_study


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory):
    """A labelled generated study's warehouse with the suggester's estimates (not sample data, no
    recorded code version). Built once per session and shared by the workers: read-only, copy it
    (and its landing folder beside it) to write."""
    return shared_report_study(tmp_path_factory)
