"""The scale-out path, proven on this machine: Debian's redis-server as the broker, a Celery worker
started with `dagster-celery worker start`, and a tiny partitioned job on the project's Celery
executor (MMS_CELERY_BROKER) whose steps run in the worker and land in the shared landing dir."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

import landing
from tests.patience import patience
from tests.processes import stop_process_group

# Redis, a Celery worker and a Dagster run on it
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
REDIS = shutil.which("redis-server")

if REDIS is None:
    # CI installs Debian's redis-server (.ci/run), so there the test must run, not skip.
    if os.environ.get("CI"):
        raise RuntimeError("CI=true but no redis-server on PATH: .ci/run should have installed it")
    pytest.skip("no redis-server on PATH (apt-get install redis-server)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args, env, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen) -> None:
    """The process group this test started, by its id: the worker and its pool children."""
    stop_process_group(process, grace_seconds=15)


def _wait_for(predicate, what: str, log: Path, seconds: float = 45) -> None:
    timeout = patience(seconds)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout:.0f} s; log:\n{log.read_text(errors='replace')}")


def _tiny_repository(path: Path, commits: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.org",
               GIT_COMMITTER_NAME="Ada", GIT_COMMITTER_EMAIL="ada@example.org")  # fmt: skip
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    stream = []
    for n in range(1, commits + 1):
        stream.append(
            f"commit refs/heads/main\nmark :{n}\ncommitter Ada <ada@example.org> "
            f"{1_600_000_000 + n} +0000\ndata 8\nchange {n}\n"
            + (f"from :{n - 1}\n" if n > 1 else "")
            + f"M 100644 inline model.py\ndata {len(str(n)) + 3}\nw={n}\n\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input="".join(stream).encode(),
                   env=env, check=True)  # fmt: skip


def test_a_partitioned_job_runs_on_celery_workers_and_lands(tmp_path, monkeypatch):
    sources, landing_dir, home = tmp_path / "sources", tmp_path / "landing", tmp_path / "home"
    sources.mkdir()
    home.mkdir()
    _tiny_repository(sources / "acme__one.git", 3)
    _tiny_repository(sources / "acme__two.git", 5)
    landing.ensure_landing(landing_dir)
    broker = f"redis://127.0.0.1:{_free_port()}/0"
    env = {
        **os.environ,
        "MMS_CELERY_BROKER": broker,
        "MMS_LANDING_DIR": str(landing_dir),
        "MMS_TEST_SOURCES": str(sources),
        "DAGSTER_HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name, value in env.items():
        if name.startswith("MMS_") or name == "DAGSTER_HOME":
            monkeypatch.setenv(name, value)
    config = tmp_path / "celery.yaml"
    config.write_text(f"execution:\n  config:\n    broker: {broker}\n    backend: {broker}\n")

    redis_log, worker_log = tmp_path / "redis.log", tmp_path / "worker.log"
    port = broker.rsplit(":", 1)[1].split("/")[0]
    redis = _start([REDIS, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
                    "no"], env, redis_log)  # fmt: skip
    worker = None
    try:
        _wait_for(lambda: "Ready to accept connections" in redis_log.read_text(), "redis did not start", redis_log)  # fmt: skip
        worker = _start([str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                         "-y", str(config), "--name", "w1", "--", "--concurrency", "1"],
                        env, worker_log)  # fmt: skip
        _wait_for(lambda: " ready." in worker_log.read_text(errors="replace"), "the Celery worker was not ready", worker_log)  # fmt: skip

        instance = dg.DagsterInstance.from_config(str(home))
        # The worker imports the job the way this process does: module and working directory.
        job = dg.build_reconstructable_job(
            "celery_graph", "tiny_job", reconstructor_working_directory=str(HERE)
        )
        for repo_id, expected in (("acme/one", 3), ("acme/two", 5)):
            with dg.execute_job(
                job, instance=instance, tags={"dagster/partition": repo_id}
            ) as result:
                assert result.success, worker_log.read_text(errors="replace")
                [event] = result.get_asset_materialization_events()
                metadata = event.materialization.metadata
                assert metadata["commits"].value == expected
                assert int(metadata["pid"].value) != os.getpid()  # ran in the worker
                engine = [e.message for e in result.all_events if e.is_engine_event]
                assert any("in celery worker" in (m or "") for m in engine)
            landed = landing.read_partition(landing_dir, "git/commits", repo_id)
            assert landed is not None and landed.num_rows == expected
    finally:
        if worker is not None:
            _stop(worker)
        _stop(redis)
    assert worker.poll() is not None and redis.poll() is not None
