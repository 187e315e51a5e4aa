"""Whether a repository's closed issues changed since its last complete crawl: one request, nothing
landed; and a refresh that finds nothing new keeps the landed generation."""

from demo.github_stand_in import Fault
from extract.github.changes import closed_item_news

from .conftest import BASE_TIME, add_issues


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_news_is_a_new_or_updated_closed_item_and_asking_lands_nothing(
    stand_in, make_miner, tmp_path
):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 251), pr_every=4)  # three pages: no ETag describes a refresh yet
    miner = make_miner()
    assert closed_item_news(miner.client, "o/r", tmp_path).reason == "never crawled"
    miner.crawl_closed_issues("o/r", tmp_path)
    before = _files(tmp_path)

    stand_in.reset_counts()
    quiet = closed_item_news(miner.client, "o/r", tmp_path)
    assert (quiet.changed, quiet.reason) == (False, "nothing updated since the last crawl")
    assert stand_in.count() == 1 and stand_in.served[0].query["since"] == "2020-09-13T12:30:50Z"
    assert _files(tmp_path) == before

    repo.add_issue(7, title="edited", created_at=BASE_TIME, updated_at=BASE_TIME + 5000)
    edited = closed_item_news(miner.client, "o/r", tmp_path)
    assert (edited.changed, edited.reason) == (True, "#7 is new or updated")
    miner.crawl_closed_issues("o/r", tmp_path)
    add_issues(repo, [300], updated_base=BASE_TIME + 9000)
    assert closed_item_news(miner.client, "o/r", tmp_path).reason == "#300 is new or updated"


def test_after_a_refresh_the_question_is_a_free_304(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 151))
    miner = make_miner()
    miner.crawl_closed_issues("o/r", tmp_path)
    miner.crawl_closed_issues("o/r", tmp_path)  # records the ETag of the refresh's window
    stand_in.reset_counts()
    news = closed_item_news(miner.client, "o/r", tmp_path)
    assert (news.changed, news.reason) == (False, "unchanged (304)")
    assert stand_in.count() == 1 and stand_in.count(charged_only=True) == 0


def test_a_crawl_left_partial_or_an_error_answer_is_news(stand_in, make_miner, tmp_path):
    repo = stand_in.add_repository("o/r")
    add_issues(repo, range(1, 251))
    stand_in.add_fault(r"/issues\?.*page=2", *[Fault.status_code(502)] * 2)
    miner = make_miner(retries=1)
    assert miner.crawl_closed_issues("o/r", tmp_path).status == "partial"
    news = closed_item_news(miner.client, "o/r", tmp_path)
    assert news.changed and "partial" in news.reason

    other = stand_in.add_repository("o/s")
    add_issues(other, range(1, 11))
    miner.crawl_closed_issues("o/s", tmp_path)
    stand_in.add_fault(r"/repositories/\d+/issues", Fault.status_code(404, "Not Found"))
    assert closed_item_news(miner.client, "o/s", tmp_path).reason == "GitHub answered 404"
