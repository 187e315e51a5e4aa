"""The dbt-duckdb plugin of dbt/profiles.yml, on a real DuckDB connection as dbt-duckdb hands it."""

from __future__ import annotations

from statistics import NormalDist

import duckdb
import pytest
from dbt.adapters.duckdb.credentials import DuckDBCredentials

from warehouse.dbt_plugin import Plugin


@pytest.fixture
def connection(tmp_path):
    path = tmp_path / "builds" / "dev" / "warehouse.duckdb"
    plugin = Plugin.create("warehouse.dbt_plugin", credentials=DuckDBCredentials(path=str(path)))
    assert isinstance(plugin, Plugin)
    # initialize created the build file's folder, which DuckDB would not.
    with duckdb.connect(str(path)) as con:
        plugin.configure_connection(con)
        yield con


def test_normal_quantile_is_pythons_probit_on_every_cursor(connection):
    """z_for_confidence's probit: the same double as statistics.NormalDist, including on the cursors
    dbt-duckdb runs each model's SQL on."""
    for p in (1e-9, 0.025, 0.5, 0.95, 0.975, 0.995):
        expected = NormalDist().inv_cdf(p)
        assert connection.execute("select normal_quantile(?)", [p]).fetchone()[0] == expected
        assert connection.cursor().execute("select normal_quantile(?)", [p]).fetchone()[0] == (
            expected
        )
    assert connection.execute("select normal_quantile((1 + 0.95) / 2)").fetchone()[0] == (
        pytest.approx(1.959963984540054, rel=1e-15)
    )
    assert connection.execute("select normal_quantile(null)").fetchone()[0] is None


def test_normal_quantile_outside_0_and_1_fails_the_query_saying_why(connection):
    with pytest.raises(duckdb.Error, match="p must be in the range 0.0 < p < 1.0"):
        connection.execute("select normal_quantile(1.0)").fetchone()
