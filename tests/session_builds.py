"""Generated studies that tests in several files read, built once per test session.

pytest-xdist runs a session fixture once in every worker that needs it, so two workers would each
build the same study (minutes of dbt). Here the first worker to ask builds it under a file lock, in
a folder of the session's temporary directory that every worker shares, named by what it is built
from; the others wait for that lock and read the same folder (the recipe of pytest-xdist's docs,
"Making session-scoped fixtures execute only once"). The folder is read-only by convention: a test
that writes (imports labels, rebuilds) works on a copy (``copy_study``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

#: written last: a folder without it is a build that failed or was interrupted
_BUILT = "built.json"


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's temporary directory, the same for every xdist worker (each worker's own
    base directory lies inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    inputs: dict[str, Any],
    build: Callable[[Path], Any],
) -> tuple[Path, Any]:
    """``build(folder)`` once per session for these ``inputs``; returns the folder and what
    ``build`` returned (JSON)."""
    return build_once_in(shared_folder(tmp_path_factory), name, inputs, build)


def build_once_in(
    shared: Path, name: str, inputs: dict[str, Any], build: Callable[[Path], Any]
) -> tuple[Path, Any]:
    """``build(folder)`` once in ``shared`` for these ``inputs``, whichever process asks first;
    the others wait for it and read the same folder. A build that raised is tried again by the
    next process that asks, so each reports the error rather than reading half a study."""
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    folder = shared / "session-builds" / f"{name}-{key}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.parent / f"{folder.name}.lock"):
        built = folder / _BUILT
        if not built.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            result = build(folder)
            built.write_text(json.dumps({"inputs": inputs, "result": result}), encoding="utf-8")
    return folder, json.loads(built.read_text(encoding="utf-8"))["result"]


def copy_study(source: Path, destination: Path, *names: str) -> Path:
    """A private copy of the named files and folders of a shared study, for a test that writes."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (source / name).is_dir():
            shutil.copytree(source / name, destination / name)
        else:
            shutil.copy(source / name, destination / name)
    return destination
