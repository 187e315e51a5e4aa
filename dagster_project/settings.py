"""Where data lives. One environment variable per setting, shared by Dagster, dbt and extract/.

Relative defaults are resolved against the project root and written back to the environment, so the
dbt subprocesses Dagster starts read the very same paths (profiles.yml reads MMS_DUCKDB_PATH, the dbt
sources read MMS_LANDING_DIR).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"

_DEFAULTS = {
    "MMS_DUCKDB_PATH": "data/warehouse.duckdb",
    "MMS_LANDING_DIR": "data/landing",
    "MMS_MIRROR_DIR": "data/mirrors",
    "MMS_REPORTS_DIR": "reports",
}


def _resolve(name: str) -> Path:
    value = os.environ.get(name) or _DEFAULTS[name]
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    os.environ[name] = str(path)
    return path


def duckdb_path() -> Path:
    return _resolve("MMS_DUCKDB_PATH")


def landing_dir() -> Path:
    return _resolve("MMS_LANDING_DIR")


def mirror_dir() -> Path:
    return _resolve("MMS_MIRROR_DIR")


def reports_dir() -> Path:
    return _resolve("MMS_REPORTS_DIR")


def resolve_all() -> None:
    for name in _DEFAULTS:
        _resolve(name)
