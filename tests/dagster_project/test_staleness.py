"""Dagster's bookkeeping as the sample's steps ask it (dagster_project/staleness.py), on a small
graph of real assets materialized on an ephemeral instance."""

import warnings

import dagster as dg

from dagster_project.staleness import Bookkeeping

SOURCE = dg.AssetKey("labels")


def _labels(context) -> dg.DataVersion:
    return dg.DataVersion(context.run.tags.get("labels", "v1"))


with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    labels = dg.observable_source_asset(key=SOURCE)(_labels)


@dg.asset(deps=[SOURCE], code_version="1")
def label_counts() -> None:
    pass


@dg.asset(deps=[label_counts], code_version="1")
def report() -> None:
    pass


def _graph(defs: dg.Definitions):
    return defs.resolve_asset_graph()


def _observe(instance, version: str) -> None:
    dg.materialize([labels], instance=instance, tags={"labels": version}, selection=[SOURCE])


def test_missing_then_stale_with_its_root_cause_then_nothing():
    defs = dg.Definitions(assets=[labels, label_counts, report])
    with dg.instance_for_test() as instance:
        books = Bookkeeping(instance, _graph(defs))
        keys = {label_counts.key, report.key}
        assert books.observed_data_versions([SOURCE]) == {SOURCE: None}
        assert set(books.stale_assets(keys).stale) == keys
        assert books.stale_assets(keys).changes == ["never built"]

        _observe(instance, "v1")
        dg.materialize([label_counts, report], instance=instance)
        assert books.observed_data_versions([SOURCE]) == {SOURCE: "v1"}
        assert not books.stale_assets(keys)

        _observe(instance, "v2")
        stale = books.stale_assets(keys)
        assert stale.stale == {
            label_counts.key: "labels: new data version",
            report.key: "downstream of label_counts",
        }
        assert books.current_data_versions([SOURCE], None) == {SOURCE: "v2"}


def test_the_resolver_is_kept_until_the_event_log_or_the_partitions_change():
    partitions = dg.DynamicPartitionsDefinition(name="repository")

    @dg.asset(partitions_def=partitions, code_version="1")
    def commits() -> None:
        pass

    defs = dg.Definitions(assets=[labels, label_counts, commits])
    with dg.instance_for_test() as instance:
        books = Bookkeeping(instance, _graph(defs))
        first = books.resolver()
        assert books.resolver() is first
        assert books.observed_data_versions([SOURCE]) == {SOURCE: None}
        assert books.resolver() is first  # reading writes nothing

        instance.add_dynamic_partitions("repository", ["a/b"])
        second = books.resolver()
        assert second is not first

        _observe(instance, "v1")
        third = books.resolver()
        assert third is not second
        # The new resolver sees the new observation, the kept one would not have.
        assert books.current_data_versions([SOURCE], None) == {SOURCE: "v1"}
        assert books.resolver() is third
