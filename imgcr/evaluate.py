"""Dataset means for a model under a degradation protocol (``python -m imgcr eval``).

Protocols follow the papers': for a noise-only chain the model gets the noisy image
in float, unclipped (as the DnCNN/FFDNet test code does), while the noisy image's own
PSNR is measured after clipping and rounding to 8 bits; other degradations are 8-bit.
Gray images stay gray (gray noise, one-channel JPEG). PSNR is over RGB (= gray on
gray sets) or, with ``y_channel``, on BT.601 studio-range Y with ``shave`` border
pixels removed (the super-resolution convention).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imgcr import colour, metrics
from imgcr.colour import to_uint8
from imgcr.degrade import degrade, downscale_factor, parse_chain
from imgcr.errors import ImgcrError
from imgcr.images import expand_paths, is_gray, load_image
from imgcr.models import get_model
from imgcr.models.run import restore


def _lr_path(lr_dir: Path, hr: Path) -> Path:
    """The LR file for an HR file: the same name, or ``<stem>x<scale>.<ext>`` (the DIV2K/Set5 convention)."""
    same = lr_dir / hr.name
    if same.is_file():
        return same
    matches = sorted(p for p in lr_dir.glob(f"{hr.stem}x*") if p.stem[len(hr.stem) + 1:].isdigit())
    if not matches:
        raise ImgcrError(f"no low-resolution input for {hr.name} in {lr_dir}")
    return matches[0]


def _score(reference: np.ndarray, img: np.ndarray, metric_ids, y_channel: bool, shave: int) -> dict:
    if img.shape != reference.shape:
        return {m: None for m in metric_ids}
    if shave:
        reference, img = reference[shave:-shave, shave:-shave], img[shave:-shave, shave:-shave]
    out = {}
    for m in metric_ids:
        metric = "psnr_y" if m == "psnr" and y_channel else m  # reported as "psnr": the protocol says which
        out[m] = metrics.compute(metric, np.ascontiguousarray(reference), np.ascontiguousarray(img))
    return out


def evaluate(
    paths: Sequence[str | Path],
    model_id: str,
    chain: str,
    seed: int = 0,
    sigma: float | None = None,
    scale: int | None = None,
    metric_ids: Sequence[str] = ("psnr", "ssim"),
    y_channel: bool = False,
    shave: int = 0,
    limit: int | None = None,
    lr_dir: str | Path | None = None,
    gray: bool = False,
    progress: Callable[[int, int], None] | None = None,
    ensemble: bool = False,
) -> dict[str, Any]:
    """Mean metrics of the degraded inputs and of the model's outputs over a folder.

    Args:
        lr_dir: for SR sets that ship their own low-resolution inputs (e.g. Set5's MATLAB bicubic):
            inputs are read from there by file name instead of degrading.
        gray: convert colour references to gray first: Y of BT.601 studio-range YCbCr, rounded
            (MATLAB's rgb2ycbcr), the protocol of the gray JPEG-deblocking benchmarks on colour
            sets such as LIVE1 (it reproduces their JPEG baselines exactly; Pillow's "L" does not).
        ensemble: x8 self-ensemble (the mean over the 8 flips/rotations of each input).
    """
    files = expand_paths(paths)[:limit] if limit else expand_paths(paths)
    spec = get_model(model_id)
    steps = parse_chain(chain)
    float_noise = len(steps) == 1 and steps[0].kind == "noise"
    if sigma is None and float_noise:
        sigma = steps[0].value
    per_image = []
    for i, path in enumerate(files):
        reference = load_image(path).pixels
        if gray:
            luma = to_uint8(colour.luma(reference, studio=True))
            reference = np.repeat(luma[:, :, None], 3, axis=2)
        if lr_dir is not None:
            model_input = load_image(_lr_path(Path(lr_dir), path)).pixels
            h, w = model_input.shape[:2]
            f = reference.shape[0] // h
            reference = np.ascontiguousarray(reference[: h * f, : w * f])
            degraded, scale_i = model_input, scale or f
        elif float_noise:
            rng = np.random.default_rng(seed)
            shape = reference.shape[:2] + ((1,) if is_gray(reference) else (3,))
            model_input = reference.astype(np.float64) + rng.normal(0.0, steps[0].value, shape)
            degraded, scale_i = to_uint8(model_input), scale
        else:
            f = downscale_factor(steps)
            h, w = reference.shape[:2]
            reference = np.ascontiguousarray(reference[: h - h % f, : w - w % f])
            degraded = model_input = degrade(reference, steps, seed)
            scale_i = scale or (f if f > 1 else None)
        result = restore(model_input, spec, sigma=sigma, scale=scale_i, ensemble=ensemble)
        per_image.append({
            "image": path.name,
            "degraded": _score(reference, degraded, metric_ids, y_channel, shave),
            "restored": _score(reference, result.pixels, metric_ids, y_channel, shave),
            "seconds": result.seconds,
        })
        if progress:
            progress(i + 1, len(files))

    def mean(kind, m):
        vals = [p[kind][m] for p in per_image if p[kind][m] is not None]
        return None if not vals else float(np.mean(vals))

    return {
        "model": model_id, "chain": chain, "seed": seed, "sigma": sigma, "scale": scale, "images": len(per_image),
        "y_channel": y_channel, "shave": shave, "gray": gray, "ensemble": ensemble,
        "degraded": {m: mean("degraded", m) for m in metric_ids},
        "restored": {m: mean("restored", m) for m in metric_ids},
        "seconds": float(np.sum([p["seconds"] for p in per_image])),
        "per_image": per_image,
    }
