"""GitHub API access on PyGithub: tokens, rate limits, retries and request counting.

What PyGithub already does and is used as is:
- ``GithubRetry`` (a urllib3 ``Retry``): retries 5xx with exponential backoff, connection errors while
  sending or reading headers, 403/429 secondary limits with ``Retry-After``, and recognises rate-limit
  messages in 403 bodies.
- ``Requester``: authentication, base URL (github.com, GitHub Enterprise, a stand-in), following a
  ``301`` for a renamed repository, reading ``x-ratelimit-remaining/reset`` into ``rate_limiting``.

What is added here, because PyGithub lacks it:
- **Injectable waits.** urllib3 sleeps with ``time.sleep``; :class:`CountingRetry` routes every wait
  through a ``sleeper`` so tests never sleep and every wait is clamped.
- **Token rotation.** PyGithub holds one token. :class:`GitHubClient` holds one PyGithub client per
  token, switches when one runs out (before hitting the limit, from ``x-ratelimit-remaining``) and
  waits for the earliest reset only when all are out. A token GitHub rejects is dropped.
- **Connection reset mid-body.** requests reads the body after urllib3's retry loop has returned, so a
  reset there is not retried by ``GithubRetry``; it is retried here with the same backoff.
- **Request counting.** Every HTTP request sent, including retries, is counted (per repository by
  the miner), so provenance says what a crawl cost.

Tokens are held only inside PyGithub's ``Auth.Token``; this module never formats one into a message,
and error messages name a token by its position in ``GITHUB_TOKEN`` (``token #2``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import RateLimitExceededExceedsMaxWait
from github.Requester import Requester

log = logging.getLogger("extract.github")

DEFAULT_BASE_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"


class GitHubAuthError(RuntimeError):
    """No usable token: missing, or rejected by GitHub. Never contains the token."""


class RequestFailed(RuntimeError):
    """A request still failed after its retries (5xx, connection resets, rate-limit waits)."""


def tokens_from_env(env: dict[str, str] | None = None) -> list[str]:
    """Tokens from ``GITHUB_TOKEN`` (several may be given, comma-separated)."""
    raw = (env if env is not None else os.environ).get(TOKEN_ENV, "")
    return [t.strip() for t in raw.split(",") if t.strip()]


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
        return super().new(**kw)  # type: ignore[return-value]

    def increment(self, *args: Any, **kwargs: Any):  # type: ignore[override]
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
    status: int
    headers: dict[str, str]
    data: Any

    @property
    def message(self) -> str:
        if isinstance(self.data, dict) and self.data.get("message"):
            return str(self.data["message"])
        return ""


@dataclass
class _Slot:
    label: str  # "token #1" or "anonymous": how messages name it
    github: Github
    remaining: int | None = None
    reset_at: float = 0.0
    rejected: bool = False


class GitHubClient:
    """GET requests to the GitHub REST API through PyGithub, over one or more tokens."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        tokens: Sequence[str] = (),
        *,
        allow_anonymous: bool = False,
        sleeper: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 3700.0,
        retries: int = 5,
        backoff_factor: float = 1.0,
        timeout: int = 30,
        secondary_rate_wait: float = 60.0,
    ):
        tokens = [t for t in tokens if t]
        if not tokens and not allow_anonymous:
            raise GitHubAuthError(
                f"no GitHub token: set {TOKEN_ENV} (several tokens may be given, comma-separated), "
                "or allow anonymous access explicitly (60 requests per hour on github.com)"
            )
        self.base_url = base_url.rstrip("/")
        self.sleeper = sleeper
        self.clock = clock
        self.max_wait = max_wait
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.secondary_rate_wait = secondary_rate_wait
        #: HTTP requests sent (retries included), across all tokens
        self.requests_sent = 0

        def make(auth: Auth.Token | None) -> Github:
            retry = CountingRetry(
                on_retry=self._count_retry,
                sleeper=sleeper,
                max_sleep=max_wait,
                total=retries,
                backoff_factor=backoff_factor,
                secondary_rate_wait=secondary_rate_wait,
                # Primary limits are handled by rotating tokens below, not by sleeping in urllib3.
                max_rate_limit_wait=0,
            )
            return Github(
                auth=auth,
                base_url=self.base_url,
                retry=retry,
                timeout=timeout,
                per_page=100,
                # PyGithub spaces requests 0.25 s apart by default; reads in one thread need no gap
                # (GitHub asks for it between writes and concurrent requests).
                seconds_between_requests=0,
            )

        if tokens:
            self._slots = [
                _Slot(f"token #{i + 1}", make(Auth.Token(t))) for i, t in enumerate(tokens)
            ]
        else:
            self._slots = [_Slot("anonymous", make(None))]
        self._current = 0

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, tokens={len(self._slots)})"

    def _count_retry(self) -> None:
        self.requests_sent += 1

    @property
    def rate_remaining(self) -> int | None:
        known = [s.remaining for s in self._slots if s.remaining is not None and not s.rejected]
        return sum(known) if known else None

    def _pick_slot(self) -> _Slot:
        usable = [s for s in self._slots if not s.rejected]
        if not usable:
            raise GitHubAuthError(
                f"every GitHub token was rejected by {self.base_url} (401 Bad credentials): "
                f"check {TOKEN_ENV}"
            )
        now = self.clock()
        for slot in usable:
            if slot.remaining is not None and slot.remaining <= 0 and now >= slot.reset_at:
                slot.remaining = None  # the window has reset
        current = self._slots[self._current]
        if not current.rejected and (current.remaining is None or current.remaining > 0):
            return current
        for i, slot in enumerate(self._slots):
            if not slot.rejected and (slot.remaining is None or slot.remaining > 0):
                log.info("rate limit: %s is out, switching to %s", current.label, slot.label)
                self._current = i
                return slot
        earliest = min(usable, key=lambda s: s.reset_at)
        wait = max(0.0, earliest.reset_at - now) + 1.0
        if wait > self.max_wait:
            raise RequestFailed(
                f"rate limit: all {len(usable)} token(s) are out until their reset in {wait:.0f} s, "
                f"more than the maximum wait of {self.max_wait:.0f} s"
            )
        log.info(
            "rate limit: all %d token(s) are out; waiting %.0f s for the reset", len(usable), wait
        )
        self.sleeper(wait)
        earliest.remaining = None
        self._current = self._slots.index(earliest)
        return earliest

    def _note_rate(self, slot: _Slot, headers: dict[str, str]) -> None:
        try:
            if "x-ratelimit-remaining" in headers:
                slot.remaining = int(float(headers["x-ratelimit-remaining"]))
            if "x-ratelimit-reset" in headers:
                slot.reset_at = float(headers["x-ratelimit-reset"])
        except ValueError:
            pass

    def get(
        self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> ApiResponse:
        """GET ``url`` (a path under the base URL, or a full URL GitHub returned in a Link header).

        Returns the response for any status GitHub answers (2xx, 304, 4xx) so the caller can record
        it; raises :class:`RequestFailed` when retries and waits are exhausted and
        :class:`GitHubAuthError` when no token is accepted.
        """
        failures = 0
        secondary_waits = 0
        while True:
            slot = self._pick_slot()
            self.requests_sent += 1
            try:
                status, resp_headers, body = slot.github.requester.requestJson(
                    "GET", url, parameters=params, headers=dict(headers or {})
                )
            except RateLimitExceededExceedsMaxWait as exc:
                resp_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
                message = exc.data.get("message", "") if isinstance(exc.data, dict) else ""
                if Requester.isPrimaryRateLimitError(message):
                    self._note_rate(slot, resp_headers)
                    slot.remaining = 0
                    continue
                secondary_waits += 1
                if secondary_waits > self.retries:
                    raise RequestFailed(
                        f"GET {_path(url)}: secondary rate limit persisted after "
                        f"{self.retries} waits"
                    ) from None
                self.sleeper(min(self.secondary_rate_wait, self.max_wait))
                continue
            except GithubException as exc:
                # GithubRetry raises for a 403 it has inspected and found not retryable (e.g. a
                # repository blocked for terms of service); hand it back like any other status.
                status = exc.status
                resp_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
                return ApiResponse(status, resp_headers, exc.data)
            except requests.exceptions.RetryError as exc:
                raise RequestFailed(
                    f"GET {_path(url)}: still failing after {self.retries} retries ({_reason(exc)})"
                ) from None
            except requests.exceptions.RequestException as exc:
                failures += 1
                if failures > self.retries:
                    raise RequestFailed(
                        f"GET {_path(url)}: {type(exc).__name__} persisted after "
                        f"{self.retries} retries"
                    ) from None
                wait = min(self.backoff_factor * 2 ** (failures - 1), self.max_wait)
                log.info("GET %s: %s, retrying in %.1f s", _path(url), type(exc).__name__, wait)
                self.sleeper(wait)
                continue
            self._note_rate(slot, resp_headers)
            data = _json(body)
            if status == 401:
                slot.rejected = True
                log.warning(
                    "%s was rejected by %s (401 Bad credentials)", slot.label, self.base_url
                )
                continue
            if status in (403, 429):
                message = data.get("message", "") if isinstance(data, dict) else ""
                if Requester.isPrimaryRateLimitError(message):
                    slot.remaining = 0
                    continue
                if Requester.isSecondaryRateLimitError(message):
                    secondary_waits += 1
                    if secondary_waits > self.retries:
                        raise RequestFailed(
                            f"GET {_path(url)}: secondary rate limit persisted after "
                            f"{self.retries} waits"
                        )
                    retry_after = resp_headers.get("retry-after")
                    wait = float(retry_after) if retry_after else self.secondary_rate_wait
                    self.sleeper(min(wait, self.max_wait))
                    continue
            return ApiResponse(status, resp_headers, data)


def _json(body: str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return {"message": body[:200]}


def _path(url: str) -> str:
    """The URL without scheme and host: enough to name a request, nothing to leak."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for code in ("500", "502", "503", "504"):
        if f"{code} error" in text or f"responses ({code}" in text:
            return f"HTTP {code}"
    return type(exc).__name__
