"""Dagster's local event log, without a new database engine for every event.

The embedded default keeps a Dagster instance's event log in SQLite files under
``$DAGSTER_HOME/history/runs`` (``SqliteEventLogStorage``: one file per run, plus an index file that
mirrors asset and run-status events). That storage creates a SQLAlchemy engine, opens a connection
and runs SQLAlchemy's first-connect set-up for every read and every write: about 1.3 ms of CPU
before the statement itself, several times per event (an asset event is written to the run's file
and mirrored into the index). The sample's first run stores ~1,500 events, and that overhead was
15% of its CPU (docs/operating.md, "The instance's event log").

:class:`PooledSqliteEventLogStorage` is the same storage (the same files, tables and migrations,
so an instance's history reads the same either way) that keeps one engine per file, with one open
connection, for the life of the process. An open connection holds no lock between transactions,
so other processes (the daemon, the webserver, other runs) read and write the files as before.
What it adds, and why:

- only the most recently used files keep an engine (``MAX_OPEN_FILES``): a daemon that lives
  through thousands of runs would otherwise hold a file open for each;
- a forked process starts with no engine (a SQLite connection must not cross a fork: SQLAlchemy's
  ``dispose(close=False)``, which leaves the parent's connections to the parent);
- ``wipe``, which deletes the run files, first closes what points at them;
- a table found in the index is not looked for again (Dagster looks before every asset check's
  write).

Its files are where Dagster puts its own, ``history/runs/`` in the instance's folder, found when
the instance registers itself: the instance's ``dagster.yaml`` names the class and no path, so a copy
of the file in another folder (the tests', a second machine's) keeps its own history.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._core.instance.ref import _event_logs_directory
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

#: engines (each with at most one idle connection) kept at once: the index file and the runs
#: being written now; an older run's file is opened again when it is read
MAX_OPEN_FILES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine per file, kept; see the module's docstring.

    Configured in ``dagster.yaml`` with no settings (its folder is the instance's
    ``history/runs/``, Dagster's own), or with ``base_dir`` like Dagster's.
    """

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._tables_seen: set[str] = set()
        self._deferred_inst_data = inst_data
        if base_dir is not None:
            super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def register_instance(self, instance: dg.DagsterInstance) -> None:
        # Dagster registers the storage as the instance's first act, before any read or write.
        if not hasattr(self, "_base_dir"):
            base_dir = _event_logs_directory(instance.root_directory)
            super().__init__(base_dir, self._deferred_inst_data)
        super().register_instance(instance)

    def _forget_inherited_engines(self) -> None:
        """In a forked process, the parent's connections stay the parent's: not used, not closed."""
        if self._engines_pid != os.getpid():
            for inherited in self._engines.values():
                inherited.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()

    def _engine(self, shard: str) -> Engine:
        self._forget_inherited_engines()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            pool_size=1,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        self._engines[shard] = engine
        while len(self._engines) > MAX_OPEN_FILES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before every asset check's and asset tag's write, each time through an
        # engine of its own; a table, once there, stays (migrations add tables, none drops one).
        if table_name in self._tables_seen:
            return True
        if super().has_table(table_name):
            self._tables_seen.add(table_name)
            return True
        return False

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_files(self) -> None:
        if not hasattr(self, "_db_lock"):  # never registered with an instance: nothing opened
            return
        with self._db_lock:
            self._forget_inherited_engines()
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_files()
        super().wipe()

    def dispose(self) -> None:
        self._close_files()
        if hasattr(self, "_base_dir"):
            super().dispose()
