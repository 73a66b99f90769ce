"""RGB <-> YCbCr in float, no rounding, in one place.

``full`` is JFIF's full-range BT.601 (what JPEG itself uses; a gray image maps to
Y = gray, Cb = Cr = 128), used for gray models run on colour images. ``studio`` is
BT.601 studio range (Y in 16-235, MATLAB's rgb2ycbcr), the SR literature's Y.
"""

from __future__ import annotations

import numpy as np

_FULL = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_FULL_OFF = np.array([0.0, 128.0, 128.0])
_STUDIO = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255.0
_STUDIO_OFF = np.array([16.0, 128.0, 128.0])


def rgb_to_ycbcr(rgb: np.ndarray, studio: bool = False) -> np.ndarray:
    """uint8/float RGB (0-255) -> float64 YCbCr (0-255 scale)."""
    m, off = (_STUDIO, _STUDIO_OFF) if studio else (_FULL, _FULL_OFF)
    return rgb.astype(np.float64) @ m.T + off


def luma(rgb: np.ndarray, studio: bool = False) -> np.ndarray:
    """Y alone of :func:`rgb_to_ycbcr` (float64, 0-255 scale): ``studio`` is BT.601 studio range (16-235),
    MATLAB's ``rgb2ycbcr`` and the SR literature's Y."""
    m, off = (_STUDIO, _STUDIO_OFF) if studio else (_FULL, _FULL_OFF)
    return rgb.astype(np.float64) @ m[0] + off[0]


def ycbcr_to_rgb(ycc: np.ndarray, studio: bool = False) -> np.ndarray:
    """float YCbCr -> float64 RGB (0-255 scale, not clipped)."""
    m, off = (_STUDIO, _STUDIO_OFF) if studio else (_FULL, _FULL_OFF)
    return (ycc - off) @ np.linalg.inv(m).T


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)
