"""The last reference's :class:`~imgcr.metrics.Scorer`, kept between requests.

What a comparison prepares once per reference (LPIPS's features of the original, SSIMULACRA2's reference
planes: about 1.2 core-seconds at 2048x1280, 5 at 10 MP) is prepared as soon as a photo is dropped, while its
user picks codecs, and serves the comparison that follows and its re-runs at other settings. One reference
is kept, the most recent: its prepared state is about 0.2 GB at 2048x1280 and 0.6 GB at 10 MP (LPIPS's
features are capped by their budget on bigger images); a new image replaces it before its own is made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from imgcr.images import LoadedImage
from imgcr.metrics import Scorer

_lock = threading.Lock()
_last: tuple[str, Scorer] | None = None


def scorer(image: LoadedImage) -> Scorer:
    """The Scorer for ``image`` (by content): the kept one when it is the same image, else a new one, kept."""
    global _last
    digest = image.digest
    with _lock:
        if _last is not None and _last[0] == digest:
            return _last[1]
        _last = None  # the old reference's memory goes before the new one's is made
        made = Scorer(image.pixels)
        _last = (digest, made)
        return made


def prepare(image: LoadedImage, metric_ids: Iterable[str]) -> list[str]:
    """Prepare ``image`` as a reference for ``metric_ids`` now; returns the metrics that prepared anything."""
    return scorer(image).prepare(list(metric_ids))


def forget() -> None:
    """Drop the kept reference (tests; a server short of memory)."""
    global _last
    with _lock:
        _last = None
