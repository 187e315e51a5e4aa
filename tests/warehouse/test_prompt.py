"""The analysts' SQL prompt (`mms-warehouse sql`) on a published warehouse laid out as a build
publishes it: changes no file, reads only the warehouse, exits non-zero on an error, and is DuckDB's
own CLI (box renderer, .schema, .mode, line editing and history)."""

import hashlib
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.patience import patience
from warehouse.prompt import cli_binary

MMS_WAREHOUSE = str(Path(sys.executable).parent / "mms-warehouse")


def _warehouse(tmp_path):
    """The published file is a hard link to its snapshot, as warehouse/publish.py leaves it."""
    snapshot = tmp_path / "warehouse.duckdb.snapshots" / "b1.duckdb"
    snapshot.parent.mkdir()
    with duckdb.connect(str(snapshot)) as con:
        con.execute(
            "create table activity_distribution as select 'Refactoring' as activity, 79 as occurrences"
        )
    published = tmp_path / "warehouse.duckdb"
    os.link(snapshot, published)
    return published


def _env(path, home):
    return {"MMS_DUCKDB_PATH": str(path), "PATH": "/usr/bin:/bin", "HOME": str(home)}


def _prompt(path, *args, stdin=""):
    home = path.parent / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [MMS_WAREHOUSE, "sql", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(path, home),
        cwd=path.parent,
    )


def _files(root):
    """Every file and directory under ``root`` with its size, modification time and content hash."""
    state = {}
    for item in sorted(Path(root).rglob("*")):
        info = item.lstat()
        digest = hashlib.sha256(item.read_bytes()).hexdigest() if item.is_file() else "dir"
        state[str(item.relative_to(root))] = (info.st_size, info.st_mtime_ns, digest)
    return state


def test_statements_from_stdin_and_dot_commands(tmp_path):
    path = _warehouse(tmp_path)
    done = _prompt(
        path, stdin=".tables\nselect activity,\n  occurrences from activity_distribution;\n.quit\n"
    )
    assert done.returncode == 0, done.stderr
    assert "activity_distribution" in done.stdout
    assert "Refactoring" in done.stdout and "79" in done.stdout


def test_results_come_in_duckdbs_box_with_types_and_row_counts_and_schema_and_mode_work(tmp_path):
    path = _warehouse(tmp_path)
    box = _prompt(path, "-c", "select activity, occurrences from activity_distribution")
    assert box.returncode == 0, box.stderr
    assert "┌" in box.stdout and "varchar" in box.stdout and "int32" in box.stdout
    many = _prompt(path, "-c", "select * from range(500)")
    assert re.search(r"500 rows\s+\(40 shown\)", many.stdout), many.stdout
    schema = _prompt(path, stdin=".schema\n.mode csv\nselect * from activity_distribution;\n")
    assert "CREATE TABLE activity_distribution(activity VARCHAR, occurrences INTEGER);" in (
        schema.stdout
    )
    assert "activity,occurrences\nRefactoring,79\n" in schema.stdout


#: What must fail: writes (to the warehouse through its snapshot's other name, to new files),
#: reads of other files, the network, and undoing the configuration.
ESCAPES = {
    "attach-snapshot-read-write": "ATTACH '{snapshot}' AS s (READ_ONLY false); "
    "CREATE TABLE s.written AS SELECT 1 AS x",
    "attach-new-file": "ATTACH '{dir}/new.duckdb' AS n; CREATE TABLE n.t AS SELECT 1",
    "write-the-warehouse": "CREATE TABLE written AS SELECT 1 AS x",
    "copy-to": "COPY activity_distribution TO '{dir}/out.csv'",
    "export-database": "EXPORT DATABASE '{dir}/exported'",
    "read-text": "SELECT * FROM read_text('/etc/hostname')",
    "read-csv": "SELECT * FROM read_csv('/etc/passwd')",
    "install": "INSTALL httpfs",
    "undo-external-access": "SET enable_external_access = true; SELECT * FROM read_text('/etc/hostname')",
    "reset-external-access": "RESET enable_external_access; SELECT * FROM read_text('/etc/hostname')",
    "unlock": "SET lock_configuration = false",
    "persistent-secret": "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
    "getenv": "SELECT getenv('HOME')",
    "shell": ".sh touch {dir}/shelled",
    "open-snapshot": ".open {snapshot}",
    "output-file": ".output {dir}/output.txt",
    "read-file": ".read /etc/hostname",
}  # fmt: skip


@pytest.mark.parametrize("statement", ESCAPES.values(), ids=ESCAPES.keys())
@pytest.mark.parametrize("how", ["-c", "stdin"])
def test_nothing_typed_at_the_prompt_changes_a_file_or_reads_another(tmp_path, statement, how):
    path = _warehouse(tmp_path)
    snapshot = tmp_path / "warehouse.duckdb.snapshots" / "b1.duckdb"
    sql = statement.format(snapshot=snapshot, dir=tmp_path)
    (tmp_path / "home").mkdir()
    before = _files(tmp_path)
    if how == "-c":
        done = _prompt(path, "-c", sql)
    else:
        done = _prompt(path, stdin=sql.replace("; ", ";\n") + ";\nselect 'still here' as after;\n")
        assert "still here" in done.stdout  # an error does not end a session
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert _files(tmp_path) == before
    assert "/etc/hostname" not in done.stdout and "root" not in done.stdout
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_tables()").fetchone() == (1,)


def test_a_failing_statement_exits_non_zero(tmp_path):
    path = _warehouse(tmp_path)
    done = _prompt(path, "-c", "select * from no_such_table")
    assert done.returncode == 1
    assert "no_such_table does not exist" in done.stderr
    piped = _prompt(path, stdin="drop table activity_distribution;\nselect 1 as still_here;\n")
    assert piped.returncode == 1 and "still_here" in piped.stdout
    assert "read-only" in piped.stderr
    assert _prompt(path, "-c", "select 1").returncode == 0


def test_spilled_results_stay_out_of_the_warehouse_directory(tmp_path):
    path = _warehouse(tmp_path)
    done = _prompt(path, "-c", "select current_setting('temp_directory') as spill")
    spill = re.search(r"(/\S*mms-sql-spill-\S*)", done.stdout)
    assert spill, done.stdout
    assert not Path(spill.group(1)).exists()  # removed when the prompt ended
    assert not Path(spill.group(1)).is_relative_to(tmp_path)


def test_a_missing_warehouse_is_one_line(tmp_path):
    missing = _prompt(tmp_path / "none.duckdb", "-c", "select 1")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        f"error: no warehouse at {tmp_path / 'none.duckdb'}: run `make run` or "
        "`mms-warehouse build` first"
    )


def test_the_cli_is_the_same_duckdb_as_the_library():
    """One storage format: the prompt opens what dbt (the duckdb library) built."""
    out = subprocess.run([str(cli_binary()), "-version"], capture_output=True, text=True)
    assert out.stdout.split()[0] == f"v{duckdb.__version__}"


class _Terminal:
    """The prompt on a pseudo-terminal, answering the terminal queries of DuckDB's line editor
    (it asks for the cursor position before each redraw and waits for the answer, so a key is
    sent only once the previous one has been drawn)."""

    ANSWERS = {
        b"\x1b[6n": b"\x1b[5;10R",
        b"\x1b]11;?": b"\x1b]11;rgb:0000/0000/0000\x07",
        b"\x1b[c": b"\x1b[?1;2c",
    }

    def __init__(self, path, home):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the prompt
            env = {**_env(path, home), "TERM": "xterm"}
            os.execve(MMS_WAREHOUSE, [MMS_WAREHOUSE, "sql"], env)
        self.seen = b""
        self.mark = 0

    def type(self, text: str, line: str = "") -> str:
        """Send ``text`` key by key (DEL erases), each once the previous one is drawn; returns
        the line as edited."""
        for key in text:
            line = line[:-1] if key == "\x7f" else line + key
            self.send(key.encode())
            self.wait_for(re.escape("D " + line))
        return line

    def send(self, keys: bytes) -> None:
        self.mark = len(self.seen)
        os.write(self.fd, keys)

    def wait_for(self, pattern: str) -> None:
        """Read until ``pattern`` is printed after the last key sent. The deadline only stops a
        prompt that hangs: a correct one answers in well under a second."""
        deadline = time.monotonic() + patience(300)
        while not re.search(pattern.encode(), self._plain(self.seen[self.mark :])):
            if time.monotonic() > deadline or not self._read():
                os.kill(self.pid, 9)
                raise AssertionError(f"no {pattern!r} from the prompt: {self._plain(self.seen)!r}")

    def _read(self) -> bool:
        """Read what the prompt printed (if anything within a second), answering its queries;
        ``False`` once it has ended."""
        ready, _, _ = select.select([self.fd], [], [], 1.0)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the terminal closed: the prompt has ended
            return False
        for query, answer in self.ANSWERS.items():
            if query in chunk:
                os.write(self.fd, answer)
        self.seen += chunk
        return bool(chunk)

    @staticmethod
    def _plain(text: bytes) -> bytes:
        return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", b"", text)

    def close(self) -> int:
        """The prompt's exit status, once it has ended."""
        deadline = time.monotonic() + patience(300)
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            self._read()
        os.kill(self.pid, 9)
        raise AssertionError(f"the prompt did not end: {self._plain(self.seen)!r}")


def test_an_interactive_prompt_edits_lines_and_keeps_history(tmp_path):
    path = _warehouse(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    terminal = _Terminal(path, home)
    terminal.wait_for("warehouse D ")
    terminal.type("select 41 + 1 as answer;")
    terminal.send(b"\r")
    terminal.wait_for(r"│\s+42 │[\s\S]*warehouse D ")
    terminal.send(b"\x1b[A")  # up arrow: the previous statement comes back
    terminal.wait_for(re.escape("D select 41 + 1 as answer;"))
    terminal.send(b"\r")
    terminal.wait_for(r"│\s+42 │[\s\S]*warehouse D ")
    terminal.type("select 7 as sev\x7fven;")  # DEL (backspace) edits the line
    terminal.send(b"\r")
    terminal.wait_for(r"seven[\s\S]*│\s+7 │[\s\S]*warehouse D ")
    terminal.type(".quit")
    terminal.send(b"\r")
    assert terminal.close() == 0
    history = (home / ".duckdb_history").read_text()
    assert "select 41 + 1 as answer;" in history and "select 7 as seven;" in history
