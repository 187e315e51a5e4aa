"""The daily refresh asks each repository whether it has anything new and runs only those that do:
a day with nothing new launches no run (so the warehouse does not rebuild). Found by the dry run,
where a refresh with nothing new cost 77% of the first run's time, all of it runs that mined and
crawled nothing."""

from datetime import UTC, datetime

import dagster as dg

import landing
from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.github.resources import GitHubResource
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.partitions import repository_partitions
from dagster_project.defs.refresh.news import repositories_with_news
from dagster_project.defs.refresh.schedules import daily_repository_refresh
from demo.git_repos import build_sample_repos
from demo.github_data import SAMPLE_TOKEN, build_stand_in
from extract.git.miner import mine_repository
from extract.github.client import GitHubClient
from extract.github.miner import GitHubMiner
from tests.bare_repositories import add_commit

DAY = datetime(2026, 11, 26, 3, tzinfo=UTC)


def _mined_and_crawled(tmp_path, monkeypatch):
    remotes = build_sample_repos(tmp_path / "remotes")
    stand_in = build_stand_in(remotes).start()
    monkeypatch.setenv("GITHUB_TOKEN", SAMPLE_TOKEN)
    root = tmp_path / "landing"
    landing.ensure_landing(root)
    git = GitSourceResource(
        url_template=f"file://{tmp_path}/remotes/{{slug}}.git", mirror_dir=str(tmp_path / "m")
    )
    miner = GitHubMiner(GitHubClient(stand_in.base_url, [SAMPLE_TOKEN]))
    for repo_id in remotes:
        mine_repository(repo_id, git.source_for(repo_id), root, mirror_dir=tmp_path / "m")
        miner.crawl_closed_issues(repo_id, root)
    github = GitHubResource(base_url=stand_in.base_url)
    return remotes, stand_in, root, git, github


def test_a_day_with_nothing_new_runs_nothing_and_news_runs_only_its_repository(
    tmp_path, monkeypatch
):
    remotes, stand_in, root, git, github = _mined_and_crawled(tmp_path, monkeypatch)
    (tmp_path / "home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "home"))
    instance.add_dynamic_partitions(repository_partitions.name, list(remotes))
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=DAY,
        resources={"git": git, "github": github, "landing_zone": LandingResource(root=str(root))},
    )
    try:
        stand_in.reset_counts()
        quiet = daily_repository_refresh(context)
        assert isinstance(quiet, dg.SkipReason)
        assert quiet.skip_message == "nothing new in the 3 repositories"
        assert stand_in.count() == 3  # one question per repository, nothing else

        vision, text = "sample-ml/vision-classifier", "sample-ml/text-regressor"
        add_commit(remotes[vision], "Tune the learning rate")
        stand_in.resolve(text).add_issue(
            999, created_at="2023-09-01T00:00:00Z", closed_at="2023-09-02T00:00:00Z"
        )
        requests = daily_repository_refresh(context)
        assert sorted((r.partition_key, r.run_key) for r in requests) == [
            (text, f"2026-11-26:{text}"),
            (vision, f"2026-11-26:{vision}"),
        ]
    finally:
        stand_in.stop()


def test_repositories_not_asked_in_time_or_whose_question_fails_run(tmp_path, monkeypatch):
    remotes, stand_in, root, git, github = _mined_and_crawled(tmp_path, monkeypatch)
    try:
        late = repositories_with_news(
            remotes, git=git, github=github, landing_root=root, budget_seconds=0
        )
        assert set(late) == set(remotes)
        assert all(reason == "not asked within 0 s" for reason in late.values())

        broken = sorted(remotes)[0]
        remotes[broken].rename(remotes[broken].with_name("moved.git"))
        news = repositories_with_news(remotes, git=git, github=github, landing_root=root)
        assert list(news) == [broken]
        assert news[broken].startswith("the question failed (GitMiningError:")
    finally:
        stand_in.stop()
