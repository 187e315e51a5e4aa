"""The report's provenance, read from the warehouse it reports on: build_info (build id and time,
code version, dbt version, sample flag, study parameters), the marts' build stamps and
pipeline_counts. Only the code version falls back to the checkout, when the build did not record
one, and the report then says so."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from base import settings
from report.model import OtherBuild, Provenance, PublicationStatus
from report.warehouse import Warehouse, WarehouseError

UNKNOWN = "unknown"
#: the dbt vars that decide which projects are selected (section 2.1)
SELECTION_PARAMETERS = (
    "min_age_years",
    "min_commits",
    "max_days_since_last_push",
    "min_stars",
    "contributors_more_than",
)


def project_checkout() -> Path | None:
    """This project's checkout (settings.project_dir() when it holds dbt/dbt_project.yml), whose
    ``git describe`` stands in for a code version the build did not record; None for an installed
    package, so the version of some other repository is never reported."""
    directory = settings.project_dir()
    return directory if (directory / "dbt" / "dbt_project.yml").is_file() else None


def git_describe(directory: Path) -> str | None:
    """``git describe --always --dirty --tags`` of a checkout, or None outside one."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def shown_path(path: Path, project: Path | None = None) -> str:
    """A file as the report may print it: relative to the project (``data/warehouse.duckdb``), or
    its name when it lies elsewhere; never the machine's absolute path."""
    project = project or settings.project_dir()
    try:
        return Path(path).resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return Path(path).name


def _timestamp(value: object) -> datetime:
    stamp = pd.Timestamp(value)
    return (
        stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    ).to_pydatetime()


def load_provenance(
    warehouse: Warehouse,
    *,
    project_dir: Path | None,
    publication: PublicationStatus | None = None,
    now: datetime | None = None,
) -> Provenance:
    info = warehouse.load("build_info")
    if len(info) != 1:
        raise WarehouseError(
            f"warehouse {warehouse.path}: build_info has {len(info)} rows, expected one"
        )
    row = info.iloc[0]
    code_version, source = str(row["code_version"]), "build"
    if code_version == UNKNOWN:
        described = git_describe(project_dir) if project_dir is not None else None
        if described:
            code_version, source = described, "git describe at render time"
        else:
            source = UNKNOWN
    counts = warehouse.load("pipeline_counts")
    dates = None
    if warehouse.has("selected_projects"):
        [(first, last)] = warehouse.connection.execute(
            "select min(snapshot_date)::varchar, max(snapshot_date)::varchar from selected_projects"
        ).fetchall()
        dates = (first, last) if first is not None else None
    build_id = str(row["build_id"])
    ran_by = dict(publication.ran_by) if publication is not None else {}
    return Provenance(
        warehouse=shown_path(Path(warehouse.path)),
        build_id=build_id,
        built_at=_timestamp(row["built_at"]),
        code_version=code_version,
        code_version_source=source,
        dbt_version=str(row["dbt_version"]),
        is_sample_data=bool(row["is_sample_data"]),
        study_parameters=json.loads(row["study_parameters"]),
        counts={step: int(n) for step, n in zip(counts["step"], counts["run_count"], strict=True)},
        snapshot_dates=dates,
        rendered_at=now or datetime.now(UTC),
        publication=publication,
        other_builds=_other_builds(warehouse, build_id, ran_by),
        ran_by=ran_by.get(build_id),
    )


def _other_builds(
    warehouse: Warehouse, build_id: str, ran_by: Mapping[str, str]
) -> tuple[OtherBuild, ...]:
    """The builds other than build_info's that wrote marts (a `dbt build --select`), oldest
    first, each with the marts it wrote."""
    stamped = [
        name
        for (name,) in warehouse.connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'main' and column_name = 'build_id' order by 1"
        ).fetchall()
    ]
    marts: dict[tuple[str, datetime], list[str]] = {}
    for mart in stamped:
        for other_id, built_at in warehouse.connection.execute(
            f'select distinct build_id, built_at from "{mart}" where build_id <> ?', [build_id]
        ).fetchall():
            marts.setdefault((other_id, _timestamp(built_at)), []).append(mart)
    return tuple(
        OtherBuild(other_id, built_at, tuple(names), ran_by.get(other_id))
        for (other_id, built_at), names in sorted(marts.items(), key=lambda item: item[0][1])
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _snapshot(provenance: Provenance) -> str:
    configured = str(provenance.study_parameters.get("snapshot_date", UNKNOWN))
    dates = provenance.snapshot_dates
    if configured == "fetched_at" and dates:
        return f"each project's metadata fetch ({dates[0]} to {dates[1]})"
    return configured


def _selection(p: Mapping[str, object]) -> str:
    return (
        f"created >= {p.get('min_age_years')} year(s) before the snapshot, >= {p.get('min_commits')} "
        f"commits, last push <= {p.get('max_days_since_last_push')} days before it, >= "
        f"{p.get('min_stars')} stars, > {p.get('contributors_more_than')} contributors, then "
        "manual inspection"
    )


def _code_version(provenance: Provenance) -> str:
    if provenance.code_version_source == "build":
        return provenance.code_version
    if provenance.code_version_source == UNKNOWN:
        return "unknown (the build recorded none and no git checkout is at hand)"
    return (
        f"{provenance.code_version} (git describe when the report was rendered: the build "
        "recorded none, MMS_CODE_VERSION was unset)"
    )


def _later(provenance: Provenance) -> list[OtherBuild]:
    return [b for b in provenance.other_builds if b.built_at > provenance.built_at]


def provenance_summary(provenance: Provenance) -> str:
    """One line for every file and figure: data, build, code, snapshot, counts."""
    c = provenance.counts
    data = "SAMPLE DATA" if provenance.is_sample_data else "mined data"
    later = "".join(
        f" (+ {len(b.marts)} marts of partial build {b.build_id})" for b in _later(provenance)
    )
    return (
        f"{data} · build {provenance.build_id} of {_utc(provenance.built_at)}{later} · code "
        f"{provenance.code_version} · snapshot {_snapshot(provenance)} · "
        f"{c.get('selected_projects', 0):,} repositories, {c.get('commits_mined', 0):,} commits, "
        f"{c.get('closed_issues', 0):,} closed issues, {c.get('labelled_commits', 0):,} + "
        f"{c.get('labelled_issues', 0):,} labelled commits + issues"
    )


def parameters_summary(provenance: Provenance) -> str:
    """Every study parameter on one line, for the files that carry no parameter table."""
    return "study parameters: " + "; ".join(
        f"{name} = {value}" for name, value in parameter_rows(provenance)
    )


def _published(provenance: Provenance, build_id: str) -> str:
    """When the builds log says ``build_id`` is the build published last."""
    publication = provenance.publication
    published = publication is not None and publication.published_build_id == build_id
    return ", the build published last" if published else ""


def _other_build_row(provenance: Provenance, build: OtherBuild) -> tuple[str, str]:
    """A build that wrote some marts and not build_info, and why: a dbt build of a selection
    rebuilds only what it selects."""
    marts = f"{len(build.marts)} {'mart' if len(build.marts) == 1 else 'marts'}"
    ran_by = f", run by {build.ran_by}" if build.ran_by else ""
    written = f"{build.build_id} of {_utc(build.built_at)}{ran_by}{_published(provenance, build.build_id)}"
    listed = f"{marts} ({', '.join(build.marts)})"
    if build.built_at > provenance.built_at:
        return (
            "Later partial build",
            f"{written}: it rebuilt {listed}; a dbt build of a selection rebuilds only the marts "
            f"it selects, so build_info and every other table are still {provenance.build_id}'s",
        )
    return (
        "Earlier build",
        f"{written}: it built {listed}, which {provenance.build_id}, a dbt build of a selection, "
        "did not rebuild, so they are older than build_info",
    )


def _build_rows(provenance: Provenance) -> list[tuple[str, str]]:
    """build_info's build, any other build whose marts the warehouse holds, and what the builds
    log says is published (and, when newer, the build that failed)."""
    ran_by = f" by {provenance.ran_by}" if provenance.ran_by else ""
    rows = [
        (
            "Warehouse build",
            f"{provenance.build_id} (dbt invocation, build_info), built "
            f"{_utc(provenance.built_at)}{ran_by}{_published(provenance, provenance.build_id)}",
        ),
        *(_other_build_row(provenance, build) for build in provenance.other_builds),
    ]
    publication = provenance.publication
    if publication is None:
        return rows
    read = {provenance.build_id, *(b.build_id for b in provenance.other_builds)}
    if publication.published_build_id not in read:
        rows.append(("Published build", f"{publication.published_build_id}: NOT the build this "
                     f"report reads ({provenance.build_id})"))  # fmt: skip
    if publication.failed_build_id:
        when = f" at {_utc(publication.failed_at)}" if publication.failed_at else ""
        reason = publication.failure_reason or "no reason recorded"
        rows.append(("Newer build not published", f"{publication.failed_build_id} failed{when}: {reason}"))  # fmt: skip
    return rows


def provenance_rows(provenance: Provenance) -> list[tuple[str, str]]:
    c = provenance.counts
    data = (
        "SAMPLE DATA: generated by the bundled sample (make run), not mined from GitHub; no "
        "number here is a research result"
        if provenance.is_sample_data
        else "mined from GitHub by this project"
    )
    return [
        ("Data", data),
        *_build_rows(provenance),
        ("Code version", _code_version(provenance)),
        ("dbt version", provenance.dbt_version),
        ("Snapshot date", _snapshot(provenance)),
        ("Selection", _selection(provenance.study_parameters)),
        (
            "Repositories",
            f"{c.get('selected_projects', 0):,} selected of {c.get('candidate_projects', 0):,} "
            "candidates",
        ),
        (
            "Commits",
            f"{c.get('commits_mined', 0):,} mined, {c.get('model_file_commits', 0):,} touching "
            "model files",
        ),
        (
            "Closed issues",
            f"{c.get('closed_issues', 0):,} (RQ2 frame {c.get('issue_sampling_frame', 0):,})",
        ),
        (
            "Labelled items",
            f"{c.get('labelled_commits', 0):,} of {c.get('commit_sample', 0):,} sampled commits, "
            f"{c.get('labelled_issues', 0):,} of {c.get('issue_sample', 0):,} sampled issues",
        ),
        ("Report rendered", _utc(provenance.rendered_at)),
        ("Warehouse file", provenance.warehouse),
    ]


def parameter_rows(provenance: Provenance) -> list[tuple[str, str]]:
    """Every study parameter (dbt var) the build used, as JSON values (null, true, 0.95)."""
    return [
        (name, json.dumps(value) if not isinstance(value, str) else value)
        for name, value in sorted(provenance.study_parameters.items())
    ]
