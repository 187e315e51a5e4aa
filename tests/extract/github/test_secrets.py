import logging

import pyarrow.parquet as pq
import pytest

from demo.github_stand_in import Fault, GitHubStandIn
from extract.github.client import GitHubAuthError, GitHubClient, RetryPolicy
from extract.github.miner import GitHubMiner

from .conftest import add_issues

GOOD = "ghp_GOODtoken_0123456789abcdefghij"
BAD = "ghp_BADtoken_9876543210zyxwvutsrqp"


def test_no_token_reaches_logs_exceptions_or_landed_files(clock, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub logs each request at DEBUG
    errors: list[str] = []
    with GitHubStandIn(tokens=[GOOD], clock=clock) as stand_in:
        repo = stand_in.add_repository("o/r")
        add_issues(repo, range(1, 251), pr_every=4)
        stand_in.add_repository("gone/x")
        stand_in.add_fault(
            r"/issues\?",
            Fault.status_code(502),
            Fault.connection_reset(),
            Fault.secondary_limit(5),
            Fault.primary_limit(30),
        )
        stand_in.add_fault(r"page=3", *[Fault.status_code(500)] * 9)
        # The metadata of o/r fails (3 tries); the crawl's own lookup of o/r then succeeds.
        stand_in.add_fault(r"^/repos/o/r$", *[Fault.status_code(503)] * 3)
        client = GitHubClient(
            stand_in.base_url,
            [BAD, GOOD],
            sleeper=clock.sleep,
            clock=clock,
            policy=RetryPolicy(retries=2),
        )
        miner = GitHubMiner(client)
        for repo_id in ["o/r", "gone/x", "nope/y"]:
            miner.land_repository_metadata(repo_id, tmp_path)
            result = miner.crawl_closed_issues(repo_id, tmp_path)
            errors.append(str(result))
        miner.fetch_issue_links("o/r", [1, 999], tmp_path)
        with pytest.raises(GitHubAuthError) as info:
            GitHubMiner(GitHubClient(stand_in.base_url, [BAD])).fetch_repository_metadata("o/r")
        errors += [str(info.value), repr(info.value), repr(miner)]
        statuses = {s.status for s in stand_in.served}
    assert {200, 401, 403, 500, 502, 503, 404} <= statuses  # the run did meet every failure
    out, err = capfd.readouterr()
    # The logs did see the requests' headers, masked by PyGithub.
    assert "'Authorization': 'token (oauth token removed)'" in caplog.text
    texts = [caplog.text, out, err, *errors]
    landed = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(landed) >= 8
    for path in landed:
        texts.append(path.read_bytes().decode("latin-1"))
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            texts += [str(table.to_pylist()), str(table.schema.metadata)]
    for secret in (GOOD, BAD):
        assert not [t for t in texts if secret in t]
        assert not [t for t in texts if secret[4:20] in t]
