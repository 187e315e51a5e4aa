"""A dry run of the whole study on real repositories, through Dagster as a user runs it.

    uv run python benchmarks/dry_run.py SNAPSHOTS_DIR [--executor multiprocess|celery]
    uv run python benchmarks/dry_run.py --side-by-side WORK1/results.json WORK2/results.json

``SNAPSHOTS_DIR`` holds bare git repositories of real ML projects (the layout the fetch tool writes,
``owner+name/repo``, or ``owner__name.git``); nothing fetched is copied into the project. The script
starts, on this machine and in a work directory of its own (``--work``, replaced on each run):

- the GitHub API stand-in (``demo/github_stand_in.py``) serving the study universe's real 2019
  metadata for every candidate, and for each snapshot its history's facts and generated closed
  issues and pull requests (``demo/real_repositories.py``), with GitHub's rate limits;
- a Dagster code server, the daemon (the run queue, ``max_concurrent_runs`` from the project's
  ``dagster_home/dagster.yaml``) and the webserver, whose GraphQL API launches runs as the UI does;
- with ``--executor celery``: a Redis broker (Debian's ``redis-server``) and two Celery workers
  (``dagster-celery worker start``), all sharing one landing directory as they would a bucket.

Then it runs the study: ``refresh_selection`` on the candidate list, the manual inspection (every
snapshot included) through ``mms-extract`` and ``refresh_selection`` again, the sensor
``repository_partitions_from_selection`` turned on so that it creates the partitions and launches
one ``refresh_repository`` run per selected repository, ``build_warehouse`` (dbt build, published
when green, then the report) and ``link_sampled_issues``. Then the next day with nothing new: the
weekly selection, the ``daily_repository_refresh`` tick evaluated now in the code server (the UI's
"Test schedule") and its runs launched, and the warehouse built only if a run landed something
(as ``warehouse_automation`` would); and the same day if every repository ran anyway and the
warehouse were built anyway. Then, unless ``--executor celery`` or ``--rounds 0``, the executors
compared on ``refresh_repository`` runs with nothing new, in interleaved rounds: steps in the run's
own process (the project's default), a new process per step (the default before issue 20,
measured in the same run as the baseline) and the forkserver with the definitions preloaded, each
with ``--alone-runs`` runs launched one at a time, each after a pause of 0-5 s (seeded) so that
they meet the daemon's queue polling at any phase, as a person's or a schedule's would (end to end:
created, queued, worker started, definitions loaded, steps, finished; the stages' medians are
printed from the runs' event timestamps) and ``--forced-runs`` runs launched at once through the
run queue (``--default-executor-only`` times the project's executor alone, a quicker trial of a
change to how runs start). It prints the wall time of each stage, commits and files per second,
GitHub requests, peak memory and disk per repository, and the failures met, and writes them as
JSON beside the run (``results.json``).

Git sources are ``file://`` URLs (``MMS_GIT_URL_TEMPLATE``) and mined with
``MMS_GIT_MISSING_OBJECTS=record``: snapshots lack blobs of 4 MiB or more, which makes git's own
``file://`` transport refuse to clone them, so each mirror is first seeded by a local clone (hard
links, timed as its own stage); the refreshes then ``git fetch`` over ``file://`` as they would from
GitHub.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
#: the code locations of workspace.yaml (dagster_project/definitions.py), each served by a code
#: server of its own as in a deployment
LOCATIONS = ("repositories", "study")


@functools.cache
def _repositories_location_names() -> frozenset[str]:
    """The jobs, schedules and sensors of the repositories location, as the project defines them
    (loading it imports no dbt)."""
    from dagster_project.definitions import repositories_location

    location = repositories_location()
    return frozenset(
        d.name for d in (*(location.jobs or ()), *(location.schedules or ()),
                         *(location.sensors or ()))
    )  # fmt: skip


def location_of(name: str) -> str:
    """The code location of a job, schedule or sensor."""
    return "repositories" if name in _repositories_location_names() else "study"


TOKENS = ("dry-run-token-1", "dry-run-token-2", "dry-run-token-3")
SENSORS_OFF = ("warehouse_automation", "suggestions_after_label_changes")
PARTITION_SENSOR = "repository_partitions_from_selection"
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
_PID = re.compile(r"Started process for run \(pid: (\d+)\)")


def say(message: str) -> None:
    print(f"[dry-run {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Services:
    """The long-running processes this script starts, each in a session of its own, stopped by
    their own process-group id (never by name)."""

    def __init__(self, logs: Path, env: dict[str, str]):
        self.logs, self.env = logs, env
        self.started: list[tuple[str, subprocess.Popen]] = []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, args: list[str], **kwargs) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            args,
            cwd=kwargs.pop("cwd", ROOT),
            env=kwargs.pop("env", self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
        self.started.append((name, process))
        return process

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.started if p.poll() is None}

    def stop(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for _, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.started.clear()


def wait_for_port(port: int, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def wait_for_http(url: str, what: str, timeout: float = 240) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=5).status_code == 200:
                return
        time.sleep(1)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f} s")


def wait_for_log(process: subprocess.Popen, log: Path, marker: str, what: str,
                 timeout: float = 240) -> None:  # fmt: skip
    """Wait until ``marker`` appears in a service's log; fail with the log's tail if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if marker in text:
            return
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}): {text.strip()[-2000:]}")
        time.sleep(1)
    raise RuntimeError(f"{what} did not log {marker!r} within {timeout:.0f} s")


# -- memory ------------------------------------------------------------------------------------


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants (Python, git and dbt children)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


class MemorySampler(threading.Thread):
    """Samples the process tree of every live run (its worker, step processes and git children),
    of each Celery worker, and of everything this script started, every ``interval`` seconds."""

    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval = interval
        self.run_pids: dict[str, int] = {}
        self.worker_pids: dict[str, int] = {}
        self.service_pids: dict[str, int] = {}
        self.run_peak: dict[str, int] = {}
        self.worker_samples: dict[str, list[tuple[float, int]]] = {}
        self.total_peak = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                runs = dict(self.run_pids)
                workers = dict(self.worker_pids)
                services = dict(self.service_pids)
            seen: set[int] = set()
            total = 0
            for run_id, pid in runs.items():
                rss = tree_rss(pid)
                if rss:
                    self.run_peak[run_id] = max(self.run_peak.get(run_id, 0), rss)
            now = time.time()
            for name, pid in workers.items():
                self.worker_samples.setdefault(name, []).append((now, tree_rss(pid)))
            for pid in services.values():
                with contextlib.suppress(psutil.Error):
                    root = psutil.Process(pid)
                    for process in [root, *root.children(recursive=True)]:
                        if process.pid not in seen:
                            seen.add(process.pid)
                            with contextlib.suppress(psutil.Error):
                                total += process.memory_info().rss
            self.total_peak = max(self.total_peak, total)

    def watch_run(self, run_id: str, pid: int) -> None:
        with self._lock:
            self.run_pids.setdefault(run_id, pid)

    def forget_run(self, run_id: str) -> None:
        with self._lock:
            self.run_pids.pop(run_id, None)

    def set_services(self, pids: dict[str, int], workers: dict[str, int]) -> None:
        with self._lock:
            self.service_pids = dict(pids)
            self.worker_pids = dict(workers)

    def worker_peak(self, name: str, start: float, end: float) -> int:
        return max(
            (rss for t, rss in self.worker_samples.get(name, []) if start <= t <= end), default=0
        )

    def stop(self) -> None:
        self._stop.set()


# -- Dagster -----------------------------------------------------------------------------------


@dataclass
class RunFigures:
    run_id: str
    job: str
    partition: str | None
    status: str
    queued_s: float
    run_s: float
    created: float
    started: float | None
    ended: float | None
    steps: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    #: when the run entered the queue (RUN_ENQUEUED, after its planned-materialization events),
    #: left it (RUN_STARTING: the daemon hands it to the launcher) and when its worker process
    #: reported in (the launcher's "Started process" event, before the definitions load)
    enqueued: float | None = None
    dequeued: float | None = None
    worker_started: float | None = None


class Dagster:
    """The instance (read directly) and the webserver's GraphQL API (to launch runs)."""

    def __init__(self, home: Path, webserver_port: int, sampler: MemorySampler):
        import dagster as dg
        from dagster_graphql import DagsterGraphQLClient

        self.dg = dg
        self.instance = dg.DagsterInstance.from_config(str(home))
        self.client = DagsterGraphQLClient("127.0.0.1", port_number=webserver_port, timeout=600)
        self.webserver_port = webserver_port
        self.sampler = sampler

    def launch(
        self,
        job: str,
        *,
        partition: str | None = None,
        tags: dict | None = None,
        run_config: dict | None = None,
    ) -> str:
        all_tags = dict(tags or {})
        if partition is not None:
            all_tags["dagster/partition"] = partition
        return self.client.submit_job_execution(
            job,
            repository_location_name=location_of(job),
            repository_name="__repository__",
            tags=all_tags,
            run_config=run_config,
        )

    def run(self, job: str) -> list[RunFigures]:
        """Launch ``job`` as the UI does and wait for it."""
        return [self.figures(r) for r in self.wait([self.launch(job)])]

    def schedule_tick(self, schedule: str) -> tuple[list[str], str | None]:
        """Evaluate a schedule's tick now in the code server, as the UI's "Test schedule" does;
        returns the partitions of its run requests and its skip reason."""
        import requests

        query = """
        mutation($selector: ScheduleSelector!, $timestamp: Float) {
          scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
            __typename
            ... on DryRunInstigationTick {
              evaluationResult { runRequests { tags { key value } } skipReason error { message } }
            }
            ... on PythonError { message }
          }
        }"""
        selector = {"repositoryName": "__repository__", "repositoryLocationName": location_of(schedule),
                    "scheduleName": schedule}  # fmt: skip
        answer = requests.post(
            f"http://127.0.0.1:{self.webserver_port}/graphql",
            json={"query": query, "variables": {"selector": selector, "timestamp": time.time()}},
            timeout=600,
        ).json()
        tick = answer["data"]["scheduleDryRun"]
        evaluation = tick.get("evaluationResult") if tick else None
        if not evaluation or evaluation.get("error"):
            raise RuntimeError(f"{schedule} failed to evaluate: {json.dumps(answer)[:2000]}")
        partitions = [
            tag["value"]
            for request in evaluation["runRequests"] or []
            for tag in request["tags"]
            if tag["key"] == "dagster/partition"
        ]
        return partitions, evaluation.get("skipReason")

    def runs(self, **filters):
        return self.instance.get_run_records(self.dg.RunsFilter(**filters))

    def _track(self, records) -> None:
        """Hand the pid of each started run to the memory sampler (from the run's engine event)."""
        for record in records:
            run = record.dagster_run
            if run.status.value in FINISHED:
                self.sampler.forget_run(run.run_id)
                continue
            if run.status.value != "STARTED" or run.run_id in self.sampler.run_pids:
                continue
            for entry in self.instance.all_logs(
                run.run_id, of_type=self.dg.DagsterEventType.ENGINE_EVENT
            ):
                match = _PID.search(entry.message or "")
                if match:
                    self.sampler.watch_run(run.run_id, int(match[1]))
                    break

    def wait(self, run_ids=None, *, count=None, timeout: float = 6 * 3600, **filters) -> list:
        """Wait until the runs (given ids, or ``count`` runs matching ``filters``) have finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.runs(run_ids=list(run_ids)) if run_ids else self.runs(**filters)
            self._track(records)
            enough = run_ids is not None or (count is not None and len(records) >= count)
            if enough and all(r.dagster_run.status.value in FINISHED for r in records):
                return records
            time.sleep(1)
        raise RuntimeError(f"runs did not finish within {timeout:.0f} s")

    def figures(self, record) -> RunFigures:
        run = record.dagster_run
        started = record.start_time
        ended = record.end_time
        created = record.create_timestamp.timestamp()
        steps = {
            s.step_key: (s.end_time or 0) - (s.start_time or 0)
            for s in self.instance.get_run_step_stats(run.run_id)
            if s.start_time and s.end_time
        }
        failures = []
        for entry in self.instance.all_logs(
            run.run_id, of_type=self.dg.DagsterEventType.STEP_FAILURE
        ):
            error = entry.dagster_event.step_failure_data.error
            message = (error.message if error else entry.message or "").strip().splitlines()
            failures.append(f"{entry.step_key}: {message[0] if message else '?'}")
        if run.status.value == "FAILURE" and not failures:
            for entry in self.instance.all_logs(
                run.run_id, of_type=self.dg.DagsterEventType.RUN_FAILURE
            ):
                failures.append((entry.message or "run failed").strip().splitlines()[0])
        failed_checks = []
        for entry in self.instance.all_logs(
            run.run_id, of_type=self.dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ):
            evaluation = entry.dagster_event.event_specific_data
            if not evaluation.passed:
                failed_checks.append(evaluation.check_name)
        peak = self.sampler.run_peak.get(run.run_id)
        enqueued, dequeued, worker_started = self._launch_times(run.run_id)
        return RunFigures(
            run_id=run.run_id,
            job=run.job_name,
            partition=run.tags.get("dagster/partition"),
            status=run.status.value,
            queued_s=(started - created) if started else 0.0,
            run_s=(ended - started) if started and ended else 0.0,
            created=created,
            started=started,
            ended=ended,
            steps=steps,
            peak_rss_mb=None if peak is None else peak / 2**20,
            failures=failures,
            failed_checks=failed_checks,
            enqueued=enqueued,
            dequeued=dequeued,
            worker_started=worker_started,
        )

    def _launch_times(self, run_id: str) -> tuple[float | None, float | None, float | None]:
        kinds = self.dg.DagsterEventType
        events = self.instance.all_logs(
            run_id, of_type={kinds.RUN_ENQUEUED, kinds.RUN_STARTING, kinds.ENGINE_EVENT}
        )

        def first(kind, pattern=None):
            found = [e.timestamp for e in events if e.dagster_event.event_type == kind
                     and (pattern is None or pattern.search(e.message or ""))]  # fmt: skip
            return found[0] if found else None

        return (
            first(kinds.RUN_ENQUEUED),
            first(kinds.RUN_STARTING),
            first(kinds.ENGINE_EVENT, _PID),
        )

    def partitions(self) -> list[str]:
        return sorted(self.instance.get_dynamic_partitions("repositories"))


def dagster_cli(env: dict[str, str], workspace: Path, *args: str) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), *args, "-w", str(workspace)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dagster {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    seconds: float
    requests: int
    charged: int
    load: tuple[float, float, float]
    runs: list[RunFigures] = field(default_factory=list)
    note: str = ""


class StageClock:
    def __init__(self, stand_in):
        self.stand_in = stand_in

    @contextlib.contextmanager
    def stage(self, stages: list[Stage], name: str):
        served = len(self.stand_in.served)
        began = time.monotonic()
        stage = Stage(name, 0.0, 0, 0, (0.0, 0.0, 0.0))
        yield stage
        stage.seconds = time.monotonic() - began
        with self.stand_in._lock:
            during = self.stand_in.served[served:]
        stage.requests = len(during)
        stage.charged = sum(1 for s in during if s.charged)
        stage.load = os.getloadavg()
        stages.append(stage)
        say(
            f"{name}: {stage.seconds:.1f} s, {stage.requests} GitHub requests ({stage.charged} charged), load {stage.load[0]:.2f}"
        )


def write_dagster_yaml(home: Path, max_concurrent_runs: int | None) -> int:
    text = (ROOT / "dagster_home" / "dagster.yaml").read_text(encoding="utf-8")
    if max_concurrent_runs is not None:
        text = re.sub(
            r"max_concurrent_runs: \d+", f"max_concurrent_runs: {max_concurrent_runs}", text
        )
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(text, encoding="utf-8")
    return int(re.search(r"max_concurrent_runs: (\d+)", text)[1])


def candidate_rows(path: Path) -> dict[str, str]:
    """Candidate list spelling by lower-cased repository id."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["ProjectName"].lower(): row["ProjectName"] for row in csv.DictReader(handle)}


def seed_mirror(git_dir: Path, mirror: Path, url: str) -> None:
    """A local clone (hard links), as ``git clone`` of a path makes: the snapshot's missing blobs
    stay missing instead of failing the ``file://`` transport."""
    subprocess.run(
        ["git", "clone", "--bare", "--quiet", "--no-tags", "--", str(git_dir), str(mirror)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["git", f"--git-dir={mirror}", "remote", "set-url", "origin", url],
        check=True,
        capture_output=True,
    )


def missing_objects(git_dir: Path) -> int:
    """Objects reachable from the branches (what a clone fetches) that the snapshot lacks: git's
    ``file://`` transport refuses to send a repository with any (``pack-objects`` dies on the
    first), a local clone does not care."""
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", "rev-list", "--objects", "--missing=print", "--branches"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sum(1 for line in done.stdout.splitlines() if line.startswith("?"))


def du(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def landed_figures(landing_dir: Path, repo_id: str) -> dict:
    import landing

    figures: dict = {}
    for table, name in (
        ("git/commits", "commits"),
        ("git/modified_files", "modified_files"),
        ("github/issues", "closed_items"),
    ):
        data = landing.read_partition(landing_dir, table, repo_id)
        figures[name] = 0 if data is None else data.num_rows
        path = landing.current_path(landing_dir, table, repo_id)
        figures[f"{name}_bytes"] = du(path) if path else 0
    extraction = landing.read_partition(landing_dir, "git/extractions", repo_id)
    undiffable = 0
    if extraction is not None and "undiffable_commits" in extraction.column_names:
        values = extraction.column("undiffable_commits")[0].as_py()
        undiffable = len(values or [])
    figures["undiffable_commits"] = undiffable
    return figures


def repo_requests(stand_in, repo_id: str, github_id: int, start: int, end: int) -> int:
    needles = (f"/repos/{repo_id.lower()}", f"/repositories/{github_id}")
    with stand_in._lock:
        served = stand_in.served[start:end]
    return sum(1 for s in served if s.path.lower().startswith(needles))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else 0.0


def first_run(
    dagster: Dagster, clock: StageClock, env: dict[str, str], workspace: Path, inspections: Path
) -> list[Stage]:
    """The study from nothing, as docs/running-for-real.md runs it."""
    stages: list[Stage] = []
    say("--- first run ---")
    with clock.stage(stages, "selection") as stage:
        stage.runs = dagster.run("refresh_selection")
    with clock.stage(stages, "manual inspection") as stage:
        subprocess.run(
            [str(Path(sys.executable).parent / "mms-extract"), "annotations",
             "import-inspections", "--reviewer", "dry-run", str(inspections)],
            env=env, cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        # The decisions reach the selection marts with the next refresh_selection.
        stage.runs = dagster.run("refresh_selection")
    selected = selected_repositories(Path(env["MMS_DUCKDB_PATH"]))
    say(f"{len(selected)} repositories selected")
    with clock.stage(stages, "repositories") as stage:
        # What a user does once the selection is ready: turn the sensor on. It creates the
        # partitions and launches one refresh_repository run per new partition.
        began = time.time()
        dagster_cli(env, workspace, "sensor", "start", PARTITION_SENSOR, "-l",
                    location_of(PARTITION_SENSOR))  # fmt: skip
        records = dagster.wait(
            count=len(selected),
            job_name="refresh_repository",
            tags={"dagster/sensor_name": PARTITION_SENSOR},
        )
        first_created = min(r.create_timestamp.timestamp() for r in records)
        stage.note = f"sensor started to first run queued: {first_created - began:.1f} s"
        stage.runs = [dagster.figures(r) for r in records]
    with clock.stage(stages, "warehouse") as stage:
        stage.runs = dagster.run("build_warehouse")
    with clock.stage(stages, "linked pull requests") as stage:
        stage.runs = dagster.run("link_sampled_issues")
    return stages


#: the longest pause before a run launched alone (Dagster's default dequeue interval)
DEQUEUE_PHASE_SECONDS = 5.0

#: how a run's steps execute, as run config of the project's executor
#: (dagster_project/defs/execution.py): its default, then the two modes of Dagster's multiprocess
#: executor, the first of which was the default before issue 20
EXECUTORS = {
    "steps in the run's process (default)": None,
    "a new process per step (old default)": {"execution": {"config": {"multiprocess": {}}}},
    "forkserver, definitions preloaded": {"execution": {"config": {"multiprocess": {
        "start_method": {"forkserver": {"preload_modules": ["dagster_project.definitions"]}}}}}},
}  # fmt: skip


def refresh(dagster: Dagster, clock: StageClock) -> tuple[list[Stage], list[Stage]]:
    """The next day with nothing new: the daily refresh as its schedule decides it, the warehouse
    as its automation decides it (a build only when a run landed something); then what the same
    day costs when every repository runs anyway and the warehouse is built anyway."""
    daily: list[Stage] = []
    say("--- refresh with nothing new ---")
    with clock.stage(daily, "selection (weekly)") as stage:
        stage.runs = dagster.run("refresh_selection")
    with clock.stage(daily, "repositories") as stage:
        requests, skip = dagster.schedule_tick("daily_repository_refresh")
        ids = [dagster.launch("refresh_repository", partition=key) for key in requests]
        stage.runs = [dagster.figures(r) for r in dagster.wait(ids)] if ids else []
        stage.note = f"{len(requests)} runs requested" + (f" ({skip})" if skip else "")
    with clock.stage(daily, "warehouse") as stage:
        if stage_landed(stage_runs(daily, "repositories")):
            stage.runs = dagster.run("build_warehouse")
        else:
            stage.note = "not built: no input is new (warehouse_automation waits for one)"
    forced: list[Stage] = []
    say("--- the same day if every repository ran anyway ---")
    with clock.stage(forced, "repositories") as stage:
        ids = [dagster.launch("refresh_repository", partition=key) for key in dagster.partitions()]
        stage.runs = [dagster.figures(r) for r in dagster.wait(ids)]
    with clock.stage(forced, "warehouse") as stage:
        stage.runs = dagster.run("build_warehouse")
    return daily, forced


def compare_executors(
    dagster: Dagster,
    clock: StageClock,
    *,
    forced_runs: int,
    alone: int,
    rounds: int,
    only_default: bool = False,
) -> dict[str, list[Stage]]:
    """Each way of executing steps (:data:`EXECUTORS`) on ``refresh_repository`` runs with nothing
    new, in interleaved rounds so a change of load hits all of them: ``alone`` runs launched one
    at a time (end to end: queued, run worker started, steps, finished) and ``forced_runs`` runs
    launched at once (partitions cycled), through the daemon's run queue."""
    executors = dict(list(EXECUTORS.items())[:1]) if only_default else EXECUTORS
    stages: dict[str, list[Stage]] = {name: [] for name in executors}
    partitions = dagster.partitions()
    # A run launched the moment the previous one ended meets the daemon's queue polling at a phase
    # set by the runs' own length; a person or a schedule launches at any moment. The same pauses
    # (seeded) in every run of the script, outside the runs' timings.
    pauses = random.Random(20)
    for round_ in range(rounds):
        for name, run_config in executors.items():
            say(f"--- executors, round {round_ + 1}: {name} ---")
            with clock.stage(stages[name], "alone") as stage:
                for n in range(alone):
                    time.sleep(pauses.uniform(0, DEQUEUE_PHASE_SECONDS))
                    key = partitions[n % len(partitions)]
                    run_id = dagster.launch("refresh_repository", partition=key,
                                            run_config=run_config)  # fmt: skip
                    stage.runs += [dagster.figures(r) for r in dagster.wait([run_id])]
            with clock.stage(stages[name], "forced") as stage:
                ids = [
                    dagster.launch("refresh_repository", partition=partitions[n % len(partitions)],
                                   run_config=run_config)
                    for n in range(forced_runs)
                ]  # fmt: skip
                stage.runs = [dagster.figures(r) for r in dagster.wait(ids)]
    return stages


def executor_table(comparison: dict) -> str:
    """Medians per way of executing steps, against the old default measured in the same run."""
    baseline = "a new process per step (old default)"
    forced_of = {n: median([s["seconds"] for s in st if s["name"] == "forced"])
                 for n, st in comparison.items()}  # fmt: skip
    rows = []
    for name, stages in comparison.items():
        alone = [r for s in stages if s["name"] == "alone" for r in s["runs"]]
        forced = [r for s in stages if s["name"] == "forced" for r in s["runs"]]
        end_to_end = [r["ended"] - r["created"] for r in alone if r["ended"]]
        rounds = sum(1 for s in stages if s["name"] == "forced")
        rows.append([
            name, fmt_s(median(end_to_end)), fmt_s(median([r["run_s"] for r in alone])),
            f"{len(forced) // max(rounds, 1)} x {rounds}", fmt_s(forced_of[name]),
            f"{100 * forced_of[name] / forced_of[baseline]:.0f}%" if forced_of.get(baseline)
            else "-",
            fmt_s(median([r["run_s"] for r in forced])),
            f"{median([r['peak_rss_mb'] for r in forced]):,.0f}",
            sum(r["status"] != "SUCCESS" for r in alone + forced),
            "/".join(f"{s['load'][0]:.1f}" for s in stages),
        ])  # fmt: skip
    return table(
        ["steps", "run alone, end to end (s, median)", "run alone, started to end (s)",
         "forced runs", "forced runs, all finished (s, median)", "of old default",
         "forced run, started to end (s, median)", "peak RSS per run (MB, median)", "failed",
         "load (1 min) per stage"], rows)  # fmt: skip


def launch_table(comparison: dict) -> str:
    """Where a run launched alone spends its time, from its records' timestamps (medians): its
    creation (the webserver writes its planned materializations), the run queue until the daemon
    hands it to the launcher, the launch (the code server spawns its worker, which imports Dagster
    and reports in), the worker's definitions load up to RUN_START, then the run."""

    def span(runs, start, end):
        values = [r[end] - r[start] for r in runs if r.get(start) and r.get(end)]
        return fmt_s(median(values)) if values else "-"

    rows = []
    for name, stages in comparison.items():
        alone = [r for s in stages if s["name"] == "alone" for r in s["runs"]]
        rows.append([
            name, len(alone), span(alone, "created", "enqueued"), span(alone, "enqueued", "dequeued"),
            span(alone, "dequeued", "worker_started"), span(alone, "worker_started", "started"),
            span(alone, "started", "ended"), span(alone, "created", "ended"),
        ])  # fmt: skip
    return table(
        ["steps", "runs", "created to enqueued (s)", "queued: to RUN_STARTING (s)",
         "launch: to worker process (s)", "definitions load: to RUN_START (s)",
         "run: RUN_START to end (s)", "end to end (s)"], rows)  # fmt: skip


def stage_runs(stages: list[Stage], name: str) -> list[RunFigures]:
    return [run for stage in stages if stage.name == name for run in stage.runs]


def stage_landed(runs: list[RunFigures]) -> bool:
    return any(run.status == "SUCCESS" for run in runs)


def selected_repositories(warehouse: Path) -> list[str]:
    from warehouse.published import open_published

    with open_published(warehouse) as con:
        return [
            r[0] for r in con.execute("select repo_id from selected_projects order by 1").fetchall()
        ]


def selection_summary(warehouse: Path, chosen: list[str]) -> list[tuple[str, str, str]]:
    from warehouse.published import open_published

    keys = [c.lower() for c in chosen]
    with open_published(warehouse) as con:
        rows = con.execute(
            "select repo_id, selection_status, array_to_string(exclusion_reasons, '; ') "
            "from project_selection where lower(repo_id) in (select unnest(?)) order by 1",
            [keys],
        ).fetchall()
    return rows


# -- report ------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_s(value: float) -> str:
    return f"{value:,.1f}"


def report(results: dict) -> str:
    out = []
    first, daily, forced = results["first_run"], results["daily_refresh"], results["forced_refresh"]
    out.append(
        f"Executor: {results['executor']}"
        + (f" ({results['workers']} Celery workers)" if results["workers"] else "")
        + f"; max_concurrent_runs {results['max_concurrent_runs']}; {results['cpu_count']} cores; "
        f"{results['repositories_selected']} repositories selected of {results['snapshots']} "
        f"snapshots; {results['candidates']:,} candidates."
    )
    by = {name: {s["name"]: s for s in stages} for name, stages in
          (("daily", daily), ("forced", forced))}  # fmt: skip
    rows = []
    for stage in first:
        d, f = by["daily"].get(stage["name"]), by["forced"].get(stage["name"])
        rows.append([
            stage["name"], fmt_s(stage["seconds"]),
            fmt_s(d["seconds"]) if d else "-", fmt_s(f["seconds"]) if f else "-",
            stage["requests"], d["requests"] if d else "-", d["charged"] if d else "-",
            f"{stage['load'][0]:.2f}",
        ])  # fmt: skip
    total1 = sum(s["seconds"] for s in first)
    daily_total = sum(s["seconds"] for s in daily if s["name"] in ("repositories", "warehouse"))
    forced_total = sum(s["seconds"] for s in forced)
    rows.append([
        "**total**", fmt_s(total1),
        f"{fmt_s(daily_total)} ({100 * daily_total / total1:.1f}%)" if daily else "-",
        f"{fmt_s(forced_total)} ({100 * forced_total / total1:.0f}%)" if forced else "-",
        sum(s["requests"] for s in first),
        sum(s["requests"] for s in daily if s["name"] != "selection (weekly)") if daily else "-",
        sum(s["charged"] for s in daily if s["name"] != "selection (weekly)") if daily else "-", "",
    ])  # fmt: skip
    out.append(table(
        ["stage", "first run (s)", "daily refresh, nothing new (s)",
         "every repository anyway (s)", "requests (first)", "requests (daily)",
         "charged (daily)", "load (1 min)"], rows))  # fmt: skip
    weekly = by["daily"].get("selection (weekly)")
    if weekly:
        out.append(
            f"\nThe weekly selection refresh (not daily): {fmt_s(weekly['seconds'])} s, "
            f"{weekly['requests']} requests (metadata younger than 24 h is kept)."
        )
    for stage in (*first, *daily, *forced):
        if stage["note"]:
            out.append(f"- {stage['name']}: {stage['note']}")
    comparison = results.get("executors") or {}
    if comparison:
        out.append("\nExecutors, refresh_repository runs with nothing new (medians; the old default "
                   "measured in the same run):\n" + executor_table(comparison))  # fmt: skip
        out.append("\nWhere a run launched alone spends its time (medians of the runs' "
                   "records):\n" + launch_table(comparison))  # fmt: skip
    t = results["totals"]
    out.append(
        f"\nEnd to end (first run, {fmt_s(total1)} s): {t['commits']:,} commits "
        f"({t['commits'] / total1:,.0f}/s), {t['modified_files']:,} modified files "
        f"({t['modified_files'] / total1:,.0f}/s), {t['closed_items']:,} closed issues and pull "
        f"requests; seeding the mirrors took {fmt_s(results['seed_seconds'])} s before it. "
        f"Median repository run {fmt_s(t['median_run_s'])} s (queued {fmt_s(t['median_queue_s'])} "
        f"s); forced refresh run {fmt_s(t['median_forced_run_s'])} s. Peak memory of everything "
        f"started: {results['total_peak_rss_mb']:,.0f} MB. Disk: landing {t['landing_mb']:,.0f} "
        f"MB, mirrors {t['mirrors_mb']:,.0f} MB, warehouse {t['warehouse_mb']:,.0f} MB."
    )
    rows = []
    for repo in results["repositories"]:
        rows.append([
            repo["repo_id"], f"{repo['commits']:,}", f"{repo['modified_files']:,}",
            f"{repo['closed_items']:,}", repo["undiffable_commits"], repo["requests"],
            fmt_s(repo["git_s"]), fmt_s(repo["github_s"]), fmt_s(repo["queued_s"]),
            fmt_s(repo["run_s"]), fmt_s(repo["forced_run_s"]), f"{repo['peak_rss_mb']:,.0f}",
            f"{repo['landing_mb']:,.1f}", f"{repo['mirror_mb']:,.0f}", repo["status"],
        ])  # fmt: skip
    out.append("\n" + table(
        ["repository", "commits", "modified files", "closed items", "undiffable", "requests",
         "git step (s)", "GitHub step (s)", "queued (s)", "run (s)", "forced refresh run (s)",
         "peak RSS (MB)", "landed (MB)", "mirror (MB)", "status"], rows))  # fmt: skip
    for day, stages in (("first run", first), ("daily", daily), ("forced", forced)):
        for stage in stages:
            for run in stage["runs"]:
                if run["job"] != "refresh_repository" and run["steps"]:
                    steps = ", ".join(f"{k} {v:.1f} s" for k, v in run["steps"].items())
                    out.append(f"- {day}, {run['job']} ({fmt_s(run['run_s'])} s): {steps}")
    failures = [
        f"- {day}, {run['job']} {run['partition'] or ''}: "
        + "; ".join(run["failures"] or [f"check {c} failed" for c in run["failed_checks"]])
        for day, stages in (
            ("first run", first),
            ("daily", daily),
            ("forced", forced),
            *((name, stages) for name, stages in comparison.items()),
        )  # fmt: skip
        for stage in stages
        for run in stage["runs"]
        if run["failures"] or run["failed_checks"]
    ]
    if failures:
        out.append("\nFailures and failed checks:\n" + "\n".join(failures))
    return "\n".join(out)


def side_by_side(paths: list[Path]) -> str:
    """The headline figures of several runs (e.g. both executors) in one table, one column each."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]

    def seconds(stages, name):
        return next((s["seconds"] for s in stages if s["name"] == name), None)

    def first_total(r):
        return sum(s["seconds"] for s in r["first_run"])

    def daily_total(r):
        return sum(s["seconds"] for s in r["daily_refresh"] if s["name"] != "selection (weekly)")

    def peak_repo(r):
        return max((x["peak_rss_mb"] for x in r["repositories"]), default=0.0)

    def median_repo(r):
        return median([x["peak_rss_mb"] for x in r["repositories"]])

    rows: list[list] = []
    for name in ("selection", "manual inspection", "repositories", "warehouse",
                 "linked pull requests"):  # fmt: skip
        rows.append([f"first run: {name} (s)"] + [fmt_s(seconds(r["first_run"], name) or 0)
                                                    for r in runs])  # fmt: skip
    rows += [
        ["first run: total (s)"] + [fmt_s(first_total(r)) for r in runs],
        ["commits / s end to end"]
        + [f"{r['totals']['commits'] / first_total(r):,.0f}" for r in runs],
        ["modified files / s end to end"]
        + [f"{r['totals']['modified_files'] / first_total(r):,.0f}" for r in runs],
        ["median repository run (s); queued (s)"]
        + [
            f"{fmt_s(r['totals']['median_run_s'])}; {fmt_s(r['totals']['median_queue_s'])}"
            for r in runs
        ],  # fmt: skip
        ["GitHub requests, first run"] + [sum(s["requests"] for s in r["first_run"]) for r in runs],
        ["peak RSS per repository run, median / max (MB)"]
        + [f"{median_repo(r):,.0f} / {peak_repo(r):,.0f}" for r in runs],
        ["peak RSS, everything started (MB)"] + [f"{r['total_peak_rss_mb']:,.0f}" for r in runs],
        ["daily refresh, nothing new (s)"]
        + [f"{fmt_s(daily_total(r))} ({100 * daily_total(r) / first_total(r):.1f}%)" for r in runs],
        ["weekly selection refresh (s)"]
        + [fmt_s(seconds(r["daily_refresh"], "selection (weekly)") or 0) for r in runs],
        ["every repository anyway + warehouse (s)"]
        + [
            f"{fmt_s(sum(s['seconds'] for s in r['forced_refresh']))} "
            f"({100 * sum(s['seconds'] for s in r['forced_refresh']) / first_total(r):.0f}%)"
            for r in runs
        ],  # fmt: skip
        ["every repository anyway, steps in the run's process (s)"]
        + [
            fmt_s(sum(s["seconds"] for s in r["in_process_refresh"]))
            if r.get("in_process_refresh")
            else "-"
            for r in runs
        ],
        ["1-min load average per stage (first run)"]
        + [" / ".join(f"{s['load'][0]:.1f}" for s in r["first_run"]) for r in runs],
        ["repositories (selected of snapshots)"]
        + [f"{r['repositories_selected']} of {r['snapshots']}" for r in runs],
        ["runs failed"]
        + [
            sum(
                1
                for day in ("first_run", "daily_refresh", "forced_refresh")
                for s in r[day]
                for x in s["runs"]
                if x["status"] != "SUCCESS"
            )
            for r in runs
        ],  # fmt: skip
    ]
    headers = [""] + [
        r["executor"] + (f" ({r['workers']} workers)" if r["workers"] else "") for r in runs
    ]
    return table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("snapshots", type=Path, nargs="?",
                        help="directory of fetched bare repositories")  # fmt: skip
    parser.add_argument("--side-by-side", type=Path, nargs="+", metavar="RESULTS_JSON",
                        help="print the figures of finished runs side by side, run nothing")  # fmt: skip
    parser.add_argument(
        "--work", type=Path, default=ROOT / "data" / "dry-run", help="replaced on each run"
    )
    parser.add_argument("--executor", choices=("multiprocess", "celery"), default="multiprocess")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--max-concurrent-runs", type=int, default=None)
    parser.add_argument(
        "--candidate-list", type=Path, default=SHARED / "ml_projects_breadth_corpus.csv"
    )
    parser.add_argument(
        "--metadata-csv", type=Path, default=SHARED / "ml_universe_repo_metadata.csv"
    )
    parser.add_argument("--repos", type=int, default=None, help="only the first N snapshots")
    parser.add_argument("--only-snapshot-candidates", action="store_true",
                        help="candidate list = the snapshots' rows only (quick trials)")  # fmt: skip
    parser.add_argument("--no-refresh", action="store_true", help="skip the second day")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of the executor comparison (0 skips it)")  # fmt: skip
    parser.add_argument("--forced-runs", type=int, default=25,
                        help="refresh_repository runs launched at once per executor and round")  # fmt: skip
    parser.add_argument("--alone-runs", type=int, default=5,
                        help="runs launched one at a time per executor and round")  # fmt: skip
    parser.add_argument("--default-executor-only", action="store_true",
                        help="compare nothing: time only the project's default executor (a "
                        "quicker trial of a change to the run's start)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.side_by_side:
        print(side_by_side(args.side_by_side))
        return 0
    if args.snapshots is None:
        parser.error("SNAPSHOTS is required (or --side-by-side)")

    from base.repo_id import repo_slug
    from demo.github_stand_in import GitHubStandIn
    from demo.real_repositories import fill_stand_in, snapshot_git_dirs

    # Before the work directory is replaced: a wrong path must not cost the last run's results.
    for option, path in (("--candidate-list", args.candidate_list),
                         ("--metadata-csv", args.metadata_csv)):  # fmt: skip
        if not path.is_file():
            raise SystemExit(f"{option} {path}: no such file (the study's data, ../shared/data)")
    work = args.work.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)

    candidates = candidate_rows(args.candidate_list)
    snapshots = {}
    for repo_id, git_dir in snapshot_git_dirs(args.snapshots).items():
        if repo_id.lower() in candidates:
            snapshots[candidates[repo_id.lower()]] = git_dir
        else:
            say(f"skipped {repo_id}: not in the candidate list")
    if args.repos:
        snapshots = dict(list(snapshots.items())[: args.repos])
    if not snapshots:
        raise SystemExit(f"no snapshot of a candidate under {args.snapshots}")
    candidate_list = args.candidate_list.resolve()
    if args.only_snapshot_candidates:
        candidate_list = work / "candidates.csv"
        with open(args.candidate_list, newline="", encoding="utf-8") as src, open(candidate_list, "w", newline="", encoding="utf-8") as dst:  # fmt: skip
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, reader.fieldnames)
            writer.writeheader()
            keys = {r.lower() for r in snapshots}
            writer.writerows(r for r in reader if r["ProjectName"].lower() in keys)
    with open(candidate_list, encoding="utf-8") as handle:
        candidate_count = sum(1 for _ in handle) - 1

    say(f"{len(snapshots)} snapshots; GitHub stand-in from {args.metadata_csv.name} ...")
    stand_in = GitHubStandIn.from_metadata_csv(args.metadata_csv, tokens=list(TOKENS))
    facts = fill_stand_in(stand_in, snapshots)
    stand_in.start()

    sources, mirrors = work / "sources", work / "mirrors"
    sources.mkdir()
    refused = {}
    for repo_id, git_dir in snapshots.items():
        (sources / f"{repo_slug(repo_id)}.git").symlink_to(git_dir)
        missing = missing_objects(git_dir)
        if missing:
            refused[repo_id] = missing
    say(
        f"{len(refused)} of {len(snapshots)} snapshots lack objects (git's file:// transport refuses them)"
    )
    seed_began = time.monotonic()
    for repo_id in snapshots:
        slug = repo_slug(repo_id)
        seed_mirror(
            sources / f"{slug}.git", mirrors / f"{slug}.git", f"file://{sources}/{slug}.git"
        )
    seed_seconds = time.monotonic() - seed_began

    inspections = work / "inspections.csv"
    with open(inspections, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["repo_id", "decision", "note"])
        for repo_id in snapshots:
            writer.writerow(
                [repo_id, "include", "dry run: real repository, snapshot of its history"]
            )

    home = work / "dagster_home"
    max_runs = write_dagster_yaml(home, args.max_concurrent_runs)
    grpc_ports, web_port = {name: free_port() for name in LOCATIONS}, free_port()
    workspace = work / "workspace.yaml"
    workspace.write_text(
        "load_from:\n" + "".join(
            f"  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
            f"      location_name: {name}\n" for name, port in grpc_ports.items()),
        encoding="utf-8",
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMS_", "DAGSTER_", "GITHUB_"))}
    # A user's Python caches bytecode; without it every process compiles its ~2,700 modules again
    # (about 6 s each here, where PYTHONDONTWRITEBYTECODE is set). The cache stays in the work dir.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.update(
        DAGSTER_HOME=str(home),
        MMS_LANDING_DIR=str(work / "landing"),
        MMS_DUCKDB_PATH=str(work / "warehouse" / "warehouse.duckdb"),
        MMS_MIRROR_DIR=str(mirrors),
        MMS_REPORTS_DIR=str(work / "reports"),
        MMS_GIT_URL_TEMPLATE=f"file://{sources}/{{slug}}.git",
        MMS_GIT_MISSING_OBJECTS="record",
        MMS_CANDIDATE_LIST=str(candidate_list),
        GITHUB_API_URL=stand_in.base_url,
        GITHUB_TOKEN=",".join(TOKENS),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    bin_dir = Path(sys.executable).parent
    services = Services(work / "logs", env)
    sampler = MemorySampler()
    sampler.start()
    results: dict = {}
    # A plain kill stops the services this script started too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        subprocess.run(
            [str(bin_dir / "mms-extract"), "init"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        # Create the instance's SQLite storage once, before the services: processes that open a
        # fresh DAGSTER_HOME at the same moment race to create its tables, and the loser dies
        # ("table secondary_indexes already exists"; met with two Celery workers).
        import dagster as dg

        dg.DagsterInstance.from_config(str(home)).dispose()
        workers: dict[str, int] = {}
        if args.executor == "celery":
            redis_port = free_port()
            services.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no"], cwd=work)  # fmt: skip
            wait_for_port(redis_port, "redis-server")
            env["MMS_CELERY_BROKER"] = f"redis://127.0.0.1:{redis_port}/0"
            celery_yaml = work / "celery.yaml"
            celery_yaml.write_text(
                f"execution:\n  config:\n    broker: {env['MMS_CELERY_BROKER']}\n"
                f"    backend: {env['MMS_CELERY_BROKER']}\n",
                encoding="utf-8",
            )
            for n in range(1, args.workers + 1):
                process = services.start(f"celery-w{n}", [
                    str(bin_dir / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                    "-y", str(celery_yaml), "--name", f"w{n}", "--", "--concurrency", "1",
                ])  # fmt: skip
                workers[f"w{n}"] = process.pid
                wait_for_log(process, work / "logs" / f"celery-w{n}.log", "ready.", f"worker w{n}")
        say("starting the code server, daemon and webserver ...")
        for name, port in grpc_ports.items():
            services.start(f"code-server-{name}", [
                str(bin_dir / "dagster"), "code-server", "start", "-m", "dagster_project.definitions",
                "-a", f"{name}_location", "-d", str(ROOT), "--location-name", name, "-h", "127.0.0.1",
                "-p", str(port),
            ])  # fmt: skip
        for name, port in grpc_ports.items():
            wait_for_port(port, f"the {name} code server")
        for sensor in (*SENSORS_OFF, PARTITION_SENSOR):
            dagster_cli(env, workspace, "sensor", "stop", sensor, "-l", location_of(sensor))
        services.start("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace)])
        services.start("webserver", [str(bin_dir / "dagster-webserver"), "-w", str(workspace),
                                     "-h", "127.0.0.1", "-p", str(web_port)])  # fmt: skip
        wait_for_http(f"http://127.0.0.1:{web_port}/server_info", "the webserver")
        sampler.set_services(services.pids(), workers)
        dagster = Dagster(home, web_port, sampler)
        clock = StageClock(stand_in)

        first = first_run(dagster, clock, env, workspace, inspections)
        landing_dir = Path(env["MMS_LANDING_DIR"])
        served_first = len(stand_in.served)
        daily, forced = ([], []) if args.no_refresh else refresh(dagster, clock)
        comparison = (
            compare_executors(dagster, clock, forced_runs=args.forced_runs, alone=args.alone_runs,
                              rounds=args.rounds, only_default=args.default_executor_only)
            if args.executor == "multiprocess" and args.rounds
            else {}
        )  # fmt: skip
        selected = selected_repositories(Path(env["MMS_DUCKDB_PATH"]))

        def repo_runs(stages):
            return {r.partition.lower(): r for r in stage_runs(stages, "repositories")}

        runs1, runs_forced = repo_runs(first), repo_runs(forced)
        repos = []
        for repo_id in selected:
            landed = landed_figures(landing_dir, repo_id)
            run = runs1.get(repo_id.lower())
            github_id = stand_in.resolve(repo_id).id
            steps = run.steps if run else {}
            peak = run.peak_rss_mb if run and run.peak_rss_mb else 0.0
            if workers and run and run.started and run.ended:
                # Steps ran in the workers: add the busiest worker's peak while this run was live.
                peak += max(sampler.worker_peak(w, run.started, run.ended) for w in workers) / 2**20
            again = runs_forced.get(repo_id.lower())
            repos.append({
                "repo_id": repo_id,
                **landed,
                "landing_mb": (landed["commits_bytes"] + landed["modified_files_bytes"] + landed["closed_items_bytes"]) / 2**20,
                "mirror_mb": du(mirrors / f"{repo_slug(repo_id)}.git") / 2**20,
                "requests": repo_requests(stand_in, repo_id, github_id, 0, served_first),
                "git_s": next((v for k, v in steps.items() if k.startswith("git")), 0.0),
                "github_s": next((v for k, v in steps.items() if k.startswith("closed")), 0.0),
                "queued_s": run.queued_s if run else 0.0,
                "run_s": run.run_s if run else 0.0,
                "forced_run_s": again.run_s if again else 0.0,
                "peak_rss_mb": peak,
                "status": run.status if run else "no run",
            })  # fmt: skip
        chosen_summary = selection_summary(Path(env["MMS_DUCKDB_PATH"]), list(snapshots))
        results = {
            "executor": args.executor,
            "workers": args.workers if args.executor == "celery" else 0,
            "max_concurrent_runs": max_runs,
            "snapshots": len(snapshots),
            "candidates": candidate_count,
            "repositories_selected": len(selected),
            "file_transport_refused": refused,
            "seed_seconds": seed_seconds,
            "facts": {
                k: asdict(v) | {"last_commit_at": str(v.last_commit_at)} for k, v in facts.items()
            },
            "selection": chosen_summary,
            "first_run": [asdict(s) for s in first],
            "daily_refresh": [asdict(s) for s in daily],
            "forced_refresh": [asdict(s) for s in forced],
            "executors": {n: [asdict(s) for s in st] for n, st in comparison.items()},
            "repositories": repos,
            "totals": {
                "commits": sum(r["commits"] for r in repos),
                "modified_files": sum(r["modified_files"] for r in repos),
                "closed_items": sum(r["closed_items"] for r in repos),
                "landing_mb": du(landing_dir) / 2**20,
                "mirrors_mb": du(mirrors) / 2**20,
                "warehouse_mb": du(Path(env["MMS_DUCKDB_PATH"])) / 2**20,
                "median_run_s": median([r["run_s"] for r in repos]),
                "median_forced_run_s": median([r["forced_run_s"] for r in repos]),
                "median_queue_s": median([r.queued_s for r in runs1.values()]),
            },
            "total_peak_rss_mb": sampler.total_peak / 2**20,
            "cpu_count": os.cpu_count(),
        }
        (work / "results.json").write_text(
            json.dumps(results, indent=1, default=str), encoding="utf-8"
        )
        print()
        print(report(results))
        print(f"\nSelection of the snapshots: {sum(1 for r in chosen_summary if r[1] == 'selected')} selected; "
              + "; ".join(f"{r[0]}: {r[2]}" for r in chosen_summary if r[1] != "selected"))  # fmt: skip
        print(f"Results: {work / 'results.json'}; logs: {work / 'logs'}")
    finally:
        sampler.stop()
        services.stop()
        stand_in.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
