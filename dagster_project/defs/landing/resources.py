"""The landing zone as a resource (the ``landing_zone`` key): every extraction asset writes it, the
warehouse build and the daily news check read it. Assets take the directory from here, never from
the environment, so a test or a run configures one place (``$MMS_LANDING_DIR`` by default)."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from base import settings


class LandingResource(dg.ConfigurableResource):
    root: str = Field(description="The landing directory ($MMS_LANDING_DIR).")

    @property
    def path(self) -> Path:
        return Path(self.root)


def landing_resource() -> LandingResource:
    return LandingResource(root=str(settings.landing_dir()))
