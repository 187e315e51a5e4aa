"""Bad inputs of analysis.warehouse and the suggester settings: one clear line naming the input."""

from __future__ import annotations

import duckdb
import pytest

from analysis.suggester import SuggesterSettings
from analysis.warehouse import WarehouseNotReady, run


def test_a_missing_warehouse_is_named(tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    with pytest.raises(WarehouseNotReady, match=f"warehouse {missing} does not exist"):
        run(missing, tmp_path / "landing")
    assert not (tmp_path / "landing").exists()  # nothing landed


def test_a_warehouse_without_the_marts_asks_for_dbt_build(tmp_path):
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseNotReady, match="run `dbt build`"):
        run(path, tmp_path / "landing")
    assert not (tmp_path / "landing").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"folds": 1}, "folds=1: cross-fitting needs at least 2 folds"),
        ({"threshold": 0}, "threshold=0"),
        ({"regularisation_c": -1}, "regularisation_c=-1 must be positive"),
    ],
)
def test_settings_refuse_values_that_cannot_work(options, message):
    with pytest.raises(ValueError, match=message):
        SuggesterSettings(**options)
