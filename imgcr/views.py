"""What the Compare view shows: error maps, SSIM maps and 1:1 crops (pure numpy).

All functions take and return ``uint8 HxWx3 RGB`` arrays.
"""

from __future__ import annotations

import numpy as np

from imgcr.metrics import ssim_map

VIEWS = ("Images", "Difference (amplified)", "SSIM map", "SSIMULACRA2 error map", "Butteraugli heat map (libjxl)")
# the error map's value drawn white: on kodim23 a JPEG at quality 30 has a median of 4.4 and a 99th percentile of 12,
# at quality 90 a median of 0.46 and a 99th percentile of 1.1 (square-root scaled, so small errors stay visible)
SSIMULACRA2_SATURATION = 16.0
SCREEN_SIDE = 2048  # the slider and previews of a bigger image are sent at this long side (lossless PNG)


def screen_shape(height: int, width: int, max_side: int = SCREEN_SIDE) -> tuple[int, int]:
    """The (height, width) an image is shown at: itself, or scaled down to ``max_side`` on its long side."""
    scale = min(1.0, max_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def screen(img: np.ndarray, max_side: int = SCREEN_SIDE) -> np.ndarray:
    """A view of ``img`` sized for a screen (area-averaged when it is larger): a 10-50 MP photo's slider need not
    cross the network at full size. The zoom panel, figures and downloads keep the real pixels."""
    h, w = screen_shape(img.shape[0], img.shape[1], max_side)
    if (h, w) == img.shape[:2]:
        return img
    import cv2

    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def error_map(ref: np.ndarray, test: np.ndarray, gain: float = 8.0) -> np.ndarray:
    """Absolute per-channel error times ``gain`` (black = identical)."""
    diff = np.abs(ref.astype(np.int16) - test.astype(np.int16)).astype(np.float32) * gain
    return np.clip(diff, 0, 255).astype(np.uint8)


def ssim_heat(ref: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM as gray: white = identical structure, dark = loss."""
    smap = ssim_map(ref, test)
    gray = np.clip(smap, 0.0, 1.0) * 255.0
    return np.repeat(np.rint(gray).astype(np.uint8)[:, :, None], 3, axis=2)


def _hot(v: np.ndarray) -> np.ndarray:
    """0..1 -> black, red, yellow, white (a 'hot' ramp: brighter = worse)."""
    v = np.clip(v, 0.0, 1.0)[..., None] * 3.0
    rgb = np.clip(np.concatenate([v, v - 1.0, v - 2.0], axis=-1), 0.0, 1.0)
    return np.rint(rgb * 255).astype(np.uint8)


def ssimulacra2_heat(ref: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Where SSIMULACRA2 sees the artefacts: its weighted error maps of every scale, summed at full size
    (:meth:`imgcr.metrics.ssimulacra2.Reference.error_map`), square-root scaled, white at
    :data:`SSIMULACRA2_SATURATION`. Black where the image is under 8 px a side (the metric is undefined)."""
    from imgcr.metrics.ssimulacra2 import MIN_SIDE, Reference

    if min(ref.shape[:2]) < MIN_SIDE:
        return np.zeros_like(ref)
    heat = Reference(ref).error_map(test)
    return _hot(np.sqrt(heat / SSIMULACRA2_SATURATION))


def butteraugli_heat(ref: np.ndarray, test: np.ndarray) -> np.ndarray:
    """libjxl's own Butteraugli heat map of the pair (from ``butteraugli_main --distmap``)."""
    from imgcr.errors import ImgcrError
    from imgcr.metrics import butteraugli

    reason = butteraugli.unavailable_reason()
    if reason:
        raise ImgcrError(f"the Butteraugli heat map {reason}")
    if min(ref.shape[:2]) < butteraugli.MIN_SIDE:
        return np.zeros_like(ref)
    return butteraugli.heatmap(ref, test)


def render(ref: np.ndarray, img: np.ndarray, view: str, gain: float = 8.0) -> np.ndarray:
    if view == VIEWS[0]:
        return img
    if view == VIEWS[1]:
        return error_map(ref, img, gain)
    if view == VIEWS[2]:
        return ssim_heat(ref, img)
    if view == VIEWS[3]:
        return ssimulacra2_heat(ref, img)
    if view == VIEWS[4]:
        return butteraugli_heat(ref, img)
    raise ValueError(f"unknown view {view!r}")


def region_box(shape: tuple[int, ...], cx: float, cy: float, size: int) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the ``size`` px square at (cx, cy) percent of the free range."""
    h, w = shape[:2]
    sh, sw = min(size, h), min(size, w)
    top = int(round((h - sh) * min(max(cy, 0.0), 100.0) / 100.0))
    left = int(round((w - sw) * min(max(cx, 0.0), 100.0) / 100.0))
    return top, left, sh, sw


def crop(img: np.ndarray, cx: float, cy: float, size: int, magnify: int = 1) -> np.ndarray:
    """A ``size`` px square around (cx, cy) given in percent, enlarged by pixel repetition."""
    top, left, sh, sw = region_box(img.shape, cx, cy, size)
    out = img[top : top + sh, left : left + sw]
    if magnify > 1:
        out = np.repeat(np.repeat(out, magnify, axis=0), magnify, axis=1)
    return np.ascontiguousarray(out)


def worst_region(ref: np.ndarray, img: np.ndarray, size: int) -> tuple[float, float]:
    """(cx, cy) in percent, as :func:`crop` takes them, of the ``size`` px square with the largest squared error."""
    h, w = ref.shape[:2]
    sh, sw = min(size, h), min(size, w)
    err = ((ref.astype(np.float64) - img.astype(np.float64)) ** 2).sum(axis=2)
    integral = np.pad(err.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[sh:, sw:] - integral[:-sh, sw:] - integral[sh:, :-sw] + integral[:-sh, :-sw]
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    cx = 100.0 * left / (w - sw) if w > sw else 50.0
    cy = 100.0 * top / (h - sh) if h > sh else 50.0
    return float(cx), float(cy)
