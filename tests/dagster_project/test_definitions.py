from dagster_project.definitions import defs


def test_definitions_load_with_dbt_models_and_their_tests_as_checks():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"stg_git__commits", "stg_git__modified_files", "git/commits"} <= keys
    check_names = {check.name for check in graph.asset_check_keys}
    assert any(name.startswith("unique_stg_git__commits_commit_key") for name in check_names)
