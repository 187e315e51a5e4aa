"""A local stand-in for the GitHub REST and GraphQL APIs, spoken to by PyGithub unmodified.

It serves a small data model filled from Python (repositories, their issues and pull requests,
commit and contributor counts, issue timelines) with GitHub's wire behaviour: paginated JSON with
``Link`` headers, pull requests mixed into the issues list, ``since`` / ``sort`` / ``direction``,
weak ETags with ``304 Not Modified`` (not charged), a primary rate limit per token and resource
(``core``, ``search``, ``graphql``) with ``x-ratelimit-*`` headers, ``301`` for a renamed repository,
``/repositories/{id}/...``, ``404``, ``451`` for a blocked one, ``409`` for the commits of an empty
one, ``401`` for a bad token. GraphQL answers the one shape the miner sends: repositories aliased in
one query with ``issues(states: ...)`` / ``pullRequests(states: ...)`` ``{ totalCount }``,
``databaseId`` and ``nameWithOwner`` (renamed repositories followed, as GitHub's ``followRenames``
does), missing ones as ``NOT_FOUND`` errors, an exhausted window as a ``RATE_LIMIT`` error. With
``api_prefix="/api/v3"`` it is laid out as GitHub Enterprise (REST under ``/api/v3``, GraphQL at
``/api/graphql``).

Faults are scripted per path (a queue each): any status or body, primary and secondary rate limits,
a connection reset in the middle of a body, the normal answer cut short (a truncated JSON body sent
whole, as a proxy or a GitHub incident does) or stripped of some fields. GraphQL refuses anonymous
requests (``401``), as GitHub's does. Every request served is recorded (with whether GitHub
would have charged it, and to which resource), and :meth:`GitHubStandIn.on_served` calls back after
each one, so a test can change the data between two requests the way GitHub's users do.

Tests use it, the benchmark uses it, and the offline sample run serves its bundled data from it:
``uv run python -m demo.github_stand_in --metadata-csv ../shared/data/ml_universe_repo_metadata.csv``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

GITHUB_DOCS = "https://docs.github.com/rest"
PRIMARY_LIMIT_MESSAGE = "API rate limit exceeded for user ID 1."
GRAPHQL_LIMIT_MESSAGE = "API rate limit already exceeded for user ID 1."
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def iso(ts: float | str | None) -> str | None:
    """GitHub's timestamp format (``2020-01-02T03:04:05Z``) from epoch seconds or a string."""
    if ts is None or isinstance(ts, str):
        return ts
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass
class Fault:
    """One scripted misbehaviour, served instead of the normal answer to a matching request."""

    kind: str  # "status", "reset", "primary_limit", "secondary_limit", "truncate", "drop"
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    reset_in: int = 60
    fields: tuple[str, ...] = ()  # of a "drop"

    @classmethod
    def status_code(cls, status: int, message: str = "Server Error") -> Fault:
        body = {"message": message} if status < 500 else None
        return cls("status", status=status, body=body)

    @classmethod
    def answer(cls, status: int, body: Any) -> Fault:
        """Answer with this status and JSON body instead (e.g. ``200`` with ``[]``: a wrong page)."""
        return cls("status", status=status, body=body)

    @classmethod
    def connection_reset(cls) -> Fault:
        """Send the headers and half the body, then reset the connection."""
        return cls("reset")

    @classmethod
    def truncated(cls) -> Fault:
        """The normal answer cut after half its body, sent in full (its Content-Length says so)."""
        return cls("truncate")

    @classmethod
    def dropping(cls, *fields: str) -> Fault:
        """The normal answer without these keys: of the object, or of each object of a list."""
        return cls("drop", fields=fields)

    @classmethod
    def primary_limit(cls, reset_in: int = 60, status: int = 403) -> Fault:
        """Exhaust the caller's token: 403 with ``x-ratelimit-remaining: 0`` until the reset."""
        return cls("primary_limit", status=status, reset_in=reset_in)

    @classmethod
    def secondary_limit(cls, retry_after: int | None = 30, status: int = 403) -> Fault:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls("secondary_limit", status=status, headers=headers)


@dataclass
class Served:
    """A request the stand-in answered."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    charged: bool
    token: str | None  # the token as sent, so tests can check rotation; never logged
    resource: str = "core"  # the rate limit it counts against: core, search or graphql
    variables: dict[str, Any] | None = None  # of a GraphQL query


@dataclass
class StandInRepository:
    full_name: str
    id: int
    created_at: str = "2018-01-01T00:00:00Z"
    pushed_at: str = "2020-01-01T00:00:00Z"
    updated_at: str = "2020-01-01T00:00:00Z"
    stargazers_count: int = 10
    subscribers_count: int = 3
    forks_count: int = 2
    open_issues_count: int = 0
    size: int = 100
    default_branch: str = "main"
    archived: bool = False
    fork: bool = False
    language: str | None = "Python"
    topics: list[str] = field(default_factory=list)
    commits: int = 1
    contributors: int = 1
    blocked: bool = False
    issues_disabled: bool = False
    issues: dict[int, dict] = field(default_factory=dict)
    timelines: dict[int, list[dict]] = field(default_factory=dict)

    def add_issue(
        self,
        number: int,
        *,
        created_at: float | str = 1_500_000_000,
        updated_at: float | str | None = None,
        closed_at: float | str | None = None,
        title: str | None = None,
        body: str | None = "body",
        user: str | None = "alice",
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        comments: int = 0,
        state: str = "closed",
        state_reason: str | None = "completed",
        closed_by: str | None = None,
        pull_request: bool = False,
        merged_at: float | str | None = None,
    ) -> dict:
        """Add (or replace) an issue or pull request, in the shape GitHub's issues list returns."""
        closed = closed_at if closed_at is not None else created_at
        updated = updated_at if updated_at is not None else closed
        html = (
            f"https://github.com/{self.full_name}/{'pull' if pull_request else 'issues'}/{number}"
        )
        item: dict[str, Any] = {
            "url": f"https://api.github.com/repos/{self.full_name}/issues/{number}",
            "html_url": html,
            "id": self.id * 100_000 + number,
            "number": number,
            "title": title if title is not None else f"issue {number}",
            "user": None if user is None else {"login": user, "id": abs(hash(user)) % 10**6},
            "labels": [{"name": name, "color": "ededed"} for name in labels],
            "state": state,
            "locked": False,
            "assignees": [{"login": login} for login in assignees],
            "comments": comments,
            "created_at": iso(created_at),
            "updated_at": iso(updated),
            "closed_at": iso(closed) if state == "closed" else None,
            "author_association": "CONTRIBUTOR",
            "body": body,
            "state_reason": None if pull_request else state_reason,
            "closed_by": None if closed_by is None else {"login": closed_by},
        }
        if pull_request:
            item["pull_request"] = {
                "url": f"https://api.github.com/repos/{self.full_name}/pulls/{number}",
                "html_url": html,
                "merged_at": iso(merged_at),
            }
        self.issues[number] = item
        return item

    def as_json(self, base_url: str) -> dict:
        owner, name = self.full_name.split("/")
        return {
            "id": self.id,
            "node_id": f"R_{self.id}",
            "name": name,
            "full_name": self.full_name,
            "owner": {"login": owner, "type": "User"},
            "private": False,
            "html_url": f"https://github.com/{self.full_name}",
            "url": f"{base_url}/repos/{self.full_name}",
            "fork": self.fork,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "pushed_at": self.pushed_at,
            "size": self.size,
            "stargazers_count": self.stargazers_count,
            # GitHub reports the star count as watchers_count; real watchers are subscribers.
            "watchers_count": self.stargazers_count,
            "subscribers_count": self.subscribers_count,
            "language": self.language,
            "forks_count": self.forks_count,
            "archived": self.archived,
            "open_issues_count": self.open_issues_count,
            "topics": list(self.topics),
            "default_branch": self.default_branch,
            "has_issues": not self.issues_disabled,
        }


class _Response:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status = status
        self.headers = dict(headers or {})
        if body is None:
            self.payload = b""
        elif isinstance(body, bytes):
            self.payload = body
        else:
            self.payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        self.reset_mid_body = False
        self.charged = True


class GitHubStandIn:
    """The stand-in server; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        tokens: Iterable[str] | None = None,
        *,
        rate_limit: int = 5000,
        graphql_rate_limit: int = 5000,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
        api_prefix: str = "",
    ):
        #: accepted tokens; ``None`` accepts any token and anonymous requests
        self.tokens = None if tokens is None else set(tokens)
        #: requests (core), and points (graphql), per token and hour; search allows 30 a minute
        self.limits = {
            "core": (rate_limit, 3600),
            "search": (30, 60),
            "graphql": (graphql_rate_limit, 3600),
        }
        self.clock = clock
        #: "" as on github.com; "/api/v3" as on GitHub Enterprise (GraphQL then at /api/graphql)
        self.api_prefix = api_prefix.rstrip("/")
        self.repositories: dict[str, StandInRepository] = {}
        self.renames: dict[str, str] = {}
        self.served: list[Served] = []
        self._callbacks: list[Callable[[Served], None]] = []
        self._faults: list[tuple[re.Pattern, deque[Fault]]] = []
        # (token, resource) -> [remaining, reset epoch]
        self._limits: dict[tuple[str | None, str], list[float]] = {}
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        #: set by stop(): connections still open are closed after their answer, as a host going
        #: away closes them, so the next request finds the port refused
        self.stopped = False

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The REST base URL clients are given (``GITHUB_API_URL``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.api_prefix}"

    @property
    def graphql_path(self) -> str:
        return "/api/graphql" if self.api_prefix.endswith("/v3") else f"{self.api_prefix}/graphql"

    def start(self) -> GitHubStandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; may be called from an :meth:`on_served` callback (the host goes away)."""
        self.stopped = True
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- data model ------------------------------------------------------------------------------
    def add_repository(self, full_name: str, **fields: Any) -> StandInRepository:
        fields.setdefault("id", 1000 + len(self.repositories))
        repo = StandInRepository(full_name=full_name, **fields)
        with self._lock:
            self.repositories[full_name.lower()] = repo
        return repo

    def rename_repository(self, old: str, new: str) -> StandInRepository:
        """GitHub keeps answering the old name with a 301 to the repository's id."""
        with self._lock:
            repo = self.repositories.pop(old.lower())
            repo.full_name = new
            for item in repo.issues.values():
                item["url"] = item["url"].replace(f"/repos/{old}/", f"/repos/{new}/")
            self.repositories[new.lower()] = repo
            self.renames[old.lower()] = new
        return repo

    def remove_repository(self, full_name: str) -> None:
        with self._lock:
            self.repositories.pop(full_name.lower(), None)

    def add_fault(self, path_pattern: str, *faults: Fault) -> None:
        """Queue faults for requests whose path (with query) matches ``path_pattern`` (re.search)."""
        with self._lock:
            self._faults.append((re.compile(path_pattern), deque(faults)))

    def set_rate_limit(
        self, token: str | None, remaining: int, reset_in: float = 3600, resource: str = "core"
    ) -> None:
        with self._lock:
            self._limits[(token, resource)] = [remaining, self.clock() + reset_in]

    def on_served(self, callback: Callable[[Served], None]) -> None:
        """Call ``callback`` after each request is answered, before the next one is: a test's way to
        change the data while a client reads it (an issue updated between two pages)."""
        with self._lock:
            self._callbacks.append(callback)

    @classmethod
    def from_metadata_csv(cls, path: str | Path, limit: int | None = None, **kwargs: Any):
        """Repositories with the metadata of the study's universe (ml_universe_repo_metadata.csv)."""
        stand_in = cls(**kwargs)
        with open(path, newline="", encoding="utf-8") as handle:
            for i, row in enumerate(csv.DictReader(handle)):
                if limit is not None and i >= limit:
                    break

                def num(key: str, row: dict = row) -> int:
                    try:
                        return int(float(row.get(key) or 0))
                    except ValueError:
                        return 0

                commits = num("commits")
                stand_in.add_repository(
                    row["full_name"],
                    id=num("gh_id") or 10_000 + i,
                    created_at=row.get("created_at") or "2018-01-01T00:00:00Z",
                    pushed_at=row.get("last_commit_at") or "2020-01-01T00:00:00Z",
                    updated_at=row.get("last_update_at") or "2020-01-01T00:00:00Z",
                    stargazers_count=num("stars"),
                    subscribers_count=num("subscribers"),
                    forks_count=num("forks"),
                    open_issues_count=num("open_issues"),
                    size=num("size"),
                    language=None if row.get("language") in (None, "", "None") else row["language"],
                    commits=commits,
                    # The CSV has no contributor count; one author per 25 commits is a stand-in.
                    contributors=0 if commits == 0 else max(1, commits // 25),
                )
        return stand_in

    # -- accounting ------------------------------------------------------------------------------
    def count(
        self, path_contains: str = "", *, charged_only: bool = False, resource: str | None = None
    ) -> int:
        """Requests served whose path contains ``path_contains`` (of one rate-limit resource)."""
        with self._lock:
            return sum(
                1
                for s in self.served
                if path_contains in s.path
                and (s.charged or not charged_only)
                and (resource is None or s.resource == resource)
            )

    def reset_counts(self) -> None:
        with self._lock:
            self.served.clear()

    # -- request handling ------------------------------------------------------------------------
    def _limit_state(self, token: str | None, resource: str = "core") -> list[float]:
        now = self.clock()
        state = self._limits.get((token, resource))
        if state is None or now >= state[1]:
            limit, window = self.limits[resource]
            state = self._limits[(token, resource)] = [limit, now + window]
        return state

    def _rate_headers(self, state: list[float], resource: str = "core") -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limits[resource][0]),
            "X-RateLimit-Remaining": str(int(state[0])),
            "X-RateLimit-Reset": str(int(math.ceil(state[1]))),
            "X-RateLimit-Resource": resource,
        }

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes = b""
    ) -> _Response:
        parts = urlsplit(raw_path)
        path, query = parts.path, dict(parse_qsl(parts.query))
        auth = headers.get("authorization")
        token = auth.split(" ", 1)[1] if auth and " " in auth else None
        graphql = method == "POST" and path == self.graphql_path
        request = _json_body(body) if graphql else {}
        with self._lock:
            if graphql:
                resource = "graphql"
                response = self._dispatch_graphql(request, raw_path, token)
            else:
                resource = "search" if path.startswith(f"{self.api_prefix}/search/") else "core"
                response = self._dispatch(method, path, query, raw_path, token, headers, resource)
            served = Served(
                method,
                path,
                query,
                response.status,
                response.charged,
                token,
                resource,
                request.get("variables") if graphql else None,
            )
            self.served.append(served)
            for callback in self._callbacks:
                callback(served)
        return response

    def _refused(self, token: str | None) -> _Response | None:
        if self.tokens is not None and token not in self.tokens:
            response = _Response(
                401, {"message": "Bad credentials", "documentation_url": GITHUB_DOCS}
            )
            response.charged = False
            return response
        return None

    def _dispatch(self, method, path, query, raw_path, token, headers, resource) -> _Response:
        refused = self._refused(token)
        if refused is not None:
            return refused
        state = self._limit_state(token, resource)
        fault = self._next_fault(raw_path)
        if fault is not None and fault.kind == "primary_limit":
            state[0], state[1] = 0, self.clock() + fault.reset_in
        if state[0] <= 0 and not path.endswith("/rate_limit"):
            response = _Response(
                fault.status if fault else 403,
                {"message": PRIMARY_LIMIT_MESSAGE, "documentation_url": GITHUB_DOCS},
                self._rate_headers(state, resource),
            )
            response.charged = False
            return response
        if fault is not None and fault.kind == "secondary_limit":
            response = _Response(
                fault.status,
                {"message": SECONDARY_LIMIT_MESSAGE, "documentation_url": GITHUB_DOCS},
                {**self._rate_headers(state, resource), **fault.headers},
            )
            response.charged = False
            return response
        if fault is not None and fault.kind == "status":
            response = _Response(fault.status, fault.body, self._rate_headers(state, resource))
            response.charged = fault.status < 500
            if response.charged:
                state[0] -= 1
            return response
        if method != "GET" or not path.startswith(self.api_prefix):
            response = _Response(404, {"message": "Not Found", "documentation_url": GITHUB_DOCS})
        else:
            response = self._route(path.removeprefix(self.api_prefix), query, headers)
        if response.status == 304 or path.endswith("/rate_limit"):
            response.charged = False
        else:
            state[0] -= 1
        response.headers.update(self._rate_headers(state, resource))
        return _spoiled(response, fault)

    def _dispatch_graphql(self, request: dict, raw_path: str, token: str | None) -> _Response:
        refused = self._refused(token)
        if refused is not None:
            return refused
        if token is None:
            # GitHub's GraphQL API has no anonymous access, whatever the REST API allows.
            response = _Response(
                401,
                {
                    "message": "This endpoint requires you to be authenticated.",
                    "documentation_url": GITHUB_DOCS,
                },
            )
            response.charged = False
            return response
        state = self._limit_state(token, "graphql")
        fault = self._next_fault(raw_path)
        if fault is not None and fault.kind == "primary_limit":
            state[0], state[1] = 0, self.clock() + fault.reset_in
        if fault is not None and fault.kind in ("status", "secondary_limit"):
            body = fault.body
            if fault.kind == "secondary_limit":
                body = {"message": SECONDARY_LIMIT_MESSAGE, "documentation_url": GITHUB_DOCS}
            response = _Response(
                fault.status, body, {**self._rate_headers(state, "graphql"), **fault.headers}
            )
            response.charged = False
            return response
        if state[0] <= 0:
            # GitHub answers 200 with an error, and x-ratelimit-remaining 0.
            error = {
                "type": "RATE_LIMIT",
                "code": "graphql_rate_limit",
                "message": GRAPHQL_LIMIT_MESSAGE,
            }
            response = _Response(200, {"errors": [error]}, self._rate_headers(state, "graphql"))
            response.charged = False
            return response
        body, cost = _graphql_counts(self, request.get("query", ""), request.get("variables") or {})
        state[0] -= cost
        response = _Response(200, body, self._rate_headers(state, "graphql"))
        return _spoiled(response, fault)

    def resolve(self, full_name: str) -> StandInRepository | None:
        """The repository a name means now (renames followed)."""
        key = full_name.lower()
        repo = self.repositories.get(key)
        if repo is None and key in self.renames:
            repo = self.repositories.get(self.renames[key].lower())
        return repo

    def _next_fault(self, raw_path: str) -> Fault | None:
        for pattern, queue in self._faults:
            if queue and pattern.search(raw_path):
                return queue.popleft()
        return None

    def _search_issues(self, q: str) -> _Response:
        """GitHub's issue search, for counts only: ``repo:o/n`` with ``state:``/``is:`` qualifiers."""
        terms = q.split()
        repos = [t.removeprefix("repo:").lower() for t in terms if t.startswith("repo:")]
        if len(repos) != 1:
            return _Response(
                422, {"message": "Validation Failed", "documentation_url": GITHUB_DOCS}
            )
        repo = self.repositories.get(repos[0])
        if repo is None:
            return _Response(
                422, {"message": "Validation Failed", "documentation_url": GITHUB_DOCS}
            )
        items = list(repo.issues.values())
        for term in terms:
            if term in ("state:closed", "is:closed"):
                items = [i for i in items if i["state"] == "closed"]
            elif term in ("state:open", "is:open"):
                items = [i for i in items if i["state"] == "open"]
            elif term in ("is:issue", "type:issue"):
                items = [i for i in items if "pull_request" not in i]
            elif term in ("is:pr", "type:pr"):
                items = [i for i in items if "pull_request" in i]
        return _Response(200, {"total_count": len(items), "incomplete_results": False, "items": []})

    def _route(self, path, query, headers) -> _Response:
        if path == "/rate_limit":
            state = self._limit_state(None)
            core = {
                "limit": self.limits["core"][0],
                "remaining": int(state[0]),
                "reset": int(state[1]),
            }
            return _Response(200, {"resources": {"core": core}, "rate": core})
        if path == "/search/issues":
            return self._search_issues(query.get("q", ""))
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        by_id = re.fullmatch(r"/repositories/(\d+)(/.*)?", path)
        repo = None
        rest = ""
        if match:
            full = f"{match[1]}/{match[2]}".lower()
            rest = match[3] or ""
            repo = self.repositories.get(full)
            if repo is None and full in self.renames:
                target = self.repositories.get(self.renames[full].lower())
                if target is not None:
                    base = f"http://{headers.get('host', '127.0.0.1')}{self.api_prefix}"
                    location = f"{base}/repositories/{target.id}{rest}"
                    if query:
                        location += "?" + urlencode(query)
                    return _Response(
                        301,
                        {"message": "Moved Permanently", "url": location},
                        {"Location": location},
                    )
        elif by_id:
            rest = by_id[2] or ""
            repo = next((r for r in self.repositories.values() if r.id == int(by_id[1])), None)
        if repo is None:
            return _Response(404, {"message": "Not Found", "documentation_url": GITHUB_DOCS})
        if repo.blocked:
            return _Response(
                451,
                {"message": "Repository access blocked", "block": {"reason": "dmca"}},
            )
        base_url = f"http://{headers.get('host', '127.0.0.1')}{self.api_prefix}"
        if rest == "":
            return _Response(200, repo.as_json(base_url))
        if rest in ("/commits", "/contributors"):
            if repo.commits == 0:
                if rest == "/commits":
                    return _Response(409, {"message": "Git Repository is empty."})
                return _Response(204)
            total = repo.commits if rest == "/commits" else repo.contributors
            items = [
                {"sha": f"{i:040x}"} if rest == "/commits" else {"login": f"u{i}"}
                for i in range(total)
            ]
            return self._paginate(base_url, path, query, items, headers, default_per_page=30)
        if rest == "/issues":
            if repo.issues_disabled:
                return _Response(410, {"message": "Issues are disabled for this repo"})
            items = self._issues(repo, query)
            return self._paginate(base_url, path, query, items, headers, default_per_page=30)
        timeline = re.fullmatch(r"/issues/(\d+)/timeline", rest)
        if timeline:
            number = int(timeline[1])
            if number not in repo.issues:
                return _Response(404, {"message": "Not Found", "documentation_url": GITHUB_DOCS})
            events = repo.timelines.get(number, [])
            return self._paginate(base_url, path, query, events, headers, default_per_page=30)
        return _Response(404, {"message": "Not Found", "documentation_url": GITHUB_DOCS})

    @staticmethod
    def _issues(repo: StandInRepository, query: dict[str, str]) -> list[dict]:
        state = query.get("state", "open")
        items = [i for i in repo.issues.values() if state == "all" or i["state"] == state]
        if "since" in query:
            items = [i for i in items if i["updated_at"] >= query["since"]]
        key = {"created": "created_at", "updated": "updated_at", "comments": "comments"}[
            query.get("sort", "created")
        ]
        # GitHub breaks ties in a stable order; the issue number stands in for it.
        items.sort(key=lambda i: (i[key], i["number"]), reverse=query.get("direction") != "asc")
        return items

    @staticmethod
    def _paginate(base_url, path, query, items, headers, default_per_page) -> _Response:
        per_page = max(1, min(100, int(query.get("per_page", default_per_page))))
        page = max(1, int(query.get("page", 1)))
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(p: int) -> str:
            return f"{base_url}{path}?{urlencode({**query, 'page': p})}"

        links = []
        if page > 1:
            links += [f'<{link(page - 1)}>; rel="prev"']
        if page < last:
            links += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            links += [f'<{link(1)}>; rel="first"']
        body = json.dumps(chunk, ensure_ascii=False).encode("utf-8")
        etag = 'W/"' + hashlib.sha256(body).hexdigest() + '"'
        out_headers = {"ETag": etag}
        if links:
            out_headers["Link"] = ", ".join(links)
        if headers.get("if-none-match") == etag:
            return _Response(304, None, out_headers)
        return _Response(
            200, body, {**out_headers, "Content-Type": "application/json; charset=utf-8"}
        )


def _spoiled(response: _Response, fault: Fault | None) -> _Response:
    """The normal answer as a fault of kind reset, truncate or drop spoils it."""
    if fault is None:
        return response
    if fault.kind == "reset":
        response.reset_mid_body = True
    elif fault.kind == "truncate":
        response.payload = response.payload[: len(response.payload) // 2]
    elif fault.kind == "drop":
        body = json.loads(response.payload)
        for item in body if isinstance(body, list) else [body]:
            for name in fault.fields:
                item.pop(name, None)
        response.payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return response


def _json_body(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_REPOSITORY = re.compile(
    r'(\w+)\s*:\s*repository\s*\(\s*owner\s*:\s*(\$\w+|"[^"]*")\s*,'
    r'\s*name\s*:\s*(\$\w+|"[^"]*")\s*\)\s*\{'
)
_FIELD = re.compile(
    r"\s*(\w+)\s*(?:\(\s*states\s*:\s*(\[[^\]]*\]|\w+)\s*\))?\s*(?:\{\s*(\w+)\s*\})?"
)
#: the states GitHub's GraphQL gives an item of the stand-in
_ISSUE_STATES = {"CLOSED": "closed", "OPEN": "open"}


def _graphql_counts(stand_in: GitHubStandIn, query: str, variables: dict) -> tuple[dict, int]:
    """Answer the miner's count query: ``alias: repository(owner:, name:) { fields }`` repeated.
    Returns the body and its cost in points (GitHub's formula: connections / 100, at least 1)."""
    data: dict[str, Any] = {}
    errors: list[dict] = []
    connections = 0
    position = 0
    for match in _REPOSITORY.finditer(query):
        if match.start() < position:
            continue
        alias = match[1]
        owner, name = (_graphql_value(v, variables) for v in (match[2], match[3]))
        try:
            end = _matching_brace(query, match.end() - 1)
            fields, position = query[match.end() : end], end
            node, used = _repository_node(stand_in.resolve(f"{owner}/{name}"), fields)
        except ValueError as exc:
            return {"errors": [{"message": f"stand-in: {exc}"}]}, 1
        connections += used
        data[alias] = node
        if node is None:
            errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": [alias],
                    "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                }
            )
    if not data:
        return {"errors": [{"message": "stand-in: only repository(owner:, name:) counts"}]}, 1
    answer: dict[str, Any] = {"data": data}
    if errors:
        answer["errors"] = errors
    return answer, max(1, round(connections / 100))


def _graphql_value(token: str, variables: dict) -> str:
    return str(variables.get(token[1:], "")) if token.startswith("$") else token.strip('"')


def _matching_brace(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError("unbalanced braces")


def _repository_node(repo: StandInRepository | None, body: str) -> tuple[dict | None, int]:
    node: dict[str, Any] = {}
    connections = 0
    for field_match in _FIELD.finditer(body):
        name, states, sub = field_match[1], field_match[2], field_match[3]
        if not name:
            continue
        if name in ("databaseId", "nameWithOwner") and not states and not sub:
            node[name] = (
                None if repo is None else (repo.id if name == "databaseId" else repo.full_name)
            )
        elif name in ("issues", "pullRequests") and sub == "totalCount":
            connections += 1
            wanted = set(re.findall(r"[A-Z]+", states or "OPEN CLOSED MERGED"))
            count = 0 if repo is None else _count_items(repo, name == "pullRequests", wanted)
            node[name] = {"totalCount": count}
        else:
            raise ValueError(f"field {name!r} is not one the stand-in answers")
    return (None if repo is None else node), connections


def _count_items(repo: StandInRepository, pull_requests: bool, states: set[str]) -> int:
    count = 0
    for item in repo.issues.values():
        if ("pull_request" in item) != pull_requests:
            continue
        state = item["state"].upper()
        if pull_requests and state == "CLOSED" and item["pull_request"].get("merged_at"):
            state = "MERGED"
        count += state in states
    return count


def _make_handler(stand_in: GitHubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body leave in two writes; with Nagle's algorithm on, the body waits
        # for the client's delayed ACK of the headers: 40 ms on every answer (43 ms a request
        # against 0.8 ms without), which GitHub itself does not add.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._answer(stand_in.handle("GET", self.path, headers))

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = self.rfile.read(int(headers.get("content-length") or 0))
            self._answer(stand_in.handle("POST", self.path, headers, body))

        def _answer(self, response: _Response) -> None:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if stand_in.stopped:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.send_header("Content-Length", str(len(response.payload)))
            self.end_headers()
            if response.reset_mid_body:
                self.wfile.write(response.payload[: len(response.payload) // 2])
                self.wfile.flush()
                # SO_LINGER 0 makes close() send a TCP reset, as a dropped connection does.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            self.wfile.write(response.payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request log is stand_in.served; stderr noise helps nobody

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except OSError:
                self.close_connection = True

        def finish(self) -> None:
            with contextlib.suppress(OSError):
                super().finish()

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a local GitHub API stand-in.")
    parser.add_argument("--metadata-csv", type=Path, help="repositories from the study's universe")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    if args.metadata_csv:
        stand_in = GitHubStandIn.from_metadata_csv(args.metadata_csv, args.limit, port=args.port)
    else:
        stand_in = GitHubStandIn(port=args.port)
    print(f"GitHub stand-in on {stand_in.base_url} with {len(stand_in.repositories)} repositories")
    with contextlib.suppress(KeyboardInterrupt):
        stand_in._server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
