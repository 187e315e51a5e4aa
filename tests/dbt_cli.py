"""The real dbt command line for the tests, run in the test's own process (dbt's documented
programmatic entry point, ``dbtRunner``) instead of a new ``dbt`` process per call: a process start
imports dbt and its adapter again (4-5 s on this machine, more when it is busy), several times per
test. The arguments, the project, profiles and the warehouse file are the same as on the command
line; only the environment dbt reads is the one the test passes, for the length of the call.

Parsing the project is the other fixed cost (7 s of CPU, 280 nodes), and a new warehouse paid it in
full: dbt's partial parsing refuses a saved parse whenever the profile changed, and the profile
holds the warehouse file's path. So dbt is given the file through a symbolic link of this process,
the same path for every warehouse of the same name, and a new target folder starts from the last
saved parse. The landing folder goes through a link too: the staging models and the sources read
$MMS_LANDING_DIR when they are parsed, and another study's folder made dbt re-parse them and what
they feed (4.9 against 2.5 CPU s for a parse with nothing else changed). dbt re-parses what does
differ (a changed --vars, an edited model), by its own checks.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt"
#: what dbt prints on its console; debug lines only go to the log file under the target folder
_SHOWN = {"info", "warn", "error"}
#: dbt's saved parse (per target folder)
_PARSE = "partial_parse.msgpack"
#: `dbt build` arguments for a build another build follows: seeds and models, not the data tests
#: (half a build's time), which the last build of the same warehouse runs
WITHOUT_TESTS = ("--exclude-resource-type", "test")
#: dbt's unit tests check the models' SQL on fixed inputs, not a study's data: a build leaves them
#: out (~2.5 CPU s of each full build) unless asked; the dbt study's build runs every one of them
#: (tests/dbt/conftest.py, and a test that counts them)
_NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
_last_target: Path | None = None
_link_root: Path | None = None


@dataclass(frozen=True)
class DbtRun:
    """One finished dbt command: ``stdout`` holds what the command line would have printed."""

    args: tuple[str, ...]
    stdout: str
    #: unit tests that ran and passed (a build with ``unit_tests=True``)
    unit_tests_passed: int = 0


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """dbt's ``env_var()`` reads ``os.environ``: the test's environment stands in for it, whole,
    for the call. One test runs at a time in a pytest process, so nothing else reads it meanwhile."""
    saved = dict(os.environ)
    os.environ.clear()
    # No usage report: the machine may have no network, and a test has nothing to report.
    os.environ.update({**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _release_the_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB connection open for the process (the adapter's documented
    default, keep_open); a second connection with another configuration (the tests read the file
    read-only) is refused while it lives, so it is closed once dbt is done."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with contextlib.suppress(Exception):  # none was opened (dbt failed before connecting)
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


def _link(name: str, folder: Path) -> Path:
    """This process's link ``name``, pointing at ``folder`` for the length of one dbt call. Every
    model is a table, so no view in a warehouse reads through it after the call."""
    global _link_root
    if _link_root is None:
        _link_root = Path(tempfile.mkdtemp(prefix="mms-dbt-"))
        atexit.register(shutil.rmtree, _link_root, True)
    link = _link_root / name
    link.unlink(missing_ok=True)
    link.symlink_to(folder.resolve(), target_is_directory=True)
    return link


def _start_from_last_parse(target: Path) -> None:
    global _last_target
    seed = None if _last_target is None else _last_target / _PARSE
    if seed is not None and seed.exists() and not (target / _PARSE).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(seed, target / _PARSE)
    _last_target = target


def dbt(
    env: Mapping[str, str],
    *args: str,
    target: Path,
    project_dir: Path = DBT_DIR,
    unit_tests: bool = False,
) -> DbtRun:
    """``dbt <args>`` on ``project_dir`` with ``env`` as its environment; its target and log files
    in ``target`` (one folder per warehouse, so its partial parse is reused by the next call on the
    same warehouse). A ``build`` runs dbt's unit tests only with ``unit_tests``. Fails the test
    with dbt's output when the command does not succeed."""
    from dbt.cli.main import dbtRunner

    if args[:1] == ("build",) and not unit_tests:
        args = (*args, *_NO_UNIT_TESTS)

    lines: list[str] = []

    def keep(event) -> None:
        if event.info.level in _SHOWN and event.info.msg:
            lines.append(event.info.msg)

    # No test reads these calls' manifest.json or run_results.json (dbtRunner returns the results)
    # or their debug log (what failed is in the output kept below), and writing them cost half of a
    # small call's CPU and a sixth of a study's build (docs/testing.md): dbt writes the 1.8 MB
    # manifest twice per call and a debug line per event. Its saved parse, which the next call starts from, is kept.
    argv = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--target-path", str(target), "--log-path", str(target), "--quiet",
            "--no-write-json", "--log-level-file", "warn"]  # fmt: skip
    build_path = Path(env["MMS_DBT_BUILD_PATH"])
    build_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **env,
        "MMS_DBT_BUILD_PATH": str(_link("warehouse", build_path.parent) / build_path.name),
    }
    if env.get("MMS_LANDING_DIR"):
        env["MMS_LANDING_DIR"] = str(_link("landing", Path(env["MMS_LANDING_DIR"])))
    _start_from_last_parse(Path(target))
    try:
        with _environment(env):
            result = dbtRunner(callbacks=[keep]).invoke(argv)
    finally:
        _release_the_warehouse()
    output = "\n".join(lines)
    assert result.success, f"dbt {' '.join(args)} failed: {result.exception}\n{output[-6000:]}"
    passed = [
        r for r in getattr(result.result, "results", ())
        if getattr(r.node, "resource_type", None) == "unit_test" and r.status == "pass"
    ]  # fmt: skip
    return DbtRun(tuple(args), output, len(passed))
