"""`mms-extract git mine` as a user runs it: settings from the environment, cheap start-up."""

import os
import subprocess
import sys

import pytest

import landing
from extract.cli import main as mms_extract


def test_mine_reads_the_mirror_and_landing_directories_from_the_settings(
    make_repo, tmp_path, monkeypatch, capsys
):
    remote = make_repo("remote")
    remote.write("a.txt", "a\n")
    remote.commit("one")
    monkeypatch.setenv("MMS_MIRROR_DIR", str(tmp_path / "mirrors"))
    monkeypatch.setenv("MMS_LANDING_DIR", str(tmp_path / "landing"))
    url = f"file://{remote.path}"
    assert mms_extract(["git", "mine", "acme/widgets", "--source", url]) == 0
    assert (tmp_path / "mirrors" / "acme__widgets.git").is_dir()
    assert "acme/widgets: full at" in capsys.readouterr().out
    row = landing.read_partition(tmp_path / "landing", "git/extractions", "acme/widgets")
    assert row.to_pylist()[0]["commits"] == 1
    # A command-line flag still wins over the setting.
    flag = tmp_path / "elsewhere"
    assert (
        mms_extract(["git", "mine", "acme/widgets", "--source", url, "--mirror-dir", str(flag)])
        == 0
    )
    assert (flag / "acme__widgets.git").is_dir()


def test_bad_options_fail_with_one_line_naming_them(make_repo, tmp_path, capsys):
    repo = make_repo()
    repo.write("a", "a\n")
    repo.commit("a")
    args = ["--landing-dir", str(tmp_path), "git", "mine", "acme/widgets", "--source"]
    assert mms_extract([*args, str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err.strip().endswith("is not a directory")
    code = subprocess.run(
        [sys.executable, "-m", "extract", *args, str(repo.path), "--jobs", "0"],
        capture_output=True,
        text=True,
    )
    assert code.returncode == 2 and "'0' is not a positive number" in code.stderr


def test_the_git_command_starts_without_pygithub_or_pyarrow():
    """pyarrow is loaded once git runs, PyGithub never: start-up is a fixed cost on every repository."""
    probe = (
        "import sys; from extract.cli import build_parser, _command;"
        "argv = ['--landing-dir', 'x', 'git', 'mine', 'a/b', '--source', '.'];"
        "build_parser(_command(argv)).parse_args(argv);"
        "import extract.git.miner;"
        "print(sorted(m for m in ('github', 'pyarrow', 'dagster') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_git_mine_process_never_imports_pandas_or_numpy(make_repo, tmp_path):
    """pyarrow would import pandas (~0.25 s) on its first list conversion, and numpy (~0.2 s) with
    itself; the command's own process declines both, and still lands every row."""
    remote = make_repo("remote")
    remote.write("a.txt", "a\n")
    remote.commit("one")
    landing_dir = tmp_path / "landing"
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "extract", "--landing-dir", str(landing_dir),
         "git", "mine", "acme/widgets", "--source", str(remote.path),
         "--mirror-dir", str(tmp_path / "mirrors")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, [
        line for line in run.stderr.splitlines() if "import time" not in line
    ]
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line}
    # importtime lists a declined attempt as "pandas"; a loaded package brings its submodules
    assert "pyarrow" in imported
    assert not any(name.startswith(("pandas.", "numpy.")) for name in imported)
    row = landing.read_partition(landing_dir, "git/extractions", "acme/widgets")
    assert row.to_pylist()[0]["commits"] == 1


_POOL_PROBE = (
    "from extract.cli import main; code = main();"
    "import pyarrow; print(code, pyarrow.default_memory_pool().backend_name)"
)


@pytest.mark.parametrize(("chosen", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_a_git_mine_process_gives_arrow_the_c_allocator(make_repo, tmp_path, chosen, expected):
    """Arrow's default pool (mimalloc) faults fresh pages in for every batch of rows; the command's
    own process builds its tables with the C library's allocator, unless the user chose one."""
    remote = make_repo("remote")
    remote.write("a.txt", "a\n")
    remote.commit("one")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    run = subprocess.run(
        [sys.executable, "-c", _POOL_PROBE, "--landing-dir", str(tmp_path / "l"),
         "git", "mine", "acme/widgets", "--source", str(remote.path),
         "--mirror-dir", str(tmp_path / "mirrors")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert run.stdout.splitlines()[-1].split() == ["0", expected], run.stderr
    row = landing.read_partition(tmp_path / "l", "git/extractions", "acme/widgets")
    assert row.to_pylist()[0]["commits"] == 1
