"""GitHub API access on PyGithub: tokens, rate limits, retries, pagination and request counting.

The miner's crawls only consume what this client yields (Perceval's backend/client split,
perceval/backends/core/github.py): :meth:`GitHubClient.pages` is a generator over the pages of a
listing, :meth:`GitHubClient.graphql` sends one GraphQL query, and every retry, wait and token switch
happens in here.

What PyGithub already does and is used as is:
- ``GithubRetry`` (a urllib3 ``Retry``): retries 5xx with exponential backoff, connection errors while
  connecting or reading headers, 403/429 secondary limits with ``Retry-After``, recognises rate-limit
  messages in 403 bodies, and retries the POST of a GraphQL query.
- ``Requester``: authentication, base URL (github.com, GitHub Enterprise, a stand-in) and the GraphQL
  URL derived from it (``https://host/api/v3`` -> ``https://host/api/graphql``), JSON bodies, and
  its spacing of POSTs (a second between GraphQL queries, ``RetryPolicy.seconds_between_writes``;
  its 0.25 s between reads is turned off: one thread reads, and GitHub asks for no gap there).

What is written here by hand, and why:
- **Pagination** (:meth:`GitHubClient.pages`, a few lines over requests' ``Link`` parser). PyGithub's
  ``PaginatedList`` hides each page's status and headers, so a crawl could not send ``If-None-Match``
  (a refresh that GitHub answers ``304`` for free), see the ``Link: last`` page, or checkpoint at a
  page boundary.
- **Redirects are avoided, not followed.** PyGithub follows a ``301`` for a renamed repository to the
  new path but drops the query string, so ``issues?state=closed`` would silently become the open
  issues. The miner addresses repositories by their numeric id (``/repositories/{id}``), which
  never redirects; see ``extract/github/metadata.py``.
- **Injectable waits.** urllib3 sleeps with ``time.sleep``; :class:`CountingRetry` routes every wait
  through a ``sleeper`` so tests never sleep and every wait is clamped.
- **Token rotation per rate-limit resource.** PyGithub holds one token. The client holds one PyGithub
  client per token and tracks each token's window per resource (``core``, ``search``, ``graphql``
  have separate limits), switches before a window runs out and waits for the earliest reset only
  when every token is out, up to ``max_wait``. A token GitHub rejects is dropped.
- **Connection reset mid-body.** requests reads the body after urllib3's retry loop has returned, so a
  reset there is not retried by ``GithubRetry``; it is retried here with the same backoff.
- **Fail fast when the host is unreachable.** A host that refuses connections, does not resolve or
  does not accept one within the timeout raises :class:`GitHubUnreachable` after
  ``connect_attempts``: every later request would fail the same way, so the run stops instead of
  spending minutes per repository.
- **Request counting.** Every HTTP request sent, retries included, is counted, so provenance says
  what a crawl cost.
- **A malformed answer is a failed request.** A ``2xx`` whose body is not JSON (cut short by a proxy
  or an incident) or a ``200`` that lacks what the caller needs (``expect``: a repository without
  its id, an issue without its number) is retried like a 5xx and then raises
  :class:`RequestFailed`, so no caller lands NULLs from it. Checking costs no request; a spoiled
  answer costs its retries.

Tokens are held only inside PyGithub's ``Auth.Token``; this module never formats one into a message,
and error messages name a token by its position in ``GITHUB_TOKEN`` (``token #2``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import requests
import requests.utils
from github import Auth, Github, GithubException, GithubRetry
from github.Requester import Requester
from urllib3.exceptions import ConnectTimeoutError

from base import settings

log = logging.getLogger("extract.github")

DEFAULT_BASE_URL = settings.GITHUB_API_URL_DEFAULT
TOKEN_ENV = "GITHUB_TOKEN"
#: GitHub's rate limits are counted per resource; a request spends from one of them
Resource = Literal["core", "search", "graphql"]
#: what a caller needs of a ``200`` answer's JSON: the problem with it, or ``None`` when it will do
Expect = Callable[[Any], str | None]
_GRAPHQL_LIMITED = ("RATE_LIMITED", "RATE_LIMIT")


class GitHubAuthError(RuntimeError):
    """No usable token: missing, or rejected by GitHub. Never contains the token."""


class RequestFailed(RuntimeError):
    """A request still failed after its retries (5xx, connection resets, rate-limit waits)."""


class GitHubUnreachable(RuntimeError):
    """The API host cannot be reached at all: every request of the run would fail the same way."""


def tokens_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    """Tokens from ``GITHUB_TOKEN`` (several may be given, comma-separated)."""
    raw = (env if env is not None else os.environ).get(TOKEN_ENV, "")
    return [t.strip() for t in raw.split(",") if t.strip()]


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often the client insists before it gives a request up."""

    #: retries of a 5xx, a connection reset or a secondary rate limit
    retries: int = 5
    #: exponential backoff factor of those retries (urllib3's)
    backoff_factor: float = 1.0
    #: wait after a secondary rate limit that names no ``Retry-After``
    secondary_rate_wait: float = 60.0
    #: longest wait for a rate-limit reset; a longer one fails the request (resumable)
    max_wait: float = settings.GITHUB_MAX_WAIT_DEFAULT
    #: seconds a request may take to connect, and then to answer
    timeout: int = settings.GITHUB_TIMEOUT_DEFAULT
    #: connection attempts before the host counts as unreachable (the run stops)
    connect_attempts: int = 3
    #: PyGithub's spacing of POSTs (GitHub asks for a second between them; every GraphQL query is
    #: one): its own default, kept for GitHub; a stand-in that counts no secondary limit needs none
    seconds_between_writes: float = 1.0

    @classmethod
    def from_settings(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> RetryPolicy:
        """``MMS_GITHUB_MAX_WAIT`` and ``MMS_GITHUB_TIMEOUT``, unless given (``None`` = the setting)."""
        policy = cls(max_wait=settings.github_max_wait(env), timeout=settings.github_timeout(env))
        return replace(policy, **{k: v for k, v in overrides.items() if v is not None})


class CountingRetry(GithubRetry):
    """``GithubRetry`` that counts its retries and sleeps through an injectable, clamped sleeper."""

    def __init__(
        self,
        *,
        on_retry: Callable[[], None] | None = None,
        sleeper: Callable[[float], None] = time.sleep,
        max_sleep: float = 300.0,
        **kwargs: Any,
    ):
        self.on_retry = on_retry
        self.sleeper = sleeper
        self.max_sleep = max_sleep
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CountingRetry:
        kw.update(on_retry=self.on_retry, sleeper=self.sleeper, max_sleep=self.max_sleep)
        return super().new(**kw)

    def increment(self, *args: Any, **kwargs: Any):
        retry = super().increment(*args, **kwargs)
        # Reaching here means urllib3 will send the request again.
        if self.on_retry is not None:
            self.on_retry()
        return retry

    def sleep(self, response: Any = None) -> None:
        delay = None
        if response is not None and self.respect_retry_after_header:
            delay = self.get_retry_after(response)
        if delay is None:
            delay = self.get_backoff_time()
        if delay > 0:
            self.sleeper(min(delay, self.max_sleep))


@dataclass
class ApiResponse:
    """One answer of the API, whatever its status (2xx, 304, 4xx): the caller decides what it means."""

    status: int
    headers: dict[str, str]
    data: Any
    #: a 2xx body that is not JSON: why (its data is then ``None``)
    unparsed: str | None = None

    @classmethod
    def from_exception(cls, exc: GithubException) -> ApiResponse:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        return cls(exc.status, headers, exc.data)

    @property
    def message(self) -> str:
        if isinstance(self.data, dict) and self.data.get("message"):
            return str(self.data["message"])
        return ""

    @cached_property
    def links(self) -> dict[str, str]:
        """The ``Link`` header's URLs by relation (``next``, ``last``, ...)."""
        header = self.headers.get("link")
        if not header:
            return {}
        return {
            link["rel"]: link["url"]
            for link in requests.utils.parse_header_links(header)
            if "rel" in link
        }

    @property
    def last_page(self) -> int | None:
        """The page number the ``Link: last`` relation names (``None`` on the last page)."""
        last = self.links.get("last")
        return int(parse_qs(urlsplit(last).query)["page"][0]) if last else None

    @property
    def graphql_errors(self) -> list[dict]:
        errors = self.data.get("errors") if isinstance(self.data, dict) else None
        return [e for e in errors or [] if isinstance(e, dict)]


@dataclass
class _Window:
    """One token's rate-limit window for one resource."""

    remaining: int | None = None
    reset_at: float = 0.0


@dataclass
class _Slot:
    label: str  # "token #1" or "anonymous": how messages name it
    github: Github
    rejected: bool = False
    windows: dict[str, _Window] = field(default_factory=dict)

    def window(self, resource: str) -> _Window:
        return self.windows.setdefault(resource, _Window())


class _Patience:
    """The failures of one request so far; raises :class:`RequestFailed` when they exceed the policy."""

    def __init__(self, client: GitHubClient, what: str):
        self.client = client
        self.what = what
        self.failures = 0
        self.secondary_waits = 0

    def transport_failed(self, exc: Exception) -> None:
        self.failed(type(exc).__name__)

    def malformed(self, problem: str) -> None:
        self.failed(f"malformed answer ({problem})")

    def failed(self, why: str) -> None:
        self.failures += 1
        policy = self.client.policy
        if self.failures > policy.retries:
            raise RequestFailed(
                f"{self.what}: {why} persisted after {policy.retries} retries"
            ) from None
        wait = min(policy.backoff_factor * 2 ** (self.failures - 1), policy.max_wait)
        log.info("%s: %s, retrying in %.1f s", self.what, why, wait)
        self.client.sleeper(wait)

    def secondary_limit(self, retry_after: str | None) -> None:
        self.secondary_waits += 1
        policy = self.client.policy
        if self.secondary_waits > policy.retries:
            raise RequestFailed(
                f"{self.what}: secondary rate limit persisted after {policy.retries} waits"
            )
        wait = float(retry_after) if retry_after else policy.secondary_rate_wait
        self.client.sleeper(min(wait, policy.max_wait))


class GitHubClient:
    """Requests to the GitHub REST and GraphQL APIs through PyGithub, over one or more tokens."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        tokens: Sequence[str] = (),
        *,
        allow_anonymous: bool = False,
        policy: RetryPolicy | None = None,
        sleeper: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        tokens = [t for t in tokens if t]
        if not tokens and not allow_anonymous:
            raise GitHubAuthError(
                f"no GitHub token: set {TOKEN_ENV} (several tokens may be given, comma-separated), "
                "or allow anonymous access explicitly (60 requests per hour on github.com)"
            )
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.sleeper = sleeper
        self.clock = clock
        #: HTTP requests sent (retries included), across all tokens
        self.requests_sent = 0
        auths: list[Auth.Token | None] = [Auth.Token(t) for t in tokens] or [None]
        labels = [f"token #{i + 1}" for i in range(len(tokens))] or ["anonymous"]
        self._slots = [
            _Slot(label, self._github(auth)) for label, auth in zip(labels, auths, strict=True)
        ]
        self._current = 0

    @classmethod
    def from_settings(
        cls,
        *,
        base_url: str | None = None,
        tokens: Sequence[str] | None = None,
        allow_anonymous: bool | None = None,
        policy: RetryPolicy | None = None,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> GitHubClient:
        """A client from the environment (``GITHUB_API_URL``, ``GITHUB_TOKEN``,
        ``MMS_GITHUB_MAX_WAIT``, ``MMS_GITHUB_TIMEOUT``, ``MMS_GITHUB_ALLOW_ANONYMOUS``) for
        whatever is not given; logs the settings it runs with (never a token)."""
        client = cls(
            base_url or settings.github_api_url(env),
            tokens_from_env(env) if tokens is None else tokens,
            allow_anonymous=settings.github_allow_anonymous(env)
            if allow_anonymous is None
            else allow_anonymous,
            policy=policy or RetryPolicy.from_settings(env),
            **kwargs,
        )
        log.info(
            "GitHub API %s (GITHUB_API_URL) with %s; rate-limit waits up to %.0f s "
            "(MMS_GITHUB_MAX_WAIT); requests time out after %d s and an unreachable host stops "
            "the run after %d attempts (MMS_GITHUB_TIMEOUT)",
            client.base_url,
            f"{len(client._slots)} token(s)" if not client.anonymous else "no token",
            client.policy.max_wait,
            client.policy.timeout,
            client.policy.connect_attempts,
        )
        return client

    def _github(self, auth: Auth.Token | None) -> Github:
        policy = self.policy
        retry = CountingRetry(
            on_retry=self._count_retry,
            sleeper=self.sleeper,
            max_sleep=policy.max_wait,
            total=policy.retries,
            connect=policy.connect_attempts - 1,
            backoff_factor=policy.backoff_factor,
            secondary_rate_wait=policy.secondary_rate_wait,
            # Primary limits are handled by rotating tokens, not by sleeping in urllib3.
            max_rate_limit_wait=0,
        )
        return Github(
            auth=auth,
            base_url=self.base_url,
            retry=retry,
            timeout=policy.timeout,
            per_page=100,
            # PyGithub spaces requests 0.25 s apart by default; reads in one thread need no gap
            # (GitHub asks for it between writes and concurrent requests).
            seconds_between_requests=0,
            seconds_between_writes=policy.seconds_between_writes,
        )

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, tokens={len(self._slots)})"

    def _count_retry(self) -> None:
        self.requests_sent += 1

    def count_followed_redirect(self) -> None:
        """PyGithub followed a ``301`` out of sight: one more request was sent."""
        self.requests_sent += 1

    @property
    def anonymous(self) -> bool:
        """Whether requests go without a token (GitHub's GraphQL API then refuses them)."""
        return self._slots[0].label == "anonymous"

    @property
    def graphql_url(self) -> str:
        return self._slots[0].github.requester.graphql_url

    def rate_remaining(self, resource: Resource = "core") -> int | None:
        """Requests left in the current windows of every usable token (``None``: not known yet)."""
        known = [
            remaining
            for s in self._slots
            if not s.rejected and (remaining := s.window(resource).remaining) is not None
        ]
        return sum(known) if known else None

    # -- requests --------------------------------------------------------------------------------
    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        *,
        expect: Expect | None = None,
    ) -> ApiResponse:
        """GET ``url`` (a path under the base URL, or a full URL GitHub returned in a Link header).

        Returns the response for any status GitHub answers (2xx, 304, 4xx) so the caller can record
        it, a ``200`` only when its JSON is what ``expect`` needs; raises :class:`RequestFailed`
        when retries and waits are exhausted, :class:`GitHubAuthError` when no token is accepted
        and :class:`GitHubUnreachable` when the host cannot be reached.
        """
        resource: Resource = "search" if _path(url).startswith("/search/") else "core"
        return self._request("GET", url, resource, params=params, headers=headers, expect=expect)

    def pages(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        etag: str | None = None,
        expect: Expect | None = None,
    ) -> Iterator[ApiResponse]:
        """The pages of a listing, following ``Link: next``; the first request is conditional when
        ``etag`` is given, and every page must be what ``expect`` needs. Stops after a response that
        is not ``200`` (yielded: a ``304``, a ``404``, ...), so the caller sees why the listing
        ended."""
        url: str | None = path
        headers = {"If-None-Match": etag} if etag else None
        while url:
            response = self.get(url, params, headers, expect=expect)
            yield response
            if response.status != 200:
                return
            url, params, headers = response.links.get("next"), None, None  # next carries the query

    def graphql(
        self, query: str, variables: dict[str, Any], *, expect: Expect | None = None
    ) -> ApiResponse:
        """POST one GraphQL query (its own rate limit, in points: ``x-ratelimit-resource: graphql``)."""
        body = {"query": query, "variables": variables}
        return self._request("POST", self.graphql_url, "graphql", body=body, expect=expect)

    def _request(
        self,
        verb: str,
        url: str,
        resource: Resource,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        expect: Expect | None = None,
    ) -> ApiResponse:
        patience = _Patience(self, f"{verb} {_path(url)}")
        while True:
            slot = self._pick_slot(resource)
            self.requests_sent += 1
            response = self._send(slot, verb, url, params, headers, body, patience)
            if response is None:
                continue
            self._note_rate(slot, resource, response.headers)
            if self._retry_after_answer(slot, resource, response, patience):
                continue
            problem = _malformed(response, expect)
            if problem is None:
                return response
            patience.malformed(problem)

    def _send(self, slot, verb, url, params, headers, body, patience) -> ApiResponse | None:
        """One request through PyGithub; ``None`` when a transport failure is to be retried."""
        try:
            status, resp_headers, text = slot.github.requester.requestJson(
                verb, url, parameters=params, headers=dict(headers or {}), input=body
            )
        except GithubException as exc:
            # GithubRetry hands over the 403s it inspected: rate limits (max_rate_limit_wait=0 makes
            # it raise instead of sleeping) and refusals such as a repository blocked for terms of
            # service. Both are judged like any other answer.
            return ApiResponse.from_exception(exc)
        except requests.exceptions.RetryError as exc:
            raise RequestFailed(
                f"{patience.what}: still failing after {self.policy.retries} retries "
                f"({_reason(exc)})"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            if _cannot_connect(exc):
                raise GitHubUnreachable(
                    f"the GitHub API at {self.base_url} is unreachable ({_connect_reason(exc)}) "
                    f"after {self.policy.connect_attempts} attempts: check GITHUB_API_URL and "
                    "the network"
                ) from None
            patience.transport_failed(exc)
            return None
        except requests.exceptions.RequestException as exc:
            patience.transport_failed(exc)
            return None
        if 200 <= status < 300:
            return _parsed(status, resp_headers, text)
        return ApiResponse(status, resp_headers, _json(text))

    def _retry_after_answer(
        self, slot: _Slot, resource: str, response: ApiResponse, patience: _Patience
    ) -> bool:
        """Whether the answer asks for the request again: a rejected token, a rate limit."""
        if response.status == 401:
            slot.rejected = True
            log.warning("%s was rejected by %s (401 Bad credentials)", slot.label, self.base_url)
            return True
        # GraphQL says it with an error type (RATE_LIMITED in the docs, RATE_LIMIT seen since, and
        # x-ratelimit-remaining may not be 0), REST in the message of a 403/429, whose wordings
        # PyGithub knows.
        if any(e.get("type") in _GRAPHQL_LIMITED for e in response.graphql_errors):
            self._out_of(slot, resource)
            return True
        if response.status not in (403, 429):
            return False
        if Requester.isPrimaryRateLimitError(response.message):
            self._out_of(slot, resource)
            return True
        if Requester.isSecondaryRateLimitError(response.message):
            patience.secondary_limit(response.headers.get("retry-after"))
            return True
        return False

    def _out_of(self, slot: _Slot, resource: str) -> None:
        window = slot.window(resource)
        window.remaining = 0
        if window.reset_at <= self.clock():
            # No reset time given: try again after a secondary wait rather than at once.
            window.reset_at = self.clock() + self.policy.secondary_rate_wait

    def _pick_slot(self, resource: str) -> _Slot:
        usable = [s for s in self._slots if not s.rejected]
        if not usable:
            raise GitHubAuthError(
                f"every GitHub token was rejected by {self.base_url} (401 Bad credentials): "
                f"check {TOKEN_ENV}"
            )
        now = self.clock()
        for slot in usable:
            window = slot.window(resource)
            if window.remaining is not None and window.remaining <= 0 and now >= window.reset_at:
                window.remaining = None  # the window has reset
        current = self._slots[self._current]
        if not current.rejected and _has_room(current, resource):
            return current
        for i, slot in enumerate(self._slots):
            if not slot.rejected and _has_room(slot, resource):
                log.info(
                    "rate limit (%s): %s is out, using %s", resource, current.label, slot.label
                )
                self._current = i
                return slot
        return self._wait_for_reset(usable, resource, now)

    def _wait_for_reset(self, usable: list[_Slot], resource: str, now: float) -> _Slot:
        earliest = min(usable, key=lambda s: s.window(resource).reset_at)
        wait = max(0.0, earliest.window(resource).reset_at - now) + 1.0
        if wait > self.policy.max_wait:
            raise RequestFailed(
                f"rate limit ({resource}): all {len(usable)} token(s) are out until their reset in "
                f"{wait:.0f} s, more than the maximum wait of {self.policy.max_wait:.0f} s "
                "(MMS_GITHUB_MAX_WAIT)"
            )
        log.info(
            "rate limit (%s): all %d token(s) are out; waiting %.0f s for the reset",
            resource,
            len(usable),
            wait,
        )
        self.sleeper(wait)
        earliest.window(resource).remaining = None
        self._current = self._slots.index(earliest)
        return earliest

    @staticmethod
    def _note_rate(slot: _Slot, resource: str, headers: dict[str, str]) -> None:
        window = slot.window(headers.get("x-ratelimit-resource") or resource)
        try:
            if "x-ratelimit-remaining" in headers:
                window.remaining = int(float(headers["x-ratelimit-remaining"]))
            if "x-ratelimit-reset" in headers:
                window.reset_at = float(headers["x-ratelimit-reset"])
        except ValueError:
            pass


def _has_room(slot: _Slot, resource: str) -> bool:
    remaining = slot.window(resource).remaining
    return remaining is None or remaining > 0


def _cannot_connect(exc: requests.exceptions.ConnectionError) -> bool:
    """Refused, unresolvable or not accepted in time, after urllib3's connect retries."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # urllib3 2: NewConnectionError and NameResolutionError are ConnectTimeoutErrors.
    return isinstance(reason, ConnectTimeoutError)


def _connect_reason(exc: requests.exceptions.ConnectionError) -> str:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc).lower()
    for marker, words in (
        ("refused", "connection refused"),
        ("name or service", "host name does not resolve"),
        ("resolve", "host name does not resolve"),
        ("timed out", "connection timed out"),
    ):
        if marker in text:
            return words
    return type(reason or exc).__name__


def _parsed(status: int, headers: dict[str, str], text: str) -> ApiResponse:
    """A 2xx answer: its JSON, or why it has none (an error page may be text; a 2xx may not)."""
    if not text:
        return ApiResponse(status, headers, None)
    try:
        return ApiResponse(status, headers, json.loads(text))
    except ValueError:
        return ApiResponse(status, headers, None, unparsed=f"not JSON: {len(text)} characters")


def _malformed(response: ApiResponse, expect: Expect | None) -> str | None:
    """Why a 2xx answer cannot be used: its body is not JSON, or not what the caller expects."""
    if response.unparsed is not None:
        return response.unparsed
    if response.status == 200 and expect is not None:
        return expect(response.data)
    return None


def _json(body: str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return {"message": body[:200]}


def _path(url: str) -> str:
    """The URL without scheme and host: enough to name a request, nothing to leak."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for code in ("500", "502", "503", "504"):
        if f"{code} error" in text or f"responses ({code}" in text:
            return f"HTTP {code}"
    return type(exc).__name__
