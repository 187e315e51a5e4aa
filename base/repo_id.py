"""Repository ids (``owner/name``) as GitHub allows them, and their file-system form.

A repository id reaches file paths (landing partitions, mirrors) and Dagster partition keys, so it is
validated before anything touches the disk: ``../x`` or ``-rf/x`` must never become a path or an argument.
"""

from __future__ import annotations

import re

# GitHub logins: 1-39 alphanumerics or hyphens, not starting with a hyphen. Today's rules also forbid
# a trailing hyphen and "--", but older accounts have them (the study's list has `see--/keras-centernet`).
_OWNER = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}"
# Repository names: alphanumerics, '-', '_' and '.', at most 100, and never '.' or '..'.
_NAME = r"[A-Za-z0-9._-]{1,100}"
_REPO_ID = re.compile(rf"(?P<owner>{_OWNER})/(?P<name>{_NAME})")


class InvalidRepoId(ValueError):
    """A repository id that is not ``owner/name`` in GitHub's allowed characters."""


def parse_repo_id(value: object) -> tuple[str, str]:
    """Return ``(owner, name)`` or raise :class:`InvalidRepoId` naming the bad value."""
    if not isinstance(value, str):
        raise InvalidRepoId(f"repository id {value!r} is not a string of the form owner/name")
    match = _REPO_ID.fullmatch(value)
    if match is None or match["name"] in {".", ".."} or match["name"].endswith(".git"):
        raise InvalidRepoId(
            f"invalid repository id {value!r}: expected owner/name with GitHub's allowed characters "
            "(owner: letters, digits and hyphens, not first; name: letters, digits, '.', '-', '_')"
        )
    return match["owner"], match["name"]


def validate_repo_id(value: object) -> str:
    owner, name = parse_repo_id(value)
    return f"{owner}/{name}"


def repo_key(repo_id: str) -> str:
    """The form repository ids are compared in: GitHub's names are case-insensitive, so
    ``Sample-ML/Vision`` and ``sample-ml/vision`` are one repository."""
    owner, name = parse_repo_id(repo_id)
    return f"{owner}/{name}".lower()


def unique_repo_ids(repo_ids) -> list[str]:
    """``repo_ids`` validated, in order, each repository once whatever its case (the first
    spelling wins)."""
    seen: dict[str, str] = {}
    for repo_id in repo_ids:
        seen.setdefault(repo_key(repo_id), validate_repo_id(repo_id))
    return list(seen.values())


def repo_slug(repo_id: str) -> str:
    """File-system and partition-safe form: ``owner__name``, lower-cased (one file per repository
    whatever the case it is named in).

    Unambiguous because owners never contain '_' and the first '__' is the separator.
    """
    owner, name = parse_repo_id(repo_id)
    return f"{owner}__{name}".lower()


def repo_id_from_slug(slug: str) -> str:
    owner, sep, name = slug.partition("__")
    if not sep:
        raise InvalidRepoId(f"{slug!r} is not a repository slug of the form owner__name")
    return validate_repo_id(f"{owner}/{name}")
