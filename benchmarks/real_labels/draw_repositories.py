"""Draw the repositories of a labelling wave (issue 18) from the study's candidate list.

The candidate list's Tool/Applied Python repositories with 300+ stars and 150-3,000 commits, minus
those already used (a sources.csv) and those kept for independent checks, sorted by name and
shuffled with a seed; the wave takes them in that order, skipping any whose model-file frame is
empty. The candidate list has the 2019 names: a repository renamed since (zalandoresearch/flair is
flairnlp/flair) is not recognised as used, so check a draw against sources.csv's GitHub addresses.
Wave 3 (seed 202612063) was drawn against the sources.csv of commit e1c1723, wave 4 (seed
202612071) against that of e475bf7:

    git show e1c1723:benchmarks/real_labels/sources.csv > /tmp/used.csv
    python benchmarks/real_labels/draw_repositories.py --used /tmp/used.csv --seed 202612063 \
        --candidates /path/to/ml_universe_repo_metadata.csv

(--candidates defaults to the study's list beside this checkout, ../shared/data/.)
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = ROOT.parent / "shared" / "data" / "ml_universe_repo_metadata.csv"
RESERVED = {"skorch-dev/skorch", "pykeen/pykeen", "doccano/doccano", "chakki-works/doccano",
            "openvenues/libpostal", "deepchem/deepchem", "mne-tools/mne-python"}  # fmt: skip


def draw(candidates: Path, used: Path, seed: int) -> list[str]:
    taken = {row["repo_id"].lower() for row in csv.DictReader(used.open(encoding="utf-8"))}
    names = []
    for row in csv.DictReader(candidates.open(encoding="utf-8")):
        try:
            stars, commits = int(row["stars"]), int(row["commits"])
        except ValueError:
            continue
        name = row["full_name"]
        if (
            row["category"] in ("Tool", "Applied")
            and row["language"] == "Python"
            and stars >= 300
            and 150 <= commits <= 3000
            and name.lower() not in taken | RESERVED
        ):
            names.append(name)
    names.sort()
    random.Random(seed).shuffle(names)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=Path, default=CANDIDATES)
    parser.add_argument("--used", type=Path, default=Path(__file__).with_name("sources.csv"))
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    if not args.candidates.is_file():
        parser.error(f"--candidates {args.candidates}: no such file (the study's candidate list)")
    for name in draw(args.candidates, args.used, args.seed):
        print(name)


if __name__ == "__main__":
    main()
