"""``mms-suggest``: the label suggester from the command line (docs/method.md).

    mms-suggest evaluate LABELS.csv --out DIR [--frame commits|issues] [--second-rater FILE]
        [--message-encoder none|minilm] [--no-real-set] [--lend FILE ...]
    mms-suggest lend LABELS.csv --out FILE     # your labelled commits, to lend to the suggester

Reads the landed data under ``MMS_LANDING_DIR`` (or ``--landing-dir``); needs no warehouse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from analysis import evaluation, suggester
    from analysis.message_encoder import EncoderUnavailable
    from analysis.training import TrainingItemsError
    from base import settings

    try:
        result = evaluation.evaluate_labels(
            args.labels,
            args.landing_dir or settings.landing_dir(),
            frame=args.frame,
            second_rater=args.second_rater,
            rules_path=args.rules,
            lexicon_path=args.lexicon,
            settings=suggester.SuggesterSettings(
                seed=args.seed,
                message_encoder=args.message_encoder,
                real_set=args.real_set,
                lent_files=tuple(str(path) for path in args.lend),
            ),
            replicates=args.bootstrap,
            with_learning_curve=args.learning_curve,
        )
        written = evaluation.write(result, args.out)
    except (evaluation.LabelsError, EncoderUnavailable, TrainingItemsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    headline = evaluation.summary(result.metrics)
    print(headline.to_string(index=False, float_format=lambda value: f"{value:.3f}", na_rep="-"))
    lent = result.metrics[["lent_items", "lent_projects"]].iloc[0]
    if lent["lent_items"]:
        print(
            f"the suggester also trained on {lent['lent_items']:,} lent commits of "
            f"{lent['lent_projects']} projects outside these labels (--no-real-set leaves out "
            "the bundled real set, --lend FILE adds yours)"
        )
    for path in written:
        print(f"wrote {path}")
    return 0


def _cmd_lend(args: argparse.Namespace) -> int:
    from analysis import evaluation, training
    from base import settings

    landing_dir = args.landing_dir or settings.landing_dir()
    try:
        items = training.build(args.labels, landing_dir)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        training.write(items, args.out)
    except (evaluation.LabelsError, training.TrainingItemsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{len(items):,} labelled commits of {items['repo_id'].nunique()} projects -> {args.out}")
    print(f"lend them: mms-suggest evaluate ... --lend {args.out}, or MMS_LENT_COMMITS={args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mms-suggest", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser(
        "evaluate", help="judge the suggester on your labels, leave-one-project-out"
    )
    evaluate.add_argument("labels", type=Path, help="CSV: repo_id, hash (or number), labels")
    evaluate.add_argument("--out", type=Path, required=True, help="directory for the CSVs")
    evaluate.add_argument("--frame", choices=["commits", "issues"], default="commits")
    evaluate.add_argument(
        "--landing-dir", type=Path, default=None, help="default: $MMS_LANDING_DIR"
    )
    evaluate.add_argument(
        "--second-rater", type=Path, default=None, help="a second labelling of some items"
    )
    evaluate.add_argument("--rules", type=Path, default=None, help="keyword rules CSV")
    evaluate.add_argument("--lexicon", type=Path, default=None, help="content lexicon CSV")
    evaluate.add_argument("--seed", type=int, default=2023)
    evaluate.add_argument(
        "--message-encoder",
        choices=["none", "minilm"],
        default="none",
        help="minilm: add all-MiniLM-L6-v2 embeddings of the commit messages (docs/method.md)",
    )
    evaluate.add_argument(
        "--no-real-set",
        dest="real_set",
        action="store_false",
        help="train on your labels only, not also on the bundled real set's other projects",
    )
    evaluate.add_argument(
        "--lend",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also train on these labelled commits (written by `mms-suggest lend`); repeatable",
    )
    evaluate.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates")
    evaluate.add_argument(
        "--learning-curve", action="store_true", help="also write learning_curve.csv"
    )
    evaluate.set_defaults(func=_cmd_evaluate)
    lend = commands.add_parser(
        "lend", help="write labelled commits as training items the suggester can borrow"
    )
    lend.add_argument("labels", type=Path, help="CSV: repo_id, hash, labels")
    lend.add_argument("--out", type=Path, required=True, help="the JSON Lines file to write")
    lend.add_argument("--landing-dir", type=Path, default=None, help="default: $MMS_LANDING_DIR")
    lend.set_defaults(func=_cmd_lend)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
