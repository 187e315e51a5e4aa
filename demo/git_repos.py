"""Generated git histories for the sample, written with ``git fast-import`` (hundreds of commits/s).

The histories look like small ML projects: model and training code, docs, tests, data preparation,
with the shapes the miner must handle (merges, renames, binary files, empty messages).
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from base.repo_id import repo_slug

SAMPLE_OWNER = "sample-ml"


@dataclass(frozen=True)
class SampleRepo:
    repo_id: str
    commits: int
    seed: int


SAMPLE_REPOS = (
    SampleRepo(f"{SAMPLE_OWNER}/vision-classifier", commits=240, seed=1),
    SampleRepo(f"{SAMPLE_OWNER}/text-regressor", commits=120, seed=2),
    SampleRepo(f"{SAMPLE_OWNER}/tabular-automl", commits=60, seed=3),
)

_PATHS = [
    "models/resnet.py",
    "models/__init__.py",
    "train.py",
    "training/config.yaml",
    "src/learner.py",
    "src/predict.py",
    "src/utils.py",
    "docs/index.md",
    "docs/tutorial.ipynb",
    "README.md",
    "tests/test_model.py",
    "tests/test_utils.py",
    "data/prepare.py",
    "setup.py",
    "requirements.txt",
    ".github/workflows/ci.yml",
    "examples/random_forest_demo.py",
    "notebooks/svm_baseline.ipynb",
]
_MESSAGES = [
    "Refactor model construction",
    "Fix loss scaling bug in training loop",
    "Update documentation for the predictor",
    "Add unit tests for the learner",
    "Bump dependencies",
    "Improve accuracy with a better learning-rate schedule",
    "Add CLI entry point",
    "Log training metrics",
    "Prepare the dataset split",
    "Port the model to ONNX",
]


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _fast_import_stream(spec: SampleRepo) -> bytes:
    rng = random.Random(spec.seed)
    start = datetime(2019, 1, 7, 9, 0, tzinfo=UTC)
    contents: dict[str, list[str]] = {}
    out: list[bytes] = []
    side_branch_mark = None
    for index in range(spec.commits):
        mark = index + 1  # fast-import marks are 1-based
        when = start + timedelta(hours=index * 37 + rng.randint(0, 30))
        author = rng.choice(
            ["Ada <ada@example.org>", "Linus <linus@example.org>", "Grace <grace@example.org>"]
        )
        message = "" if index % 53 == 17 else f"{rng.choice(_MESSAGES)} (#{index})"
        ops: list[bytes] = []
        touched = _PATHS[:6] if index == 0 else rng.sample(_PATHS, k=rng.randint(1, 4))
        for path in touched:
            lines = contents.setdefault(path, [])
            drop = rng.randint(0, min(3, len(lines)))
            del lines[:drop]
            lines.extend(f"# {path} revision {index} line {n}" for n in range(rng.randint(1, 12)))
            ops.append(
                b"M 100644 inline "
                + path.encode()
                + b"\n"
                + _data("\n".join(lines).encode() + b"\n")
            )
        if index == 30:
            ops.append(b"M 100644 inline assets/logo.png\n" + _data(bytes(range(256)) * 4))
        if index == 45 and "src/utils.py" in contents:
            ops.append(b"R src/utils.py src/helpers.py\n")
            contents["src/helpers.py"] = contents.pop("src/utils.py")
        branch = b"refs/heads/main"
        merge_from = None
        if index % 40 == 20:
            branch = b"refs/heads/feature"
            side_branch_mark = mark
        elif index % 40 == 25 and side_branch_mark is not None:
            merge_from = side_branch_mark
            message = message or "Merge branch 'feature'"
        stamp = f"{int(when.timestamp())} +0000".encode()
        out.append(b"commit " + branch + b"\n")
        out.append(b"mark :%d\n" % mark)
        out.append(b"author " + author.encode() + b" " + stamp + b"\n")
        out.append(b"committer " + author.encode() + b" " + stamp + b"\n")
        out.append(_data(message.encode()))
        if branch == b"refs/heads/feature":
            out.append(b"from :%d\n" % (mark - 1))
        elif index > 0:
            previous_main = mark - 1 if index % 40 != 21 else mark - 2
            out.append(b"from :%d\n" % previous_main)
        if merge_from is not None:
            out.append(b"merge :%d\n" % merge_from)
        out.extend(ops)
        out.append(b"\n")
    return b"".join(out)


def build_sample_repos(root: Path) -> dict[str, Path]:
    """Create (or reuse) a bare repository per sample project; returns repo_id -> path."""
    root.mkdir(parents=True, exist_ok=True)
    paths = {}
    for spec in SAMPLE_REPOS:
        path = root / f"{repo_slug(spec.repo_id)}.git"
        if not (path / "HEAD").exists():
            subprocess.run(
                ["git", "init", "--quiet", "--bare", "-b", "main", str(path)], check=True
            )
            subprocess.run(
                ["git", "fast-import", "--quiet"],
                cwd=path,
                input=_fast_import_stream(spec),
                check=True,
            )
        paths[spec.repo_id] = path
    return paths
