"""JPEG, step by step, on the user's own image: the numbers the Learn tab shows.

Everything here is measured on a real libjpeg-turbo file (through the JPEG codec imgcr
compares): the quantisation tables are read back from the file's DQT segments, the
decoded image is libjpeg-turbo's. The per-block walk-through (level shift, 8x8 DCT,
quantisation, reconstruction) is recomputed here in float with an orthonormal DCT-II,
the transform JPEG specifies; libjpeg's integer DCT and colour conversion differ from it
by rounding only, which the reconstruction error shows.

Image type at this boundary: ``uint8 HxWx3 RGB``. Planes are full-range YCbCr (JFIF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcr.colour import rgb_to_ycbcr
from imgcr.errors import ImgcrError

SUBSAMPLINGS = ("4:4:4", "4:2:2", "4:2:0")
# (horizontal, vertical) chroma decimation of each mode
_FACTORS = {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2)}


def zigzag_order() -> np.ndarray:
    """8x8 array: the position of each coefficient in JPEG's zig-zag scan (0 = DC)."""
    order = np.zeros((8, 8), dtype=np.int64)
    cells = sorted(((r, c) for r in range(8) for c in range(8)),
                   key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else rc[1]))
    for i, (r, c) in enumerate(cells):
        order[r, c] = i
    return order


ZIGZAG = zigzag_order()


def encode(pixels: np.ndarray, quality: int, subsampling: str = "4:2:0") -> bytes:
    """A baseline JPEG by libjpeg-turbo (imgcr's JPEG codec, Huffman tables optimised)."""
    from imgcr.codecs import get_codec

    if subsampling not in _FACTORS:
        raise ImgcrError(f"subsampling must be one of {', '.join(SUBSAMPLINGS)}")
    codec = get_codec("jpeg")
    return codec.encode(pixels, codec.resolve(quality, {"subsampling": subsampling, "progressive": False}))


def decode(data: bytes) -> np.ndarray:
    from imgcr.codecs import get_codec

    return get_codec("jpeg").decode(data)


def is_one_channel(data: bytes) -> bool:
    """Whether the JPEG holds one component (a gray image: Y alone, no chroma)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.mode == "L"


def quant_tables(data: bytes) -> dict[int, np.ndarray]:
    """The quantisation tables written in the file, by table id, as 8x8 arrays in natural (row) order.

    Read from the DQT marker segments directly (a table is stored in zig-zag order, 8 or 16 bit).
    """
    tables: dict[int, np.ndarray] = {}
    i = 2
    if data[:2] != b"\xff\xd8":
        raise ImgcrError("not a JPEG file (no SOI marker)")
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ImgcrError(f"JPEG marker expected at byte {i}")
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the tables are all before it
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDB:
            seg, j = data[i + 4 : i + 2 + length], 0
            while j < len(seg):
                precision, table_id = seg[j] >> 4, seg[j] & 15
                size = 128 if precision else 64
                raw = seg[j + 1 : j + 1 + size]
                values = np.frombuffer(raw, dtype=">u2" if precision else np.uint8).astype(np.int64)
                tables[table_id] = values[ZIGZAG]
                j += 1 + size
        i += 2 + length
    if not tables:
        raise ImgcrError("the JPEG file holds no quantisation table")
    return tables


def libjpeg_table(quality: int, base: np.ndarray) -> np.ndarray:
    """libjpeg's scaling of a base table for ``quality`` (jcparam.c: jpeg_quality_scaling), baseline-clamped."""
    q = min(100, max(1, int(quality)))
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return np.clip((base * scale + 50) // 100, 1, 255)


# the tables of the JPEG standard's Annex K that libjpeg scales (natural order)
ANNEX_K_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)
ANNEX_K_CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32).reshape(8, 8)


def dct_matrix() -> np.ndarray:
    """The orthonormal 8-point DCT-II matrix C: coefficients = C @ block @ C.T."""
    k, n = np.arange(8)[:, None], np.arange(8)[None, :]
    c = np.sqrt(2 / 8) * np.cos((2 * n + 1) * k * np.pi / 16)
    c[0] /= np.sqrt(2)
    return c


_C = dct_matrix()


def dct2(block: np.ndarray) -> np.ndarray:
    """2-D DCT-II of an 8x8 block (JPEG's forward transform, orthonormal)."""
    return _C @ block @ _C.T


def idct2(coefs: np.ndarray) -> np.ndarray:
    return _C.T @ coefs @ _C


def planes(pixels: np.ndarray, subsampling: str = "4:4:4") -> dict[str, np.ndarray]:
    """Y, Cb, Cr as float planes; chroma averaged over its subsampling cell (libjpeg's box filter)."""
    ycc = rgb_to_ycbcr(pixels)
    fx, fy = _FACTORS[subsampling]
    out = {"Y": ycc[..., 0]}
    for i, name in ((1, "Cb"), (2, "Cr")):
        out[name] = _box(ycc[..., i], fx, fy)
    return out


def _box(plane: np.ndarray, fx: int, fy: int) -> np.ndarray:
    if fx == fy == 1:
        return plane
    h, w = plane.shape
    ph, pw = (-h) % fy, (-w) % fx
    p = np.pad(plane, ((0, ph), (0, pw)), mode="edge")
    return p.reshape(p.shape[0] // fy, fy, p.shape[1] // fx, fx).mean(axis=(1, 3))


def factors(channel: str, subsampling: str) -> tuple[int, int]:
    """Image pixels per plane sample (horizontal, vertical) for ``channel`` under ``subsampling``."""
    return (1, 1) if channel == "Y" else _FACTORS[subsampling]


@dataclass(frozen=True)
class BlockStudy:
    """One 8x8 block through JPEG. Arrays are 8x8; ``pixels`` and ``reconstructed`` on the 0-255 scale."""

    channel: str
    subsampling: str
    block_x: int
    block_y: int
    pixels: np.ndarray
    shifted: np.ndarray
    coefficients: np.ndarray
    table: np.ndarray
    quantised: np.ndarray
    dequantised: np.ndarray
    reconstructed: np.ndarray
    decoded: np.ndarray  # the same block of libjpeg-turbo's decoded plane
    zeros: int

    @property
    def error(self) -> np.ndarray:
        return self.reconstructed - self.pixels


def block_study(pixels: np.ndarray, data: bytes, x: int, y: int, channel: str = "Y",
                subsampling: str = "4:2:0") -> BlockStudy:
    """Follow the 8x8 block under image point (``x``, ``y``) of ``channel`` through JPEG.

    ``data`` is the JPEG of ``pixels`` (its quantisation tables are used: table 0 for Y, 1 for chroma).
    For subsampled chroma the block is in the smaller plane, so it covers 16 image pixels per side.
    """
    if channel not in ("Y", "Cb", "Cr"):
        raise ImgcrError("channel must be Y, Cb or Cr")
    h, w = pixels.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        raise ImgcrError(f"point ({x}, {y}) is outside the {w}x{h} image")
    fx, fy = factors(channel, subsampling)
    plane = planes(pixels, subsampling)[channel]
    dec_plane = planes(decode(data), subsampling)[channel]
    bx, by = (x // fx) // 8, (y // fy) // 8
    padded = _pad8(plane)
    block = padded[by * 8 : by * 8 + 8, bx * 8 : bx * 8 + 8]
    decoded = _pad8(dec_plane)[by * 8 : by * 8 + 8, bx * 8 : bx * 8 + 8]
    tables = quant_tables(data)
    table = tables[0] if channel == "Y" else tables.get(1, tables[0])
    shifted = block - 128.0
    coefs = dct2(shifted)
    quantised = np.rint(coefs / table).astype(np.int64)
    deq = quantised * table
    recon = idct2(deq) + 128.0
    return BlockStudy(channel, subsampling, bx, by, block, shifted, coefs, table, quantised, deq, recon, decoded,
                      int(np.count_nonzero(quantised == 0)))


def _pad8(plane: np.ndarray) -> np.ndarray:
    h, w = plane.shape
    return np.pad(plane, ((0, (-h) % 8), (0, (-w) % 8)), mode="edge")


def grid_overlay(pixels: np.ndarray, colour=(255, 0, 255), every: int = 8) -> np.ndarray:
    """The image with JPEG's 8x8 block grid drawn on it (one-pixel lines, blended 50 %)."""
    out = pixels.astype(np.float64).copy()
    c = np.array(colour, dtype=np.float64)
    out[::every, :] = 0.5 * out[::every, :] + 0.5 * c
    out[:, ::every] = 0.5 * out[:, ::every] + 0.5 * c
    return np.rint(out).astype(np.uint8)


def amplified_error(original: np.ndarray, decoded: np.ndarray, gain: float = 8.0) -> np.ndarray:
    """|decoded - original| x ``gain``, per channel, as an image: blocking shows as a visible grid."""
    err = np.abs(decoded.astype(np.float64) - original.astype(np.float64)) * gain
    return np.clip(np.rint(err), 0, 255).astype(np.uint8)


def blockiness(decoded: np.ndarray) -> float | None:
    """Mean absolute luma step across vertical 8x8 block edges ÷ the mean step inside blocks (1 = no blocking).

    None when the image is too narrow to have a block edge (under 9 px wide) or flat inside its blocks.
    """
    y = rgb_to_ycbcr(decoded)[..., 0]
    dx = np.abs(np.diff(y, axis=1))
    cols = np.arange(dx.shape[1])
    edge, inner = dx[:, cols % 8 == 7], dx[:, cols % 8 != 7]
    if edge.size == 0 or inner.size == 0:
        return None
    e, i = float(edge.mean()), float(inner.mean())
    if i < 1e-9:  # flat inside every block: no blocking if the edges are flat too, else undefined
        return 1.0 if e < 1e-9 else None
    return e / i


def subsampling_sizes(pixels: np.ndarray, quality: int) -> dict[str, int]:
    """The file's size in bytes at ``quality`` for each chroma subsampling."""
    return {s: len(encode(pixels, quality, s)) for s in SUBSAMPLINGS}
