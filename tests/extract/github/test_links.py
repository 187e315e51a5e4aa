import landing

from .conftest import add_issues


def _events(repo_full_name):
    return [
        {"event": "labeled", "actor": {"login": "a"}},
        {
            "event": "cross-referenced",
            "actor": {"login": "b"},
            "source": {
                "type": "issue",
                "issue": {
                    "number": 12,
                    "pull_request": {"url": "x"},
                    "repository": {"full_name": repo_full_name},
                },
            },
        },
        {
            "event": "cross-referenced",
            "actor": {"login": "b"},
            "source": {
                "type": "issue",
                "issue": {"number": 13, "repository": {"full_name": repo_full_name}},
            },
        },
        {
            "event": "cross-referenced",
            "actor": None,
            "source": {
                "type": "issue",
                "issue": {
                    "number": 5,
                    "pull_request": {},
                    "repository": {"full_name": "other/fork"},
                },
            },
        },
        {"event": "closed", "actor": {"login": "c"}, "commit_id": "abc123"},
    ]


def test_links_are_fetched_only_for_given_issues_and_refetching_replaces_them(
    stand_in, make_miner, tmp_path
):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 4))
    repo.timelines[1] = _events("o/r")
    repo.timelines[2] = [{"event": "closed", "actor": {"login": "c"}, "commit_id": None}]
    miner = make_miner()
    result = miner.fetch_issue_links("o/r", [1, 2, 99], tmp_path)
    # the lookup of the repository's id (no metadata landed), then one request per issue
    assert result.requests == 4 == stand_in.count()
    assert stand_in.count("/repositories/1000/issues/") == 3
    assert list(result.failed) == [99] and "404" in result.failed[99]
    rows = landing.read_partition(tmp_path, "github/issue_links", "o/r").to_pylist()
    got = sorted(
        (r["issue_number"], r["link_kind"], r["linked_repo_id"], r["linked_number"], r["commit_id"])
        for r in rows
    )
    assert got == [
        (1, "closed_by_commit", None, None, "abc123"),
        (1, "cross_referenced", "o/r", 12, None),
        (1, "cross_referenced", "other/fork", 5, None),
    ]
    repo.timelines[1] = _events("o/r")[:2]
    miner.fetch_issue_links("o/r", [1], tmp_path)
    rows = landing.read_partition(tmp_path, "github/issue_links", "o/r").to_pylist()
    assert [(r["issue_number"], r["linked_number"]) for r in rows] == [(1, 12)]


def test_long_timelines_are_paginated(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, [1])
    repo.timelines[1] = [{"event": "labeled"}] * 150 + _events("o/r")[1:2]
    result = make_miner().fetch_issue_links("o/r", [1], tmp_path)
    assert (result.links, result.requests) == (1, 3)  # lookup, 2 pages of timeline
