"""Keyword rules: the labelling rules a researcher would write first, as an editable CSV.

``analysis/rules/keyword_rules.csv`` holds rule sets (``4-rule``, ``15-rule``): each row maps
word-start keywords of the commit message (``|``-separated, lower case) to an activity, in
``priority`` order. A rule set labels an item with the activity of its first matching rule, or with
a fallback (the most common label of the training items) when none matches. They are the baselines
``mms-suggest evaluate`` compares the suggester with, and the suggester uses every rule's match as
a feature (a seed: a researcher who edits a rule changes what the model sees).

The file's SHA-256 is reported with every evaluation, so a table says which rules it measured.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RULES = Path(__file__).with_name("rules") / "keyword_rules.csv"
REQUIRED_COLUMNS = ("rule_set", "priority", "activity", "keywords")


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file, row and value."""


@dataclass(frozen=True)
class Rule:
    rule_set: str
    priority: int
    activity: str
    keywords: tuple[str, ...]
    pattern: re.Pattern


@dataclass(frozen=True)
class RuleBook:
    path: Path
    digest: str
    rules: tuple[Rule, ...]

    @property
    def rule_sets(self) -> list[str]:
        return list(dict.fromkeys(rule.rule_set for rule in self.rules))

    def of(self, rule_set: str) -> list[Rule]:
        return sorted((r for r in self.rules if r.rule_set == rule_set), key=lambda r: r.priority)


_SPECIAL = set(".^$*+?()[]{}|\\")


def _escape(keyword: str) -> str:
    return "".join("\\" + c if c in _SPECIAL else c for c in keyword)


def regex(keywords: tuple[str, ...]) -> str:
    """A keyword matches where a word starts (start of text or after a non-alphanumeric); written
    for both Python's re and RE2 (pyarrow), which has no look-behind."""
    return "(?:^|[^a-z0-9])(?:" + "|".join(_escape(k) for k in keywords) + ")"


def _pattern(keywords: tuple[str, ...]) -> re.Pattern:
    return re.compile(regex(keywords))


def load_rules(path: Path | None = None, labels: list[str] | None = None) -> RuleBook:
    """Read and check a rules file (activities must be ``labels`` when given)."""
    path = Path(path or DEFAULT_RULES)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file: {exc.strerror}") from exc
    reader = csv.DictReader(raw.decode("utf-8-sig").splitlines())
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RulesError(f"{path}: missing column(s) {', '.join(missing)}")
    rules = []
    for line, row in enumerate(reader, start=2):
        activity = (row["activity"] or "").strip()
        if labels is not None and activity not in labels:
            raise RulesError(f"{path} row {line}: unknown activity {activity!r}")
        keywords = tuple(k.lower() for k in (row["keywords"] or "").split("|") if k.strip())
        if not keywords:
            raise RulesError(f"{path} row {line}: no keyword")
        try:
            priority = int(row["priority"])
        except (TypeError, ValueError):
            raise RulesError(
                f"{path} row {line}: priority {row['priority']!r} is not a number"
            ) from None
        rule_set = (row["rule_set"] or "").strip()
        rules.append(Rule(rule_set, priority, activity, keywords, _pattern(keywords)))
    if not rules:
        raise RulesError(f"{path}: no rule")
    return RuleBook(path, hashlib.sha256(raw).hexdigest()[:16], tuple(rules))


def first_match(texts, rules: list[Rule], fallback: str) -> list[list[str]]:
    """The activity of each text's first matching rule (in the order given), or ``fallback``."""
    matches = match_matrix(texts, rules)
    out = []
    for row in matches:
        hit = row.nonzero()[0]
        out.append([rules[hit[0]].activity if len(hit) else fallback])
    return out


def match_matrix(texts, rules: list[Rule]):
    """0/1 matrix (items x rules): which rules match each text (the suggester's seed features).
    Vectorised with pyarrow's RE2 over the lower-cased texts: a Python loop of re.search was 20 us
    a match, minutes at the study's 190,000 commits x 19 rules x 4 fields."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = [text if isinstance(text, str) else "" for text in texts]
    lowered = pc.utf8_lower(pa.array(values, pa.string()))
    columns = [
        pc.match_substring_regex(lowered, regex(rule.keywords)).to_numpy(zero_copy_only=False)
        for rule in rules
    ]
    if not columns:
        return np.zeros((len(values), 0))
    return np.column_stack(columns).astype(float)
