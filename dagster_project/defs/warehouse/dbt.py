"""The dbt project as Dagster assets: every model and seed, dbt tests as asset checks, and each build
published to analysts only when it passes (warehouse.publish).

Nothing here runs at import: the project is parsed and the assets are built by cached factories that
the definitions function calls, so importing a module never starts dbt.
"""

import contextlib
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
import re
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt import get_asset_key_for_model as _key_for_model
from packaging.version import Version
from pydantic import Field

from base import settings
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.warehouse.resources import PublishedWarehouseResource
from landing import LandingError
from warehouse import WarehouseFiles
from warehouse.dbt_child import PARENT_PID, dbt_path, die_with_parent
from warehouse.files import DEFINITIONS_TARGET
from warehouse.publish import BuildFailed, build_session
from warehouse.published import open_published

# Dagster keeps its own manifest, so `dbt` runs by hand in dbt/ (with other settings) never replace it.
DAGSTER_TARGET_PATH = DEFINITIONS_TARGET
#: the warehouse builds daily once the repositories' refresh (03:00 UTC) is no longer running
DAILY_BUILD_CRON = "0 4 * * *"


def dbt_executable() -> str:
    """``mms-dbt`` (dbt that dies with the step that started it, warehouse.dbt_child) from the
    interpreter's own environment: `.venv/bin/dagster dev` started without an activated venv has
    no dbt on PATH."""
    beside = Path(sys.executable).parent / "mms-dbt"
    return str(beside) if beside.exists() else dbt_path()


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """dagster-dbt hands dbt a copy of os.environ; this is how a build's paths reach it.

    Steps run in the run's own process (defs/execution.py) beside Dagster's threads, so only the
    keys set here are put back: the environment is never emptied, even for an instant, and a
    variable another thread sets meanwhile is kept."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _parse_environment() -> dict[str, str]:
    env = settings.subprocess_env()
    # The path builds give dbt (the manifest bakes in its stem as the catalog; relative to the
    # folder builds run dbt in, so the same for every warehouse of this name): a warehouse's first
    # build starts from this parse (warehouse/publish.py) and re-parses only what changed, instead
    # of the whole project for a profile that differs. A parse opens no database.
    files = WarehouseFiles.from_settings()
    env.setdefault("MMS_DBT_BUILD_PATH", str(files.dbt_build_path))
    # the landing directory as builds give it (through a link beside the build file), whatever
    # this machine's is: the parse holds no path of it, and builds of any landing zone reuse it
    env["MMS_LANDING_DIR"] = str(files.dbt_landing_dir)
    return env


def _manifest_is_current(project: DbtProject) -> bool:
    """The manifest bakes in the warehouse's catalog (the DuckDB file's stem) and the landing
    directory as builds give it to dbt, and must describe the project as it is now."""
    if not project.manifest_path.exists():
        return False
    parsed_at = project.manifest_path.stat().st_mtime
    # the profile too: the parse a warehouse's first build starts from must have been made with
    # the profile builds use (a saved parse under another one is parsed again in full)
    sources = [project.project_dir / "dbt_project.yml", project.project_dir / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += (project.project_dir / folder).rglob("*")
    if any(path.is_file() and path.stat().st_mtime > parsed_at for path in sources):
        return False
    try:
        manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    # a parse made before builds read the landing zone through their link names its path instead
    landing = f"'{WarehouseFiles.from_settings().dbt_landing_dir}/"
    return all(
        source.get("database") == settings.duckdb_path().stem
        and landing in (source.get("meta", {}).get("external_location") or landing)
        for source in manifest.get("sources", {}).values()
    )


def _project_file_error(path: Path, error: yaml.YAMLError) -> ValueError:
    """dagster-dbt reads dbt_project.yml before dbt does and lets PyYAML's error through, which
    names no file ("in '<unicode string>'"): say which file and where."""
    mark = getattr(error, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    return ValueError(f"{path} is not valid YAML{where}: {problem}")


@cache
def dbt_project() -> DbtProject:
    project_dir = settings.dbt_project_dir()
    try:
        project = DbtProject(
            project_dir=project_dir, profiles_dir=project_dir, target_path=DAGSTER_TARGET_PATH
        )
    except yaml.YAMLError as error:
        raise _project_file_error(Path(project_dir) / "dbt_project.yml", error) from None
    if not _manifest_is_current(project):
        # StudyDbtCliResource: dagster-dbt's own would first start `dbt --version` and load an
        # adapter (~2.5 s of a first definitions load), as before every build
        with environment(_parse_environment()):
            StudyDbtCliResource(
                project_dir=os.fspath(project.project_dir),
                profiles_dir=os.fspath(project.profiles_dir or project.project_dir),
                dbt_executable=dbt_executable(),
            ).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


_VAR = re.compile(r"""\bvar\(\s*['"](\w+)['"]""")
#: a quoted name: a var read through a macro argument (``z_for_confidence('sample_confidence')``)
#: or a list of names (``study_parameter_names()``, which build_stamp() writes into every mart)
_QUOTED = re.compile(r"""['"](\w+)['"]""")


class StudyDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders (staging_git, intermediate, marts_selection, ...); the
    warehouse builds when its inputs are fresh, not at a guessed time; a model's code version
    is what decides its SQL."""

    def __init__(self, manifest: Mapping[str, Any] | None = None, project_vars=None):
        super().__init__()
        self._macros = (manifest or {}).get("macros", {})
        self._vars = project_vars or {}

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """dagster-dbt's version (a hash of the node's SQL, or a seed's file) plus what else
        decides what the node builds: its config (materialization, column types), the macros it
        calls (transitively) and the project vars that it or they read, by name or through a
        quoted name (a mart's build stamp writes every study parameter into its rows). Editing one
        model, macro or var makes stale exactly the models built with it
        (docs/incremental-runs.md)."""
        base = super().get_code_version(dbt_resource_props)
        macros, seen = [], set()
        pending = list(dbt_resource_props.get("depends_on", {}).get("macros", []))
        while pending:
            unique_id = pending.pop()
            if unique_id in seen or unique_id not in self._macros:
                continue  # dbt's own macros change with dbt, which is pinned in uv.lock
            seen.add(unique_id)
            macro = self._macros[unique_id]
            macros.append(macro.get("macro_sql", ""))
            pending += macro.get("depends_on", {}).get("macros", [])
        code = [dbt_resource_props.get("raw_code") or "", *sorted(macros)]
        used = sorted(
            {name for text in code for name in _VAR.findall(text)}
            | {name for text in code for name in _QUOTED.findall(text) if name in self._vars}
        )
        decided = {
            "code": base,
            "config": dbt_resource_props.get("config", {}),
            "macros": sorted(macros),
            "vars": {name: self._vars.get(name) for name in used},
        }
        encoded = json.dumps(decided, sort_keys=True, default=str).encode()
        return hashlib.sha1(encoded).hexdigest()

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "study_reference"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return "_".join(folders) if folders else "warehouse"

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]):
        return warehouse_automation_condition()


def warehouse_automation_condition() -> dg.AutomationCondition:
    """After the daily tick, once something it reads is new and nothing it reads is still being
    refreshed: the repositories' runs finish first, and a repository that failed its refresh does
    not hold the others' new data back. Downstream models join the same run."""
    tick = dg.AutomationCondition.cron_tick_passed(DAILY_BUILD_CRON, "UTC")
    has_new_input = dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.newly_updated().since(tick)
        | dg.AutomationCondition.will_be_requested()
    )
    return (
        dg.AutomationCondition.in_latest_time_window()
        & tick.since(
            dg.AutomationCondition.newly_requested() | dg.AutomationCondition.newly_updated()
        )
        & has_new_input
        & ~dg.AutomationCondition.any_deps_in_progress()
    ).with_label(f"inputs refreshed since {DAILY_BUILD_CRON} UTC")


class WarehouseBuildConfig(dg.Config):
    wait_for_writer_seconds: float = Field(
        default=1800.0,
        description="How long to wait when another build holds the warehouse's writer lock "
        "(a dead build's lock is freed by the kernel at once).",
    )
    allow_shrink: bool = Field(
        default=False,
        description="Publish even if the build loses repositories, or more than 5% of a "
        "repository's commits or closed items, against the published build without a recorded "
        "reason (a force-push, a repository leaving the selection): docs/analysts.md, the shrink guard.",
    )


#: columns that say which build wrote a row, not what it says (every model stamps its build)
BUILD_STAMP_COLUMNS = frozenset({"build_id", "built_at"})


def _table_facts(path: Path, output_names: set[str]) -> dict[str, tuple[int, str]]:
    """Rows and a content version of each built table, by output name (dagster-dbt names a
    model's output after the model, i.e. the table). The version hashes every row without its
    build stamp, order-free: a model rebuilt to the same rows keeps its data version, so what
    reads it is not stale (docs/incremental-runs.md)."""
    facts: dict[str, tuple[int, str]] = {}
    if not path.exists():
        return facts
    with open_published(path) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() order by table_name, column_index"
        ).fetchall():
            columns.setdefault(table, []).append(column)
        for name in output_names:
            matches = [t for t in columns if name == t or name.endswith(f"_{t}")]
            if not matches:
                continue
            table = max(matches, key=len)
            kept = [c for c in columns[table] if c not in BUILD_STAMP_COLUMNS] or columns[table]
            row = ", ".join('"' + c.replace('"', '""') + '"' for c in kept)
            count, total = con.execute(
                f'select count(*), coalesce(sum(hash({row})::hugeint), 0) from "{table}"'
            ).fetchall()[0]
            facts[name] = (count, f"{count}:{total}")
    return facts


#: how dbt's error lines name a node that failed: "Failure in test not_null_x (models/x.yml)",
#: "Runtime Error in model int_y (models/int_y.sql)"
_FAILED_NODE = re.compile(r"(?:Failure|Error) in (?:model|test|seed|snapshot|unit_test) (\w+)")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _failures(invocation) -> str:
    """What failed, from dbt's error lines as dagster-dbt kept them (the build writes no
    run_results.json: warehouse/publish.py, BuildSession.dbt_args)."""
    error = invocation.get_error()
    text = _COLOUR.sub("", str(error)) if error is not None else ""
    failed = list(dict.fromkeys(_FAILED_NODE.findall(text)))
    if failed:
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        return f"{len(failed)} dbt node(s) failed: {shown}"
    _, _, errors = text.partition("Errors parsed from dbt logs:")
    first = next((line.strip() for line in errors.splitlines() if line.strip()), "")
    return f"dbt exited with an error: {first[:300]}" if first else "dbt exited with an error"


def die_with_run_worker(context: dg.AssetExecutionContext) -> None:
    """A step of the multiprocess executor is a child of the run's worker: the kernel kills it (and
    so its dbt, warehouse.dbt_child) when the worker dies, instead of letting it build and publish
    for a run already marked failed. A step in the run's own process (the default executor) is the
    worker itself, whose parent is the code server: tying it to that would kill builds when the
    code server restarts. Steps on Celery have no such parent and are left as they are."""
    parent = multiprocessing.parent_process()
    if parent is None or _in_run_worker(context):
        return
    if not die_with_parent(parent.pid):
        raise dg.Failure(description="the run's worker process is gone; the build did not start")


def _in_run_worker(context: dg.AssetExecutionContext) -> bool:
    """This step runs in the process that started the run (the pid of its RUN_START event)."""
    starts = context.instance.all_logs(context.run_id, of_type=dg.DagsterEventType.RUN_START)
    event = starts[-1].dagster_event if starts else None
    return event is not None and event.pid == os.getpid()


def build_and_publish(
    context, dbt: DbtCliResource, config, files: WarehouseFiles, landing_root: Path
):
    """One build session: dbt build on the private copy of ``files.published``, from the landing
    zone at ``landing_root``, published if it passes (and loses no data, or the config allows it).
    Returns the ended session and dbt's events."""
    holder = f"Dagster run {context.run_id[:8]} ({context.job_name})"
    with build_session(
        files,
        holder=holder,
        landing_root=landing_root,
        wait_seconds=config.wait_for_writer_seconds,
        on_wait=context.log.info,
        log=context.log.info,
        allow_shrink=config.allow_shrink,
    ) as session:
        # When Dagster builds a subset, run only the tests whose parents are all in it.
        args = session.dbt_args(["build", "--indirect-selection", "cautious"])
        env = {**session.env, PARENT_PID: str(os.getpid())}
        if Path(dbt.dbt_executable).name != "mms-dbt":
            # only mms-dbt moves to the folder the relative paths are relative to
            env["MMS_DBT_BUILD_PATH"] = str(session.build_path.absolute())
            env["MMS_LANDING_DIR"] = str(landing_root.absolute())
        with environment(env):
            invocation = dbt.cli(
                args, context=context, raise_on_error=False, target_path=files.dbt_target.absolute()
            )
            events = list(invocation.stream())
        passed = invocation.is_successful()
        session.finish(passed=passed, reason=None if passed else _failures(invocation))
    return session, events


def _published_outputs(
    context: dg.AssetExecutionContext, events, files: WarehouseFiles, session
) -> Iterator[dg.MaterializeResult]:
    """dbt's outputs of a published build as materializations, each with its table's rows and
    content version, and the build's id. (A MaterializeResult, not an Output: an Output's data
    version is beta in this Dagster and warned on every build, on make run's console too.)"""
    outputs = [e for e in events if isinstance(e, dg.Output)]
    facts = _table_facts(files.published, {o.output_name for o in outputs})
    common = {"build_id": session.build_id, "full_refresh": session.full_refresh}
    if session.quarantined:
        common["quarantined"] = ", ".join(f"{q.table}:{q.key}" for q in session.quarantined)
    for output in outputs:
        extra = dict(common)
        version = None
        if output.output_name in facts:
            extra["dagster/row_count"], content = facts[output.output_name]
            version = dg.DataVersion(content)
        yield dg.MaterializeResult(
            asset_key=context.asset_key_for_output(output.output_name),
            metadata={**output.metadata, **extra},
            data_version=version,
            tags=output.tags,
        )


@cache
def warehouse_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    project_file = project.project_dir / "dbt_project.yml"
    project_vars = yaml.safe_load(project_file.read_text(encoding="utf-8")).get("vars") or {}

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=StudyDbtTranslator(manifest, project_vars),
        project=project,
        name="warehouse_dbt_models",
    )
    def warehouse_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        config: WarehouseBuildConfig,
        duckdb: PublishedWarehouseResource,
        landing_zone: LandingResource,
    ):
        die_with_run_worker(context)
        files = WarehouseFiles(duckdb.path)
        try:
            session, events = build_and_publish(context, dbt, config, files, landing_zone.path)
        except (BuildFailed, LandingError) as exc:
            raise dg.Failure(description=f"{exc}; nothing was published") from None
        checks = [e for e in events if isinstance(e, dg.AssetCheckResult)]
        if not session.published:
            yield from checks
            raise dg.Failure(
                description=f"build {session.build_id} was not published: {session.reason}; "
                f"{files.published} still holds the previous build",
                metadata={"build_id": session.build_id, "reason": session.reason},
            )
        yield from _published_outputs(context, events, files, session)
        yield from checks

    return warehouse_dbt_models


def model_key(model_name: str) -> dg.AssetKey:
    """The asset key of a dbt model, checked against the manifest: a renamed model fails loudly."""
    return _key_for_model([warehouse_dbt_assets()], model_name)


class StudyDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two costs it pays before every dbt command, 2.8 s of a
    build's 11 s on the sample (profiled): it runs ``dbt --version`` in a new process (1.4 s:
    importing dbt) to learn the version of the dbt it will run, and it loads the profile and dbt's
    macros into an adapter in this process (1.3 s), which only its ``fetch_column_metadata`` and
    ``fetch_row_counts`` use; the study's assets use neither (rows and content versions come from
    the published file, ``_table_facts``)."""

    @property
    def _cli_version(self) -> Version:
        # mms-dbt runs the dbt beside this interpreter, i.e. this environment's dbt-core.
        if Path(dbt_path()).parent == Path(sys.executable).parent:
            return Version(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    project = dbt_project()
    return StudyDbtCliResource(
        project_dir=os.fspath(project.project_dir),
        profiles_dir=os.fspath(project.profiles_dir or project.project_dir),
        dbt_executable=dbt_executable(),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[warehouse_dbt_assets()])
