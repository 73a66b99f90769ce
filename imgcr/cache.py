"""Results cached by content: image digest + codec + library version + settings.

Two layers: an in-memory LRU (encoded bytes, decoded pixels, the record) bounded
in bytes, and a disk store (``$IMGCR_CACHE_DIR/results``) of the encoded bytes and
the JSON record, so a repeated comparison, or a resumed benchmark, does no work.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imgcr import config


def make_key(*parts: Any) -> str:
    """A stable hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Entry:
    record: dict[str, Any]
    data: bytes
    decoded: np.ndarray | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)


class ResultCache:
    """Thread-safe LRU in memory, backed by a folder on disk (or memory only)."""

    def __init__(self, folder: Path | None = None, max_bytes: int = 1 << 30):
        self.folder = folder
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return entry
        entry = self._read_disk(key)
        with self._lock:
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
                self._insert(key, entry)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._insert(key, entry)
        self._write_disk(key, entry)

    def update_metrics(self, key: str, entry: Entry) -> None:
        """Persist metrics added to an entry after it was stored."""
        self._write_disk(key, entry)

    def _size(self, entry: Entry) -> int:
        return len(entry.data) + (entry.decoded.nbytes if entry.decoded is not None else 0)

    def _insert(self, key: str, entry: Entry) -> None:
        if key in self._items:
            self._bytes -= self._size(self._items.pop(key))
        self._items[key] = entry
        self._bytes += self._size(entry)
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= self._size(old)

    def _paths(self, key: str) -> tuple[Path, Path]:
        base = self.folder / key[:2] / key
        return base.with_suffix(".json"), base.with_suffix(".bin")

    def _read_disk(self, key: str) -> Entry | None:
        if self.folder is None:
            return None
        meta, blob = self._paths(key)
        try:
            stored = json.loads(meta.read_text())
            data = blob.read_bytes()
        except (OSError, ValueError):
            return None
        if len(data) != stored.get("record", {}).get("bytes"):
            return None
        return Entry(stored["record"], data, None, stored.get("metrics", {}))

    def _write_disk(self, key: str, entry: Entry) -> None:
        if self.folder is None:
            return
        meta, blob = self._paths(key)
        try:
            meta.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(blob, entry.data)
            _atomic_write(meta, json.dumps({"record": entry.record, "metrics": entry.metrics}).encode())
        except OSError:
            pass  # a read-only or full disk only costs the disk layer; memory still serves


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


_default: ResultCache | None = None
_default_lock = threading.Lock()


def default_cache() -> ResultCache:
    """The process-wide cache, on disk under the configured cache folder."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ResultCache(config.cache_dir() / "results")
        return _default
