"""A reference and its degraded copy under one protocol: what restore, eval and the CLI all start from.

The protocol is a frozen value (chain, seed, noise level, scale, self-ensemble), so one object says how a
number was produced and keys its cache entry. :func:`prepare_pair` crops the reference to a multiple of the
chain's downscale factor, degrades it, and resolves the defaults: σ is the chain's first noise level (else
the model's default), the SR scale the chain's downscale (else the model's own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcr.colour import to_uint8
from imgcr.degrade import Step, chain_label, degrade, downscale_factor, parse_chain
from imgcr.images import is_gray


@dataclass(frozen=True)
class RestoreProtocol:
    """How an image is degraded and restored.

    Attributes:
        chain: e.g. ``"jpeg:10"``, ``"noise:25,down:2"``; None/"none": the image is the degraded input and
            there is no reference to measure against.
        seed: the noise (and any random step) repeats exactly for a seed.
        sigma: noise level for models that take one; default the chain's noise, else the model's (25).
        scale: SR factor; default the chain's downscale factor, else the model's own.
        ensemble: x8 self-ensemble (the mean over the 8 flips/rotations; 8x the time).
        float_noise: the papers' denoising protocol (``imgcr eval``): for a noise-only chain the model gets
            the noisy image in float, unclipped, while the degraded image scored is clipped and rounded.
    """

    chain: str | None = None
    seed: int = 0
    sigma: float | None = None
    scale: int | None = None
    ensemble: bool = False
    float_noise: bool = False

    @property
    def steps(self) -> list[Step]:
        return parse_chain(self.chain)


@dataclass(frozen=True)
class Pair:
    """What a model run starts from.

    Attributes:
        reference: the original, cropped to a multiple of ``factor``; None without a degradation.
        degraded: the uint8 degraded image (scored, shown, cached by its digest).
        model_input: what the model gets: ``degraded``, or its unclipped float form (``float_noise``).
        factor: the chain's downscale factor (1 without one).
        sigma, scale: the protocol's values with the defaults resolved.
    """

    reference: np.ndarray | None
    degraded: np.ndarray
    model_input: np.ndarray
    factor: int
    chain: str
    sigma: float | None
    scale: int | None
    notes: tuple[str, ...] = ()


def prepare_pair(pixels: np.ndarray, protocol: RestoreProtocol) -> Pair:
    """Degrade ``pixels`` (uint8 HxWx3) under ``protocol``; no chain: the image is taken as degraded."""
    steps = protocol.steps
    noise = [s.value for s in steps if s.kind == "noise"]
    sigma = protocol.sigma if protocol.sigma is not None else (noise[0] if noise else None)
    if not steps:
        note = "no degradation applied: the image is taken as degraded; there is no reference to score against"
        return Pair(None, pixels, pixels, 1, chain_label(steps), sigma, protocol.scale, (note,))
    factor = downscale_factor(steps)
    h, w = pixels.shape[:2]
    reference = np.ascontiguousarray(pixels[: h - h % factor, : w - w % factor])
    notes = () if reference.shape == pixels.shape else (
        f"reference cropped to {reference.shape[1]}x{reference.shape[0]} (a multiple of {factor})",)
    scale = protocol.scale if protocol.scale is not None else (factor if factor > 1 else None)
    if protocol.float_noise and len(steps) == 1 and steps[0].kind == "noise":
        model_input = noisy_float(reference, steps[0].value, protocol.seed)
        return Pair(reference, to_uint8(model_input), model_input, 1, chain_label(steps), sigma, scale, notes)
    degraded = degrade(reference, steps, protocol.seed)
    return Pair(reference, degraded, degraded, factor, chain_label(steps), sigma, scale, notes)


def noisy_float(reference: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """The reference plus white Gaussian noise in float64, unclipped (gray noise on a gray image)."""
    rng = np.random.default_rng(seed)
    shape = reference.shape[:2] + ((1,) if is_gray(reference) else (3,))
    return reference.astype(np.float64) + rng.normal(0.0, sigma, shape)
