"""Draw the model-file commits of the real labelled set (issue 18) from landed git data.

The frame is the warehouse's (int_commits__model_file_commits): commits with a non-empty message
that modify at least one file whose lower-cased path contains a variant of the Table 2 keyword seed
(substring mode, the default). Within each repository the commits are ordered by
md5(seed || hash) and the first N are drawn: a uniform random sample that anyone can redraw from
the same landed data.

    MMS_LANDING_DIR=/path/to/landing python benchmarks/real_labels/draw_commits.py --per-project 36
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
SEED = "mms-real-labels-2026"


def draw(landing: Path, per_project: int, seed: str = SEED) -> list[tuple[str, str]]:
    keywords = ROOT / "dbt" / "seeds" / "model_file_keywords.csv"
    con = duckdb.connect()
    rows = con.execute(
        """
        with commits as (
            select lower(repo_id) as repo_id, commit_hash, message
            from read_parquet(? || '/git/commits/*@*.parquet')
        ),
        files as (
            select lower(repo_id) as repo_id, commit_hash,
                   lower(coalesce(new_path, old_path)) as path
            from read_parquet(? || '/git/modified_files/*@*.parquet')
        ),
        variants as (select distinct lower(variant) as variant from read_csv(?)),
        frame as (
            select distinct files.repo_id, files.commit_hash
            from files join variants on contains(files.path, variants.variant)
        ),
        ranked as (
            select frame.repo_id, frame.commit_hash,
                   row_number() over (
                       partition by frame.repo_id order by md5(? || frame.commit_hash)
                   ) as draw_rank
            from frame
            join commits using (repo_id, commit_hash)
            where trim(coalesce(commits.message, '')) <> ''
        )
        select repo_id, commit_hash from ranked where draw_rank <= ?
        order by repo_id, draw_rank
        """,
        [str(landing), str(landing), str(keywords), seed, per_project],
    ).fetchall()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-project", type=int, default=36)
    parser.add_argument("--seed", default=SEED)
    args = parser.parse_args()
    landing = Path(os.environ.get("MMS_LANDING_DIR", "data/landing"))
    print("repo_id,hash")
    for repo_id, commit_hash in draw(landing, args.per_project, args.seed):
        print(f"{repo_id},{commit_hash}")


if __name__ == "__main__":
    main()
