"""Message embeddings kept between runs: with the opt-in encoder (analysis/message_encoder.py) a
refresh embeds only the messages it has not embedded before, instead of the whole frame again
(~10 ms of CPU a message: minutes for the study's frame, an hour at ten times its size).

The cache is derived data, beside the landing zone and never read by dbt: ``<landing>/cache/
message_embeddings/<model>/part-*.parquet``, one row per distinct message text (its SHA-256, and
its 384 float32 numbers). ``<model>`` names the weights' digest and the truncation, so another
model or setting never reads these rows. Deleting the folder costs one full embedding, nothing else.

Each run that embedded something adds one file (written beside, then renamed: a crash leaves no
half file), and past ``COMPACT_AT`` files they are merged into one. A file that cannot be read, or
holds rows of another shape, is skipped with a warning and its messages embedded again: the cache
can cost time, never change a number.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from analysis import message_encoder

log = logging.getLogger(__name__)

#: files in a model's folder beyond which a run merges them into one
COMPACT_AT = 32


def model_folder(cache_dir: Path) -> Path:
    digest = hashlib.sha256(
        "".join(sorted(message_encoder.PINNED_SHA256.values())).encode()
    ).hexdigest()[:12]
    return (
        cache_dir / "message_embeddings" / f"all-MiniLM-L6-v2-{digest}-{message_encoder.MAX_TOKENS}"
    )


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("message_sha256", pa.binary(32)),
            ("embedding", pa.list_(pa.float32(), message_encoder.DIMENSIONS)),
        ]
    )


def _read(path: Path, wanted: set[bytes] | None) -> dict[bytes, np.ndarray]:
    """The rows of one part file whose key is wanted (every row: None); {} (and a warning) if it
    cannot be used."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        if not table.schema.equals(_schema()):
            raise ValueError(f"schema {table.schema} is not the cache's")
        if wanted is not None:
            keys = table.column("message_sha256")
            table = table.filter(pc.is_in(keys, value_set=pa.array(list(wanted), pa.binary(32))))
    except FileNotFoundError:  # merged away by a concurrent run: its rows are in the merged file
        return {}
    except (OSError, ValueError, pa.ArrowException) as exc:
        log.warning(
            "message embedding cache: skipped %s (%s); its messages are embedded again", path, exc
        )
        return {}
    vectors = table.column("embedding").combine_chunks().flatten().to_numpy()
    vectors = vectors.reshape(-1, message_encoder.DIMENSIONS)
    return dict(zip(table.column("message_sha256").to_pylist(), vectors, strict=True))


def _write(folder: Path, keys: list[bytes], vectors: np.ndarray) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    embedding = pa.FixedSizeListArray.from_arrays(
        pa.array(vectors.astype(np.float32, copy=False).ravel()), message_encoder.DIMENSIONS
    )
    table = pa.table([pa.array(keys, pa.binary(32)), embedding], schema=_schema())
    partial = path.with_name(path.name + ".partial")
    pq.write_table(table, partial)
    os.replace(partial, path)
    return path


def _compact(folder: Path) -> None:
    parts = sorted(folder.glob("part-*.parquet"))
    if len(parts) <= COMPACT_AT:
        return
    rows: dict[bytes, np.ndarray] = {}
    for part in parts:
        rows.update(_read(part, None))
    if rows:
        _write(folder, list(rows), np.stack(list(rows.values())))
    for part in parts:
        part.unlink(missing_ok=True)


def cache_root(landing_root: Path) -> Path:
    """Where a landing zone's caches live (derived data; dbt reads nothing there)."""
    return landing_root / "cache"


def encode(texts: Sequence[str], cache_dir: Path | None) -> np.ndarray:
    """``message_encoder.encoder().encode(texts)``, each distinct text embedded once, and with
    ``cache_dir`` (``cache_root(landing)``) only those not embedded by an earlier run."""
    texts = [t or "" for t in texts]
    keys = [_key(t) for t in texts]
    distinct = dict(zip(keys, texts, strict=True))
    known: dict[bytes, np.ndarray] = {}
    folder = model_folder(cache_dir) if cache_dir is not None else None
    if folder is not None and folder.is_dir():
        for part in sorted(folder.glob("part-*.parquet")):
            known.update(_read(part, set(distinct) - set(known)))
    missing = [k for k in distinct if k not in known]
    if missing:
        fresh = message_encoder.encoder().encode([distinct[k] for k in missing])
        known.update(zip(missing, fresh, strict=True))
        if folder is not None:
            _write(folder, missing, fresh)
            _compact(folder)
    log.info(
        "message embeddings: %d messages, %d distinct, %d embedded now",
        len(texts),
        len(distinct),
        len(missing),
    )
    out = np.empty((len(texts), message_encoder.DIMENSIONS), dtype=np.float32)
    for row, key in enumerate(keys):
        out[row] = known[key]
    return out
