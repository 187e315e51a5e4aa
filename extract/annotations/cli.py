"""``mms-extract`` commands of the annotation domain (reviewer decisions and labels)."""

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
