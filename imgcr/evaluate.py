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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from imgcr import colour, metrics
from imgcr.colour import to_uint8
from imgcr.errors import ImgcrError
from imgcr.images import expand_paths, load_image
from imgcr.models import get_model
from imgcr.models.run import restore
from imgcr.pairs import Pair, RestoreProtocol, prepare_pair


def _lr_path(lr_dir: Path, hr: Path) -> Path:
    """The LR file for an HR file: the same name, or ``<stem>x<scale>.<ext>`` (the DIV2K/Set5 convention)."""
    same = lr_dir / hr.name
    if same.is_file():
        return same
    matches = sorted(p for p in lr_dir.glob(f"{hr.stem}x*") if p.stem[len(hr.stem) + 1:].isdigit())
    if not matches:
        raise ImgcrError(f"no low-resolution input for {hr.name} in {lr_dir}")
    return matches[0]


def _score(reference: np.ndarray | None, img: np.ndarray, protocol: EvalProtocol) -> dict:
    metric_ids, y_channel, shave = protocol.metric_ids, protocol.y_channel, protocol.shave
    if reference is None or img.shape != reference.shape:
        return {m: None for m in metric_ids}
    if shave:
        reference, img = reference[shave:-shave, shave:-shave], img[shave:-shave, shave:-shave]
    out = {}
    for m in metric_ids:
        metric = "psnr_y" if m == "psnr" and y_channel else m  # reported as "psnr": the protocol says which
        out[m] = metrics.compute(metric, np.ascontiguousarray(reference), np.ascontiguousarray(img))
    return out


@dataclass(frozen=True)
class EvalProtocol:
    """How a dataset is scored (the papers' conventions).

    Attributes:
        restore: the degradation and the model's inputs (the papers' float noise is always used here).
        metric_ids: metrics; ``y_channel``: PSNR on BT.601 studio-range Y; ``shave``: border pixels left out.
        lr_dir: for SR sets that ship their own low-resolution inputs (e.g. Set5's MATLAB bicubic): inputs are
            read from there by file name instead of degrading.
        gray: convert colour references to gray first: Y of BT.601 studio-range YCbCr, rounded (MATLAB's
            rgb2ycbcr), the protocol of the gray JPEG-deblocking benchmarks on colour sets such as LIVE1 (it
            reproduces their JPEG baselines exactly; Pillow's "L" does not).
        limit: the first N images only.
    """

    restore: RestoreProtocol
    metric_ids: tuple[str, ...] = ("psnr", "ssim")
    y_channel: bool = False
    shave: int = 0
    lr_dir: Path | None = None
    gray: bool = False
    limit: int | None = None

    @classmethod
    def of(cls, chain: str | None, seed: int = 0, sigma: float | None = None, scale: int | None = None,
           ensemble: bool = False, **fields: Any) -> EvalProtocol:
        """From loose arguments as the CLI and scripts give them (``metric_ids`` any sequence, ``lr_dir`` a str)."""
        if "metric_ids" in fields:
            fields["metric_ids"] = tuple(fields["metric_ids"])
        if fields.get("lr_dir"):
            fields["lr_dir"] = Path(fields["lr_dir"])
        return cls(RestoreProtocol(chain or None, seed, sigma, scale, ensemble), **fields)


def evaluate(paths: Sequence[str | Path], model_id: str, protocol: EvalProtocol,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Mean metrics of the degraded inputs and of the model's outputs over a folder."""
    files = expand_paths(paths)[: protocol.limit] if protocol.limit else expand_paths(paths)
    spec = get_model(model_id)
    per_image, sigma = [], protocol.restore.sigma
    for i, path in enumerate(files):
        pair = _pair(path, protocol)
        sigma = pair.sigma
        result = restore(pair.model_input, spec, sigma=pair.sigma, scale=pair.scale, ensemble=protocol.restore.ensemble)
        per_image.append({"image": path.name, "degraded": _score(pair.reference, pair.degraded, protocol),
                          "restored": _score(pair.reference, result.pixels, protocol), "seconds": result.seconds})
        if progress:
            progress(i + 1, len(files))

    def mean(kind, m):
        vals = [p[kind][m] for p in per_image if p[kind][m] is not None]
        return None if not vals else float(np.mean(vals))

    r = protocol.restore
    return {
        "model": model_id, "chain": r.chain or "", "seed": r.seed, "sigma": sigma, "scale": r.scale,
        "images": len(per_image), "y_channel": protocol.y_channel, "shave": protocol.shave, "gray": protocol.gray,
        "ensemble": r.ensemble,
        "degraded": {m: mean("degraded", m) for m in protocol.metric_ids},
        "restored": {m: mean("restored", m) for m in protocol.metric_ids},
        "seconds": float(np.sum([p["seconds"] for p in per_image])),
        "per_image": per_image,
    }


def _pair(path: Path, protocol: EvalProtocol) -> Pair:
    """The reference (gray first if asked) and the model's input: read from ``lr_dir``, or degraded."""
    reference = load_image(path).pixels
    if protocol.gray:
        luma = to_uint8(colour.luma(reference, studio=True))
        reference = np.repeat(luma[:, :, None], 3, axis=2)
    if protocol.lr_dir is None:
        return prepare_pair(reference, replace(protocol.restore, float_noise=True))
    low = load_image(_lr_path(Path(protocol.lr_dir), path)).pixels
    h, w = low.shape[:2]
    f = reference.shape[0] // h
    reference = np.ascontiguousarray(reference[: h * f, : w * f])
    return Pair(reference, low, low, f, "", protocol.restore.sigma, protocol.restore.scale or f)
