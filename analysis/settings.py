"""What names the suggester and how it is set: light to import (no scikit-learn), so that Dagster's
definitions, loaded by every run worker, can name the model and its config without paying for the
model's libraries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

MODEL_VERSION = f"mms-suggester-2 (commits: message TF-IDF, keyword-rule seeds, path kinds, diff summary, content lexicon; issues: hashed word n-grams; one-vs-rest logistic regression, scikit-learn {version('scikit-learn')})"
#: Fewer adjudicated items than this, or fewer projects than two, and the suggester says so and
#: suggests nothing: five folds of a handful of items measure nothing.
MIN_LABELLED_ITEMS = 40
#: message encoders the commit suggester can add to its features (docs/method.md): none, or
#: all-MiniLM-L6-v2 sentence embeddings of each message (analysis/message_encoder.py)
MESSAGE_ENCODERS = ("none", "minilm")


@dataclass(frozen=True)
class SuggesterSettings:
    seed: int = 2023
    folds: int = 5
    #: a label is suggested when its probability reaches this (the most probable one always is):
    #: most items have one label, and a second one is suggested only when the model is fairly sure
    threshold: float = 0.6
    #: inverse regularisation strength of every logistic regression
    regularisation_c: float = 1.0
    hash_features: int = 2**18
    min_labelled_items: int = MIN_LABELLED_ITEMS
    #: "minilm" adds a pretrained encoder's embedding of each commit message: +2.3 points of exact
    #: label sets on the 2,132 real commits of 69 projects, at ~10 ms of CPU a message
    #: (docs/method.md); opt-in for its cost
    message_encoder: str = "none"
    #: the commit suggester also trains on the real set's labelled commits of the projects the
    #: study does not hold (analysis/training.py): a 6-project study's held-out projects got 43.8%
    #: exact label sets with them against 37.4% without (docs/method.md)
    real_set: bool = True
    #: more files of labelled commits to train on, beside the real set (``mms-suggest lend``
    #: writes them; analysis/training.py): a team's own labelled projects
    lent_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise ValueError(f"folds={self.folds}: cross-fitting needs at least 2 folds")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold={self.threshold}: a probability in (0, 1] is needed")
        if self.regularisation_c <= 0:
            raise ValueError(f"regularisation_c={self.regularisation_c} must be positive")
        if self.message_encoder not in MESSAGE_ENCODERS:
            raise ValueError(
                f"message_encoder={self.message_encoder!r}: one of {', '.join(MESSAGE_ENCODERS)}"
            )

    @property
    def model_version(self) -> str:
        """MODEL_VERSION, naming the message encoder and the lent real set when they are on
        (recorded with every result)."""
        version = MODEL_VERSION
        if self.message_encoder != "none":
            version += "; message encoder: all-MiniLM-L6-v2 on numpy"
        if self.real_set:
            version += (
                "; commits also trained on the real set (analysis/data/real_commits.jsonl.gz)"
            )
        for path in self.lent_files:
            version += f"; commits also trained on {Path(path).name} ({_digest(Path(path))})"
        return version


def _digest(path: Path) -> str:
    """What names a lent file's content in the model version (its name alone may be reused)."""
    try:
        with path.open("rb") as stream:
            return "sha256 " + hashlib.file_digest(stream, "sha256").hexdigest()[:12]
    except OSError:
        return "unreadable"
