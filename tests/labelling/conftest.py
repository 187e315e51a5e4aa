"""A real Label Studio for the labelling tests, started once per test session from its own
environment (not the project's): ``$MMS_LABEL_STUDIO_BIN`` is its ``label-studio`` executable, which
.ci/run installs with `uv venv` + `uv pip install -r labelling/label-studio-requirements.txt`.
Without it the tests skip locally and fail in CI."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import stop_process_group

BIN_VARIABLE = "MMS_LABEL_STUDIO_BIN"


@dataclass
class RunningLabelStudio:
    url: str
    token: str
    email: str
    password: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Until it answers or dies: its first start migrates a fresh database, which takes a minute or
    more on a loaded machine, so no short deadline; a start that hangs for 20 minutes is broken."""
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"label-studio exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"label-studio at {url} never became healthy; log: {log}")


def _migrated_data_dir(executable: str, env: dict[str, str], root: Path) -> Path:
    """A data folder whose database Label Studio has migrated already, copied from a template kept
    beside its environment: migrating a fresh database is most of a first start (21 of 22 CPU
    seconds measured, against 5 s from a migrated one). The template has no user and no secret key,
    so each session still creates its own admin, token and key. `.ci/run` makes it right after it
    installs Label Studio; without it, the first session makes it here."""
    template = Path(executable).resolve().parents[1] / "mms-migrated-data"
    data = root / "data"
    if not (template / "label_studio.sqlite3").exists():
        try:
            staging = Path(tempfile.mkdtemp(prefix="mms-migrating-", dir=template.parent))
        except OSError:  # an environment this user cannot write: it migrates a fresh database
            return data
        user = ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN")
        plain = {k: v for k, v in env.items() if k not in user}
        # Any command migrates before it runs; `version` then only prints.
        done = subprocess.run([executable, "version", "--data-dir", str(staging)], env=plain,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = (done.stdout + done.stderr)[-3000:]
            raise RuntimeError(f"{executable} could not migrate a database in {staging}:\n{tail}")
        (staging / ".env").unlink(missing_ok=True)  # its SECRET_KEY: each session makes its own
        try:
            staging.rename(template)
        except OSError:  # another session made it meanwhile
            shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(template, data)
    return data


@pytest.fixture(scope="session")
def label_studio_starting(tmp_path_factory):
    """Label Studio launched, not waited for: a fixture that builds a warehouse meanwhile asks for
    this one, and the tests for :func:`label_studio`, so its start overlaps the build."""
    executable = os.environ.get(BIN_VARIABLE)
    if not executable or not Path(executable).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"CI=true but {BIN_VARIABLE} is not set: .ci/run installs it")
        pytest.skip(
            f"no Label Studio: set {BIN_VARIABLE} to a label-studio executable "
            "(uv venv /tmp/ls && uv pip install --python /tmp/ls "
            "-r labelling/label-studio-requirements.txt)"
        )
    root = tmp_path_factory.mktemp("label-studio")
    port, token = _free_port(), secrets.token_hex(20)
    email, password = "admin@example.com", secrets.token_hex(12)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMS_", "VIRTUAL_ENV", "HOST"))}
    env.update(
        LABEL_STUDIO_USERNAME=email,
        LABEL_STUDIO_PASSWORD=password,
        LABEL_STUDIO_USER_TOKEN=token,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
        # it reports errors to Sentry, asks PyPI for a newer version and sends usage analytics
        # unless told not to: a test talks to nothing but this machine
        LABEL_STUDIO_SENTRY_DSN="",
        LABEL_STUDIO_FRONTEND_SENTRY_DSN="",
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",
        LABEL_STUDIO_COLLECT_ANALYTICS="false",
    )
    log = root / "label-studio.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [executable, "start", "--no-browser", "--internal-host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(_migrated_data_dir(executable, env, root))],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=root,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        yield RunningLabelStudio(url, token, email, password, log), process
    finally:
        stop_process_group(process)


@pytest.fixture(scope="session")
def label_studio(label_studio_starting) -> RunningLabelStudio:
    running, process = label_studio_starting
    _wait_until_healthy(running.url, process, running.log)
    return running
