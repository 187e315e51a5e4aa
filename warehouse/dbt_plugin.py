"""A dbt-duckdb plugin (dbt/profiles.yml): create the build file's folder before DuckDB opens it,
and give every connection the functions the models need that DuckDB lacks."""

from pathlib import Path
from statistics import NormalDist

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import DOUBLE


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        path = getattr(self.creds, "path", None)
        if path and path != ":memory:" and "://" not in str(path):
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # The probit of z_for_confidence (dbt/macros/study_statistics.sql): DuckDB has none.
        conn.create_function("normal_quantile", NormalDist().inv_cdf, [DOUBLE], DOUBLE)
