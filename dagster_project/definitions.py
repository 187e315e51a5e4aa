"""The one entry point: every definition under dagster_project/defs/, found by Dagster's loader.

Each domain keeps its assets, resources, jobs, schedules and sensors in its own folder; nothing is
listed by hand here, and nothing runs at import (settings are read and the dbt project is parsed
when the definitions load).
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parents[1])
