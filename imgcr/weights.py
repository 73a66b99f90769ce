"""Find, verify and download weight files; offline first.

Search order: ``$IMGCR_WEIGHTS_DIR``, the repo's ``weights/``, then the cache
(``$IMGCR_CACHE_DIR/weights``). Downloads happen when a user asks for one, or on
first use when ``IMGCR_ALLOW_DOWNLOADS`` is on (the default on a Hugging Face Space).
Sources, in order: imgcr's Hugging Face Hub mirror (``huggingface_hub.hf_hub_download``:
its cache, resumable downloads, ``HF_HUB_OFFLINE`` honoured) for files whose sha256 is
pinned, then the official address. Every downloaded file is checked by sha256 before it
is used; a file that fails is deleted. Files are never unpickled here; loaders use
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imgcr import config
from imgcr.errors import WeightsError, first_line


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
        size: bytes of the pinned file (shown before a download; 0: unknown).
    """

    id: str
    names: tuple[str, ...]
    sha256: tuple[str, ...]
    url: str
    url_sha256_prefix: str = ""
    licence: str = ""
    source: str = ""
    size: int = 0


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
        f"set IMGCR_WEIGHTS_DIR, IMGCR_ALLOW_DOWNLOADS=1 or run `python -m imgcr weights download {spec.id}`"
    )


def fetchable(spec: WeightFile) -> bool:
    """Whether a download of ``spec`` can be verified (a pinned sha256 or the source's hash prefix)."""
    return bool(sources(spec)) and bool(spec.sha256 or spec.url_sha256_prefix)


def require(spec: WeightFile, progress: Callable[[int, int], None] | None = None) -> Path:
    """The local file for ``spec``; fetched first when downloads are allowed and it can be verified.

    Raises:
        WeightsError: with what to do, when the file is missing (or its download failed).
    """
    path = find(spec)
    if path is not None:
        return path
    if not (config.allow_downloads() and fetchable(spec)):
        raise WeightsError(missing_message(spec))
    with _fetch_lock(spec.id):  # two first users of one model download it once
        return find(spec) or fetch(spec, progress=progress)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _fetch_lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def remote_size(url: str, timeout: float = 10.0) -> int | None:
    """The size the source announces for ``url`` (a HEAD request, redirects followed), or None."""
    try:
        req = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            size = resp.headers.get("Content-Length")
            return int(size) if size else None
    except (OSError, ValueError):
        return None


def sources(spec: WeightFile) -> list[str]:
    """Where ``spec`` can be downloaded from, in the order tried: ``hf://REPO@REV/PATH``, then its URL."""
    out = []
    if (spec.sha256 or spec.url_sha256_prefix) and config.hub_repo():
        out.append(f"hf://{config.hub_repo()}@{config.hub_revision()}/{spec.names[0]}")
    if spec.url:
        out.append(spec.url)
    return out


def fetch(spec: WeightFile, progress: Callable[[int, int], None] | None = None, trust_unpinned: bool = False) -> Path:
    """Download ``spec`` from the first source that answers with the right bytes.

    Raises:
        WeightsError: every source failed; the message lists why, one clause per source.
    """
    errors = []
    for source in sources(spec):
        try:
            if source.startswith("hf://"):
                return _from_hub(spec, progress)
            return download(spec, url=source, progress=progress, trust_unpinned=trust_unpinned)
        except WeightsError as exc:
            errors.append(str(exc))
    if not errors:
        raise WeightsError(f"{spec.id}: no download source is known; get it from {spec.source or 'its authors'}")
    raise WeightsError("; ".join(errors))


def _from_hub(spec: WeightFile, progress: Callable[[int, int], None] | None) -> Path:
    """``hf_hub_download`` from imgcr's mirror, then a sha256 check; the file is linked into the cache's weights folder."""
    from huggingface_hub import hf_hub_download

    repo, revision, name = config.hub_repo(), config.hub_revision(), spec.names[0]
    where = f"{repo}@{revision}/{name}"
    try:
        got = Path(hf_hub_download(repo, name, revision=revision, endpoint=config.hub_endpoint(),
                                   tqdm_class=_reporting_tqdm(progress)))
    except Exception as exc:  # HTTP, network, offline-mode and cache errors alike: one line
        raise WeightsError(f"{spec.id}: Hub download of {where} failed: {first_line(exc, 160)}") from None
    digest = sha256_file(got)
    if not (digest in spec.sha256 if spec.sha256 else digest.startswith(spec.url_sha256_prefix)):
        blob = got.resolve()
        for p in {got, blob}:
            p.unlink(missing_ok=True)
        raise WeightsError(f"{spec.id}: {where} failed its sha256 check (got {digest[:16]}...); nothing was kept")
    target = config.cache_dir() / "weights" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not spec.sha256:  # only the source's prefix was known: the full hash is recorded at this first download
        target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n")
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        os.link(got.resolve(), tmp)  # the Hub cache keeps the bytes once; a copy when linking is not possible
    except OSError:
        shutil.copyfile(got, tmp)
    os.replace(tmp, target)
    return target


def _reporting_tqdm(progress: Callable[[int, int], None] | None):
    """A tqdm class that also reports (bytes so far, total) to ``progress``."""
    from tqdm.auto import tqdm

    if progress is None:
        return None

    class Reporting(tqdm):  # type: ignore[misc, valid-type]
        def update(self, n=1):
            out = super().update(n)
            progress(int(self.n), int(self.total or 0))
            return out

    return Reporting


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
        if not spec.sha256:  # unpinned, or only the source's prefix known: the full hash is recorded at first download
            target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n")
    except OSError as exc:
        raise WeightsError(f"{spec.id}: download from {url} failed: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target
