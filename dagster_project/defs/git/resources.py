"""Where the git miner finds each repository and keeps its clones."""

import dagster as dg
from pydantic import Field

from base import settings
from base.repo_id import parse_repo_id, repo_slug
from extract.git.options import MissingObjectsPolicy


class GitSourceResource(dg.ConfigurableResource):
    """Maps a repository id to a git source and a mirror directory.

    ``url_template`` takes ``{repo_id}``, ``{owner}``, ``{name}`` and ``{slug}``: github.com by default,
    a GitHub Enterprise host, or ``file://`` paths for local repositories (the offline sample).
    """

    url_template: str = Field(
        default=settings.GIT_URL_TEMPLATE_DEFAULT,
        description="Clone URL of a repository: {repo_id}, {owner}, {name} or {slug} are filled "
        "in ($MMS_GIT_URL_TEMPLATE).",
    )
    mirror_dir: str = Field(description="Where bare clones are kept ($MMS_MIRROR_DIR).")
    missing_objects: MissingObjectsPolicy = Field(
        default="fail",
        description="What the sources lack: fail on a commit git cannot diff, or record it "
        "(snapshots from archives, which may lack blobs); a run's config overrides it "
        "($MMS_GIT_MISSING_OBJECTS).",
    )

    def source_for(self, repo_id: str) -> str:
        owner, name = parse_repo_id(repo_id)
        return self.url_template.format(
            repo_id=repo_id, owner=owner, name=name, slug=repo_slug(repo_id)
        )


def git_source_resource() -> GitSourceResource:
    return GitSourceResource(
        url_template=settings.git_url_template(),
        mirror_dir=str(settings.mirror_dir()),
        missing_objects=settings.git_missing_objects(),
    )
