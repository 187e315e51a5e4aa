"""Write the real set's labelled commits with what the suggester reads of them
(analysis/data/real_commits.jsonl.gz), so that every study trains on them too
(docs/method.md, "Training on the real set").

    MMS_LANDING_DIR=/path/to/landing uv run python benchmarks/real_labels/build_training_items.py

The landing directory must hold the repositories of sources.csv, mined with `mms-extract git
mine` and summarised with `mms-extract git diffs` (README.md here). The file keeps, per labelled
commit of commits.csv: repo_id, hash, labels (the first rater's, `;`-separated), message,
insertions, deletions, the modified paths and the diff summary's identifier and import lists.
Nothing else of the repositories is kept. Run it again after commits.csv changes: a test checks
that the file's labels equal commits.csv's. (`mms-suggest lend` writes the same format for a
team's own labelled commits, without the 5 MB limit this repository keeps.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import evaluation, training
from analysis.training import BUNDLED_REAL_SET
from base import settings

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=HERE / "commits.csv")
    parser.add_argument("--out", type=Path, default=BUNDLED_REAL_SET)
    parser.add_argument("--landing-dir", type=Path, default=None, help="default: $MMS_LANDING_DIR")
    args = parser.parse_args(argv)
    landing_dir = args.landing_dir or settings.landing_dir()
    try:
        items = training.build(args.labels, landing_dir)
    except (evaluation.LabelsError, training.TrainingItemsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    training.write(items, args.out)
    if args.out.stat().st_size >= 5_000_000:
        print(
            f"error: {args.out} is {args.out.stat().st_size:,} bytes; the repository tracks no file "
            "of 5 MB or more: lower analysis.training.BUNDLE_MAX_TOKENS",
            file=sys.stderr,
        )
        return 1
    print(f"{len(items):,} commits of {items['repo_id'].nunique()} projects -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
