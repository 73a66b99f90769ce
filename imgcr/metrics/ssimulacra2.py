"""SSIMULACRA2 (version 2.1, Cloudinary 2023): the metric JPEG XL's and AVIF's developers tune against.

imgcr's own implementation, written from the definition in cloudinary/ssimulacra2 (``src/ssimulacra2.cc``) and
libjxl's recursive Gaussian (``lib/jxl/gauss_blur.cc``); checked against the C++ tool's scores
(``tests/test_ssimulacra2.py``, within 0.01). Per scale (six, 1:1 to 1:32, each halving in linear RGB with a
2x2 box, the last row and column repeated on odd sides; a scale is skipped once the previous one is under 8 px):

- linear sRGB -> XYB (libjxl's opsin absorbance, cube root), made positive: ``X*14 + 0.42``, ``Y + 0.01``,
  ``B - Y + 0.55``;
- the blur: libjxl's recursive Gaussian of sigma 1.5 (Charalampidis 2016), zero outside the image. In exact
  arithmetic that recursion is a 9-tap FIR filter, so it is run here as that kernel (computed by running the
  recursion on an impulse) with OpenCV's separable filter, zero-padded like the original;
- per channel: ``1 - SSIM'`` (SSIM without the luminance denominator), and the edge maps ``(1 + |d - mu_d|) /
  (1 + |r - mu_r| ) - 1`` split into its positive part (ringing, blocking) and its negative part (blur);
  each map's mean and 4-norm;
- the 108 published weights, then the published mapping to a score: 100 identical, 90 visually lossless,
  70 high quality, 50 medium, 30 low; it can go negative.

Images with alpha are not handled here: imgcr scores RGB (its comparisons drop alpha the same way on both
sides). Below 8 px on a side the score is undefined (``None``).
"""

from __future__ import annotations

import math
from functools import cache

import cv2
import numpy as np

MIN_SIDE = 8
SCALES = 6
C2 = np.float32(0.0009)

_OPSIN = np.array([[0.30, 0.622, 0.078], [0.23, 0.692, 0.078],
                   [0.24342268924547819, 0.20476744424496821, 1.0 - 0.24342268924547819 - 0.20476744424496821]],
                  dtype=np.float32)
_BIAS = np.float32(0.0037930732552754493)

# Taken in order: for each channel, for each scale computed, for each norm (mean, 4-norm): SSIM, ringing, blur.
# As in the reference, the index runs on over the scales actually computed: an image with fewer than six
# scales takes its second channel's weights from where its first channel's ran out (small images' scores
# depend on it).
WEIGHTS = np.array([
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0, 0.0004371155730107379, 0.0,
    1.1041726426657346, 0.00066284834129271, 0.00015231632783718752, 0.0, 0.0016406437456599754, 0.0,
    1.8422455520539298, 11.441172603757666, 0.0, 0.0007989109436015163, 0.000176816438078653, 0.0,
    1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072, 0.9677937080626833, 0.0,
    0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053, 0.0004550992113792063, 0.0, 0.0,
    0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0, 7.466890328078848, 0.0, 17.445833984131262,
    0.0006235601634041466, 0.0, 0.0, 6.683678146179332, 0.00037724407979611296, 1.027889937768264,
    225.20515300849274, 0.0, 0.0, 19.213238186143016, 0.0011401524586618361, 0.001237755635509985,
    176.39317598450694, 0.0, 0.0, 24.43300999870476, 0.28520802612117757, 0.0004485436923833408, 0.0, 0.0,
    0.0, 34.77906344483772, 44.835625328877896, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0008680556573291698, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0005313191874358747, 0.0, 0.00016533814161379112,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0004179171803251336, 0.0017290828234722833, 0.0, 0.0020827005846636437,
    0.0, 0.0, 8.826982764996862, 23.19243343998926, 0.0, 95.1080498811086, 0.9863978034400682,
    0.9834382792465353, 0.0012286405048278493, 171.2667255897307, 0.9807858872435379, 0.0, 0.0, 0.0,
    0.0005130064588990679, 0.0, 0.00010854057858411537])


@cache
def _srgb_to_linear() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


@cache
def _kernel(sigma: float = 1.5) -> np.ndarray:
    """libjxl's recursive Gaussian (CreateRecursiveGaussian + FastGaussian1D) as the FIR kernel it equals: the
    recursion run on a unit impulse. Its support is 2 * radius - 1 taps."""
    radius = round(3.2795 * sigma + 0.2546)
    omega = [k * math.pi / (2 * radius) for k in (1, 3, 5)]
    p = [1 / math.tan(0.5 * omega[0]), -1 / math.tan(0.5 * omega[1]), 1 / math.tan(0.5 * omega[2])]
    r = [p[0] ** 2 / math.sin(omega[0]), -p[1] ** 2 / math.sin(omega[1]), p[2] ** 2 / math.sin(omega[2])]
    rho = [math.exp(-0.5 * sigma * sigma * w * w) / radius for w in omega]
    d13, d35, d51 = p[0] * r[1] - r[0] * p[1], p[1] * r[2] - r[1] * p[2], p[2] * r[0] - r[2] * p[0]
    zeta15, zeta35 = d35 / d13, d51 / d13
    a = np.array([p, r, [zeta15, zeta35, 1.0]])
    gamma = np.array([1.0, radius * radius - sigma * sigma, zeta15 * rho[0] + zeta35 * rho[1] + rho[2]])
    beta = np.linalg.solve(a, gamma)
    n2 = [-beta[i] * math.cos(omega[i] * (radius + 1)) for i in range(3)]
    d1 = [-2 * math.cos(w) for w in omega]
    size = 4 * radius + 1
    impulse = np.zeros(size)
    impulse[size // 2] = 1.0
    out = np.zeros(size)
    state = [[0.0, 0.0] for _ in range(3)]
    for n in range(-radius + 1, size):  # FastGaussian1D, zero outside the row
        left, right = n - radius - 1, n + radius - 1
        s = (impulse[left] if left >= 0 else 0.0) + (impulse[right] if right < size else 0.0)
        total = 0.0
        for k in range(3):
            y = n2[k] * s - d1[k] * state[k][0] - state[k][1]
            state[k] = [y, state[k][0]]
            total += y
        if n >= 0:
            out[n] = total
    taps = out[np.abs(out) > 1e-12]
    return taps.astype(np.float32)


def blur(plane: np.ndarray) -> np.ndarray:
    k = _kernel()
    return cv2.sepFilter2D(plane, cv2.CV_32F, k, k, borderType=cv2.BORDER_CONSTANT)


def linear_rgb(pixels: np.ndarray) -> np.ndarray:
    """uint8 sRGB HxWx3 -> float32 linear RGB."""
    return _srgb_to_linear()[pixels[..., :3]]


_BAND = 256  # rows per band: a distorted image's maps are made a band at a time (memory: a band's, not a plane's)


def _bands(h: int):
    for y0 in range(0, h, _BAND):
        yield y0, min(y0 + _BAND, h)


def positive_xyb(linear: np.ndarray) -> list[np.ndarray]:
    """Linear RGB -> XYB (libjxl's), made positive as SSIMULACRA2 does: three float32 planes (made in bands)."""
    h, w = linear.shape[:2]
    planes = [np.empty((h, w), np.float32) for _ in range(3)]
    cbrt_bias = np.cbrt(_BIAS)
    for y0, y1 in _bands(h):
        mixed = linear[y0:y1] @ _OPSIN.T + _BIAS
        np.maximum(mixed, 0, out=mixed)
        mixed = np.cbrt(mixed) - cbrt_bias
        x = 0.5 * (mixed[..., 0] - mixed[..., 1])
        y = 0.5 * (mixed[..., 0] + mixed[..., 1])
        planes[0][y0:y1] = x * 14 + np.float32(0.42)
        planes[1][y0:y1] = y + np.float32(0.01)
        planes[2][y0:y1] = mixed[..., 2] - y + np.float32(0.55)
    return planes


def downsample(linear: np.ndarray) -> np.ndarray:
    """2x2 box average; an odd last row or column is repeated (as the reference's clamped indices do)."""
    h, w = linear.shape[:2]
    if h % 2 or w % 2:
        linear = np.pad(linear, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return (linear[0::2, 0::2] + linear[1::2, 0::2] + linear[0::2, 1::2] + linear[1::2, 1::2]) * np.float32(0.25)


class _Side:
    """The reference at one scale: its XYB planes, kept for every image scored against it."""

    def __init__(self, linear: np.ndarray):
        self.planes = positive_xyb(linear)


def _scale_maps(ref: _Side, dist: list[np.ndarray], c: int, y0: int, y1: int):
    """Channel ``c``'s three error maps at one scale, rows ``y0:y1``: 1 - SSIM', ringing, blur.

    The distorted image's blurs are made from the band and the kernel's reach of rows around it: rows past the
    image's edge are zero there as in the whole-plane blur (the original's zero padding), rows inside it are
    real context, so every value equals the whole-plane computation's."""
    reach = len(_kernel()) // 2
    lo, hi = max(0, y0 - reach), min(ref.planes[c].shape[0], y1 + reach)
    inner = slice(y0 - lo, y1 - lo)
    r, d = ref.planes[c][lo:hi], dist[c][lo:hi]
    mu1, sigma1 = blur(r)[inner], blur(r * r)[inner]
    mu2, sigma2, s12 = blur(d)[inner], blur(d * d)[inner], blur(r * d)[inner]
    r, d = r[inner], d[inner]
    num_m = 1.0 - (mu1 - mu2) ** 2
    num_s = 2 * (s12 - mu1 * mu2) + C2
    denom_s = (sigma1 - mu1 * mu1) + (sigma2 - mu2 * mu2) + C2
    ssim_err = np.maximum(1.0 - num_m * num_s / denom_s, 0)
    edge = (1.0 + np.abs(d - mu2)) / (1.0 + np.abs(r - mu1)) - 1.0
    return ssim_err, np.maximum(edge, 0), np.maximum(-edge, 0)


class Reference:
    """SSIMULACRA2 against one reference: its pyramid and XYB planes computed once, for many images (its blurs are
    remade a band at a time with the distorted image's: keeping them would hold twice the memory for 7 % of the time)."""

    def __init__(self, ref: np.ndarray):
        self.shape = ref.shape[:3]
        self.sides: list[_Side] = []
        linear = linear_rgb(ref)
        for scale in range(SCALES):  # the reference's loop: stop once the last scale is under 8 px
            if min(linear.shape[:2]) < MIN_SIDE:
                break
            if scale:
                linear = downsample(linear)
            self.sides.append(_Side(linear))

    def _each_scale(self, dist: np.ndarray):
        if dist.shape[:2] != self.shape[:2]:
            raise ValueError(f"shape mismatch {self.shape} vs {dist.shape}")
        linear = linear_rgb(dist)
        for i, ref_side in enumerate(self.sides):
            if i:
                linear = downsample(linear)
            yield i, ref_side, positive_xyb(linear)

    def score(self, dist: np.ndarray) -> float | None:
        if min(self.shape[:2]) < MIN_SIDE:
            return None
        sums = np.zeros((3, len(self.sides), 2, 3))  # channel, scale, (sum, sum of 4th powers), map
        for i, ref_side, planes in self._each_scale(dist):
            for c in range(3):
                for y0, y1 in _bands(planes[c].shape[0]):
                    for m, err in enumerate(_scale_maps(ref_side, planes, c, y0, y1)):
                        sq = err * err
                        sums[c, i, 0, m] += float(np.sum(err, dtype=np.float64))
                        sums[c, i, 1, m] += float(np.sum(sq * sq, dtype=np.float64))
        counts = np.array([side.planes[0].size for side in self.sides], np.float64)[None, :, None, None]
        norms = sums / counts
        norms[:, :, 1] **= 0.25
        return _to_score(float(WEIGHTS[: norms.size] @ np.abs(norms).reshape(-1)))

    def error_map(self, dist: np.ndarray) -> np.ndarray:
        """Where the artefacts are: every scale's three error maps per channel, weighted by the metric's own
        weights (both norms' weights), brought back to full size and summed (float32 HxW, 0 = no error)."""
        h, w = self.shape[:2]
        out = np.zeros((h, w), np.float32)
        weights = WEIGHTS[: 3 * len(self.sides) * 6].reshape(3, len(self.sides), 2, 3)
        for i, ref_side, planes in self._each_scale(dist):
            level = np.zeros(ref_side.planes[0].shape, np.float32)
            for c in range(3):
                for y0, y1 in _bands(level.shape[0]):
                    for m, err in enumerate(_scale_maps(ref_side, planes, c, y0, y1)):
                        level[y0:y1] += np.float32(weights[c, i, 0, m] + weights[c, i, 1, m]) * err
            out += np.repeat(np.repeat(level, 1 << i, 0), 1 << i, 1)[:h, :w]
        return out


def _to_score(total: float) -> float:
    """The published mapping of the weighted sum to the 100-point scale."""
    s = total * 0.9562382616834844
    s = 2.326765642916932 * s - 0.020884521182843837 * s * s + 6.248496625763138e-05 * s * s * s
    return 100.0 - 10.0 * s**0.6276336467831387 if s > 0 else 100.0


def ssimulacra2(ref: np.ndarray, dist: np.ndarray) -> float | None:
    """SSIMULACRA2 of ``dist`` against ``ref`` (uint8 RGB, same shape); ``None`` under 8 px on a side."""
    if ref.shape != dist.shape:
        raise ValueError(f"shape mismatch {ref.shape} vs {dist.shape}")
    if min(ref.shape[:2]) < MIN_SIDE:
        return None
    return Reference(ref).score(dist)
