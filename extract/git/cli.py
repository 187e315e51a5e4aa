"""``mms-extract`` commands of the git domain."""

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this domain's sub-commands to ``mms-extract``."""
