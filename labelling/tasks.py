"""Label Studio tasks from the published warehouse: what a rater needs to label one sampled item.

A commit task holds its message, its changed paths (model files marked), the model files' diff
read from the repository's mirror (``$MMS_MIRROR_DIR``, the clone ``git mine`` keeps) and the link
to the commit on GitHub; an issue task its title, body, GitHub labels, comment count and linked pull
requests (the warehouse keeps no comment text: the link opens the thread). Every task carries its
``item_key``, the key the import lands labels under, and the suggester's labels as a prediction.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from extract.annotations.files import TAXONOMIES, AnnotationFileError
from extract.git import gitcmd
from extract.git.records import GitMiningError
from labelling.config import ANCHOR, CHOICES
from warehouse.published import WarehouseUnavailable, open_published

#: Diff lines shown in a task; the link has the rest.
MAX_DIFF_LINES = 400
#: A prediction's model_version says it is a suggestion, so no one takes it for a rater's label.
SUGGESTION_PREFIX = "suggestion"


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return open_published(warehouse)
    except WarehouseUnavailable as exc:
        raise AnnotationFileError(str(exc)) from None


def taxonomy_definitions(con, frame: str) -> dict[str, str]:
    seed, column = TAXONOMIES[frame]
    return dict(con.execute(f"select {column}, definition from {seed} order by 1").fetchall())


def _pre(text: str) -> str:
    return f'<pre style="white-space: pre-wrap">{html.escape(text)}</pre>'


def _link(url: str | None) -> str:
    if not url:
        return "<p>no link</p>"
    return f'<a href="{html.escape(url)}" target="_blank" rel="noopener">{html.escape(url)}</a>'


def model_file_diff(mirror_dir: Path, repo_id: str, commit_hash: str, paths: list[str]) -> str:
    """The diff of the commit's model files against its first parent, cut at MAX_DIFF_LINES, or
    why there is none."""
    if not paths:
        return "(no model file in this commit's changed paths)"
    git_dir = gitcmd.mirror_path(mirror_dir, repo_id)
    if not git_dir.is_dir():
        return f"(diff not available: no mirror of {repo_id} at {git_dir}; open the link)"
    try:
        out = gitcmd.run_git(
            ["show", "--no-color", "--format=", "-M", "--diff-merges=first-parent", "--patch",
             commit_hash, "--", *paths],
            git_dir=git_dir, repo_id=repo_id, what=f"the diff of {commit_hash}",
        )  # fmt: skip
    except GitMiningError as exc:
        return f"(diff not available: {exc}; open the link)"
    lines = out.decode("utf-8", "replace").splitlines()
    if len(lines) > MAX_DIFF_LINES:
        cut = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... {cut} more line(s): open the link"]
    return "\n".join(lines) or "(empty diff: the model files changed mode or were renamed only)"


def _suggestion_text(row: dict) -> str:
    if not row.get("suggested_labels"):
        return "No suggestion yet (the suggester has not run on this item)."
    ranked = sorted(row["label_probabilities"] or [], key=lambda p: -p["probability"])
    scores = ", ".join(f"{p['label']} {p['probability']:.2f}" for p in ranked[:4])
    related = row.get("ml_related_probability")
    related_text = "" if related is None else f"; P(ML-related) {related:.2f}"
    return (
        f"Suggested: {'; '.join(row['suggested_labels'])} "
        f"(model {row['suggestion_model']}; scores {scores}{related_text})"
    )


def prediction(frame: str, row: dict) -> list[dict]:
    if not row.get("suggested_labels"):
        return []
    return [
        {
            "model_version": suggestion_version(row["suggestion_model"]),
            "score": float(row["top_probability"]),
            "result": [
                {
                    "from_name": CHOICES,
                    "to_name": ANCHOR[frame],
                    "type": "choices",
                    "value": {"choices": list(row["suggested_labels"])},
                }
            ],
        }
    ]


def suggestion_version(model_version: str | None) -> str:
    return f"{SUGGESTION_PREFIX} {(model_version or 'none').split(' ')[0]}"


_SUGGESTIONS = """
    left join (
        select item_key, suggested_labels, label_probabilities, top_probability,
               ml_related_probability, model_version as suggestion_model
        from {table} where frame = '{frame}'
    ) as suggestion on suggestion.item_key = sample.{key}
"""


def _suggestions_join(con, frame: str, key: str) -> str:
    has = con.execute(
        "select count(*) from information_schema.tables where table_name = 'label_suggestions'"
    ).fetchone()[0]
    if not has:
        return (
            " left join (select null::varchar as item_key, null::varchar[] as suggested_labels, "
            "null as label_probabilities, null::double as top_probability, "
            "null::double as ml_related_probability, null::varchar as suggestion_model) "
            f"as suggestion on suggestion.item_key = sample.{key}"
        )
    return _SUGGESTIONS.format(table="label_suggestions", frame=frame, key=key)


def _rows(con, query: str) -> list[dict]:
    result = con.execute(query)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def commit_rows(con) -> list[dict]:
    return _rows(
        con,
        """
        select sample.commit_key as item_key, sample.repo_id, sample.commit_hash,
               sample.commit_url as link, sample.message, sample.draw_rank,
               coalesce((select list(struct_pack(path := f.path, change := f.change_type,
                                                 is_model := exists (select 1 from
                                                     int_commits__model_file_matches as m
                                                     where m.modified_file_key = f.modified_file_key))
                                     order by f.file_index)
                         from stg_git__modified_files as f
                         where f.commit_key = sample.commit_key), []) as files,
               suggestion.* exclude (item_key)
        from commit_sample as sample
        """
        + _suggestions_join(con, "commits", "commit_key")
        + " order by sample.repo_id, sample.draw_rank",
    )


def issue_rows(con) -> list[dict]:
    return _rows(
        con,
        """
        select sample.issue_key as item_key, sample.repo_id, sample.issue_number,
               sample.html_url as link, sample.title, sample.body, sample.comments_count,
               coalesce(issue.labels, []) as github_labels,
               coalesce((select list(distinct l.linked_repo_id || '#' || l.linked_pull_request_number)
                         from stg_github__issue_links as l
                         where l.issue_key = sample.issue_key), []) as linked_pull_requests,
               suggestion.* exclude (item_key)
        from issue_sample as sample
        left join stg_github__issues as issue on issue.issue_key = sample.issue_key
        """
        + _suggestions_join(con, "issues", "issue_key")
        + " order by sample.repo_id, sample.draw_rank",
    )


def commit_task(row: dict, mirror_dir: Path) -> dict:
    files = row["files"] or []
    paths = "\n".join(
        f"{'*' if f['is_model'] else ' '} {f['change']:<8} {f['path']}" for f in files
    )
    model_paths = [f["path"] for f in files if f["is_model"]]
    diff = model_file_diff(mirror_dir, row["repo_id"], row["commit_hash"], model_paths)
    return {
        "item_key": row["item_key"],
        "heading": f"{row['repo_id']}: commit {row['commit_hash'][:12]}",
        "link_html": _link(row["link"]),
        "message": row["message"] or "",
        "file_count": str(len(files)),
        "paths_html": _pre(paths or "(no changed path recorded)"),
        "diff_html": _pre(diff),
        "suggestion": _suggestion_text(row),
    }


def issue_task(row: dict) -> dict:
    pulls = ", ".join(row["linked_pull_requests"]) or "none found"
    context = (
        f"GitHub labels: {', '.join(row['github_labels']) or 'none'}\n"
        f"Comments: {row['comments_count'] or 0} (read them on GitHub: the link above)\n"
        f"Linked pull requests: {pulls}"
    )
    return {
        "item_key": row["item_key"],
        "heading": f"{row['repo_id']}: issue #{row['issue_number']}",
        "link_html": _link(row["link"]),
        "title": row["title"] or "",
        "body": row["body"] or "(no body)",
        "context_html": _pre(context),
        "suggestion": _suggestion_text(row),
    }
