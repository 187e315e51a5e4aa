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
