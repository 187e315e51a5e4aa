"""Real Dagster materializations of the GitHub assets against the local stand-in, on a sqlite-backed
instance, with faults; afterwards no file Dagster or the pipeline wrote contains the token."""

from pathlib import Path

import dagster as dg
import pytest

import landing
from dagster_project.defs.github.assets import candidates, repository_metadata
from dagster_project.defs.github.closed_issues import closed_issue_history
from dagster_project.defs.github.resources import GitHubResource
from dagster_project.defs.landing.resources import landing_resource
from dagster_project.defs.partitions import repository_partitions
from demo.github_stand_in import Fault, GitHubStandIn

TOKEN = "ghp_dagsterTEST0123456789abcdefSECRET"


@pytest.fixture
def stand_in():
    with GitHubStandIn(tokens=[TOKEN]) as server:
        for number, repo_id in enumerate(["ml/alpha", "ml/beta"], start=1):
            repo = server.add_repository(repo_id, commits=50 * number, contributors=4 + number)
            for issue in range(1, 151):
                repo.add_issue(
                    issue,
                    created_at=1_600_000_000 + issue,
                    closed_at=1_600_100_000 + issue,
                    pull_request=issue % 4 == 0,
                )
        yield server


def test_candidates_metadata_and_closed_issues_materialize_without_leaking_the_token(
    tmp_path, warehouse_env, stand_in, monkeypatch, caplog
):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    candidate_list = tmp_path / "candidates.csv"
    candidate_list.write_text(
        "ProjectName,ProjectType\nml/alpha,Applied\nml/beta,Tool\nml/gone,Tool\nweb/app,NonML\na/b/c,Tool\n"
    )
    landing.ensure_landing(warehouse_env["MMS_LANDING_DIR"])
    # A 502 on the first issues page and a secondary rate limit on the second are retried (the
    # crawl addresses ml/alpha by its id, 1000, known from the metadata).
    stand_in.add_fault(r"/repositories/1000/issues\?", Fault.status_code(502))
    stand_in.add_fault(r"/repositories/1000/issues\?.*page=2", Fault.secondary_limit(retry_after=1))

    (tmp_path / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster_home"))
    resources = {
        "github": GitHubResource(base_url=stand_in.base_url, retry_backoff_factor=0.01),
        "landing_zone": landing_resource(),
    }
    run_config = {
        "ops": {"github__candidates": {"config": {"candidate_list": str(candidate_list)}}}
    }
    selection = dg.materialize(
        [candidates, repository_metadata],
        instance=instance,
        resources=resources,
        run_config=run_config,
    )
    assert selection.success
    [metadata_event] = [
        e
        for e in selection.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["github", "repository_metadata"])
    ]
    values = {k: v.value for k, v in metadata_event.materialization.metadata.items()}
    assert values["candidates"] == 3  # NonML and malformed rows are not candidates
    assert values["status_ok"] == 2 and values["status_not_found"] == 1

    instance.add_dynamic_partitions(repository_partitions.name, ["ml/alpha", "ml/beta"])
    stand_in.reset_counts()
    for repo_id in ("ml/alpha", "ml/beta"):
        result = dg.materialize(
            [closed_issue_history], partition_key=repo_id, instance=instance, resources=resources
        )
        assert result.success
        checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
        assert checks == {"crawl_complete": True, "closed_items_match_api": True}
    # Cold crawls: 2 pages each, plus ml/alpha's 502 and secondary limit retried; no lookup (the
    # metadata knew the ids); one GraphQL count each and no search request.
    assert stand_in.count(resource="core") == 2 + 2 + 2
    assert stand_in.count("/graphql", resource="graphql") == 2
    assert stand_in.count(resource="search") == 0

    landed = landing.read_partition(
        Path(warehouse_env["MMS_LANDING_DIR"]), "github/issues", "ml/alpha"
    )
    assert landed.num_rows == 150
    assert sum(landed.column("is_pull_request").to_pylist()) == 37

    # A refresh with nothing new: per repository one list request with `since` (charged: the first
    # refresh's answer is new), then one GraphQL point for the count; the search API is never used.
    stand_in.reset_counts()
    for repo_id in ("ml/alpha", "ml/beta"):
        assert dg.materialize(
            [closed_issue_history], partition_key=repo_id, instance=instance, resources=resources
        ).success
    assert stand_in.count(resource="core", charged_only=True) == 2
    assert stand_in.count(resource="graphql", charged_only=True) == 2
    assert stand_in.count() == 4
    # The next one is conditional: GitHub answers 304, which it does not charge.
    stand_in.reset_counts()
    for repo_id in ("ml/alpha", "ml/beta"):
        assert dg.materialize(
            [closed_issue_history], partition_key=repo_id, instance=instance, resources=resources
        ).success
    assert [s.status for s in stand_in.served if s.resource == "core"] == [304, 304]
    assert stand_in.count(resource="core", charged_only=True) == 0
    assert stand_in.count(resource="graphql", charged_only=True) == 2

    # An issue GitHub counts but the landing lacks (updated before the refresh's `since`, so the
    # incremental crawl cannot see it) fails the reconciliation, as a warning naming both counts.
    stand_in.repositories["ml/beta"].add_issue(
        999, created_at=1_500_000_000, closed_at=1_500_000_100
    )
    stale = dg.materialize(
        [closed_issue_history], partition_key="ml/beta", instance=instance, resources=resources
    )
    [check] = [
        c for c in stale.get_asset_check_evaluations() if c.check_name == "closed_items_match_api"
    ]
    assert check.passed is False
    assert (check.metadata["landed"].value, check.metadata["api_count"].value) == (150, 151)
    assert (check.metadata["landed_issues"].value, check.metadata["api_issues"].value) == (113, 114)

    written = [p for root in (tmp_path,) for p in Path(root).rglob("*") if p.is_file()]
    assert any("dagster_home" in str(p) for p in written)
    for path in written:
        if path.name == "candidates.csv":
            continue
        assert TOKEN.encode() not in path.read_bytes(), f"token found in {path}"
    assert TOKEN not in caplog.text


def test_the_resource_reads_its_settings_when_used_and_config_overrides_them(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example/api/v3")
    monkeypatch.setenv("MMS_GITHUB_MAX_WAIT", "120")
    monkeypatch.setenv("MMS_GITHUB_TIMEOUT", "7")
    client = GitHubResource().client()
    assert (client.base_url, client.policy.max_wait, client.policy.timeout) == (
        "https://ghe.example/api/v3",
        120.0,
        7,
    )
    assert client.graphql_url == "https://ghe.example/api/graphql"
    configured = GitHubResource(
        base_url="http://127.0.0.1:9", max_wait_seconds=5.0, timeout_seconds=3
    ).client()
    assert (configured.base_url, configured.policy.max_wait, configured.policy.timeout) == (
        "http://127.0.0.1:9",
        5.0,
        3,
    )
    fields = GitHubResource.model_json_schema()["properties"]
    assert all(field.get("description") for field in fields.values())


def test_an_unreachable_api_fails_the_partition_at_once(tmp_path, warehouse_env, monkeypatch):
    import socket

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(repository_partitions.name, ["ml/alpha"])
    resources = {
        "github": GitHubResource(base_url=f"http://127.0.0.1:{port}", retry_backoff_factor=0.01),
        "landing_zone": landing_resource(),
    }
    result = dg.materialize(
        [closed_issue_history],
        partition_key="ml/alpha",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "is unreachable (connection refused) after 3 attempts" in str(
        failure.step_failure_data.error
    )


def test_metadata_asset_reports_a_reused_name_and_asks_again_after_a_malformed_answer(
    tmp_path, warehouse_env, monkeypatch
):
    """Issue 16, cases 1 and 2 in Dagster: a failed fetch (an answer cut short every time) is an
    error row that the next run asks again instead of keeping for 24 h, and a name that changed
    hands is a warning line and a `name_reused` entry while the landed id is kept."""
    from extract.github.candidates import load_candidates

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    root = Path(warehouse_env["MMS_LANDING_DIR"])
    candidate_list = tmp_path / "candidates.csv"
    candidate_list.write_text("ProjectName\nowner/old\nml/flaky\n")
    load_candidates(str(candidate_list), root)
    instance = dg.DagsterInstance.ephemeral()

    def materialize(stand_in, max_age_hours=24.0):
        resources = {
            "github": GitHubResource(base_url=stand_in.base_url, retry_backoff_factor=0),
            "landing_zone": landing_resource(),
        }
        config = {
            "ops": {"github__repository_metadata": {"config": {"max_age_hours": max_age_hours}}}
        }
        result = dg.materialize(
            [repository_metadata], instance=instance, resources=resources, run_config=config
        )
        [event] = result.get_asset_materialization_events()
        return result, {k: v.value for k, v in event.materialization.metadata.items()}

    with GitHubStandIn(tokens=[TOKEN]) as stand_in:
        stand_in.add_repository("owner/old", id=31, stargazers_count=595)
        stand_in.add_repository("ml/flaky", id=32, stargazers_count=7)
        stand_in.add_fault(r"^/repos/ml/flaky$", *[Fault.truncated()] * 6)  # 1 + 5 retries
        _, values = materialize(stand_in)
        assert (values["status_ok"], values["status_error"]) == (1, 1)
        flaky = landing.read_partition(root, "github/repositories", "ml/flaky").to_pylist()[0]
        assert flaky["status"] == "error" and "malformed answer (not JSON" in flaky["status_detail"]

        stand_in.rename_repository("owner/old", "owner/new")
        stand_in.add_repository("owner/old", id=99, stargazers_count=0)
        _, values = materialize(stand_in)
        assert (values["fetched"], values["kept_fresh"], values["status_ok"]) == (1, 1, 1)
        flaky = landing.read_partition(root, "github/repositories", "ml/flaky").to_pylist()[0]
        assert (flaky["status"], flaky["stargazers_count"]) == ("ok", 7)

        result, values = materialize(stand_in, max_age_hours=0)
        assert values["status_name_reused"] == 1
        line = (
            "owner/old: owner/old now names another repository (id 99), not the landed one "
            "(id 31, now owner/new): kept id 31; --follow-reused-names follows the name"
        )
        assert values["name_reused"] == f"- {line}"
        logs = [e.user_message for e in instance.all_logs(result.run_id)]
        assert line in logs
        old = landing.read_partition(root, "github/repositories", "owner/old").to_pylist()[0]
        assert (old["github_id"], old["stargazers_count"]) == (31, 595)


def test_an_anonymous_partition_materializes_and_its_count_check_says_why_not_counted(
    tmp_path, warehouse_env, monkeypatch
):
    """Issue 16, case 4 in Dagster: GraphQL refuses anonymous requests; the crawl lands and the
    reconciliation check is a warning that says so, with no GraphQL request sent."""
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(repository_partitions.name, ["ml/open"])
    with GitHubStandIn() as stand_in:
        repo = stand_in.add_repository("ml/open")
        for issue in range(1, 4):
            repo.add_issue(issue)
        resources = {
            "github": GitHubResource(base_url=stand_in.base_url, allow_anonymous=True),
            "landing_zone": landing_resource(),
        }
        result = dg.materialize(
            [closed_issue_history], partition_key="ml/open", instance=instance, resources=resources
        )
        assert result.success and stand_in.count("/graphql") == 0
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["crawl_complete"].passed
    count_check = checks["closed_items_match_api"]
    assert count_check.passed is False
    assert count_check.description == (
        "not counted: GitHub's GraphQL API needs a token; this run is anonymous"
    )
