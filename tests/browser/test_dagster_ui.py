"""The Dagster UI in a real browser: headless Debian Chromium driven by Playwright.

Starts `dagster dev` on a free local port against a throwaway instance and warehouse holding the
sample's landed git history, finds the assets and their checks in the UI, launches a materialization
from the UI and waits for the run to succeed.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import landing
from base import settings
from demo.git_repos import build_sample_repos
from extract.git.miner import mine_repository
from tests.patience import patience, patience_ms
from tests.processes import stop_process_group

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None:
    # CI installs Debian's chromium (.ci/run), so there the test must run, not skip.
    if os.environ.get("CI"):
        raise RuntimeError("CI=true but no chromium on PATH: .ci/run should have installed it")
    pytest.skip("no chromium on PATH (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

#: the code location of workspace.yaml, as the UI's addresses name it
LOCATION = "__repository__@study"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dagster dev exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(root / "dagster_home"),
        MMS_DUCKDB_PATH=str(root / "warehouse.duckdb"),
        MMS_LANDING_DIR=str(root / "landing"),
        MMS_MIRROR_DIR=str(root / "mirrors"),
        MMS_REPORTS_DIR=str(root / "reports"),
    )
    env.pop("DAGSTER_IS_DEV_CLI", None)
    (root / "dagster_home").mkdir()
    shutil.copy(settings.project_dir() / "dagster_home" / "dagster.yaml", root / "dagster_home")
    landing.ensure_landing(root / "landing")
    for repo_id, git_dir in build_sample_repos(root / "remotes").items():
        mine_repository(repo_id, git_dir, root / "landing")
    port = _free_port()
    log = (root / "dagster-dev.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "workspace.yaml",
        ],
        cwd=settings.project_dir(),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/server_info", process, timeout=patience(240))
        yield f"http://127.0.0.1:{port}", root
    finally:
        stop_process_group(process)
        log.close()


@pytest.fixture(scope="module")
def page(dagster_ui):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        yield context.new_page()
        browser.close()


#: pages whose first-visit dialog was looked for (Dagster shows it once per browser context)
_DIALOG_SEEN: set[int] = set()


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if id(page) in _DIALOG_SEEN:
        return
    _DIALOG_SEEN.add(id(page))
    # Dagster's first-visit newsletter dialog covers the page until it is dismissed; waiting
    # for it on every page cost 5 s each once it was gone.
    with contextlib.suppress(sync_api.TimeoutError):
        page.get_by_role("button", name="Skip").click(timeout=5_000)


def test_asset_graph_shows_every_domain(dagster_ui, page):
    base, _ = dagster_ui
    _open(page, f"{base}/asset-groups")
    for group in ("git", "github", "selection", "staging_git", "marts_activities", "reports"):
        sync_api.expect(page.get_by_text(group, exact=True).first).to_be_visible(
            timeout=patience_ms(60)
        )


def test_asset_checks_are_listed(dagster_ui, page):
    base, _ = dagster_ui
    _open(page, f"{base}/assets/git/commits?view=checks")
    sync_api.expect(
        page.get_by_text("commits_match_rev_list").filter(visible=True).first
    ).to_be_visible(timeout=patience_ms(60))
    _open(page, f"{base}/assets/stg_git__commits?view=checks")
    # dbt tests arrive as checks; the list truncates long names, so filter and open the check.
    page.get_by_placeholder("Filter checks").fill("unique")
    page.get_by_text("unique_stg_git", exact=False).filter(visible=True).first.click()
    sync_api.expect(
        page.get_by_text("unique_stg_git__commits_commit_key", exact=True)
        .filter(visible=True)
        .first
    ).to_be_visible(timeout=patience_ms(60))


def _wait_for_successes(page, url: str, count: int) -> None:
    """Until the runs list shows ``count`` successful runs. The list asks the server again only
    every several seconds (7-9 s after a run ended, measured); a reload shows a finished run at
    once."""
    deadline = time.monotonic() + patience(180)
    while True:
        _open(page, url)
        try:
            sync_api.expect(page.get_by_text("Success")).to_have_count(count, timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_materializing_the_sample_from_the_ui_succeeds(dagster_ui, page):
    base, root = dagster_ui
    # The git staging models in one run, as a user materializes a group: which repository
    # generations are current (stg_git__extractions), then the commits and modified files.
    _open(page, f"{base}/locations/{LOCATION}/asset-groups/staging_git")
    page.get_by_role("button", name=re.compile(r"Materialize all$")).first.click()
    # The git partitions were landed by extract/ directly, so Dagster asks to confirm.
    with contextlib.suppress(sync_api.TimeoutError):
        page.get_by_role("button", name="Confirm").click(timeout=5_000)
    _wait_for_successes(page, f"{base}/runs", 1)
    import duckdb

    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        repos = con.execute("select count(distinct repo_id) from stg_git__commits").fetchone()[0]
    assert repos == 3
