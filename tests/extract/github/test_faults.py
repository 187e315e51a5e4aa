import pytest

import landing
from demo.github_stand_in import Fault, GitHubStandIn
from extract.github.client import GitHubAuthError, GitHubClient, tokens_from_env
from extract.github.miner import GitHubMiner

from .conftest import TOKEN, add_issues

ISSUES = r"/issues"


@pytest.fixture
def repo(stand_in):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 151))
    return repo


def _numbers(root):
    return [r["number"] for r in landing.read_partition(root, "github/issues", "o/r").to_pylist()]


@pytest.mark.parametrize(
    "fault, sleeps",
    [
        (Fault.status_code(502), [0.0]),  # urllib3's first retry does not wait: nothing recorded
        (Fault.status_code(503), [0.0]),
        (Fault.connection_reset(), [1.0]),
        (Fault.secondary_limit(retry_after=42), [42.0]),
        (Fault.secondary_limit(retry_after=17, status=429), [17.0]),
        (Fault.secondary_limit(retry_after=None), [60.0]),
    ],
    ids=[
        "502",
        "503",
        "reset-mid-body",
        "secondary-403",
        "secondary-429",
        "secondary-no-retry-after",
    ],
)
def test_each_transient_fault_costs_one_retry_and_lands_the_same_rows(
    stand_in, make_miner, clock, tmp_path, repo, fault, sleeps
):
    stand_in.add_fault(ISSUES + r"\?", fault)
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    # the lookup of the repository's id, 2 pages, 1 retry
    assert (result.status, result.pages, result.requests) == ("complete", 2, 4)
    assert stand_in.count() == 4
    assert _numbers(tmp_path) == list(range(1, 151))
    assert [s for s in clock.sleeps if s] == [s for s in sleeps if s]


def test_primary_rate_limit_waits_for_the_reset_with_one_token(
    stand_in, make_miner, clock, tmp_path, repo
):
    stand_in.add_fault(r"page=2", Fault.primary_limit(reset_in=600))
    result = make_miner().crawl_closed_issues("o/r", tmp_path)
    assert result.status == "complete" and result.requests == 4
    assert clock.sleeps == [pytest.approx(601, abs=1)]  # until the reset, plus a second
    assert _numbers(tmp_path) == list(range(1, 151))


def test_exhausted_token_is_rotated_before_hitting_the_limit(clock, tmp_path):
    with GitHubStandIn(tokens=["tok-a", "tok-b"], clock=clock, rate_limit=2) as stand_in:
        repo = stand_in.add_repository("o/r")
        add_issues(repo, range(1, 301))
        client = GitHubClient(
            stand_in.base_url, ["tok-a", "tok-b"], sleeper=clock.sleep, clock=clock
        )
        result = GitHubMiner(client).crawl_closed_issues("o/r", tmp_path)
        assert result.status == "complete" and result.requests == 4
        assert [s.token for s in stand_in.served] == ["tok-a", "tok-a", "tok-b", "tok-b"]
        assert all(s.status == 200 for s in stand_in.served) and clock.sleeps == []


def test_wait_beyond_the_maximum_leaves_the_crawl_resumable(
    stand_in, make_miner, clock, tmp_path, repo
):
    stand_in.add_fault(r"page=2", Fault.primary_limit(reset_in=7200))
    result = make_miner(max_wait=3600).crawl_closed_issues("o/r", tmp_path)
    assert result.status == "partial" and "maximum wait" in result.detail
    assert _numbers(tmp_path) == list(range(1, 101)) and clock.sleeps == []


def test_bad_token_among_several_is_dropped_and_the_good_one_used(
    stand_in, clock, tmp_path, repo, caplog
):
    client = GitHubClient(
        stand_in.base_url, ["wrong-token-xyz", TOKEN], sleeper=clock.sleep, clock=clock
    )
    result = GitHubMiner(client).crawl_closed_issues("o/r", tmp_path)
    # the rejected request, the lookup, 2 pages
    assert result.status == "complete" and result.requests == 4
    assert [s.status for s in stand_in.served] == [401, 200, 200, 200]
    assert "token #1 was rejected" in caplog.text


def test_bad_only_token_raises_a_clear_error_without_the_token(stand_in, clock, tmp_path, repo):
    client = GitHubClient(stand_in.base_url, ["wrong-token-xyz"], sleeper=clock.sleep, clock=clock)
    miner = GitHubMiner(client)
    with pytest.raises(GitHubAuthError, match="every GitHub token was rejected") as info:
        miner.fetch_repository_metadata("o/r")
    assert "wrong-token-xyz" not in str(info.value)


def test_missing_token_raises_unless_anonymous_is_explicit(stand_in, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("MMS_GITHUB_ALLOW_ANONYMOUS", raising=False)
    with pytest.raises(GitHubAuthError, match="set GITHUB_TOKEN"):
        GitHubClient.from_settings(base_url=stand_in.base_url)
    GitHubClient.from_settings(base_url=stand_in.base_url, allow_anonymous=True)
    monkeypatch.setenv("MMS_GITHUB_ALLOW_ANONYMOUS", "1")
    GitHubClient.from_settings(base_url=stand_in.base_url)


def test_tokens_from_env_splits_and_trims():
    assert tokens_from_env({"GITHUB_TOKEN": " a , b,,c "}) == ["a", "b", "c"]
    assert tokens_from_env({}) == []
