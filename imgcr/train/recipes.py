"""Training recipes as data: what is trained, on what degradation, with which loss and schedule.

A recipe names everything that decides a run except the data folders and the
machine; ``python -m imgcr train --list`` prints them. Command-line flags
(``--steps``, ``--batch``...) override a copy of the recipe, and the model card
records the recipe as it was run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from imgcr.errors import UnknownNameError


@dataclass(frozen=True)
class Recipe:
    """One training recipe.

    Attributes:
        name: the id on the command line.
        task: what the model learns (``jpeg``: JPEG artifact removal; ``codec``: a learned codec, trained on
            ``lambda * 255^2 * MSE + bpp``; its degradation is ``none``).
        arch: a key of :data:`imgcr.models.nets.ARCHS`.
        arch_kwargs: the architecture's hyper-parameters.
        colour: ``rgb`` (3 channels) or ``gray`` (1 channel, Y of the image).
        degradation: an imgcr degradation kind (see :mod:`imgcr.degrade`) applied on the fly.
        quality: the range the degradation's value is drawn from, uniformly (JPEG quality).
        loss: ``l1``, ``mse`` or ``charbonnier``.
        steps: optimiser steps (ignored when ``minutes`` sets a time budget).
        minutes: a wall-clock budget: the step count is set from the speed of the first steps.
        batch, patch: patches per step and their side; ``patch_schedule`` lists (fraction, side)
            pairs to train small patches first (cheap steps) and large ones later.
        lr, lr_min, warmup: Adam's rate, cosine-annealed to ``lr_min`` after a linear warm-up.
        val_every: steps between validations; ``val_qualities`` the degradation values used there.
        export_dtype: the dtype of the shipped state dict (``float16`` halves the file; inference
            always runs in float32 on CPU).
    """

    name: str
    description: str
    task: str
    arch: str
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    colour: str = "rgb"
    degradation: str = "jpeg"
    quality: tuple[float, float] = (10, 50)
    loss: str = "l1"
    steps: int = 20_000
    minutes: float | None = None
    batch: int = 16
    patch: int = 96
    patch_schedule: tuple[tuple[float, int], ...] = ()
    lr: float = 2e-4
    lr_min: float = 1e-6
    warmup: int = 100
    val_every: int = 500
    val_qualities: tuple[float, ...] = (10, 30)
    export_dtype: str = "float16"

    def with_overrides(self, **changes: Any) -> Recipe:
        """A copy with the non-None ``changes`` applied."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def patch_at(self, step: int, total: int) -> int:
        """The patch side at ``step`` of ``total``."""
        side = self.patch
        for fraction, s in self.patch_schedule:
            if step >= fraction * total:
                side = s
        return side

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_UNET = {"widths": (32, 64, 128, 256), "depth": 2}
_STUDY_MINUTES = 8.0
_STUDY = f"the simple-vs-complex study: same data, same patches, same {_STUDY_MINUTES:g}-minute budget"

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("jpeg-unet-color", "colour JPEG artifact remover, blind to quality 10-50 (imgcr's U-Net)", "jpeg",
               "imgcr-UNet", {"in_nc": 3, **_UNET}, steps=10_000, lr=4e-4, patch_schedule=((0.0, 64), (0.3, 96))),
        Recipe("jpeg-unet-gray", "gray JPEG artifact remover, blind to quality 10-40, for train400_gray", "jpeg",
               "imgcr-UNet", {"in_nc": 1, **_UNET}, colour="gray", quality=(10, 40), steps=4_500,
               patch_schedule=((0.0, 64), (0.3, 96)), val_qualities=(10, 40)),
        Recipe("jpeg-ae-color", f"(a) a simple convolutional autoencoder: {_STUDY}", "jpeg", "imgcr-ConvAE",
               {"in_nc": 3, "width": 64, "latent": 32, "levels": 2}, minutes=_STUDY_MINUTES, val_every=250),
        Recipe("jpeg-rescnn-color", f"(b) a plain deep residual CNN, DnCNN-like: {_STUDY}", "jpeg", "imgcr-ResCNN",
               {"in_nc": 3, "width": 64, "n_conv": 12}, minutes=_STUDY_MINUTES, val_every=100),
        Recipe("jpeg-unet-color-study", f"(c) the U-Net: {_STUDY}", "jpeg", "imgcr-UNet", {"in_nc": 3, **_UNET},
               minutes=_STUDY_MINUTES, val_every=250),
        Recipe("codec-hyperprior", "ae-hyperprior: scale-hyperprior autoencoder (Balle 2018), GDN, 6 rate points "
               "in one gained network", "codec", "imgcr-HyperpriorAE", {"n": 64, "m": 128}, degradation="none",
               loss="rd", steps=40_000, batch=8, patch=128, lr=1e-4, warmup=200, val_every=1000, val_qualities=(),
               export_dtype="float32"),
        Recipe("codec-factorized", "ae-factorized: autoencoder with a factorized prior (Balle 2017), GDN, 6 rate "
               "points in one gained network", "codec", "imgcr-FactorizedAE", {"n": 64, "m": 128},
               degradation="none", loss="rd", steps=40_000, batch=8, patch=128, lr=1e-4, warmup=200,
               val_every=1000, val_qualities=(), export_dtype="float32"),
        Recipe("codec-multires", "ae-multires: the seed's multi-resolution autoencoder (pooling encoder with a branch "
               "per scale, upsampling decoder) on ae-hyperprior's back end", "codec", "imgcr-MultiResAE",
               {"n": 64, "m": 128}, degradation="none", loss="rd", steps=40_000, batch=8, patch=128, lr=1e-4,
               warmup=200, val_every=1000, val_qualities=(), export_dtype="float32"),
        Recipe("codec-comcnn", "comcnn-jpeg: ComCNN -> libjpeg-turbo -> RecCNN (Jiang et al. 2017), colour, "
               "JPEG quality 10-90", "codec", "imgcr-ComCNNJpeg", {"channels": 3, "width": 64, "depth": 12},
               degradation="none", loss="mse", steps=20_000, batch=8, patch=96, lr=2e-4, warmup=200,
               val_every=1000, val_qualities=(), export_dtype="float16"),
        Recipe("codec-comcnn-gray", "comcnn-jpeg-gray: ComCNN -> libjpeg-turbo -> RecCNN on gray images (the "
               "dissertation's setting: train400_gray, 180x180)", "codec", "imgcr-ComCNNJpeg",
               {"channels": 1, "width": 64, "depth": 12}, colour="gray", degradation="none", loss="mse",
               steps=20_000, batch=8, patch=96, lr=2e-4, warmup=200, val_every=1000, val_qualities=(),
               export_dtype="float16"),
    )
}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise UnknownNameError(f"unknown recipe {name!r} (known: {', '.join(RECIPES)})") from None
