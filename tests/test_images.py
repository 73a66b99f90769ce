"""Loading odd but valid images, and refusing bad ones with one clear line."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from imgcr.errors import ImageLoadError, ImageTooLargeError
from imgcr.images import load_image


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_rgb_png_roundtrips_exactly(photo):
    loaded = load_image(encode(Image.fromarray(photo), "PNG"))
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.shape == photo.shape
    assert np.array_equal(loaded.pixels, photo)
    assert loaded.notes == ()
    assert not loaded.pixels.flags.writeable


def test_rgba_is_composited_on_white_and_said():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half transparent
    loaded = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert loaded.pixels[0, 0].tolist() == [200, 0, 0]
    assert loaded.pixels[3, 3].tolist() == [255, 255, 255]
    assert any("alpha composited onto white" in n for n in loaded.notes)


def test_16bit_gray_is_scaled_not_clipped():
    arr = np.array([[0, 65535], [32896, 257]], dtype=np.uint16)
    loaded = load_image(encode(Image.fromarray(arr), "PNG"))
    assert loaded.pixels[:, :, 0].tolist() == [[0, 255], [128, 1]]
    assert any("16-bit" in n for n in loaded.notes)


@pytest.mark.parametrize("fmt", ["png", "tiff"])
def test_16bit_rgb_is_reduced_and_said(fmt):
    import imagecodecs

    ramp = (np.arange(0, 65536, 257, dtype=np.uint16)[None, :, None] * np.ones((3, 1, 3), np.uint16))
    data = imagecodecs.png_encode(ramp) if fmt == "png" else imagecodecs.tiff_encode(ramp)
    loaded = load_image(data)
    assert loaded.pixels.dtype == np.uint8
    assert loaded.pixels[0, :, 0].tolist() == list(range(256))
    assert any("16-bit" in n for n in loaded.notes)


def test_cmyk_jpeg_converts_to_rgb():
    im = Image.new("CMYK", (8, 6), (0, 255, 255, 0))  # pure red in CMYK
    loaded = load_image(encode(im, "JPEG", quality=95))
    assert loaded.pixels.shape == (6, 8, 3)
    r, g, b = loaded.pixels[3, 4].tolist()
    assert r > 200 and g < 60 and b < 60
    assert any("CMYK" in n for n in loaded.notes)


def test_palette_and_grayscale():
    pal = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).convert("P")
    assert load_image(encode(pal, "PNG")).pixels.shape == (8, 8, 3)
    gray = load_image(encode(Image.fromarray(np.full((5, 7), 77, np.uint8)), "PNG"))
    assert gray.pixels.shape == (5, 7, 3) and (gray.pixels == 77).all()
    assert any("grayscale" in n for n in gray.notes)


def test_animated_gif_uses_first_frame():
    frames = [Image.new("RGB", (6, 6), c) for c in [(255, 0, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    loaded = load_image(data)
    assert loaded.pixels[0, 0].tolist() == [255, 0, 0]
    assert any("first frame" in n for n in loaded.notes)


def test_exif_orientation_is_applied():
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[:, :10] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    loaded = load_image(encode(Image.fromarray(arr), "JPEG", quality=95, exif=exif))
    assert loaded.pixels.shape == (20, 10, 3)
    assert loaded.pixels[2, 5].mean() > 200  # the white half is now on top
    assert loaded.pixels[17, 5].mean() < 50
    assert any("EXIF orientation 6" in n for n in loaded.notes)


@pytest.mark.parametrize("shape", [(1, 1), (5, 7)])
def test_tiny_images(shape):
    arr = np.random.default_rng(1).integers(0, 256, (*shape, 3), dtype=np.uint8)
    assert np.array_equal(load_image(encode(Image.fromarray(arr), "PNG")).pixels, arr)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "empty"),
        (b"hello, I am text\n", "text file"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG"),
        (_zip(), "ZIP"),
        (b"\x00\x01\x02garbage\xff\xfe" * 10, "not a recognised image"),
    ],
)
def test_non_images_get_one_clear_line(data, expected):
    with pytest.raises(ImageLoadError) as err:
        load_image(data, name="upload.bin")
    message = str(err.value)
    assert expected in message and "\n" not in message


def test_truncated_png_is_refused(photo):
    data = encode(Image.fromarray(photo), "PNG")
    with pytest.raises(ImageLoadError, match="corrupt|truncated"):
        load_image(data[: len(data) // 2])


def test_pixel_limit_is_checked_from_the_header(monkeypatch):
    monkeypatch.setenv("IMGCR_MAX_PIXELS", "10000")
    data = encode(Image.new("RGB", (200, 100)), "PNG")
    with pytest.raises(ImageTooLargeError, match="over the 0.0 MP limit|IMGCR_MAX_PIXELS"):
        load_image(data)


def test_decompression_bomb_is_refused_quickly():
    import time

    # A 30000 x 30000 PNG header with a tiny compressed body: 900 MP if decoded.
    bomb = _png_header_bomb(30000, 30000)
    t0 = time.perf_counter()
    with pytest.raises(ImageTooLargeError):
        load_image(bomb)
    assert time.perf_counter() - t0 < 2.0


def _png_header_bomb(w: int, h: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ImageLoadError, match="cannot read"):
        load_image(tmp_path / "nope.png")
