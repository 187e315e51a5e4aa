"""The opt-in message encoder: all-MiniLM-L6-v2 on numpy, against sentence-transformers' own
embeddings, its weights checked, and what it means for the suggester's settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import message_encoder
from analysis.settings import MODEL_VERSION, SuggesterSettings

#: embeddings made by sentence-transformers on PyTorch from the same weights (the file says how)
REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def encoder() -> message_encoder.MessageEncoder:
    return message_encoder.encoder()


def test_the_numpy_forward_pass_gives_sentence_transformers_embeddings(encoder):
    ours = encoder.encode(REFERENCE["texts"])
    theirs = np.asarray(REFERENCE["embeddings"], dtype=np.float32)
    assert ours.shape == (5, message_encoder.DIMENSIONS) and ours.dtype == np.float32
    # float32 rounding, not a different model (two different texts here differ by 0.2 or more)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_text_is_encoded_the_same_whatever_it_is_batched_with(encoder):
    alone = encoder.encode(["Fix typo in README"])
    # a batch padded to a 256-token neighbour: padding must not leak into the short text
    beside_long = encoder.encode(["Fix typo in README", "word " * 1000, "x"])
    assert np.abs(alone[0] - beside_long[0]).max() < 1e-6


def test_similar_changes_are_closer_than_different_ones(encoder):
    docs, spelling, training = encoder.encode(
        [
            "Fix typo in README",
            "Correct spelling mistakes in the documentation",
            "Add dropout to the encoder and lower the learning rate",
        ]
    )
    assert docs @ spelling > docs @ training + 0.2


def test_weights_that_are_not_the_pinned_model_are_refused(tmp_path):
    source = message_encoder.model_dir()
    for name in message_encoder.PINNED_SHA256:
        (tmp_path / name).symlink_to(source / name)
    (tmp_path / "config.json").unlink()
    tampered = (
        (source / "config.json").read_text().replace('"hidden_act": "gelu"', '"hidden_act": "relu"')
    )
    (tmp_path / "config.json").write_text(tampered)
    with pytest.raises(message_encoder.EncoderUnavailable, match=r"config\.json is not all-MiniLM"):
        message_encoder.MessageEncoder(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(message_encoder.EncoderUnavailable, match=r"tokenizer\.json is missing"):
        message_encoder.MessageEncoder(tmp_path)


def test_without_the_weights_package_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(message_encoder, "MODEL_PACKAGE", "no_such_weights_package")
    with pytest.raises(message_encoder.EncoderUnavailable, match="uv sync"):
        message_encoder.model_dir()


def test_the_encoder_adds_its_dimensions_to_the_commit_features_only_when_asked(encoder):
    from analysis import commit_features, keyword_rules
    from extract.git.diffs import model_file_variants

    commits = pd.DataFrame(
        {
            "message": ["Fix typo in README", "Add dropout to the encoder", None],
            "changed_paths": [["README.md"], ["model.py"], ["model.py"]],
            "insertions": [1, 10, 2],
            "deletions": [1, 2, 2],
        }
    )
    args = (
        commits,
        keyword_rules.load_rules(),
        commit_features.load_lexicon(),
        model_file_variants(),
    )
    off, _ = commit_features.commit_matrix(*args)
    on, _ = commit_features.commit_matrix(*args, "minilm")
    assert on.shape == (3, off.shape[1] + message_encoder.DIMENSIONS)
    assert np.allclose(
        on[:, off.shape[1] :].toarray(),
        encoder.encode(["Fix typo in README", "Add dropout to the encoder", ""]),
    )


def test_the_setting_names_the_encoder_in_the_model_version():
    assert SuggesterSettings(real_set=False).model_version == MODEL_VERSION
    assert "all-MiniLM-L6-v2" not in SuggesterSettings().model_version
    on = SuggesterSettings(message_encoder="minilm").model_version
    assert on.startswith(f"{MODEL_VERSION}; ") and "all-MiniLM-L6-v2" in on
    assert "real set" in on and "real set" in SuggesterSettings().model_version
    with pytest.raises(ValueError, match="message_encoder='bert': one of none, minilm"):
        SuggesterSettings(message_encoder="bert")
