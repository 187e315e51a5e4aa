"""A model that lets a test hold a build while dbt is writing the build file: with
$MMS_TEST_BUILD_GATE set, it marks `<gate>.waiting` and waits for the file `<gate>` to appear (the
test kills the build there, or lets it go on once its readers have done their work)."""

import os
import time
from pathlib import Path


def model(dbt, session):
    dbt.config(materialized="table")
    gate = os.environ.get("MMS_TEST_BUILD_GATE")
    if gate:
        Path(f"{gate}.waiting").touch()
        while not Path(gate).exists():
            time.sleep(0.05)
    return session.sql("select 1 as held")
