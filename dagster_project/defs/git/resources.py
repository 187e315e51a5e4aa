"""Where the git miner finds each repository and keeps its clones."""

import os

import dagster as dg

from extract import settings
from extract.repo_id import parse_repo_id, repo_slug


class GitSourceResource(dg.ConfigurableResource):
    """Maps a repository id to a git source and a mirror directory.

    ``url_template`` takes ``{repo_id}``, ``{owner}``, ``{name}`` and ``{slug}``: github.com by default,
    a GitHub Enterprise host, or ``file://`` paths for local repositories (the offline sample).
    ``missing_objects`` is what the sources lack: ``record`` for snapshots from archives, which
    may lack blobs (a run's config can still override it).
    """

    url_template: str = "https://github.com/{repo_id}.git"
    mirror_dir: str
    missing_objects: str = "fail"

    def source_for(self, repo_id: str) -> str:
        owner, name = parse_repo_id(repo_id)
        return self.url_template.format(
            repo_id=repo_id, owner=owner, name=name, slug=repo_slug(repo_id)
        )


def git_source_resource() -> GitSourceResource:
    return GitSourceResource(
        url_template=os.environ.get("MMS_GIT_URL_TEMPLATE", "https://github.com/{repo_id}.git"),
        mirror_dir=str(settings.mirror_dir()),
        missing_objects=settings.git_missing_objects(),
    )
