"""Run one catalogue model on one image: colour handling, noise level, scale, tiling.

Image type at this boundary: ``uint8 HxWx3 RGB`` in and out. Gray models (colour
``y``) run on Y of full-range YCbCr and keep the chroma (VDSR on studio-range Y, as
trained). FFDNet gets a noise-level map; x4 models asked for x2 run at x4 and are
resized down; VDSR refines a bicubic upscale. ``ensemble=True`` is the x8 self-ensemble
(Timofte et al. 2016, "EDSR+"): the network runs on the 8 flips/rotations of its input and
the outputs, turned back, are averaged (8x the time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from imgcr.colour import rgb_to_ycbcr, to_uint8, ycbcr_to_rgb
from imgcr.errors import ImgcrError
from imgcr.models import classical
from imgcr.models.archs import get_arch
from imgcr.models.catalog import ModelSpec
from imgcr.tensors import to_float_hwc, to_nchw

DEFAULT_TILE = {"cpu": 256, "cuda": 512}
GRID = 8  # JPEG's block size: the self-ensemble keeps this grid in place under its flips


@dataclass(frozen=True)
class Restored:
    pixels: np.ndarray
    seconds: float
    device: str
    notes: tuple[str, ...] = ()


def output_scale(spec: ModelSpec, scale: int | None) -> int:
    """The scale a run produces: the model's, or the requested one for any-scale methods."""
    if spec.task != "sr" and spec.scale <= 1:
        return 1
    if spec.scale == 0:  # any scale (bicubic, lanczos, VDSR)
        return int(scale or 2)
    if scale and scale != spec.scale:
        if scale > spec.scale:
            raise ImgcrError(f"{spec.id} upscales x{spec.scale}; it cannot make x{scale}")
        return int(scale)
    return spec.scale


def restore(pixels: np.ndarray, spec: ModelSpec, sigma: float | None = None, scale: int | None = None,
            tile: int | None = -1, device: str | None = None,
            progress: Callable[[float], None] | None = None, ensemble: bool = False) -> Restored:
    """Restore ``pixels`` with ``spec``.

    Args:
        sigma: noise level (0-255) for models that take one (FFDNet, non-local means); default 25.
        scale: wanted upscaling for SR (default: the model's own).
        tile: tile side; -1 picks a default per device, None runs the image whole.
        ensemble: x8 self-ensemble (networks only; classical methods run once).
    """
    t0 = time.perf_counter()
    notes: list[str] = []
    out_scale = output_scale(spec, scale)
    arch = get_arch(spec.arch)
    if arch.run is not None:  # a classical method
        out = arch.run(pixels, sigma, out_scale)
        if ensemble:
            notes.append("self-ensemble is for networks: the classical method ran once")
        return Restored(out, time.perf_counter() - t0, "cpu", tuple(notes))
    from imgcr.models.loader import POOL

    with POOL.use(spec, device) as model:  # leased: not evicted while it runs
        t0 = time.perf_counter()  # the run, not the first load (its time is the model's, not this image's)
        out = _run_model(model, pixels, sigma, out_scale, tile, progress, notes, ensemble)
        seconds = time.perf_counter() - t0
    if spec.needs_sigma:
        notes.append(f"noise level σ={sigma if sigma is not None else 25.0:g}")
    return Restored(out, seconds, model.device, tuple(notes))


def _run_model(model, pixels, sigma, out_scale: int, tile, progress, notes: list[str],
               ensemble: bool = False) -> np.ndarray:
    """Colour handling, noise level and scale around one loaded model's tiled inference."""
    spec: ModelSpec = model.spec
    tile = DEFAULT_TILE["cuda" if model.device.startswith("cuda") else "cpu"] if tile == -1 else tile
    if ensemble:
        notes.append("x8 self-ensemble: the mean of the network's outputs on the 8 flips/rotations of its input")
        infer = _ensembled(_infer)
    else:
        infer = _infer
    if get_arch(spec.arch).on_upscaled_y:
        up = classical.upscale(pixels, out_scale, "bicubic")
        ycc = rgb_to_ycbcr(up, studio=True)
        y = infer(model, ycc[..., 0:1] / 255.0, None, 1, tile, progress)
        ycc[..., 0] = y[..., 0] * 255.0
        out = to_uint8(ycbcr_to_rgb(ycc, studio=True))
        notes.append(f"VDSR refined a bicubic x{out_scale} upscale on studio-range Y")
    elif model.in_channels == 1:
        ycc = rgb_to_ycbcr(pixels)
        s = (sigma if sigma is not None else 25.0) if spec.needs_sigma else None
        y = infer(model, ycc[..., 0:1] / 255.0, s, model.scale, tile, progress)
        if model.scale != 1:
            raise ImgcrError(f"{spec.id}: gray SR models are not supported")
        ycc[..., 0] = y[..., 0] * 255.0
        out = to_uint8(ycbcr_to_rgb(ycc))
        notes.append("gray model run on Y (full-range YCbCr); chroma kept")
    else:
        s = (sigma if sigma is not None else 25.0) if spec.needs_sigma else None
        out = to_uint8(infer(model, pixels / 255.0, s, model.scale, tile, progress) * 255.0)
        if out_scale != model.scale:
            h, w = pixels.shape[:2]
            out = classical.resize(out, (w * out_scale, h * out_scale), "bicubic")
            notes.append(f"x{model.scale} model resized to x{out_scale}")
    return out


def _infer(model, x: np.ndarray, sigma: float | None, scale: int, tile: int | None, progress) -> np.ndarray:
    """float HxWxC [0, 1] -> float HxWxC, clipped to [0, 1]."""
    import torch

    from imgcr.models.tiling import run_tiled

    dtype = torch.float16 if model.half else torch.float32
    t = to_nchw(x, model.device, dtype, contiguous=True)
    arch = get_arch(model.spec.arch)
    if sigma is not None and arch.noise_input == "plane":
        def fn(piece):
            return _drunet(model.module, piece, sigma / 255.0)
    elif sigma is not None:  # FFDNet: the noise level is a second input
        level = torch.full((1, 1, 1, 1), sigma / 255.0, device=model.device, dtype=dtype)

        def fn(piece):
            return model.module(piece, level)
    else:
        fn = model.call or model.module  # spandrel's descriptor: padding, the arch's call_fn (FBCNN's tuple), clamp
    with torch.inference_mode():
        out = run_tiled(fn, t, scale, tile, overlap=arch.overlap, progress=progress)
        out = to_float_hwc(out)
    return out.astype(np.float64)


def _ensembled(infer: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """``infer`` over the 8 flips/rotations of its input, each output turned back, averaged.

    The input is padded (edge pixels repeated) to a multiple of 8 first and the output cropped after: a flip
    of an image whose side is not a multiple of 8 moves JPEG's 8x8 block grid, and a deblocking network then
    sees blocks where there are none (on a 640x426 JPEG the ensemble lost 0.06 dB before this)."""

    def run(model, x: np.ndarray, sigma, scale: int, tile, progress) -> np.ndarray:
        h, w = x.shape[:2]
        padded = np.pad(x, ((0, (-h) % GRID), (0, (-w) % GRID), (0, 0)), mode="edge")
        total = None
        for k in range(8):
            def part(fraction: float, k: int = k) -> None:
                if progress:
                    progress((k + fraction) / 8)

            y = infer(model, _dihedral(padded, k), sigma, scale, tile, part)
            y = _dihedral(y, k, inverse=True)
            total = y if total is None else total + y
        assert total is not None
        return np.ascontiguousarray((total / 8)[: h * scale, : w * scale])

    return run


def _dihedral(x: np.ndarray, k: int, inverse: bool = False) -> np.ndarray:
    """Transform ``k`` (0-7) of the square's symmetry group on an HxWxC array: rotate by k % 4 quarter
    turns, then mirror left-right if k >= 4 (``inverse`` undoes it)."""
    if inverse:
        x = x[:, ::-1] if k >= 4 else x
        return np.ascontiguousarray(np.rot90(x, -(k % 4)))
    x = np.rot90(x, k % 4)
    return np.ascontiguousarray(x[:, ::-1] if k >= 4 else x)


def _drunet(module, x, level: float):
    """DRUNet with the user's noise level as its extra input plane, padded to its multiple of 8."""
    import torch
    from torch.nn import functional as F

    h, w = x.shape[-2:]
    ph, pw = (-h) % 8, (-w) % 8
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    noise = torch.full((x.shape[0], 1, *x.shape[-2:]), level, device=x.device, dtype=x.dtype)
    return module(torch.cat([x, noise], dim=1))[..., :h, :w]
