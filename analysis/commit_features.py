"""What the suggester reads of a model-file commit: what a rater reads, turned into numbers.

Four groups of features (docs/method.md, "What the suggester sees"), each l2-normalised or scaled on
its own so that no group drowns another:

- the message: TF-IDF of word uni- and bigrams (IDF from the frame's own messages; no label used);
- keyword rules as seeds (analysis/rules/keyword_rules.csv): which rule matches the message, the
  identifiers added or removed in the model files and in the other files, and the modified paths;
- the kind of each modified path (test, documentation, CI, dependency, configuration, web front
  end) as shares and flags, and the commit's size and add/delete balance;
- the diff summary (``git/commit_diffs``, when it was mined): TF-IDF of the added and removed
  identifiers and imports, each prefixed by where it was found.

and, opt-in (``message_encoder="minilm"``), a pretrained sentence encoder's embedding of the message
(analysis/message_encoder.py).

Whether an item is ML-related is read from content only, never from its project: the content
lexicon (analysis/rules/content_lexicon.csv, editable) says which imports, class bases, file name
endings and path components of the model files speak for an ML model and which for something else
(a Django or MongoEngine model, a Qt item model, a web front end); the score is
(ML evidence - other evidence) / (all evidence + 1), in [-1, 1], and the suggester calibrates it on
the training projects. Without a diff summary only paths and endings count.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import keyword_rules

DEFAULT_LEXICON = Path(__file__).with_name("rules") / "content_lexicon.csv"
#: the diff summary's list columns (extract/git/diffs.py) and the prefix of their tokens
DIFF_COLUMNS = {
    "model_added_identifiers": "ma_",
    "model_removed_identifiers": "mr_",
    "other_added_identifiers": "oa_",
    "other_removed_identifiers": "or_",
    "added_imports": "ai_",
    "removed_imports": "ri_",
}
CONTENT_COLUMNS = ("model_file_imports", "model_file_class_bases")
PATH_KINDS = {
    "test": r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_tests?\.py$|conftest",
    "documentation": r"(^|/)(docs?|documentation)/|\.(md|rst|txt)$|readme|changelog|(^|/)examples?/"
    r"|\.ipynb$|notebooks?/|tutorials?/",
    "ci": r"\.travis|\.github/|appveyor|\.circleci|azure-pipelines|dockerfile|gitlab-ci|tox\.ini"
    r"|makefile",
    "dependency": r"requirements|setup\.py$|setup\.cfg|pyproject|environment\.ya?ml|pipfile"
    r"|package\.json|conda",
    "configuration": r"\.(ya?ml|json|cfg|ini|toml)$|config",
    "web": r"\.(js|jsx|ts|tsx|elm|html|css|scss|vue)$|frontend|static/|templates/",
}
_KIND_PATTERNS = {kind: re.compile(pattern) for kind, pattern in PATH_KINDS.items()}
#: weights of the feature groups (chosen leave-one-project-out on the real set; docs/method.md)
WEIGHTS = {"message": 1.0, "rules": 1.0, "diff_rules": 0.5, "path_kinds": 1.0, "diff": 0.3}
#: weight of the opt-in message embedding (pre-registered, not tuned: docs/method.md)
MESSAGE_EMBEDDING_WEIGHT = 1.0


@dataclass(frozen=True)
class Lexicon:
    path: Path
    #: evidence kind (import, base, extension, path) -> token -> "ml" | "not_ml"
    entries: dict[str, dict[str, str]]


def load_lexicon(path: Path | None = None) -> Lexicon:
    path = Path(path or DEFAULT_LEXICON)
    entries: dict[str, dict[str, str]] = {"import": {}, "base": {}, "extension": {}, "path": {}}
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                kind, side = row.get("evidence"), row.get("side")
                if kind not in entries or side not in ("ml", "not_ml"):
                    raise keyword_rules.RulesError(
                        f"{path} row {line}: evidence {kind!r} / side {side!r} is not one of "
                        f"{sorted(entries)} / ml, not_ml"
                    )
                entries[kind][row["token"].strip().lower()] = side
    except OSError as exc:
        raise keyword_rules.RulesError(f"{path}: cannot read the lexicon: {exc.strerror}") from exc
    return Lexicon(path, entries)


def _listed(value) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return list(value)


def _import_side(module: str, imports: dict[str, str]) -> str | None:
    for token, side in imports.items():
        if module == token or module.startswith((token + ".", token + "/")):
            return side
    return None


def content_score(
    model_paths: Iterable[str], imports: Iterable[str], bases: Iterable[str], lexicon: Lexicon
) -> float:
    """(ML evidence - other evidence) / (all evidence + 1) of one commit's model files."""
    sides = [_import_side(module, lexicon.entries["import"]) for module in imports]
    sides += [lexicon.entries["base"].get(base) for base in bases]
    for path in model_paths:
        path = path.lower()
        name = path.rsplit("/", 1)[-1]
        if "." in name:
            sides.append(lexicon.entries["extension"].get("." + name.rsplit(".", 1)[-1]))
        sides += [lexicon.entries["path"].get(part) for part in re.split(r"[/_.\-]+", path)]
    ml, other = sides.count("ml"), sides.count("not_ml")
    return (ml - other) / (ml + other + 1)


def path_kinds(paths: Iterable[str]) -> list[float]:
    """Per path kind: share of the modified paths, any, all; then log1p of the path count / 3."""
    return path_kind_matrix(pd.Series([list(paths)]))[0].tolist()


def path_kind_matrix(paths: pd.Series) -> np.ndarray:
    """:func:`path_kinds` of every commit at once (pyarrow's RE2 over all paths, summed per commit)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = paths.map(len).to_numpy()
    flat = pa.array([p.lower() for row in paths for p in row], pa.string())
    owner = np.repeat(np.arange(len(paths)), counts)
    total = np.maximum(counts, 1)
    columns = []
    for pattern in PATH_KINDS.values():
        hit = pc.match_substring_regex(flat, pattern).to_numpy(zero_copy_only=False)
        hits = np.bincount(owner, weights=hit.astype(float), minlength=len(paths))
        columns += [
            hits / total,
            (hits > 0).astype(float),
            ((hits == counts) & (hits > 0)).astype(float),
        ]
    columns.append(np.log1p(counts) / 3)
    return np.column_stack(columns)


def _words(tokens: list[str]) -> str:
    return " ".join(t.replace("_", " ") for t in tokens)


def _tfidf(documents: pd.Series, **options) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = documents.fillna("")
    if not documents.str.strip().any():
        return sp.csr_matrix((len(documents), 0))
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
    try:
        return vectorizer.fit_transform(documents.to_numpy()).tocsr()
    except ValueError:  # min_df leaves no term (a tiny frame): the group says nothing
        return sp.csr_matrix((len(documents), 0))


def has_diffs(commits: pd.DataFrame) -> bool:
    return "model_added_identifiers" in commits and commits["model_added_identifiers"].notna().any()


def commit_matrix(
    commits: pd.DataFrame,
    rules: keyword_rules.RuleBook,
    lexicon: Lexicon,
    variants: list[str],
    message_encoder: str = "none",
    embedding_cache: Path | None = None,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """(features, content score) of every commit; diff columns are optional. ``message_encoder``
    "minilm" appends each message's pretrained sentence embedding (analysis/message_encoder.py),
    kept in ``embedding_cache`` between runs when given (analysis/embedding_cache.py)."""
    n = len(commits)
    paths = commits["changed_paths"].map(_listed)
    diff_lists = {
        column: commits[column].map(_listed) if column in commits else pd.Series([[]] * n)
        for column in (*DIFF_COLUMNS, *CONTENT_COLUMNS)
    }
    rule_list = [rule for name in rules.rule_sets for rule in rules.of(name)]
    path_text = paths.map(lambda p: " ".join(re.sub(r"[^a-z0-9]+", " ", x.lower()) for x in p))
    model_text = (
        diff_lists["model_added_identifiers"].map(_words)
        + " "
        + diff_lists["model_removed_identifiers"].map(_words)
    )
    blocks = [
        _tfidf(commits["message"], ngram_range=(1, 2), min_df=2) * WEIGHTS["message"],
        sp.csr_matrix(keyword_rules.match_matrix(commits["message"], rule_list) * WEIGHTS["rules"]),
    ]
    for texts in (model_text, diff_lists["other_added_identifiers"].map(_words), path_text):
        blocks.append(
            sp.csr_matrix(keyword_rules.match_matrix(texts, rule_list) * WEIGHTS["diff_rules"])
        )
    blocks.append(sp.csr_matrix(path_kind_matrix(paths) * WEIGHTS["path_kinds"]))
    blocks.append(_tfidf(_diff_text(diff_lists), token_pattern=r"\S+", min_df=2) * WEIGHTS["diff"])
    blocks.append(_size_block(commits))
    if message_encoder == "minilm":
        from analysis import embedding_cache as cache

        embedded = cache.encode(commits["message"].fillna("").tolist(), embedding_cache)
        blocks.append(sp.csr_matrix(embedded * MESSAGE_EMBEDDING_WEIGHT))
    score = _content_scores(paths, diff_lists, lexicon, variants)
    return sp.hstack(blocks, format="csr"), score


def _diff_text(diff_lists: dict[str, pd.Series]) -> pd.Series:
    """Each commit's diff identifiers and imports as prefixed tokens (one document per commit)."""
    return pd.Series(
        [
            " ".join(
                prefix + re.sub(r"\W", "_", t) for c, prefix in DIFF_COLUMNS.items() for t in row[c]
            )
            for row in pd.DataFrame(diff_lists).to_dict("records")
        ]
    )


def _size_block(commits: pd.DataFrame) -> sp.csr_matrix:
    """The commit's size: log lines added and removed, and the share added."""
    insertions = commits["insertions"].fillna(0).to_numpy(float).clip(min=0)
    deletions = commits["deletions"].fillna(0).to_numpy(float).clip(min=0)
    return sp.csr_matrix(
        np.column_stack(
            [
                np.log1p(insertions) / 8,
                np.log1p(deletions) / 8,
                (insertions + 1) / (insertions + deletions + 2),
            ]
        )
    )


def _content_scores(
    paths: pd.Series, diff_lists: dict[str, pd.Series], lexicon: Lexicon, variants: list[str]
) -> np.ndarray:
    """Each commit's content score (content_score) from its model files' paths and imports."""
    from extract.git.diffs import is_model_path

    return np.array(
        [
            content_score(
                [p for p in row_paths if is_model_path(p, variants)],
                [*imports, *added],
                bases,
                lexicon,
            )
            for row_paths, imports, added, bases in zip(
                paths,
                diff_lists["model_file_imports"],
                diff_lists["added_imports"],
                diff_lists["model_file_class_bases"],
                strict=True,
            )
        ]
    )
