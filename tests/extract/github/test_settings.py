"""Issue 8, case 5: the GitHub settings the README promises, read by ``mms-extract`` too, and an
unreachable API that stops a run at once instead of costing minutes per repository."""

import logging
import socket

import pytest

import landing
from demo.github_stand_in import Fault
from extract.github.client import GitHubClient, GitHubUnreachable, RetryPolicy
from extract.github.miner import GitHubMiner

from .conftest import TOKEN, add_issues


@pytest.fixture
def closed_port():
    """A local port nothing listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_cli_reads_github_api_url_and_says_what_it_runs_with(
    stand_in, run_cli, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="extract.github")
    add_issues(stand_in.add_repository("o/r"), range(1, 4))
    monkeypatch.setenv("GITHUB_API_URL", stand_in.base_url)
    code, out, _ = run_cli("github", "issues", "--repo", "o/r")
    assert code == 0 and out.startswith("o/r\tcomplete\t3 issues") and stand_in.count() == 2
    assert f"GitHub API {stand_in.base_url} (GITHUB_API_URL) with 1 token(s)" in caplog.text
    assert "rate-limit waits up to 3700 s (MMS_GITHUB_MAX_WAIT)" in caplog.text
    assert "time out after 20 s" in caplog.text and TOKEN not in caplog.text


@pytest.mark.parametrize("how", ["environment", "option"])
def test_the_rate_limit_wait_cap_is_a_setting_of_the_cli(stand_in, run_cli, monkeypatch, how):
    add_issues(stand_in.add_repository("o/r"), range(1, 151))
    stand_in.add_fault(r"page=2", Fault.primary_limit(reset_in=600))
    cap = ["--max-wait", "60"] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("MMS_GITHUB_MAX_WAIT", "60")
    code, out, _ = run_cli(
        "github", "issues", "--base-url", stand_in.base_url, "--repo", "o/r", *cap
    )
    # 601 s to the reset is more than the cap: resumable at once, not an hour's silent wait.
    assert code == 1 and "\tpartial\t100 issues" in out
    assert "more than the maximum wait of 60 s (MMS_GITHUB_MAX_WAIT)" in out


def test_a_setting_that_is_not_a_number_is_one_clear_error(run_cli, monkeypatch):
    monkeypatch.setenv("MMS_GITHUB_MAX_WAIT", "soon")
    code, out, err = run_cli("github", "issues", "--repo", "o/r")
    assert code == 2 and out == ""
    assert err == "error: MMS_GITHUB_MAX_WAIT='soon' is not a number of seconds\n"


def test_an_unreachable_api_stops_the_run_after_three_connection_attempts(closed_port, tmp_path):
    sleeps: list[float] = []
    client = GitHubClient(f"http://127.0.0.1:{closed_port}", [TOKEN], sleeper=sleeps.append)
    miner = GitHubMiner(client)
    with pytest.raises(GitHubUnreachable, match=r"unreachable \(connection refused\) after 3"):
        miner.crawl_closed_issues("o/r", tmp_path)
    # urllib3 retries the connection at once, then after 2 s (was: 36 requests, 211 s of waits)
    assert (client.requests_sent, sleeps) == (3, [2.0])
    with pytest.raises(GitHubUnreachable):
        miner.land_repository_metadata("o/r", tmp_path)
    assert landing.read_partition(tmp_path, "github/repositories", "o/r") is None


def test_the_cli_fails_the_whole_run_at_the_first_repository(closed_port, run_cli, tmp_path):
    url = f"http://127.0.0.1:{closed_port}"
    code, out, err = run_cli(
        "github", "issues", "--base-url", url, "--repo", "a/one", "--repo", "a/two"
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"error: the GitHub API at {url} is unreachable (connection refused)")
    assert err.count("\n") == 1 and "GITHUB_API_URL" in err
    crawls = landing.table_dir(tmp_path / "landing", "github/issue_crawls")
    assert not list(crawls.glob("*__*.parquet"))  # no repository was recorded as crawled


def test_a_crawl_cut_off_mid_way_keeps_its_pages_and_resumes(stand_in, clock, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 301))
    client = GitHubClient(
        stand_in.base_url, [TOKEN], sleeper=clock.sleep, clock=clock, policy=RetryPolicy()
    )
    miner = GitHubMiner(client)

    def cut_off(served):
        if served.query.get("page") == "2":
            stand_in.stop()  # the host goes away after page 2

    stand_in.on_served(cut_off)
    with pytest.raises(GitHubUnreachable):
        miner.crawl_closed_issues("o/r", tmp_path)
    state = landing.read_partition(tmp_path, "github/issue_crawls", "o/r").to_pylist()[0]
    rows = landing.read_partition(tmp_path, "github/issues", "o/r")
    assert (state["status"], state["is_complete"], rows.num_rows) == ("partial", False, 200)
    assert "unreachable" in state["status_detail"]
