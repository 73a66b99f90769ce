"""The result cache: byte-bounded in memory and on disk, immutable entries, a broken disk costs only the disk layer."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from imgcr.cache import Entry, ResultCache, make_key


def entry(n_bytes: int, seed: int = 0, pixels: bool = False) -> Entry:
    data = np.random.default_rng(seed).bytes(n_bytes)
    decoded = np.zeros((512, 512, 3), np.uint8) if pixels else None
    return Entry({"bytes": n_bytes, "params": {}}, data, decoded, {"psnr": 30.0})


def test_memory_cap_counts_pixels_added_after_a_disk_read(tmp_path):
    cache = ResultCache(tmp_path / "r", max_bytes=3_000_000, disk_bytes=10**9)
    for i in range(6):
        cache.put(f"k{i}", entry(1000, i))
    fresh = ResultCache(tmp_path / "r", max_bytes=3_000_000, disk_bytes=10**9)
    for i in range(6):  # each read from disk, then given its 786 kB of pixels, as the pipeline does
        got = fresh.get(f"k{i}")
        assert got is not None and got.decoded is None
        fresh.put(f"k{i}", got.with_decoded(np.zeros((512, 512, 3), np.uint8)), disk=False)
        assert fresh.memory_bytes <= 3_000_000
    assert fresh.memory_bytes > 3 * 512 * 512 * 3  # the pixels are counted, not just the 1 kB of bytes
    assert len(fresh) == 3


def test_disk_layer_is_bounded(tmp_path):
    cache = ResultCache(tmp_path / "r", max_bytes=10**6, disk_bytes=2_000_000)
    for i in range(40):
        cache.put(make_key("x", i), entry(200_000, i))
    assert cache.disk_bytes() <= 2_000_000 * 1.25
    assert cache.get(make_key("x", 39)) is not None  # the newest survives


def test_entries_are_immutable():
    e = entry(10, pixels=True)
    with pytest.raises(TypeError):
        e.metrics["lpips"] = 0.1  # type: ignore[index]
    with pytest.raises(ValueError):
        e.decoded[0, 0, 0] = 1
    grown = e.with_metrics({"lpips": 0.1})
    assert dict(grown.metrics) == {"psnr": 30.0, "lpips": 0.1} and dict(e.metrics) == {"psnr": 30.0}


def test_metrics_reach_the_disk(tmp_path):
    cache = ResultCache(tmp_path / "r")
    cache.put("k", entry(100))
    cache.put("k", cache.get("k").with_metrics({"ssim": 0.9}))
    assert dict(ResultCache(tmp_path / "r").get("k").metrics) == {"psnr": 30.0, "ssim": 0.9}


def test_unusable_cache_folder_serves_from_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = ResultCache(blocker / "results")
    cache.put("k", entry(100))
    assert cache.get("k") is not None and cache.disk_bytes() == 0


def test_torn_disk_value_is_a_miss(tmp_path):
    cache = ResultCache(tmp_path / "r")
    cache._disk.set("k", b"\x00\x00\x00\x05{bad}" + b"x")
    assert cache.get("k") is None


def test_concurrent_readers_and_writers(tmp_path):
    cache = ResultCache(tmp_path / "r", max_bytes=2_000_000)
    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(60):
                k = f"k{rng.integers(8)}"
                got = cache.get(k)
                if got is None:
                    cache.put(k, entry(20_000, seed, pixels=bool(rng.integers(2))))
                else:
                    cache.put(k, got.with_metrics({f"m{seed}": float(seed)}))
                    dict(got.metrics)  # serialising an entry another thread replaces is safe: it never changes
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and cache.memory_bytes <= 2_000_000
    assert not [p for p in (tmp_path / "r").rglob("*.tmp")]
    assert os.path.isdir(tmp_path / "r")
