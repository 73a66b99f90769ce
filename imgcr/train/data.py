"""Training data: image folders -> (degraded, clean) patch pairs, made on the fly.

Every sample is a pure function of ``(seed, index)``: the crop, flip, rotation and
degradation value are drawn from a generator seeded with both. So a run is the same
whatever the number of loader processes, and ``--resume`` continues with exactly the
batches an uninterrupted run would have seen. The degradation is imgcr's own
(:func:`imgcr.degrade.degrade`): a model trained on JPEG sees real libjpeg-turbo output.

Tensors: float32 ``(C, P, P)`` in [0, 1], C = 3 (``rgb``) or 1 (``gray``: Y of
studio-range YCbCr, as the gray benchmarks define it, or the file's own gray).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcr.colour import luma, to_uint8
from imgcr.degrade import Step, degrade
from imgcr.errors import ImgcrError
from imgcr.images import load_image
from imgcr.tensors import to_chw

SKIMAGE_SET = "skimage"
_SKIMAGE_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass(frozen=True)
class TrainImage:
    name: str
    pixels: np.ndarray  # uint8 HxWx3 RGB


def list_sources(data: Sequence[str]) -> list[tuple[str, Path | None]]:
    """(name, path) for every image in the folders; ``skimage`` names scikit-image's CC0 photos."""
    out: list[tuple[str, Path | None]] = []
    for item in data:
        if item == SKIMAGE_SET:
            out += [(f"skimage:{n}", None) for n in _SKIMAGE_IMAGES]
            continue
        folder = Path(item)
        if not folder.is_dir():
            raise ImgcrError(f"training data {item}: no such folder")
        files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ImgcrError(f"training data {item}: no images in this folder")
        out += [(f"{folder.name}/{f.name}", f) for f in files]
    return out


def folder_digest(data: Sequence[str]) -> dict[str, dict]:
    """Per data source: image count and a sha256 over names and bytes (the card records it)."""
    out = {}
    for item in data:
        h = hashlib.sha256()
        sources = list_sources([item])
        for name, path in sources:
            h.update(name.encode())
            h.update(path.read_bytes() if path else b"")
        out[item] = {"images": len(sources), "sha256": h.hexdigest()}
    return out


def load_images(sources: Sequence[tuple[str, Path | None]], colour: str, min_side: int) -> list[TrainImage]:
    """Decode every source once; a corrupt file is a one-line error naming it."""
    images = []
    for name, path in sources:
        if path is None:
            from skimage import data as skdata

            px = getattr(skdata, name.split(":", 1)[1])()
            px = np.repeat(px[:, :, None], 3, axis=2) if px.ndim == 2 else px[..., :3]
        else:
            try:
                px = load_image(path).pixels
            except ImgcrError as exc:
                raise ImgcrError(f"training image {path}: {exc}") from None
        if colour == "gray":
            y = px[..., 0] if _gray(px) else to_uint8(luma(px, studio=True))
            px = np.repeat(y[:, :, None], 3, axis=2)
        if min(px.shape[:2]) >= min_side:
            images.append(TrainImage(name, np.ascontiguousarray(px)))
    if not images:
        raise ImgcrError(f"no training image is at least {min_side} px on its short side")
    return images


def _gray(px: np.ndarray) -> bool:
    return bool(np.array_equal(px[..., 0], px[..., 1]) and np.array_equal(px[..., 1], px[..., 2]))


def split(sources: list[tuple[str, Path | None]], every: int = 20) -> tuple[list, list]:
    """Hold aside every ``every``-th image (by sorted name) for validation; at least one."""
    ordered = sorted(sources, key=lambda s: s[0])
    val = ordered[every // 2 :: every] or ordered[:1]
    train = [s for s in ordered if s not in val]
    if not train:
        raise ImgcrError("training data: too few images to hold any aside for validation (use --val DIR)")
    return train, val


def to_tensor_layout(px: np.ndarray, colour: str) -> np.ndarray:
    """uint8 HxWx3 -> float32 CxHxW in [0, 1] (one channel for ``gray``)."""
    return to_chw(px[..., :1] if colour == "gray" else px)


class PatchDataset:
    """Map-style dataset: index -> (degraded, clean) patch; deterministic in (seed, index).

    ``patch_for_index`` gives the patch side for an index (the patch-size schedule);
    indices of one batch share it, so batches collate.
    """

    def __init__(self, images: list[TrainImage], recipe, seed: int, patch_for_index):
        self.images, self.recipe, self.seed, self.patch_for_index = images, recipe, seed, patch_for_index

    def __len__(self) -> int:
        return 1 << 62

    def __getitem__(self, index: int):
        rng = np.random.default_rng((self.seed, int(index)))
        p = self.patch_for_index(int(index))
        img = self.images[int(rng.integers(len(self.images)))].pixels
        h, w = img.shape[:2]
        y, x = int(rng.integers(h - p + 1)), int(rng.integers(w - p + 1))
        clean = img[y : y + p, x : x + p]
        k = int(rng.integers(8))
        clean = np.rot90(clean, k % 4)
        clean = np.ascontiguousarray(clean[:, ::-1] if k >= 4 else clean)
        if self.recipe.degradation == "none":  # a codec learns to reproduce the clean patch
            return to_tensor_layout(clean, self.recipe.colour), to_tensor_layout(clean, self.recipe.colour)
        lo, hi = self.recipe.quality
        value = float(rng.integers(int(lo), int(hi) + 1))
        degraded = degrade(clean, [Step(self.recipe.degradation, value)], seed=int(rng.integers(1 << 31)))
        return to_tensor_layout(degraded, self.recipe.colour), to_tensor_layout(clean, self.recipe.colour)


def validation_pairs(images: list[TrainImage], recipe, side: int = 256) -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """Fixed (name, value, degraded, clean) pairs: a centre crop of each held-aside image at each value."""
    pairs = []
    values = recipe.val_qualities if recipe.degradation != "none" else (0.0,)
    for im in images:
        h, w = im.pixels.shape[:2]
        s = min(side, h - h % 16, w - w % 16)
        y, x = (h - s) // 2, (w - s) // 2
        clean = np.ascontiguousarray(im.pixels[y : y + s, x : x + s])
        for value in values:
            degraded = clean if recipe.degradation == "none" else degrade(clean, [Step(recipe.degradation, float(value))], seed=0)
            pairs.append((im.name, float(value), degraded, clean))
    return pairs
