"""Butteraugli (libjxl): the psychovisual distance JPEG XL's encoder steers by, from libjxl's own tool.

imgcr calls libjxl's ``butteraugli_main`` (Debian's ``libjxl-devtools``: libjxl 0.7.0) rather than porting it, so
its numbers are libjxl's by construction. Both images go to it as binary PPM (no colour profile: read as 8-bit
sRGB, as imgcr's pixels are) at its default 80-nit viewing intensity; it prints the max-norm distance and the
3-norm. ``butteraugli`` is the max-norm (below 1.0: no visible difference at 1:1; above 2: clearly visible),
``butteraugli_3norm`` the 3-norm; both lower is better. The two come from one run (cached per image pair).

Where the tool is missing the metrics are listed unavailable with the reason; every other metric works.
``IMGCR_BUTTERAUGLI`` names another binary.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TOOL = "butteraugli_main"
MIN_SIDE = 8  # libjxl's butteraugli needs 8 px for its smallest blur (tested: smaller images are refused as undefined)
_CACHE_SIZE = 8


@dataclass(frozen=True)
class Distance:
    max_norm: float
    norm3: float


def tool() -> str | None:
    return os.environ.get("IMGCR_BUTTERAUGLI") or shutil.which(TOOL)


def unavailable_reason() -> str | None:
    path = tool()
    if path is None or not Path(path).is_file():
        return f"needs libjxl's {TOOL} (Debian package libjxl-devtools; not found on PATH)"
    return None


def _ppm(path: Path, pixels: np.ndarray) -> None:
    h, w = pixels.shape[:2]
    path.write_bytes(b"P6\n%d %d\n255\n" % (w, h) + np.ascontiguousarray(pixels[..., :3], dtype=np.uint8).tobytes())


def _read_heatmap(path: Path) -> np.ndarray:
    """libjxl's ``--distmap`` output: its heat map of the distance (a colour PFM, rows bottom to top) as uint8 RGB.
    The values are libjxl's colour-map coordinates (black, blue, cyan, green below its 'good' threshold; yellow,
    red, magenta, white towards and past 'bad'), drawn as they are."""
    parts = path.read_bytes().split(b"\n", 3)
    w, h = (int(v) for v in parts[1].split())
    data = np.frombuffer(parts[3], dtype="<f4" if float(parts[2]) < 0 else ">f4").reshape(h, w, 3)[::-1]
    return np.ascontiguousarray(np.rint(np.clip(data, 0, 1) * 255).astype(np.uint8))


def _run(ref: np.ndarray, dist: np.ndarray, distmap: bool) -> tuple[Distance, np.ndarray | None]:
    path = tool()
    if path is None:
        raise RuntimeError(unavailable_reason())
    with tempfile.TemporaryDirectory(prefix="imgcr-butteraugli-") as tmp:
        a, b, m = Path(tmp, "ref.ppm"), Path(tmp, "dist.ppm"), Path(tmp, "map.pfm")
        _ppm(a, ref)
        _ppm(b, dist)
        cmd = [path, str(a), str(b)] + (["--distmap", str(m)] if distmap else [])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        try:
            result = Distance(float(lines[0]), float(lines[1].split(":")[1]))
        except (IndexError, ValueError):
            raise RuntimeError(f"{TOOL} failed: {(done.stderr or done.stdout).strip()[-200:]}") from None
        return result, (_read_heatmap(m) if distmap else None)


_cache: OrderedDict[bytes, Distance] = OrderedDict()
_lock = threading.Lock()


def _key(ref: np.ndarray, dist: np.ndarray) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(ref.shape).encode())
    h.update(np.ascontiguousarray(ref).data)
    h.update(np.ascontiguousarray(dist).data)
    return h.digest()


def distance(ref: np.ndarray, dist: np.ndarray) -> Distance | None:
    """Both norms of one pair (one run of the tool, remembered for the last few pairs); None under 8 px."""
    if ref.shape != dist.shape:
        raise ValueError(f"shape mismatch {ref.shape} vs {dist.shape}")
    if min(ref.shape[:2]) < MIN_SIDE:
        return None
    key = _key(ref, dist)
    with _lock:
        if key in _cache:
            return _cache[key]
    result, _ = _run(ref, dist, distmap=False)
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def butteraugli(ref: np.ndarray, dist: np.ndarray) -> float | None:
    d = distance(ref, dist)
    return None if d is None else d.max_norm


def butteraugli_3norm(ref: np.ndarray, dist: np.ndarray) -> float | None:
    d = distance(ref, dist)
    return None if d is None else d.norm3


def heatmap(ref: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """libjxl's own heat map of the per-pixel distance (uint8 HxWx3): where the differences show."""
    return _run(ref, dist, distmap=True)[1]  # type: ignore[return-value]
