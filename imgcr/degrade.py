"""Degradations, seeded so results repeat: ``jpeg:10,noise:25,down:4,blur:1.5`` chains.

Image type: ``uint8 HxWx3 RGB`` in and out (a user's degraded image is 8-bit too:
noise is added in float, then clipped and rounded). A grayscale image (three equal
channels) stays grayscale: its noise is gray and its JPEG is a one-channel JPEG,
as in the denoising and deblocking benchmarks' protocols.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcr.errors import ImgcrError
from imgcr.images import is_gray

KINDS = {
    "jpeg": "JPEG at quality Q (libjpeg-turbo, 4:2:0)",
    "webp": "WebP at quality Q",
    "avif": "AVIF at quality Q (aom)",
    "noise": "additive white Gaussian noise, σ on the 0-255 scale",
    "down": "bicubic downscale by an integer factor (antialiased)",
    "blur": "Gaussian blur, σ in pixels",
}


@dataclass(frozen=True)
class Step:
    kind: str
    value: float

    def label(self) -> str:
        return f"{self.kind}:{self.value:g}"


def parse_chain(text: str | None) -> list[Step]:
    """``"jpeg:10,noise:25"`` -> steps; empty or ``none`` -> no degradation."""
    if not text or text.strip().lower() in ("none", ""):
        return []
    steps = []
    for part in text.replace(" ", "").split(","):
        kind, _, value = part.partition(":")
        if kind not in KINDS:
            raise ImgcrError(f"unknown degradation {kind!r} (one of {', '.join(KINDS)})")
        try:
            v = float(value)
        except ValueError:
            raise ImgcrError(f"degradation {part!r}: expected {kind}:NUMBER") from None
        if kind in ("jpeg", "webp", "avif") and not 0 <= v <= 100:
            raise ImgcrError(f"{part}: quality must be 0-100")
        if kind == "down" and (v < 2 or v != int(v)):
            raise ImgcrError(f"{part}: downscale factor must be an integer of 2 or more")
        if kind in ("noise", "blur") and v < 0:
            raise ImgcrError(f"{part}: must be positive")
        steps.append(Step(kind, v))
    return steps


def chain_label(steps: list[Step]) -> str:
    return ",".join(s.label() for s in steps) or "none"


def degrade(pixels: np.ndarray, steps: list[Step], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = pixels
    for step in steps:
        x = _apply(x, step, rng)
    return x


def downscale_factor(steps: list[Step]) -> int:
    f = 1
    for s in steps:
        if s.kind == "down":
            f *= int(s.value)
    return f


def _apply(x: np.ndarray, step: Step, rng: np.random.Generator) -> np.ndarray:
    gray = is_gray(x)
    if step.kind == "jpeg" and gray:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(x[..., 0], "L").save(buf, format="JPEG", quality=max(1, int(step.value)))
        y = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
        return np.repeat(y[:, :, None], 3, axis=2)
    if step.kind in ("jpeg", "webp", "avif"):
        from imgcr.codecs import get_codec

        codec = get_codec(step.kind)
        return codec.decode(codec.encode(x, codec.resolve(step.value)))
    if step.kind == "noise":
        shape = x.shape[:2] + ((1,) if gray else (3,))
        noisy = x.astype(np.float64) + rng.normal(0.0, step.value, shape)
        return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    if step.kind == "down":
        from imgcr.models.classical import resize

        f = int(step.value)
        h, w = x.shape[:2]
        if h // f < 1 or w // f < 1:
            raise ImgcrError(f"image too small to downscale by {f}")
        return resize(np.ascontiguousarray(x[: h - h % f, : w - w % f]), (w // f, h // f), "bicubic")
    if step.kind == "blur":
        import cv2

        if step.value == 0:
            return x
        return cv2.GaussianBlur(x, (0, 0), step.value, borderType=cv2.BORDER_REFLECT)
    raise ImgcrError(f"unknown degradation {step.kind}")
