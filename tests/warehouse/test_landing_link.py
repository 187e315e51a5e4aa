"""The link through which dbt reads the landing zone (WarehouseFiles.landing_link): each build's
folder gets one to the landing directory the build was given, and it goes with the folder,
without anything that removes the folder ever following it into the landing zone."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

import landing
from warehouse import WarehouseFiles
from warehouse.dbt_child import WORKDIR
from warehouse.publish import BuildFailed, build_session


def _landing(root: Path) -> Path:
    landing.ensure_landing(root)
    return root


def _session(files: WarehouseFiles, landing_root: Path):
    return build_session(files, holder="a test", landing_root=landing_root, log=lambda _: None)


def test_each_build_reads_its_landing_zone_through_the_same_relative_path(tmp_path):
    files = WarehouseFiles(tmp_path / "data" / "warehouse.duckdb")
    first, second = _landing(tmp_path / "first"), _landing(tmp_path / "second")
    given = []
    for zone in (first, second):
        with _session(files, zone) as session:
            given.append(session.env["MMS_LANDING_DIR"])
            # relative to the folder dbt runs in
            assert Path(session.env[WORKDIR], given[-1]).resolve() == zone.resolve()
        # the link went with the build's folder; the landing zone stayed
        assert not files.landing_link.is_symlink() and not files.build_path.parent.exists()
        assert (zone / "git" / "commits" / "_schema.parquet").exists()
    assert given == [str(files.dbt_landing_dir)] * 2


def test_cleaning_up_after_a_dead_build_never_follows_its_link_into_the_landing_zone(tmp_path):
    files = WarehouseFiles(tmp_path / "data" / "warehouse.duckdb")
    zone = _landing(tmp_path / "landing")
    kept = sorted(p.relative_to(zone) for p in zone.rglob("*"))
    assert kept
    # what a build killed with kill -9 leaves: its folder, with its file and its link
    files.build_path.parent.mkdir(parents=True)
    files.build_path.write_bytes(b"half a build")
    files.landing_link.symlink_to(zone.resolve(), target_is_directory=True)
    with _session(files, zone) as session:
        assert session.build_path == files.build_path and not files.build_path.exists()
        assert files.landing_link.resolve() == zone.resolve()
    assert sorted(p.relative_to(zone) for p in zone.rglob("*")) == kept


def test_a_file_system_that_refuses_links_fails_the_build_before_dbt_naming_both(
    tmp_path, monkeypatch
):
    files = WarehouseFiles(tmp_path / "data" / "warehouse.duckdb")
    zone = _landing(tmp_path / "landing")

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(self))

    monkeypatch.setattr(Path, "symlink_to", refuse)
    with pytest.raises(BuildFailed) as failed, _session(files, zone):
        pytest.fail("the build must not start")
    message = str(failed.value)
    assert message == (
        f"cannot link {files.landing_link} to the landing directory {zone}: "
        f"{os.strerror(errno.EPERM)}"
    )
    record = json.loads(files.log.read_text(encoding="utf-8").splitlines()[-1])
    assert record["status"] == "failed" and record["reason"] == message
    assert not files.published.exists() and not files.build_path.parent.exists()
    assert (zone / "git" / "commits" / "_schema.parquet").exists()
