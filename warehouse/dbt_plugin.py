"""A dbt-duckdb plugin (dbt/profiles.yml): create the build file's folder before DuckDB opens it."""

from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        path = getattr(self.creds, "path", None)
        if path and path != ":memory:" and "://" not in str(path):
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
