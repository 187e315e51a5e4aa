"""The message embeddings kept between runs (analysis/embedding_cache.py): a second run embeds
only what is new, a duplicate message is embedded once, a damaged or foreign cache file costs time
but never changes a number, and many runs' files are merged without losing a row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis import embedding_cache, message_encoder

MESSAGES = [
    "Fix typo in README",
    "Add dropout to the encoder and lower the learning rate",
    "Fix typo in README",
    "",
    "Bump torch to 2.1",
]


@pytest.fixture
def embedded(monkeypatch):
    """What the real encoder was asked to embed, call by call."""
    real = message_encoder.encoder()
    calls: list[list[str]] = []

    class Counting:
        def encode(self, texts):
            calls.append(list(texts))
            return real.encode(texts)

    monkeypatch.setattr(message_encoder, "encoder", lambda: Counting())
    return calls, real


def _parts(root):
    return sorted(embedding_cache.model_folder(root).glob("part-*.parquet"))


def test_a_second_run_embeds_only_new_messages_and_gives_the_same_numbers(tmp_path, embedded):
    calls, real = embedded
    first = embedding_cache.encode(MESSAGES, tmp_path)
    assert np.abs(first - real.encode(MESSAGES)).max() < 1e-6
    # the duplicate message once
    assert sorted(calls[0]) == sorted(set(MESSAGES))
    again = embedding_cache.encode([*MESSAGES, "Train for 10 more epochs"], tmp_path)
    assert calls[1] == ["Train for 10 more epochs"]
    assert np.array_equal(again[: len(MESSAGES)], first)
    embedding_cache.encode(MESSAGES, tmp_path)
    assert len(calls) == 2 and len(_parts(tmp_path)) == 2


def test_without_a_cache_folder_nothing_is_written(tmp_path, embedded):
    calls, _ = embedded
    embedding_cache.encode(MESSAGES, None)
    embedding_cache.encode(MESSAGES, None)
    assert len(calls) == 2 and not any(tmp_path.iterdir())


def test_a_damaged_or_foreign_file_is_skipped_and_its_messages_embedded_again(
    tmp_path, embedded, caplog
):
    calls, real = embedded
    embedding_cache.encode(MESSAGES[:2], tmp_path)
    [part] = _parts(tmp_path)
    part.write_bytes(part.read_bytes()[:100])  # a truncated file
    folder = embedding_cache.model_folder(tmp_path)
    wrong = pa.table({"message_sha256": pa.array([b"x" * 32], pa.binary(32)),
                      "embedding": pa.array([[0.0] * 8], pa.list_(pa.float32(), 8))})  # fmt: skip
    pq.write_table(wrong, folder / "part-0-foreign.parquet")
    out = embedding_cache.encode(MESSAGES[:2], tmp_path)
    assert calls[1] == MESSAGES[:2]
    assert np.abs(out - real.encode(MESSAGES[:2])).max() < 1e-6
    assert sum("skipped" in r.message for r in caplog.records) == 2


def test_another_model_or_truncation_never_reads_these_rows(tmp_path, monkeypatch):
    before = embedding_cache.model_folder(tmp_path)
    monkeypatch.setattr(message_encoder, "MAX_TOKENS", 128)
    assert embedding_cache.model_folder(tmp_path) != before


def test_many_runs_files_are_merged_into_one_without_losing_a_row(tmp_path, embedded, monkeypatch):
    calls, real = embedded
    monkeypatch.setattr(embedding_cache, "COMPACT_AT", 3)
    texts = [f"change number {i}" for i in range(5)]
    for i in range(4):
        embedding_cache.encode(texts[: i + 1], tmp_path)
    assert len(_parts(tmp_path)) == 1  # the fourth run's file made four: merged
    out = embedding_cache.encode(texts, tmp_path)
    assert calls[-1] == ["change number 4"]
    assert np.abs(out - real.encode(texts)).max() < 1e-6
    assert not list(embedding_cache.model_folder(tmp_path).glob("*.partial"))
