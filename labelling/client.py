"""The few calls of Label Studio's REST API the labelling rounds need, over ``requests``.

Why not ``label-studio-sdk``: its 2.x client pulls OpenCV, NLTK, a JSON-schema code generator and
pinned pydantic/numpy ranges into the project's environment for five endpoints; ``requests`` is
already here (PyGithub uses it). The endpoints are Label Studio's documented API: ``/api/projects``
(list, create, update), ``/api/projects/{id}/import`` (tasks with ``predictions``),
``/api/projects/{id}/export?exportType=JSON&download_all_tasks=true`` (every task with its
annotations) and ``/api/current-user/whoami``.

The token is read from the environment (``MMS_LABEL_STUDIO_TOKEN``) by :func:`from_environment` and
lives only in the session's headers: no message, exception or log line built here contains it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

URL_VARIABLE = "MMS_LABEL_STUDIO_URL"
TOKEN_VARIABLE = "MMS_LABEL_STUDIO_TOKEN"
DEFAULT_URL = "http://localhost:8080"
#: Label Studio refuses longer project titles.
MAX_TITLE = 50
#: seconds to connect and to wait for an answer; an export of a large project takes long
TIMEOUT = (10, 600)


class LabelStudioError(RuntimeError):
    """Label Studio cannot be reached or refused a call; the message is one line, without token."""


@dataclass
class LabelStudio:
    url: str
    token: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self.session.headers["Authorization"] = f"Token {self.token}"

    def _call(self, method: str, path: str, what: str, **kwargs) -> Any:
        try:
            response = self.session.request(method, self.url + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise LabelStudioError(
                f"Label Studio at {self.url} is unreachable ({reason}) while {what}; "
                f"is it running? ({URL_VARIABLE})"
            ) from None
        if response.status_code in (401, 403):
            raise LabelStudioError(
                f"Label Studio at {self.url} refused the token while {what} "
                f"(HTTP {response.status_code}); check {TOKEN_VARIABLE}"
            )
        if response.status_code >= 400:
            detail = " ".join(response.text.split())[:300]
            raise LabelStudioError(
                f"Label Studio at {self.url} answered HTTP {response.status_code} while {what}: "
                f"{detail}"
            )
        try:
            return response.json() if response.content else None
        except ValueError:
            raise LabelStudioError(
                f"Label Studio at {self.url} sent no JSON while {what} (is {URL_VARIABLE} "
                "Label Studio's address?)"
            ) from None

    def check(self) -> str:
        """The user the token belongs to: fails first, before anything is read or written."""
        return self._call("GET", "/api/current-user/whoami", "checking the token")["email"]

    def projects(self) -> list[dict]:
        found, page = [], 1
        while True:
            answer = self._call(
                "GET",
                "/api/projects",
                "listing projects",
                params={"page": page, "page_size": 100},
            )
            found += answer["results"]
            if not answer.get("next"):
                return found
            page += 1

    def project_by_title(self, title: str) -> dict | None:
        matches = [p for p in self.projects() if p["title"] == title]
        return matches[0] if matches else None

    def create_project(self, fields: Mapping[str, Any]) -> dict:
        return self._call(
            "POST", "/api/projects", f"creating project {fields['title']!r}", json=dict(fields)
        )

    def update_project(self, project_id: int, fields: Mapping[str, Any]) -> dict:
        return self._call(
            "PATCH", f"/api/projects/{project_id}", f"updating project {project_id}", json=fields
        )

    def import_tasks(self, project_id: int, tasks: list[dict]) -> dict:
        return self._call(
            "POST",
            f"/api/projects/{project_id}/import",
            f"importing {len(tasks)} task(s) into project {project_id}",
            params={"commit_to_project": "true"},
            json=tasks,
        )

    def export_tasks(self, project_id: int) -> list[dict]:
        """Every task of the project, labelled or not, with its annotations."""
        return self._call(
            "GET",
            f"/api/projects/{project_id}/export",
            f"exporting project {project_id}",
            params={"exportType": "JSON", "download_all_tasks": "true"},
        )

    def project_link(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}"


def from_environment(env: Mapping[str, str] | None = None) -> LabelStudio:
    env = os.environ if env is None else env
    token = env.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise LabelStudioError(
            f"{TOKEN_VARIABLE} is not set: export the token of a Label Studio user "
            "(Account & Settings, or LABEL_STUDIO_USER_TOKEN when the tool was started)"
        )
    return LabelStudio(env.get(URL_VARIABLE, "").strip() or DEFAULT_URL, token)
