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
"""

from __future__ import annotations

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
    c1 = (_K1 * data_range) ** 2
    c2 = (_K2 * data_range) ** 2
    ssim_out, cs_out = [], []
    for ac, bc in zip(a, b, strict=True):
        a0 = ac - 128.0
        b0 = bc - 128.0
        mu_a0, mu_b0 = _blur(a0, valid), _blur(b0, valid)
        s_sum = _blur(a0 * a0 + b0 * b0, valid)  # only var_a + var_b is needed
        s_ab = _blur(a0 * b0, valid)
        mu_ab0 = mu_a0 * mu_b0
        cs = (2.0 * (s_ab - mu_ab0) + c2) / (s_sum - mu_a0 * mu_a0 - mu_b0 * mu_b0 + c2)
        mu_a = mu_a0 + 128.0
        mu_b = mu_b0 + 128.0
        ssim_out.append((2.0 * mu_a * mu_b + c1) / (mu_a * mu_a + mu_b * mu_b + c1) * cs)
        cs_out.append(cs)
    return np.stack(ssim_out), np.stack(cs_out)


def _as_float(img: np.ndarray) -> np.ndarray:
    """uint8 HxW or HxWxC -> float32 (C, H, W), contiguous."""
    x = np.asarray(img, dtype=np.float32)
    x = x[:, :, None] if x.ndim == 2 else x
    return np.ascontiguousarray(np.moveaxis(x, -1, 0))


def _channel_means(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1).astype(np.float64).mean(axis=1)


def ssim_map(ref: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (mean over channels), same size as the input."""
    smap, _ = _maps(_as_float(ref), _as_float(test), valid=False)
    return smap.mean(axis=0)


def ssim(ref: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM over RGB channels (skimage's Gaussian convention, see module doc)."""
    smap, _ = _maps(_as_float(ref), _as_float(test), valid=False)
    r = (_TAPS - 1) // 2
    if smap.shape[1] <= 2 * r or smap.shape[2] <= 2 * r:
        raise ValueError(f"SSIM needs at least {_TAPS}x{_TAPS} pixels")
    return float(_channel_means(smap[:, r:-r, r:-r]).mean())


def _pool2(x: np.ndarray) -> np.ndarray:
    """2x2 average pooling over the last two axes, with torch's ``padding = size % 2`` and count_include_pad."""
    ph, pw = x.shape[-2] % 2, x.shape[-1] % 2
    if ph or pw:
        x = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    h, w = (x.shape[-2] // 2) * 2, (x.shape[-1] // 2) * 2
    x = x[:, :h, :w]
    return (x[:, 0::2, 0::2] + x[:, 1::2, 0::2] + x[:, 0::2, 1::2] + x[:, 1::2, 1::2]) * 0.25


def ms_ssim(ref: np.ndarray, test: np.ndarray) -> float | None:
    """MS-SSIM (pytorch-msssim's convention), or ``None`` when the short side is under 161 px."""
    a, b = _as_float(ref), _as_float(test)
    if min(a.shape[1:]) < MS_SSIM_MIN_SIDE:
        return None
    levels = len(MS_SSIM_WEIGHTS)
    values = []
    for level in range(levels):
        smap, cs = _maps(a, b, valid=True)
        if level < levels - 1:
            values.append(np.maximum(_channel_means(cs), 0.0))
            a, b = _pool2(a), _pool2(b)
        else:
            values.append(np.maximum(_channel_means(smap), 0.0))
    stacked = np.stack(values)  # (levels, channels)
    weights = np.asarray(MS_SSIM_WEIGHTS)[:, None]
    return float(np.prod(stacked**weights, axis=0).mean())
