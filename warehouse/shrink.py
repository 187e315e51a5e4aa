"""The shrink guard: a build whose landed data shrinks sharply against the published build is not
published without an explicit ``--allow-shrink`` (docs/analysts.md, the shrink guard).

A build that lost repositories (a listed file missing, files quarantined, metadata gone) passes its
dbt tests: fewer rows are still consistent rows. What tells it from a good build is the build
analysts have now. For every repository the published build selected (``selected_projects``):

- still selected: its commits (``stg_git__commits``) and its closed issues and pull requests
  (``stg_github__issues``, ``stg_github__pull_requests``) may each fall by at most
  :data:`MAX_SHRINK` (5%). Fewer commits are explained when the repository's newer git extraction
  recorded at least that many dropped commits (a force-push the miner saw); nothing explains fewer
  closed items (a refresh merges what GitHub answers into what was landed, it never forgets).
- no longer selected: explained when the new build says why in ``project_selection``: excluded by
  an inspection, or by the criteria on an answer GitHub gave (metadata to judge, or the repository
  gone, blocked, empty, its name re-used). Metadata missing or failed, an inspection pending again
  or a repository no longer among the candidates explain nothing.

Nothing published (the first build) and builds whose published warehouse lacks these tables are
not compared; a subset build keeps the published staging tables, so it does not shrink either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

#: the largest share of a repository's commits or closed items a build may lose unexplained
MAX_SHRINK = 0.05
#: metadata statuses that do not explain a repository leaving the selection: GitHub's answer is
#: missing (NULL: never fetched, or its file quarantined) or failed; every other status is an answer
UNANSWERED_METADATA = (None, "error")
#: measure -> the staging model counting it per repository
MEASURES = {
    "commits": "stg_git__commits",
    "closed issues": "stg_github__issues",
    "closed pull requests": "stg_github__pull_requests",
}


@dataclass(frozen=True)
class Shrink:
    """One repository's unexplained loss against the published build."""

    repo_id: str
    what: str

    def __str__(self) -> str:
        return f"{self.repo_id}: {self.what}"


def _has(con: duckdb.DuckDBPyConnection, database: str, *tables: str) -> bool:
    found = con.execute(
        "select count(distinct table_name) from duckdb_tables() "
        "where database_name = ? and table_name in (select unnest(?))",
        [database, list(tables)],
    ).fetchall()[0][0]
    return found == len(tables)


def _counts(con, database: str, model: str) -> dict[str, int]:
    return dict(
        con.execute(f"select repo_id, count(*) from {database}.{model} group by 1").fetchall()
    )


def _column(con, sql: str) -> list:
    return [row[0] for row in con.execute(sql).fetchall()]


def _rows(con, sql: str) -> dict[str, dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _removal(repo_id: str, selection: dict | None) -> Shrink | None:
    """A repository that left the selection, unless the new build records a reason."""
    if selection is None:
        return Shrink(repo_id, "no longer a candidate (not in project_selection)")
    status, metadata = selection["selection_status"], selection["metadata_status"]
    if status == "excluded_by_inspection" or (
        status == "excluded_by_criteria" and metadata not in UNANSWERED_METADATA
    ):
        return None
    return Shrink(
        repo_id,
        f"no longer selected ({status}; metadata {metadata or 'not fetched'}): "
        "no inspection or fetched metadata says why",
    )


def _loss(repo_id: str, measure: str, published: int, built: int, extraction: dict | None):
    if published == 0 or built >= published * (1 - MAX_SHRINK):
        return None
    recorded_drop = (
        measure == "commits"
        and extraction is not None
        and extraction["generation_changed"]
        and (extraction["dropped_commits"] or 0) >= published - built
    )
    if recorded_drop:
        return None  # a force-push the git miner recorded
    what = f"{built} {measure} against {published} published"
    if extraction is not None and measure == "commits" and not extraction["is_readable"]:
        what += " (landed files missing or quarantined)"
    return Shrink(repo_id, what)


def unexplained_shrinks(published: Path, build: Path) -> list[Shrink]:
    """Every repository whose data the build at ``build`` loses against ``published`` without a
    recorded reason (see the module); empty when there is nothing to compare."""
    if not Path(published).exists():
        return []
    with duckdb.connect() as con:
        for name, path in (("published", published), ("built", build)):
            quoted = str(path).replace("'", "''")
            con.execute(f"attach '{quoted}' as {name} (read_only)")
        needed = (
            "selected_projects",
            "project_selection",
            "stg_git__extractions",
            *MEASURES.values(),
        )
        if not (_has(con, "published", *needed) and _has(con, "built", *needed)):
            return []
        selected = _column(con, "select repo_id from published.selected_projects")
        still = set(_column(con, "select repo_id from built.selected_projects"))
        selection = _rows(
            con, "select repo_id, selection_status, metadata_status from built.project_selection"
        )
        extractions = _rows(
            con,
            "select b.repo_id, b.is_readable, b.dropped_commits, "
            "b.generation is distinct from p.generation as generation_changed "
            "from built.stg_git__extractions b "
            "left join published.stg_git__extractions p on b.repo_id = p.repo_id",
        )
        counts = {
            measure: (_counts(con, "published", model), _counts(con, "built", model))
            for measure, model in MEASURES.items()
        }
    shrinks = []
    for repo_id in sorted(selected):
        if repo_id not in still:
            shrinks.append(_removal(repo_id, selection.get(repo_id)))
            continue
        for measure, (before, after) in counts.items():
            shrinks.append(
                _loss(
                    repo_id,
                    measure,
                    before.get(repo_id, 0),
                    after.get(repo_id, 0),
                    extractions.get(repo_id),
                )
            )
    return [s for s in shrinks if s is not None]
