"""SSIM and MS-SSIM, fast (float32, separable Gaussian), matched to the references.

Conventions (Wang et al. 2004): Gaussian window sigma 1.5, K1 = 0.01, K2 = 0.03,
data range 255, population (not sample) covariance, computed per RGB channel and
averaged.

- :func:`ssim` reproduces ``skimage.metrics.structural_similarity(gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1)``: the
  window is truncated at 3.5 sigma (11 taps), borders reflect, and the mean is taken
  over the map with 5 px cropped at each border.
- :func:`ms_ssim` reproduces ``pytorch_msssim.ms_ssim(data_range=255)``: 11-tap
  window, valid filtering, 5 scales with the standard weights, 2x2 average pooling
  (zero padding on odd sizes). It needs the short side > 160 px.

Filtering is OpenCV's separable float32 filter with the same 11-tap window and
reflecting borders (``BORDER_REFLECT`` is skimage's/scipy's ``reflect``).
Variances are computed on data shifted by 128, which keeps float32 accurate to
better than 1e-5 against the float64 references.

SSIM's means and MS-SSIM's first scale are the same computation (the full-size planes, the same window, the
same interior): :func:`ssim` keeps each plane's pair of means for the image it scored (:class:`_FirstScale`,
for as long as that image lives), and :func:`ms_ssim` of the same pair starts from them, so a comparison
that shows both pays the full-size filtering once; MS-SSIM's four smaller scales are a third of its cost.
"""

from __future__ import annotations

import threading
import weakref

import cv2
import numpy as np

_K1, _K2 = 0.01, 0.03
_SIGMA = 1.5
_TAPS = 11
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
MS_SSIM_MIN_SIDE = (_TAPS - 1) * 2**4 + 1  # 161


def _window() -> np.ndarray:
    x = np.arange(_TAPS, dtype=np.float64) - _TAPS // 2
    g = np.exp(-(x**2) / (2 * _SIGMA**2))
    return (g / g.sum()).astype(np.float32)


_WIN = _window()


def _blur(plane: np.ndarray, valid: bool) -> np.ndarray:
    """Separable Gaussian of one float32 HxW plane (OpenCV, SIMD); borders reflect like skimage's."""
    out = cv2.sepFilter2D(plane, cv2.CV_32F, _WIN, _WIN, borderType=cv2.BORDER_REFLECT)
    if valid:
        r = _TAPS // 2
        out = out[r:-r, r:-r]
    return out


def _maps(a: np.ndarray, b: np.ndarray, valid: bool, data_range: float = 255.0):
    """SSIM and contrast-structure maps, ``(C, H, W)``, for float32 ``(C, H, W)`` inputs, channel by channel."""
    pairs = [_plane_maps(ac, bc, valid, data_range) for ac, bc in zip(a, b, strict=True)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def _plane_maps(a: np.ndarray, b: np.ndarray, valid: bool, data_range: float = 255.0):
    """One plane's SSIM and contrast-structure maps (float32 results; ``a``, ``b`` uint8 or float32 HxW)."""
    c1 = (_K1 * data_range) ** 2
    c2 = (_K2 * data_range) ** 2
    a0 = np.subtract(a, 128.0, dtype=np.float32)
    b0 = np.subtract(b, 128.0, dtype=np.float32)
    mu_a0, mu_b0 = _blur(a0, valid), _blur(b0, valid)
    s_sum = _blur(a0 * a0 + b0 * b0, valid)  # only var_a + var_b is needed
    s_ab = _blur(a0 * b0, valid)
    del a0, b0
    mu_ab0 = mu_a0 * mu_b0
    cs = (2.0 * (s_ab - mu_ab0) + c2) / (s_sum - mu_a0 * mu_a0 - mu_b0 * mu_b0 + c2)
    mu_a = mu_a0 + 128.0
    mu_b = mu_b0 + 128.0
    return (2.0 * mu_a * mu_b + c1) / (mu_a * mu_a + mu_b * mu_b + c1) * cs, cs


_BAND = 256  # output rows per band: a band's working arrays are a few MB even 8000 px wide


def _interior_means(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Means of one plane's SSIM and contrast-structure maps over the interior (``_TAPS // 2`` px cropped at
    each border: skimage's crop of the SSIM map, pytorch-msssim's valid filtering), computed in bands of rows.

    A band is filtered with its ``_TAPS // 2`` rows of context above and below, which lie inside the image for
    every interior row, so each value equals the whole-plane computation's exactly; only the working memory
    changes (a band's, not the plane's, the difference on a 50 MP photo between a few MB and several GB)."""
    r = _TAPS // 2
    h, w = a.shape
    if h <= 2 * r or w <= 2 * r:
        raise ValueError(f"SSIM needs at least {_TAPS}x{_TAPS} pixels")
    s_total = cs_total = 0.0
    for y0 in range(r, h - r, _BAND):
        y1 = min(y0 + _BAND, h - r)
        smap, cs = _plane_maps(a[y0 - r:y1 + r], b[y0 - r:y1 + r], valid=True)
        s_total += float(smap.sum(dtype=np.float64))
        cs_total += float(cs.sum(dtype=np.float64))
    count = (h - 2 * r) * (w - 2 * r)
    return s_total / count, cs_total / count


def _planes(img: np.ndarray) -> list[np.ndarray]:
    """uint8 HxW or HxWxC -> its C planes (views, no copy)."""
    x = np.asarray(img)
    return [x] if x.ndim == 2 else [x[:, :, c] for c in range(x.shape[2])]


def _as_float(img: np.ndarray) -> np.ndarray:
    """uint8 HxW or HxWxC -> float32 (C, H, W), contiguous."""
    x = np.asarray(img, dtype=np.float32)
    x = x[:, :, None] if x.ndim == 2 else x
    return np.ascontiguousarray(np.moveaxis(x, -1, 0))


def ssim_map(ref: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (mean over channels), same size as the input."""
    smap, _ = _maps(_as_float(ref), _as_float(test), valid=False)
    return smap.mean(axis=0)


class _FirstScale:
    """Each plane's (SSIM, contrast-structure) interior means of an image pair, kept while both arrays live.

    Keyed by the arrays' identities and checked through weak references, so a recycled ``id`` never matches
    and nothing keeps an image alive; a pair whose arrays are changed in place after scoring would be served
    stale values, which no caller does (decoded images are never written to)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, int], tuple[weakref.ref, weakref.ref, list[tuple[float, float]]]] = {}
        self._lock = threading.Lock()

    def get(self, ref: np.ndarray, test: np.ndarray) -> list[tuple[float, float]] | None:
        with self._lock:
            hit = self._kept.get((id(ref), id(test)))
        return hit[2] if hit and hit[0]() is ref and hit[1]() is test else None

    def put(self, ref: np.ndarray, test: np.ndarray, means: list[tuple[float, float]]) -> None:
        key = (id(ref), id(test))

        def drop(_):
            with self._lock:
                self._kept.pop(key, None)

        try:
            entry = (weakref.ref(ref, drop), weakref.ref(test, drop), means)
        except TypeError:  # not weak-referenceable (a plain sequence): nothing kept
            return
        with self._lock:
            self._kept[key] = entry


_first_scale = _FirstScale()


def _first_means(ref: np.ndarray, test: np.ndarray) -> list[tuple[float, float]]:
    """Each plane's full-size interior means, computed once per image pair (see :class:`_FirstScale`)."""
    means = _first_scale.get(ref, test)
    if means is None:
        means = [_interior_means(a, b) for a, b in zip(_planes(ref), _planes(test), strict=True)]
        _first_scale.put(ref, test, means)
    return means


def ssim(ref: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM over RGB channels (skimage's Gaussian convention, see module doc), in bands of rows."""
    return float(np.mean([s for s, _ in _first_means(ref, test)]))


def _pool2(x: np.ndarray) -> np.ndarray:
    """2x2 average pooling of a plane (float32 out), with torch's ``padding = size % 2`` and count_include_pad."""
    x = np.asarray(x, dtype=np.float32)
    ph, pw = x.shape[0] % 2, x.shape[1] % 2
    if ph or pw:
        x = np.pad(x, ((ph, ph), (pw, pw)))
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    x = x[:h, :w]
    return (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]) * 0.25


def ms_ssim(ref: np.ndarray, test: np.ndarray) -> float | None:
    """MS-SSIM (pytorch-msssim's convention), or ``None`` when the short side is under 161 px.

    Plane by plane, each scale in bands of rows; the next scale is the pooled plane (a quarter of the size),
    so the working memory is a band's plus the pooled planes'."""
    if min(np.asarray(ref).shape[:2]) < MS_SSIM_MIN_SIDE:
        return None
    levels = len(MS_SSIM_WEIGHTS)
    weights = np.asarray(MS_SSIM_WEIGHTS)
    per_channel = []
    first = _first_means(ref, test)  # shared with ssim() of the same pair
    for a, b, top in zip(_planes(ref), _planes(test), first, strict=True):
        values = []
        for level in range(levels):
            s_mean, cs_mean = top if level == 0 else _interior_means(a, b)
            if level < levels - 1:
                values.append(max(cs_mean, 0.0))
                a, b = _pool2(a), _pool2(b)
            else:
                values.append(max(s_mean, 0.0))
        per_channel.append(float(np.prod(np.asarray(values) ** weights)))
    return float(np.mean(per_channel))
