import time

import pytest

from demo.github_stand_in import GitHubStandIn
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
    def make(tokens=(TOKEN,), **kwargs):
        kwargs.setdefault("sleeper", clock.sleep)
        kwargs.setdefault("clock", clock)
        return GitHubMiner(stand_in.base_url, list(tokens), **kwargs)

    return make


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
