"""The GitHub API as a Dagster resource. The token is never part of Dagster's config.

``GITHUB_TOKEN`` (one or several, comma-separated) is read by extract.github at the moment a client is
built, so it never appears in run config, the event log or the UI. Every field left unset falls back
to its environment setting (``base/settings.py``), read when the resource is used.
"""

import dagster as dg
from pydantic import Field

from extract.github.client import GitHubClient, RetryPolicy
from extract.github.miner import GitHubMiner


class GitHubResource(dg.ConfigurableResource):
    base_url: str | None = Field(
        default=None,
        description="GitHub REST API base URL: https://api.github.com, GitHub Enterprise's "
        "https://host/api/v3 (GraphQL is then https://host/api/graphql) or the local stand-in. "
        "Default: $GITHUB_API_URL, else https://api.github.com.",
    )
    allow_anonymous: bool | None = Field(
        default=None,
        description="Run without GITHUB_TOKEN: 60 requests an hour on github.com, so only for the "
        "local stand-in and tiny lists. Default: $MMS_GITHUB_ALLOW_ANONYMOUS=1.",
    )
    retry_backoff_factor: float = Field(
        default=1.0,
        description="Exponential backoff factor (seconds) of retried 5xx answers and connection "
        "resets (PyGithub's GithubRetry).",
    )
    max_wait_seconds: float | None = Field(
        default=None,
        description="Longest wait for a rate-limit reset; a longer one leaves the crawl partial "
        "and resumable. Default: $MMS_GITHUB_MAX_WAIT, else 3700 (GitHub resets hourly).",
    )
    timeout_seconds: int | None = Field(
        default=None,
        description="Seconds a request may take to connect and then to answer. An API host that "
        "cannot be reached in 3 attempts fails the run at once. Default: $MMS_GITHUB_TIMEOUT, "
        "else 20.",
    )

    follow_reused_names: bool = Field(
        default=False,
        description="When a landed repository's name now names another repository (another "
        "numeric id), follow the name: metadata becomes the new repository's and its issue crawl "
        "starts over under the new id. Default: keep the landed id and report the metadata "
        "status name_reused.",
    )

    def client(self) -> GitHubClient:
        policy = RetryPolicy.from_settings(
            backoff_factor=self.retry_backoff_factor,
            max_wait=self.max_wait_seconds,
            timeout=self.timeout_seconds,
        )
        return GitHubClient.from_settings(
            base_url=self.base_url, allow_anonymous=self.allow_anonymous, policy=policy
        )

    def miner(self) -> GitHubMiner:
        return GitHubMiner(self.client(), follow_reused_names=self.follow_reused_names)


def github_resource() -> GitHubResource:
    """The resource as the definitions use it: every setting from the environment, when used."""
    return GitHubResource()
