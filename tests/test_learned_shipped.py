"""The learned codecs imgcr ships (weights/ID.pt): pinned, golden on one image, rate rising with quality."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imgcr.codecs import REGISTRY
from imgcr.codecs.learned import LEARNED
from imgcr.learned import container
from imgcr.metrics import psnr
from imgcr.weights import find, sha256_file

# codec id -> (quality, bytes of the file, PSNR dB) on the first sample image (astronaut, 512x512; gray codecs: its
# luma as Pillow's "L", R = G = B)
GOLDEN = {"ae-hyperprior": (75.0, 30217, 31.8748), "comcnn-jpeg": (75.0, 18686, 28.2681),
          "comcnn-jpeg-gray": (75.0, 18271, 31.3781), "ae-multires": (75.0, 35919, 21.2611),
          "ae-factorized": (75.0, 29813, 32.2950)}


def _input(codec_id: str, photo: np.ndarray) -> np.ndarray:
    if codec_id.endswith("-gray"):
        return np.asarray(Image.fromarray(photo).convert("L").convert("RGB"))
    return photo


@pytest.mark.parametrize("codec_id", [row[0] for row in LEARNED])
def test_shipped_weights_are_pinned_and_present(codec_id):
    codec = REGISTRY[codec_id]
    path = find(codec.weights)  # type: ignore[attr-defined]
    assert path is not None and path.parent.name == "weights", f"{codec_id}: weights/{codec_id}.pt is missing"
    assert sha256_file(path) in codec.weights.sha256  # type: ignore[attr-defined]
    assert path.with_suffix(".json").is_file()  # its model card


@pytest.mark.parametrize("codec_id", sorted(GOLDEN))
def test_golden_bytes_and_psnr_on_one_image(codec_id, photo):
    quality, size, db = GOLDEN[codec_id]
    codec = REGISTRY[codec_id]
    photo = _input(codec_id, photo)
    data = codec.encode(photo, codec.resolve(quality))
    out = codec.decode(data)
    assert len(data) == size and psnr(photo, out) == pytest.approx(db, abs=0.01)
    assert container.read(data)[0].codec == codec_id


@pytest.mark.parametrize("codec_id", sorted(GOLDEN))
def test_rate_and_quality_rise_with_the_knob(codec_id, photo):
    codec = REGISTRY[codec_id]
    crop = np.ascontiguousarray(_input(codec_id, photo)[:192, :256])
    sizes, scores = [], []
    for q in (0, 25, 50, 75, 100):
        data = codec.encode(crop, codec.resolve(q))
        sizes.append(len(data))
        scores.append(psnr(crop, codec.decode(data)))
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert scores == sorted(scores)
