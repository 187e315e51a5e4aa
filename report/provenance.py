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
from report.model import Provenance, PublicationStatus
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
        first, last = warehouse.connection.execute(
            "select min(snapshot_date)::varchar, max(snapshot_date)::varchar from selected_projects"
        ).fetchone()
        dates = (first, last) if first is not None else None
    return Provenance(
        warehouse=warehouse.path,
        build_id=str(row["build_id"]),
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
        other_builds=_other_builds(warehouse, str(row["build_id"])),
    )


def _other_builds(warehouse: Warehouse, build_id: str) -> dict[str, tuple[str, datetime]]:
    """Marts a different dbt invocation wrote than build_info's (a partial `dbt build --select`)."""
    stamped = [
        name
        for (name,) in warehouse.connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'main' and column_name = 'build_id' order by 1"
        ).fetchall()
    ]
    others = {}
    for mart in stamped:
        for other_id, built_at in warehouse.connection.execute(
            f'select distinct build_id, built_at from "{mart}" where build_id <> ?', [build_id]
        ).fetchall():
            others[mart] = (other_id, _timestamp(built_at))
    return others


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


def provenance_summary(provenance: Provenance) -> str:
    """One line for every file and figure: data, build, code, snapshot, counts."""
    c = provenance.counts
    data = "SAMPLE DATA" if provenance.is_sample_data else "mined data"
    return (
        f"{data} · build {provenance.build_id} of {_utc(provenance.built_at)} · code "
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


def provenance_rows(provenance: Provenance) -> list[tuple[str, str]]:
    c = provenance.counts
    rows = [
        (
            "Data",
            "SAMPLE DATA: generated by the bundled sample (make run), not mined from GitHub; no "
            "number here is a research result"
            if provenance.is_sample_data
            else "mined from GitHub by this project",
        ),
        (
            "Warehouse build",
            f"{provenance.build_id} (dbt invocation), built {_utc(provenance.built_at)}",
        ),
    ]
    publication = provenance.publication
    if publication is not None:
        state = (
            "the build this report reads"
            if publication.published_build_id == provenance.build_id
            else f"NOT the build this report reads ({provenance.build_id})"
        )
        rows.append(("Published build", f"{publication.published_build_id}: {state}"))
        if publication.failed_build_id:
            when = f" at {_utc(publication.failed_at)}" if publication.failed_at else ""
            reason = publication.failure_reason or "no reason recorded"
            rows.append(
                (
                    "Newer build not published",
                    f"{publication.failed_build_id} failed{when}: {reason}",
                )
            )
    rows += [
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
    ]
    for mart, (other_id, built_at) in sorted(provenance.other_builds.items()):
        rows.append(
            (
                f"Mart {mart}",
                f"from another build: {other_id} of {_utc(built_at)} (a partial dbt build)",
            )
        )
    rows += [
        ("Report rendered", _utc(provenance.rendered_at)),
        ("Warehouse file", provenance.warehouse),
    ]
    return rows


def parameter_rows(provenance: Provenance) -> list[tuple[str, str]]:
    """Every study parameter (dbt var) the build used, as JSON values (null, true, 0.95)."""
    return [
        (name, json.dumps(value) if not isinstance(value, str) else value)
        for name, value in sorted(provenance.study_parameters.items())
    ]
