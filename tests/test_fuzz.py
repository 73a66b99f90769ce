"""Hostile input, property-based: random sizes, modes and bit depths, truncated and bit-flipped files.

Whatever the bytes, loading gives an image or a typed ImgcrError (one line), never another exception;
every codec round-trips any image it accepts to the same shape, or refuses it with a typed error.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from imgcr.errors import ImgcrError
from imgcr.images import load_image

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")  # Pillow's notes on corrupt tags
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F")
FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")


@st.composite
def image_files(draw) -> bytes:
    w, h = draw(st.integers(1, 64)), draw(st.integers(1, 64))
    mode = draw(st.sampled_from(MODES))
    fmt = draw(st.sampled_from(FORMATS)) if mode not in ("I", "F") else "TIFF"  # Pillow 12 deprecates I-mode PNG
    seed = draw(st.integers(0, 2**16))
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    im = Image.fromarray(rgb).convert(mode) if mode not in ("I;16", "I", "F") else Image.fromarray(
        (rgb[..., 0].astype(np.uint16) * 257).astype(np.uint16) if mode == "I;16" else rgb[..., 0].astype(np.int32 if mode == "I" else np.float32))
    buf = io.BytesIO()
    try:
        im.save(buf, format=fmt)
    except (OSError, ValueError, KeyError):  # this format cannot store this mode: store it as PNG/TIFF instead
        buf = io.BytesIO()
        im.save(buf, format="TIFF")
    return buf.getvalue()


def _load(data: bytes):
    try:
        return load_image(data, name="fuzz")
    except ImgcrError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz")
        return None


@FUZZ
@given(image_files())
def test_any_valid_file_loads_as_rgb(data):
    img = _load(data)
    assert img is not None and img.pixels.dtype == np.uint8 and img.pixels.ndim == 3 and img.pixels.shape[2] == 3


@FUZZ
@given(image_files(), st.data())
def test_truncated_or_bit_flipped_files_fail_cleanly(data, draw):
    cut = draw.draw(st.integers(0, len(data) - 1))
    _load(data[:cut])
    flipped = bytearray(data)
    for _ in range(draw.draw(st.integers(1, 8))):
        i = draw.draw(st.integers(0, len(flipped) - 1))
        flipped[i] ^= 1 << draw.draw(st.integers(0, 7))
    img = _load(bytes(flipped))
    assert img is None or img.pixels.shape[2] == 3


CODECS = ["jpeg", "png", "jpeg2000", "webp", "avif", "jpegxl", "heif", "jpegxr", "qoi"]


@pytest.mark.parametrize("codec_id", CODECS)
def test_every_codec_round_trips_random_images_or_refuses_cleanly(codec_id):
    from imgcr.codecs import get_codec

    codec = get_codec(codec_id, require_available=False)
    if codec.unavailable_reason():
        pytest.skip(codec.unavailable_reason())

    @settings(max_examples=15, deadline=None)
    @given(st.integers(1, 48), st.integers(1, 48), st.integers(0, 100), st.integers(0, 2**16))
    def run(w, h, quality, seed):
        px = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
        try:
            data = codec.encode(px, codec.resolve(quality))
            out = codec.decode(data)
        except ImgcrError:
            return
        assert out.shape == px.shape and out.dtype == np.uint8

    run()
