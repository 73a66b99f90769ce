"""The last reference's :class:`~imgcr.metrics.Scorer`, kept between requests.

What a comparison prepares once per reference (LPIPS's features of the original, SSIMULACRA2's reference
planes: about 1.4 core-seconds at 2048x1280, 5 at 10 MP) is prepared as soon as a photo is dropped, while its
user picks codecs, and serves the comparison that follows and its re-runs at other settings. One reference
is kept, the most recent, for :data:`KEEP_S` after its last use: it holds about 0.16 GB at 2048x1280 and 0.6 GB at
10 MP (measured: LPIPS's features 0.11 / 0.42 GB, SSIMULACRA2's planes 0.04 / 0.16 GB, the pixels); LPIPS's
share is capped by its budget on bigger photos. A new image replaces it before its own is made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from imgcr.images import LoadedImage
from imgcr.metrics import Scorer

KEEP_S = 600.0  # a reference unused this long is dropped (its memory back to the server)

_lock = threading.Lock()
_last: tuple[str, Scorer] | None = None
_timer: threading.Timer | None = None


def scorer(image: LoadedImage) -> Scorer:
    """The Scorer for ``image`` (by content): the kept one when it is the same image, else a new one, kept."""
    global _last
    digest = image.digest
    with _lock:
        if _last is None or _last[0] != digest:
            _last = None  # the old reference's memory goes before the new one's is made
            _last = (digest, Scorer(image.pixels))
        _expire_later(digest)
        return _last[1]


def _expire_later(digest: str) -> None:
    global _timer
    if _timer is not None:
        _timer.cancel()
    _timer = threading.Timer(KEEP_S, _expire, (digest,))
    _timer.daemon = True
    _timer.start()


def _expire(digest: str) -> None:
    global _last
    with _lock:
        if _last is not None and _last[0] == digest:
            _last = None  # a comparison still running holds its own reference to the Scorer


def prepare(image: LoadedImage, metric_ids: Iterable[str]) -> list[str]:
    """Prepare ``image`` as a reference for ``metric_ids`` now; returns the metrics that prepared anything."""
    return scorer(image).prepare(list(metric_ids))


def forget() -> None:
    """Drop the kept reference (tests; a server short of memory)."""
    global _last
    with _lock:
        _last = None
