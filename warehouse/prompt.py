"""A read-only SQL prompt on the published warehouse, from the project's environment alone.

Statements end with ``;``. ``.tables`` lists the tables, ``.reload`` reconnects (to the newest
published build), ``.quit`` leaves. The connection is read-only and opens the published snapshot, which
no build ever writes, so a build running meanwhile never locks the prompt out and the prompt never
blocks a build; the prompt keeps the snapshot it opened until ``.reload``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

HELP = "SQL ending with ';'  |  .tables  .reload  .help  .quit"


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _run(con: duckdb.DuckDBPyConnection, sql: str, out) -> None:
    try:
        relation = con.sql(sql)
    except duckdb.Error as exc:
        print(f"error: {exc}", file=out)
        return
    if relation is not None:
        print(relation.fetchdf().to_string(index=False, max_rows=200), file=out)


def run_prompt(path: Path, *, command: str | None = None, stdin=None, out=None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    if not Path(path).exists():
        print(
            f"error: no warehouse at {path}: run `make run` or `mms-warehouse build` first",
            file=out,
        )
        return 1
    con = _connect(path)
    try:
        if command is not None:
            _run(con, command, out)
            return 0
        interactive = stdin.isatty()
        if interactive:
            print(f"{path} (read-only)  {HELP}", file=out)
        buffer: list[str] = []
        while True:
            if interactive:
                print("sql> " if not buffer else "...> ", end="", file=out, flush=True)
            line = stdin.readline()
            if not line:
                break
            stripped = line.strip()
            if not buffer and stripped.startswith("."):
                if stripped in (".quit", ".exit"):
                    break
                if stripped == ".reload":
                    con.close()
                    con = _connect(path)
                    print("reconnected", file=out)
                elif stripped == ".tables":
                    _run(con, "select table_name from information_schema.tables order by 1", out)
                else:
                    print(HELP, file=out)
                continue
            buffer.append(line)
            if stripped.endswith(";"):
                _run(con, "".join(buffer), out)
                buffer = []
        if "".join(buffer).strip():
            _run(con, "".join(buffer), out)
    finally:
        con.close()
    return 0
