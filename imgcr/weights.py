"""Find, verify and download weight files; offline first.

Search order: ``$IMGCR_WEIGHTS_DIR``, the repo's ``weights/``, then the cache
(``$IMGCR_CACHE_DIR/weights``). Downloads happen only when a user asks for one,
go to the cache, and are checked by sha256 before they are moved into place.
Files are never unpickled here; loaders use ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imgcr import config
from imgcr.errors import WeightsError


@dataclass(frozen=True)
class WeightFile:
    """One weight file: where it lives under a weights folder and how to get it.

    Attributes:
        id: short name used on the CLI (``imgcr weights download ID``).
        names: accepted relative paths, first preferred (e.g. a trimmed trunk or the full original).
        sha256: accepted full sha256 values of files found locally (empty: any).
        url: official download source.
        url_sha256_prefix: the hash prefix the source publishes in its file name (torch hub style),
            checked on the downloaded bytes when no full sha256 is known.
        licence / source: provenance, shown to users.
    """

    id: str
    names: tuple[str, ...]
    sha256: tuple[str, ...]
    url: str
    url_sha256_prefix: str = ""
    licence: str = ""
    source: str = ""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find(spec: WeightFile) -> Path | None:
    """The first local file for ``spec`` in the search folders, or None."""
    for folder in config.weights_dirs():
        for name in spec.names:
            path = folder / name
            if path.is_file():
                return path
    return None


def missing_message(spec: WeightFile) -> str:
    dirs = ", ".join(str(d) for d in config.weights_dirs())
    return (
        f"weights for {spec.id} not found (looked for {spec.names[0]} in {dirs}); "
        f"set IMGCR_WEIGHTS_DIR or run `python -m imgcr weights download {spec.id}`"
    )


def require(spec: WeightFile) -> Path:
    """The local file for ``spec``; raises WeightsError with what to do when it is missing."""
    path = find(spec)
    if path is None:
        raise WeightsError(missing_message(spec))
    return path


def download(
    spec: WeightFile,
    url: str | None = None,
    dest_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    trust_unpinned: bool = False,
) -> Path:
    """Download ``spec`` into the cache, verify its hash, and return its path.

    Args:
        url: override the source (tests point this at a local server).
        dest_dir: override the target folder (default: the cache's weights folder).
        progress: called with (bytes so far, total bytes or 0).
        trust_unpinned: accept a file for which no sha256 is known (its hash is written beside it).

    Raises:
        WeightsError: network failure or a hash mismatch (the partial file is removed).
    """
    url = url or spec.url
    if not url:
        raise WeightsError(f"{spec.id}: no download source is known; get it from {spec.source or 'its authors'}")
    if not spec.sha256 and not spec.url_sha256_prefix and not trust_unpinned:
        raise WeightsError(f"{spec.id}: no sha256 is published for {url}; pass --trust-unpinned to accept it unchecked")
    dest_dir = dest_dir or config.cache_dir() / "weights"
    name = Path(url).name if spec.url_sha256_prefix else spec.names[0]
    target = dest_dir / (str(Path(spec.names[0]).parent / name) if spec.url_sha256_prefix else name)
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                out.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        digest = h.hexdigest()
        ok = digest in spec.sha256 if spec.sha256 and not spec.url_sha256_prefix else True
        if spec.url_sha256_prefix and not digest.startswith(spec.url_sha256_prefix):
            ok = False
        if not ok:
            raise WeightsError(f"{spec.id}: downloaded file failed its sha256 check (got {digest[:16]}...)")
        os.replace(tmp, target)
        if not spec.sha256 and not spec.url_sha256_prefix:
            target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n")
    except OSError as exc:
        raise WeightsError(f"{spec.id}: download from {url} failed: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target
