"""Two sample raters label the sampled commits and issues (SAMPLE DATA: random, not the study's labels).

They go through the real export/import round trip of extract.annotations, so the agreement, Tables
5-6 and Figure 1 have something to show in a sample run.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from extract.annotations.files import export_frame, import_labels, taxonomy

RATERS = ("sample-rater-a", "sample-rater-b")


def label_samples(
    warehouse: Path, landing_root: Path, workdir: Path, seed: int = 7
) -> dict[str, int]:
    """Export each frame, write both raters' files, import them; returns items labelled per frame."""
    counts = {}
    for frame in ("commits", "issues"):
        exported = workdir / f"{frame}_to_label.csv"
        export_frame(warehouse, frame, exported)
        with exported.open(newline="", encoding="utf-8") as handle:
            items = [row["item_key"] for row in csv.DictReader(handle)]
        names = taxonomy(frame, warehouse)
        rng = random.Random(f"{seed}:{frame}")
        first = {item: rng.sample(names, k=1 if rng.random() < 0.85 else 2) for item in items}
        for rater in RATERS:
            labelled = workdir / f"{frame}__{rater}.csv"
            with labelled.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["item_key", "labels"])
                for item in items:
                    labels = first[item]
                    if rater != RATERS[0] and rng.random() < 0.3:
                        labels = [rng.choice(names)]  # disagreement, so kappa is not trivially 1
                    writer.writerow([item, "; ".join(labels)])
            import_labels(landing_root, labelled, frame, rater, warehouse)
        counts[frame] = len(items)
    return counts
