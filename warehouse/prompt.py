"""The analysts' SQL prompt on the published warehouse: DuckDB's own CLI, held to three rules.

The prompt is the CLI of the ``duckdb-cli`` package (DuckDB Foundation; the same version as the
``duckdb`` library, see tests/warehouse/test_prompt.py): line editing, history, completion, the box
renderer with types and row counts, ``.schema``, ``.mode``, ``.maxrows``, ``.timer``... It is
started so that it

- **changes no file**: ``-readonly`` (no statement writes the warehouse), and DuckDB's safe mode,
  which sets ``enable_external_access = false`` and ``lock_configuration = true``: ``ATTACH`` of a
  file (the published snapshot under another name included), ``COPY ... TO``, ``EXPORT DATABASE``
  and ``INSTALL`` fail, ``.open``, ``.output``, ``.once``, ``.log``, ``.import``, ``.sh`` and
  ``.system`` are refused, and no ``SET``/``RESET`` can undo any of it. Spilled intermediate
  results go to a private temporary directory, removed when the prompt ends, instead of DuckDB's
  default ``<warehouse>.tmp``;
- **reads only the warehouse**: ``read_csv``, ``read_text``, ``read_parquet``, ``getenv``,
  ``.read`` fail; ``-no-init`` skips ``~/.duckdbrc``;
- **exits non-zero on an error**: ``-c`` stops at its first failed statement and exits 1; piped
  or typed statements go on after one (as in any DuckDB session) and the prompt exits 1.

If safe mode is not in force once the start-up commands have run (a CLI that renamed it, say), the
prompt stops before reading anything (``-bail`` during start-up, and a check of the settings).
The CLI keeps the warehouse it opened until it ends: start it again to see a newer build.

Why this CLI rather than our own prompt or Harlequin: DuckDB's CLI is what a DuckDB user expects
and it is maintained with the engine; its safe mode is DuckDB's own lock-down for exactly this use,
so the rules are enforced by the engine and the CLI, not by a list of statements we filter. Our own
prompt would have re-implemented line editing, history, ``.schema`` and ``.mode`` by hand.
Harlequin (a Textual IDE) saves and opens query files and exports results from its own Python
process, where DuckDB's settings do not reach, so it cannot be held to "changes no file, reads only
the warehouse". Checked and left as it is: ``.pager COMMAND`` runs the named program to page
results even in safe mode (DuckDB 1.5.6); that is the user running a program of their choice, as
in their shell, not a way for a statement to reach a file.
"""

from __future__ import annotations

import importlib.resources
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

_LOCKED = (
    "SET VARIABLE mms_prompt_locked = (select case when current_setting('enable_external_access')"
    " or not current_setting('lock_configuration') then error('the SQL prompt could not put"
    " DuckDB in safe mode; nothing was run') else true end)"
)


def cli_binary() -> Path:
    """The DuckDB CLI shipped by the ``duckdb-cli`` package."""
    return Path(str(importlib.resources.files("duckdb_cli").joinpath("duckdb")))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def prompt_args(path: Path, spill_dir: Path, command: str | None = None) -> list[str]:
    """The CLI's command line: read-only, no ~/.duckdbrc, then (stopping at the first error)
    the spill directory, safe mode, and the check that it holds. ``command`` (``-c``) keeps
    stopping at its first error, with exit status 1; a session goes on after one, and ends 1."""
    args = [str(cli_binary()), "-readonly", "-no-init", "-cmd", ".bail on"]
    args += ["-cmd", f"SET temp_directory = {_literal(str(spill_dir))}"]
    args += ["-cmd", ".safe_mode", "-cmd", _LOCKED]
    if command is not None:
        return [*args, str(path), "-c", command]
    return [*args, "-cmd", ".bail off", str(path)]


def run_prompt(path: Path, *, command: str | None = None) -> int:
    """Run the prompt (one ``command``, else statements from stdin, interactive on a terminal);
    returns its exit status."""
    if not Path(path).exists():
        print(
            f"error: no warehouse at {path}: run `make run` or `mms-warehouse build` first",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory(prefix="mms-sql-spill-") as spill_dir:
        try:
            cli = subprocess.Popen(prompt_args(Path(path), Path(spill_dir), command))
        except OSError as exc:
            print(f"error: cannot start the DuckDB CLI {cli_binary()}: {exc}", file=sys.stderr)
            return 1
        # Ctrl-C belongs to the CLI (it cancels the running query), not to this waiting parent.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return cli.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
