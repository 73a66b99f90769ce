"""Results cached by content: image digest + codec + library version + settings.

Two layers, both bounded in bytes:

- memory: a ``cachetools.LRUCache`` whose size of an entry is its real footprint (encoded
  bytes + decoded pixels + record), so the cap holds however an entry arrived;
- disk: a ``diskcache.Cache`` under ``$IMGCR_CACHE_DIR/results`` with a ``size_limit``
  (least-recently-used eviction; SQLite-backed, so writes are atomic and concurrent
  processes share it safely). It keeps the encoded bytes and the JSON record, so a
  repeated comparison, or a resumed benchmark, does no work.

Entries are immutable: adding metrics or decoded pixels makes a new entry
(:meth:`Entry.with_metrics`, :meth:`Entry.with_decoded`) that is ``put`` back, so a
request never sees another one's half-written entry. A disk that cannot be written
(read-only, full) costs only the disk layer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from imgcr import config

log = logging.getLogger(__name__)
_HEADER = struct.Struct(">I")  # length of the JSON part of a disk value


def make_key(*parts: Any) -> str:
    """A stable hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One cached result: its record, encoded bytes, decoded pixels (optional) and metrics (read-only)."""

    record: dict[str, Any]
    data: bytes
    decoded: np.ndarray | None = None
    metrics: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not isinstance(self.metrics, MappingProxyType):
            object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        if self.decoded is not None and self.decoded.flags.writeable:
            view = self.decoded.view()
            view.flags.writeable = False  # shared by concurrent requests: nobody writes into it
            object.__setattr__(self, "decoded", view)

    def with_metrics(self, new: dict[str, float | None]) -> Entry:
        return replace(self, metrics=MappingProxyType({**self.metrics, **new}))

    def with_decoded(self, pixels: np.ndarray) -> Entry:
        return replace(self, decoded=pixels)

    @property
    def nbytes(self) -> int:
        """The memory this entry holds: encoded bytes, pixels, and the record (roughly)."""
        return len(self.data) + (self.decoded.nbytes if self.decoded is not None else 0) + 512 + 64 * len(self.metrics)

    def to_disk(self) -> bytes:
        head = json.dumps({"record": self.record, "metrics": dict(self.metrics)}).encode()
        return _HEADER.pack(len(head)) + head + self.data

    @classmethod
    def from_disk(cls, blob: bytes) -> Entry | None:
        try:
            (n,) = _HEADER.unpack_from(blob)
            stored = json.loads(blob[_HEADER.size:_HEADER.size + n])
            data = blob[_HEADER.size + n:]
        except (struct.error, ValueError, UnicodeDecodeError):
            return None
        if len(data) != stored.get("record", {}).get("bytes"):
            return None  # torn or foreign: a miss, never a wrong result
        return cls(stored["record"], data, None, stored.get("metrics", {}))


class ResultCache:
    """Thread-safe: a byte-bounded LRU in memory, over a size-limited disk store (or memory only)."""

    def __init__(self, folder: Path | None = None, max_bytes: int | None = None, disk_bytes: int | None = None):
        from cachetools import LRUCache

        self.folder = folder
        self.max_bytes = max_bytes if max_bytes is not None else config.cache_memory_bytes()
        self._memory: LRUCache = LRUCache(maxsize=self.max_bytes, getsizeof=lambda e: e.nbytes)
        self._lock = threading.Lock()
        self._disk = _open_disk(folder, disk_bytes if disk_bytes is not None else config.cache_disk_bytes())
        self.hits = 0
        self.misses = 0

    @property
    def memory_bytes(self) -> int:
        return int(self._memory.currsize)

    def __len__(self) -> int:
        return len(self._memory)

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                self.hits += 1
                return entry
        entry = self._read_disk(key)
        with self._lock:
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
                self._remember(key, entry)
        return entry

    def put(self, key: str, entry: Entry, disk: bool = True) -> None:
        """Store ``entry`` (replacing any older one) in memory and, unless ``disk`` is False
        (only pixels were added: the disk holds no pixels), on disk."""
        with self._lock:
            self._remember(key, entry)
        if disk:
            self._write_disk(key, entry)

    def _remember(self, key: str, entry: Entry) -> None:
        try:
            self._memory[key] = entry
        except ValueError:  # one entry larger than the whole memory layer: keep it on disk only
            self._memory.pop(key, None)

    def _read_disk(self, key: str) -> Entry | None:
        if self._disk is None:
            return None
        try:
            blob = self._disk.get(key)
        except Exception as exc:  # a damaged store is a miss
            log.warning("result cache: read failed (%s)", exc)
            return None
        return Entry.from_disk(blob) if isinstance(blob, bytes) else None

    def _write_disk(self, key: str, entry: Entry) -> None:
        if self._disk is None:
            return
        try:
            self._disk.set(key, entry.to_disk())
        except Exception as exc:  # read-only or full disk: only the disk layer is lost
            log.warning("result cache: write failed (%s); serving from memory", exc)

    def disk_bytes(self) -> int:
        return int(self._disk.volume()) if self._disk is not None else 0

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()


def _open_disk(folder: Path | None, limit: int):
    if folder is None or limit <= 0:
        return None
    import diskcache

    try:
        return diskcache.Cache(str(folder), size_limit=limit, eviction_policy="least-recently-used",
                               cull_limit=10, statistics=False)
    except Exception as exc:  # unwritable folder: work without the disk layer
        log.warning("result cache: cannot use %s (%s); memory only", folder, exc)
        return None


_default: ResultCache | None = None
_default_lock = threading.Lock()


def default_cache() -> ResultCache:
    """The process-wide cache, on disk under the configured cache folder."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ResultCache(config.cache_dir() / "results")
        return _default
