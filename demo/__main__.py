"""``python -m demo``: run the main job on the bundled sample, offline.

Builds the sample (generated git repositories, GitHub data served by the local stand-in), points the
pipeline at it, and materializes every asset through Dagster on the local instance (DAGSTER_HOME,
default ``dagster_home/``) and the embedded DuckDB file (MMS_DUCKDB_PATH, default
``data/warehouse.duckdb``). Afterwards ``make dev`` shows the runs in the Dagster UI.
"""

import sys

from demo.pipeline import run_sample

sys.exit(run_sample())
