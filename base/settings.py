"""Settings shared by every layer (extract, the warehouse build, the report, Dagster): one
environment variable each.

Every reader calls these functions at the moment it needs a value (never at import time), so a
setting changed in the environment is seen by the next command or run. Relative paths are resolved
against the project directory: ``$MMS_PROJECT_DIR`` when set, else the checkout this package lives
in (it holds ``dbt/dbt_project.yml``), else the current directory (an installed package).
Nothing here writes to ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

#: variable -> default (relative paths are under the project directory)
PATH_DEFAULTS: dict[str, str] = {
    "MMS_DUCKDB_PATH": "data/warehouse.duckdb",
    "MMS_LANDING_DIR": "data/landing",
    "MMS_MIRROR_DIR": "data/mirrors",
    "MMS_REPORTS_DIR": "reports",
    "MMS_SUGGESTER_EVALUATION_DIR": "data/suggester_evaluation",
}
GITHUB_API_URL_DEFAULT = "https://api.github.com"
GIT_URL_TEMPLATE_DEFAULT = "https://github.com/{repo_id}.git"
#: longest wait for a rate-limit reset before a request is given up (GitHub resets hourly)
GITHUB_MAX_WAIT_DEFAULT = 3700.0
#: seconds a GitHub request may take to connect, and then to answer (GitHub itself stops at 10 s)
GITHUB_TIMEOUT_DEFAULT = 20


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def project_dir(env: Mapping[str, str] | None = None) -> Path:
    configured = _env(env).get("MMS_PROJECT_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "dbt" / "dbt_project.yml").is_file():
        return checkout
    return Path.cwd()


def dbt_project_dir(env: Mapping[str, str] | None = None) -> Path:
    return project_dir(env) / "dbt"


def path_setting(name: str, env: Mapping[str, str] | None = None) -> Path:
    """The absolute path a ``MMS_*`` path variable names (its default when unset or empty)."""
    return project_path(_env(env).get(name) or PATH_DEFAULTS[name], env)


def duckdb_path(env: Mapping[str, str] | None = None) -> Path:
    """The published warehouse analysts open (``MMS_DUCKDB_PATH``)."""
    return path_setting("MMS_DUCKDB_PATH", env)


def landing_dir(env: Mapping[str, str] | None = None) -> Path:
    return path_setting("MMS_LANDING_DIR", env)


def mirror_dir(env: Mapping[str, str] | None = None) -> Path:
    return path_setting("MMS_MIRROR_DIR", env)


def reports_dir(env: Mapping[str, str] | None = None) -> Path:
    return path_setting("MMS_REPORTS_DIR", env)


def suggester_evaluation_dir(env: Mapping[str, str] | None = None) -> Path:
    """An ``mms-suggest evaluate --out`` directory the study report shows beyond the study
    (``MMS_SUGGESTER_EVALUATION_DIR``); the report says how to make one when it holds none."""
    return path_setting("MMS_SUGGESTER_EVALUATION_DIR", env)


def lent_commits(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """Files of a team's labelled commits (``mms-suggest lend``) that the commit suggester also
    trains on, beside the bundled real set: ``MMS_LENT_COMMITS``, paths separated by ``:``
    (``os.pathsep``), relative ones under the project directory; none when unset."""
    values = _env(env).get("MMS_LENT_COMMITS", "").split(os.pathsep)
    return tuple(project_path(value.strip(), env) for value in values if value.strip())


def project_path(value: str, env: Mapping[str, str] | None = None) -> Path:
    """``value`` as an absolute path, a relative one under the project directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else project_dir(env) / path


def github_api_url(env: Mapping[str, str] | None = None) -> str:
    return _env(env).get("GITHUB_API_URL") or GITHUB_API_URL_DEFAULT


def _seconds(name: str, default: float, env: Mapping[str, str] | None, *, minimum: float) -> float:
    raw = _env(env).get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
    if value < minimum:
        raise ValueError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def github_max_wait(env: Mapping[str, str] | None = None) -> float:
    """Seconds a crawl may wait for a rate-limit reset (``MMS_GITHUB_MAX_WAIT``)."""
    return _seconds("MMS_GITHUB_MAX_WAIT", GITHUB_MAX_WAIT_DEFAULT, env, minimum=0)


def github_timeout(env: Mapping[str, str] | None = None) -> int:
    """Seconds a GitHub request may take to connect and then to answer (``MMS_GITHUB_TIMEOUT``);
    whole seconds, as PyGithub takes them."""
    return max(1, round(_seconds("MMS_GITHUB_TIMEOUT", GITHUB_TIMEOUT_DEFAULT, env, minimum=1)))


def github_allow_anonymous(env: Mapping[str, str] | None = None) -> bool:
    """``MMS_GITHUB_ALLOW_ANONYMOUS=1`` runs without a token (60 requests an hour on github.com)."""
    return _env(env).get("MMS_GITHUB_ALLOW_ANONYMOUS", "") == "1"


def git_url_template(env: Mapping[str, str] | None = None) -> str:
    return _env(env).get("MMS_GIT_URL_TEMPLATE") or GIT_URL_TEMPLATE_DEFAULT


#: what the git miner does on a commit git cannot diff (a blob missing from the source)
GIT_MISSING_OBJECTS_CHOICES = ("fail", "record")


def git_missing_objects(env: Mapping[str, str] | None = None) -> Literal["fail", "record"]:
    """``MMS_GIT_MISSING_OBJECTS``: ``fail`` (default) or ``record`` for sources that lack blobs
    (snapshots from archives): such commits land with unknown line counts and are listed."""
    value = _env(env).get("MMS_GIT_MISSING_OBJECTS") or "fail"
    if value == "fail":
        return "fail"
    if value == "record":
        return "record"
    raise ValueError(
        f"MMS_GIT_MISSING_OBJECTS={value!r} must be one of {', '.join(GIT_MISSING_OBJECTS_CHOICES)}"
    )


def candidate_list(env: Mapping[str, str] | None = None) -> str:
    return _env(env).get("MMS_CANDIDATE_LIST", "")


def celery_broker(env: Mapping[str, str] | None = None) -> str:
    """``MMS_CELERY_BROKER`` (e.g. ``redis://host:6379/0``): when set, Dagster runs every step on
    Celery workers instead of in processes beside the run."""
    return _env(env).get("MMS_CELERY_BROKER", "")


def celery_backend(env: Mapping[str, str] | None = None) -> str:
    """``MMS_CELERY_BACKEND``: where Celery keeps step results (default: the broker)."""
    return _env(env).get("MMS_CELERY_BACKEND", "")


def subprocess_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process (dbt): every path setting made absolute, so the child
    reads the same files whatever its working directory."""
    base = dict(_env(env))
    for name in PATH_DEFAULTS:
        base[name] = str(path_setting(name, env))
    return base
