import time

import pytest

from demo.github_stand_in import GitHubStandIn
from extract import cli
from extract.github.client import GitHubClient, RetryPolicy
from extract.github.miner import GitHubMiner

TOKEN = "ghp_standin0123456789abcdefSECRET"
BASE_TIME = 1_600_000_000


class FakeClock:
    """Shared by the stand-in and the miner: sleeping advances time instantly."""

    def __init__(self):
        # Starts at the real time: GithubRetry compares x-ratelimit-reset with the real clock.
        self.now = time.time()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def stand_in(clock):
    with GitHubStandIn(tokens=[TOKEN], clock=clock) as server:
        yield server


@pytest.fixture
def make_miner(stand_in, clock):
    """A miner on the stand-in whose waits advance the fake clock; ``policy`` fields as keywords.
    PyGithub's second between GraphQL queries is a real ``time.sleep``, not one of the client's
    waits: left out unless a test asks for it (test_counts checks the default keeps it)."""

    def make(tokens=(TOKEN,), *, checkpoint_pages=20, base_url=None, **policy):
        policy.setdefault("seconds_between_writes", 0)
        client = GitHubClient(
            base_url or stand_in.base_url,
            list(tokens),
            allow_anonymous=not tokens,
            policy=RetryPolicy(**policy),
            sleeper=clock.sleep,
            clock=clock,
        )
        return GitHubMiner(client, checkpoint_pages=checkpoint_pages)

    return make


@pytest.fixture
def run_cli(monkeypatch, capsys, tmp_path):
    """``mms-extract --landing-dir <tmp>/landing ...`` with TOKEN in GITHUB_TOKEN and nothing else
    of the GitHub settings in the environment; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    for name in ("GITHUB_API_URL", "MMS_GITHUB_MAX_WAIT", "MMS_GITHUB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    def run(*args):
        code = cli.main(["--landing-dir", str(tmp_path / "landing"), *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def add_issues(repo, numbers, *, updated_base=BASE_TIME, pr_every=0):
    """Closed issues numbered ``numbers``, updated one second apart; every ``pr_every``-th a PR."""
    for n in numbers:
        is_pr = bool(pr_every) and n % pr_every == 0
        repo.add_issue(
            n,
            created_at=updated_base - 10_000 + n,
            closed_at=updated_base + n,
            updated_at=updated_base + n,
            pull_request=is_pr,
            merged_at=(updated_base + n) if is_pr and n % 2 == 0 else None,
        )
