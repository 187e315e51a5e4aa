"""The GitHub API as a Dagster resource. The token is never part of Dagster's config.

``GITHUB_TOKEN`` (one or several, comma-separated) is read by extract.github at the moment a miner is
built, so it never appears in run config, the event log or the UI; only the base URL is config.
"""

import os

import dagster as dg

from extract.github.miner import GitHubMiner


class GitHubResource(dg.ConfigurableResource):
    base_url: str = "https://api.github.com"
    #: Without a token GitHub allows 60 requests an hour: only for the local stand-in and tiny lists.
    allow_anonymous: bool = False
    #: Exponential backoff factor of retried 5xx and connection resets (PyGithub's GithubRetry).
    retry_backoff_factor: float = 1.0

    def miner(self) -> GitHubMiner:
        return GitHubMiner(
            self.base_url,
            allow_anonymous=self.allow_anonymous,
            backoff_factor=self.retry_backoff_factor,
        )


def github_resource() -> GitHubResource:
    return GitHubResource(
        base_url=os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        allow_anonymous=os.environ.get("MMS_GITHUB_ALLOW_ANONYMOUS", "") == "1",
    )
