import pytest

from base.repo_id import (
    InvalidRepoId,
    parse_repo_id,
    repo_id_from_slug,
    repo_key,
    repo_slug,
    unique_repo_ids,
)


@pytest.mark.parametrize(
    "value",
    [
        "mne-tools/mne-python",
        "skorch-dev/skorch",
        "a/b",
        "A1/x.y_z-0",
        "o/.github",
        "x/..a",
        "see--/keras-centernet",
    ],
)
def test_valid_ids_round_trip_through_their_slug_case_insensitively(value):
    assert repo_id_from_slug(repo_slug(value)) == value.lower() == repo_key(value)


def test_one_repository_whatever_its_case():
    assert repo_slug("Sample-ML/Vision_X") == repo_slug("sample-ml/vision_x")
    assert unique_repo_ids(["A/B", "c/d", "a/b", "C/D"]) == ["A/B", "c/d"]


@pytest.mark.parametrize(
    "value",
    [
        "../x",
        "a/b/c",
        "-rf/x",
        "x/..",
        "x/.",
        "",
        "a",
        "a/",
        "/b",
        "a b/c",
        "a/b c",
        "a_b/c",
        "https://github.com/a/b",
        "a/b.git",
        "a/b\n",
        None,
        3,
        "a" * 40 + "/x",
        "a/" + "b" * 101,
    ],
)
def test_invalid_ids_are_refused_naming_the_value(value):
    with pytest.raises(InvalidRepoId) as err:
        parse_repo_id(value)
    assert repr(value) in str(err.value)
