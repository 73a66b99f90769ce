"""LPIPS against one reference, many times, in bounded memory: the reference's AlexNet features once, bands of rows.

A comparison scores every codec against the same original; the plain LPIPS call recomputes the original's
features each time (half its cost) and holds both images' full feature maps at once (about 4 GB at 10 MP).
:class:`LpipsReference` computes the reference's normalised features once (kept up to a memory budget) and
runs the network on horizontal bands of rows with enough context above and below that every kept feature
is the one the whole image gives:

- a band's input starts on a multiple of AlexNet's total stride (16 px), so its feature rows line up with
  the whole image's at every layer (conv1 stride 4, two stride-2 max-pools);
- ``MARGIN`` rows of context on each side exceed what the band's artificial edges reach (the padding of the
  five convolutions and the pools: about 80 input rows), so the kept rows are exact;
- each layer's rows are split between bands by the input row they start at, and the spatial mean divides by
  the whole map's size.

The result equals the plain call to float rounding (tested: within 1e-6).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

STRIDE = 16  # AlexNet's total stride at conv3-5: band starts are multiples of it
MARGIN = 128  # rows of context on each side of a band (a multiple of STRIDE, over the ~90 rows the edges reach)
BAND_PIXELS = 4_000_000  # a band's own pixels: a 2K photo is one band; 10 MP goes in bands of ~1000 rows
LAYER_STRIDES = (4, 8, 16, 16, 16)
DEFAULT_BUDGET = 600_000_000  # bytes of reference features kept; bands past it are recomputed per call


def layer_sizes(n: int) -> tuple[int, ...]:
    """The length of each LPIPS-alex feature map along an input side of ``n`` pixels (conv1 11/4 pad 2,
    max-pool 3/2, conv2 5 pad 2, max-pool 3/2, conv3-5 3 pad 1)."""
    c1 = (n + 4 - 11) // 4 + 1
    p1 = (c1 - 3) // 2 + 1
    p2 = (p1 - 3) // 2 + 1
    return c1, p1, p2, p2, p2


@dataclass(frozen=True)
class _Band:
    start: int  # the input rows it reads: [start, stop)
    stop: int
    keep: tuple[tuple[int, int], ...]  # per layer: its own rows, in the band's local feature rows


def band_rows(width: int) -> int:
    """Rows per band for an image ``width`` pixels wide: about ``BAND_PIXELS`` pixels, a multiple of STRIDE (each
    band pays twice MARGIN rows of context: the taller the band, the less of it; 512 rows cost 1.6x the work)."""
    return max(8 * STRIDE, BAND_PIXELS // max(1, width) // STRIDE * STRIDE)


def _bands(height: int, band: int, margin: int = MARGIN) -> list[_Band]:
    sizes = layer_sizes(height)
    out = []
    for s in range(0, height, band):
        e = min(s + band, height)
        start, stop = max(0, s - margin), min(height, e + margin)
        keep = []
        for size, stride in zip(sizes, LAYER_STRIDES, strict=True):
            first = -(-s // stride)
            last = size if e == height else min(size, -(-e // stride))
            keep.append((first - start // stride, last - start // stride))
        out.append(_Band(start, stop, tuple(keep)))
    return out


def _weighted_sum(f0: Any, f1: Any, lin: Any) -> float:
    """The sum over a map of ``lin``'s 1x1 convolution of the squared difference of ``f0`` (normalised) and ``f1``
    (not yet): per channel first, then weighted (in double). The same number as normalising, convolving and
    summing (within 1e-8 relative) in fewer passes over the maps: ``f1`` is divided by its norm as it is
    subtracted (no normalised copy of it), the square taken in place, and no one-channel map is made."""
    import torch

    from imgcr.metrics.lpips_net import EPS

    norm = torch.linalg.vector_norm(f1, dim=1, keepdim=True).add_(EPS)
    d = torch.addcdiv(f0, f1, norm, value=-1)  # f0 - f1 / norm, rounded as normalising then subtracting
    per_channel = d.mul_(d).sum(dim=(0, 2, 3)).to(torch.float64)
    weight = lin.model[1].weight.reshape(-1).to(torch.float64)
    return float((per_channel * weight).sum())


class LpipsReference:
    """LPIPS-alex of any image against one reference (uint8 HxWx3), the reference's features computed once."""

    def __init__(self, model: Any, reference: np.ndarray, budget_bytes: int = DEFAULT_BUDGET,
                 band: int | None = None):
        self.model, self.reference = model, reference
        h, w = reference.shape[:2]
        self.bands = _bands(h, band or band_rows(w))
        self.areas = [a * b for a, b in zip(layer_sizes(h), layer_sizes(w), strict=True)]
        self.budget = budget_bytes
        self._kept: dict[int, list[Any]] = {}
        self._kept_bytes = 0
        self._lock = threading.Lock()  # codecs of one comparison are scored from several threads

    def _features(self, pixels: np.ndarray, band: _Band, normalized: bool = True) -> list[Any]:
        """Features of one band, each layer cut to the band's own rows; normalised (the reference's, kept) or
        as the network gives them (a test image's, normalised inside :func:`_weighted_sum`)."""
        import torch

        from imgcr.metrics.lpips_net import normalize_tensor
        from imgcr.tensors import to_nchw

        # planar (NCHW) for the scaling's elementwise steps, which then run along rows, not across three channels
        # (half their time; the same values); the trunk takes it to channels last
        x = to_nchw(pixels[band.start:band.stop], contiguous=True)
        outs = self.model.net.forward(self.model.scaling_layer(2 * x - 1))
        feats = [o[:, :, a:b] for o, (a, b) in zip(outs, band.keep, strict=True)]
        if not normalized:
            return feats
        # copied out of the band's map: a view would keep its margins alive too (2-3x the memory kept); in the
        # trunk's channels-last layout, where the copy is a plain one (to NCHW it took 15 % of a call)
        return [normalize_tensor(f).contiguous(memory_format=torch.channels_last) for f in feats]

    def _reference(self, i: int) -> list[Any]:
        with self._lock:
            if i in self._kept:
                return self._kept[i]
        feats = self._features(self.reference, self.bands[i])
        size = sum(f.numel() * f.element_size() for f in feats)
        with self._lock:
            if i not in self._kept and self._kept_bytes + size <= self.budget:
                self._kept[i] = feats
                self._kept_bytes += size
        return feats

    def warm(self) -> LpipsReference:
        """Compute the reference's features now, the bands the budget keeps (what the first :meth:`distance`
        would otherwise do); returns self."""
        import torch

        with torch.inference_mode():
            for i in range(len(self.bands)):
                self._reference(i)
                if i not in self._kept:  # over the budget: later bands are recomputed per call anyway
                    break
        return self

    def __call__(self, test: np.ndarray) -> float:
        return self.distance(test)

    def distance(self, test: np.ndarray) -> float:
        """LPIPS(reference, test), as ``lpips.LPIPS(net="alex")(ref, test, normalize=True)`` computes it (to float rounding)."""
        import torch

        if test.shape != self.reference.shape:
            raise ValueError(f"shape mismatch {self.reference.shape} vs {test.shape}")
        sums = [0.0] * len(self.areas)
        with torch.inference_mode():
            for i, band in enumerate(self.bands):
                ref = self._reference(i)
                for k, (f0, f1) in enumerate(zip(ref, self._features(test, band, normalized=False), strict=True)):
                    if f0.shape[2]:  # a short last band can own no rows of the deepest maps
                        sums[k] += _weighted_sum(f0, f1, self.model.lins[k])
        return float(sum(s / a for s, a in zip(sums, self.areas, strict=True)))
