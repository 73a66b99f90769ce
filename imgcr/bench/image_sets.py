"""The image sets a benchmark can run on: uploads, scikit-image's samples, or a folder the server offers
(``IMGCR_BENCH_DIRS``). Two files of one name get distinct names in the records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from imgcr import config
from imgcr.errors import ImgcrError
from imgcr.images import expand_paths
from imgcr.samples import sample_paths

SAMPLES = "scikit-image samples (CC0)"
UPLOADS = "my uploads only"


def image_sets() -> list[str]:
    """The sets to choose from: the samples, uploads only, then each configured folder."""
    return [SAMPLES, UPLOADS] + [str(d) for d in config.bench_dirs()]


def resolve(uploads: Sequence[str] | None, source: str) -> tuple[list[str], list[str]]:
    """The uploaded files plus the chosen set's: their paths and unique display names."""
    paths = [str(p) for p in (uploads or [])]
    if source == SAMPLES:
        paths += [str(p) for p in sample_paths()]
    elif source in {str(d) for d in config.bench_dirs()}:
        paths += [str(p) for p in expand_paths([source])]
    elif source != UPLOADS:
        raise ImgcrError(f"unknown image set {source!r}")
    if not paths:
        raise ImgcrError("upload images or choose an image set")
    return paths, unique_names([Path(p).name for p in paths])


def unique_names(names: Sequence[str]) -> list[str]:
    """``a.png``, ``a.png (2)``, ...: names that stay apart in the records."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
