import pytest


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch):
    """Point the warehouse, landing zone and mirrors at a throwaway directory."""
    paths = {
        "MMS_DUCKDB_PATH": tmp_path / "warehouse.duckdb",
        "MMS_LANDING_DIR": tmp_path / "landing",
        "MMS_MIRROR_DIR": tmp_path / "mirrors",
        "MMS_REPORTS_DIR": tmp_path / "reports",
    }
    for name, value in paths.items():
        monkeypatch.setenv(name, str(value))
    return paths


@pytest.fixture(autouse=True)
def _a_live_dagster_instance_for_definition_loads():
    """Entering a DagsterInstance makes it the current defs-state storage of the process until it
    is left; a test elsewhere in the same worker that enters one and never leaves it (its
    instance then garbage collected) makes every later Definitions load fail with "Attempted to
    resolve undefined DagsterInstance weakref". Each test here runs inside a live ephemeral
    instance instead, and leaving it restores what was current before."""
    import dagster as dg

    with dg.DagsterInstance.ephemeral():
        yield
