"""Settings read from the environment, in one place.

``IMGCR_MAX_PIXELS``   largest image accepted (default 50 megapixels).
``IMGCR_MAX_BYTES``    largest upload accepted (default 200 MB).
``IMGCR_WEIGHTS_DIR``  extra folder searched first for model weights.
``IMGCR_CACHE_DIR``    where results and downloaded weights are cached
                       (default ``~/.cache/imgcr``).
``IMGCR_BENCH_DIRS``   server-side image folders the Benchmark tab offers
                       (``os.pathsep``-separated; none by default).
``IMGCR_DEVICE``       force the device models run on (``cpu``, ``cuda``, ``cuda:1``).
``IMGCR_MODEL_POOL``   how many models stay loaded (default 2).

Every setting is read when it is used, so a test, a Space or a long-running server can
change it without re-importing anything.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def max_pixels() -> int:
    return int(os.environ.get("IMGCR_MAX_PIXELS", 50_000_000))


def max_bytes() -> int:
    return int(os.environ.get("IMGCR_MAX_BYTES", 200_000_000))


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "imgcr"
    return Path(os.environ.get("IMGCR_CACHE_DIR", default))


def weights_dirs() -> list[Path]:
    """Folders searched for weights, in order: $IMGCR_WEIGHTS_DIR, ./weights, the cache."""
    dirs = []
    if os.environ.get("IMGCR_WEIGHTS_DIR"):
        dirs.append(Path(os.environ["IMGCR_WEIGHTS_DIR"]))
    dirs.append(PROJECT_ROOT / "weights")
    dirs.append(cache_dir() / "weights")
    return dirs


def bench_dirs() -> list[Path]:
    """Server-side folders offered as benchmark image sets (existing ones only)."""
    raw = os.environ.get("IMGCR_BENCH_DIRS", "")
    return [Path(p) for p in raw.split(os.pathsep) if p and Path(p).is_dir()]


def device() -> str | None:
    """The forced model device, or None for automatic (a GPU when there is one)."""
    return os.environ.get("IMGCR_DEVICE") or None


def model_pool_size() -> int:
    return max(1, int(os.environ.get("IMGCR_MODEL_POOL", 2)))
