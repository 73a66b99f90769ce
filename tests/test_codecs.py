"""Each codec against its real library: lossless is exact, sizes are real bytes, options take effect."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from imgcr.codecs import DEFAULT_CODECS, REGISTRY, get_codec, list_codecs, parse_options
from imgcr.errors import CodecError, UnknownNameError
from imgcr.metrics import psnr

LOSSY = ["jpeg", "jpeg2000", "webp", "avif", "avif-svt", "avif-rav1e", "jpegxl", "heif", "jpegxr"]
LOSSLESS = {
    "png": {},
    "qoi": {},
    "webp": {"lossless": True},
    "jpegxl": {"lossless": True},
    "jpeg2000": {"lossless": True},
    "jpegxr": {"level": 1.0},
}


def test_registry_has_the_six_cli_ids_and_all_are_available_here():
    from imgcr.codecs.zoo import ZOO

    assert set(DEFAULT_CODECS) <= set(REGISTRY)
    published = {p.id for p in ZOO}  # their weights are fetched on first use, which nothing does here
    for row in list_codecs():
        if row["id"] in published and not row["available"]:
            assert "weights download" in row["reason"], row
            continue
        assert row["available"], row
        assert row["kind"] in ("classical", "compress+restore", "learned")
        assert row["library"] and any(ch.isdigit() for ch in row["library"])


@pytest.mark.parametrize("codec_id", sorted(LOSSLESS))
def test_lossless_modes_are_exact(codec_id, odd_photo):
    codec = get_codec(codec_id)
    settings = codec.resolve(None, LOSSLESS[codec_id])
    assert codec.is_lossless(settings)
    data = codec.encode(odd_photo, settings)
    assert np.array_equal(codec.decode(data), odd_photo)


@pytest.mark.parametrize("codec_id", LOSSY)
def test_lossy_codecs_are_lossy_and_monotone(codec_id, odd_photo):
    codec = get_codec(codec_id)
    low = codec.encode(odd_photo, codec.resolve(20))
    high = codec.encode(odd_photo, codec.resolve(90))
    dec_low, dec_high = codec.decode(low), codec.decode(high)
    assert dec_low.shape == odd_photo.shape
    assert len(low) < len(high)
    assert psnr(odd_photo, dec_low) < psnr(odd_photo, dec_high) < 60  # never silently lossless
    assert not codec.is_lossless(codec.resolve(75))


def test_jpeg_subsampling_takes_effect(photo):
    from PIL import JpegImagePlugin

    codec = get_codec("jpeg")
    for name, pil_code in (("4:4:4", 0), ("4:2:2", 1), ("4:2:0", 2)):
        data = codec.encode(photo, codec.resolve(75, {"subsampling": name}))
        with Image.open(io.BytesIO(data)) as im:
            assert JpegImagePlugin.get_sampling(im) == pil_code


def test_jpeg_writes_a_gray_image_as_one_channel(photo):
    codec = get_codec("jpeg")
    gray = np.repeat(np.asarray(Image.fromarray(photo).convert("L"))[..., None], 3, axis=2)
    data = codec.encode(gray, codec.resolve(20))
    as_rgb = io.BytesIO()
    Image.fromarray(gray).save(as_rgb, "JPEG", quality=20, subsampling=2, optimize=True)
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "L"  # no constant chroma planes to pay for...
    assert len(data) < 0.97 * len(as_rgb.getvalue())  # ...5 % of this file, 10 % at q10 on BSD68
    assert np.array_equal(codec.decode(data), np.asarray(Image.open(as_rgb).convert("RGB")))  # same pixels
    tinted = gray.copy()
    tinted[0, 0, 2] ^= 1  # one pixel off gray: a colour JPEG
    with Image.open(io.BytesIO(codec.encode(tinted, codec.resolve(20)))) as im:
        assert im.mode == "RGB"

@pytest.mark.parametrize(("codec_id", "raw_decode"), [
    ("png", lambda data: np.asarray(Image.open(io.BytesIO(data)))),
    ("jpeg2000", lambda data: __import__("imagecodecs").jpeg2k_decode(data)),
    ("jpegxl", lambda data: __import__("imagecodecs").jpegxl_decode(data)),
    ("avif", lambda data: np.asarray(Image.open(io.BytesIO(data)))),
    ("avif-rav1e", lambda data: np.asarray(Image.open(io.BytesIO(data)))),
])
def test_gray_images_are_coded_as_one_channel(photo, codec_id, raw_decode):
    codec = get_codec(codec_id)
    if not codec.available:
        pytest.skip(codec.unavailable_reason())
    gray = np.repeat(np.asarray(Image.fromarray(photo[:96, :128]).convert("L"))[..., None], 3, axis=2)
    data = codec.encode(gray, codec.resolve(60))
    assert raw_decode(data).ndim == 2  # one channel in the file...
    out = codec.decode(data)
    assert out.shape == gray.shape and np.array_equal(out[..., 0], out[..., 2])  # ...decoded as exact gray
    if codec_id == "png":
        assert np.array_equal(out, gray)
        as_rgb = io.BytesIO()
        Image.fromarray(gray).save(as_rgb, "PNG", compress_level=6)
        assert len(data) < 0.8 * len(as_rgb.getvalue())
    tinted = gray.copy()
    tinted[0, 0, 2] ^= 1  # one pixel off gray: coded in colour
    assert raw_decode(codec.encode(tinted, codec.resolve(60))).ndim == 3


def test_jpeg_progressive_takes_effect(photo):
    codec = get_codec("jpeg")
    data = codec.encode(photo, codec.resolve(75, {"progressive": "true"}))
    with Image.open(io.BytesIO(data)) as im:
        assert im.info.get("progressive") or im.info.get("progression")


def test_jpeg_decodes_the_same_in_an_independent_decoder(photo):
    import imagecodecs

    codec = get_codec("jpeg")
    data = codec.encode(photo, codec.resolve(60))
    assert np.abs(codec.decode(data).astype(int) - imagecodecs.jpeg8_decode(data).astype(int)).max() <= 1


def test_jpeg2000_uses_the_colour_transform(photo):
    """Without the multi-component transform (Pillow's default) the same target PSNR costs far more bytes."""
    codec = get_codec("jpeg2000")
    with_mct = codec.encode(photo, codec.resolve(None, {"psnr": 36}))
    without = codec.encode(photo, codec.resolve(None, {"psnr": 36, "mct": False}))
    assert len(with_mct) < 0.8 * len(without)
    assert abs(psnr(photo, codec.decode(with_mct)) - 36) < 1.0
    assert codec.effective(codec.resolve(75))["wavelet"] == "irreversible 9/7"


def test_avif_encoders_are_distinct_and_record_themselves(photo):
    sizes = {}
    for cid in ("avif", "avif-svt", "avif-rav1e"):
        codec = get_codec(cid)
        settings = codec.resolve(60)
        sizes[cid] = len(codec.encode(photo, settings))
        assert codec.effective(settings)["encoder"] == codec.encoder
        assert codec.encoder in codec.library_version()
    assert len(set(sizes.values())) == 3


def test_avif_subsampling_changes_the_file(photo):
    codec = get_codec("avif")
    a = codec.encode(photo, codec.resolve(60, {"subsampling": "4:2:0", "speed": 8}))
    b = codec.encode(photo, codec.resolve(60, {"subsampling": "4:4:4", "speed": 8}))
    assert len(a) != len(b)


def test_jpegxl_distance_overrides_quality(photo):
    codec = get_codec("jpegxl")
    d1 = codec.encode(photo, codec.resolve(10, {"distance": 1.0, "effort": 3}))
    q10 = codec.encode(photo, codec.resolve(10, {"effort": 3}))
    assert len(d1) > 2 * len(q10)
    assert "quality" not in codec.effective(codec.resolve(10, {"distance": 1.0}))


def test_magic_bytes_match_extension(photo):
    magic = {"jpeg": b"\xff\xd8", "png": b"\x89PNG", "jpeg2000": b"\xff\x4f\xff\x51", "webp": b"RIFF",
             "jpegxl": b"\xff\x0a", "qoi": b"qoif"}
    for cid, head in magic.items():
        codec = get_codec(cid)
        assert codec.encode(photo, codec.resolve(75))[: len(head)] == head
    assert get_codec("avif").encode(photo, get_codec("avif").resolve(50))[4:12] == b"ftypavif"


def test_options_are_a_whitelist():
    codec = get_codec("jpeg")
    with pytest.raises(UnknownNameError, match="subsamplin"):
        codec.resolve(75, {"subsamplin": "4:4:4"})
    with pytest.raises(CodecError, match="not one of"):
        codec.resolve(75, {"subsampling": "4:1:1"})
    with pytest.raises(CodecError, match="above the maximum"):
        codec.resolve(75, {"quality": 101})
    with pytest.raises(CodecError):
        codec.resolve(120)


def test_quality_maps_per_codec():
    assert get_codec("jpeg").resolve(0)["quality"] == 1
    assert get_codec("jpeg2000").resolve(75)["psnr"] == pytest.approx(38.75)
    assert get_codec("jpegxr").resolve(50)["level"] == pytest.approx(0.5)
    assert get_codec("png").resolve(10) == {"compress_level": 6}


def test_parse_options():
    assert parse_options(["jpeg.subsampling=4:4:4", "avif.speed=8"]) == {
        "jpeg": {"subsampling": "4:4:4"}, "avif": {"speed": "8"}}
    with pytest.raises(UnknownNameError):
        parse_options(["jpegquality=3"])


def test_unknown_codec_lists_known():
    with pytest.raises(UnknownNameError, match="jpegxl"):
        get_codec("bpg")


def test_unavailable_codec_says_why(monkeypatch):
    from imgcr.codecs import imagecodecs_io

    codec = REGISTRY["jpegxl"]
    monkeypatch.setattr(imagecodecs_io, "module", lambda: "No module named 'imagecodecs'")
    reason = codec.unavailable_reason()
    assert reason and "imagecodecs is not installed" in reason
    assert codec.describe()["available"] is False
    from imgcr.errors import CodecUnavailableError

    with pytest.raises(CodecUnavailableError):
        codec.encode(np.zeros((8, 8, 3), np.uint8), codec.resolve(75))


@pytest.mark.parametrize("codec_id", ["jpeg", "png", "jpeg2000", "webp", "avif", "jpegxl", "qoi"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 5)])
def test_tiny_images_encode_or_fail_cleanly(codec_id, shape):
    codec = get_codec(codec_id)
    img = np.random.default_rng(2).integers(0, 256, (*shape, 3), dtype=np.uint8)
    try:
        out = codec.decode(codec.encode(img, codec.resolve(75)))
    except CodecError as exc:
        assert codec_id in str(exc)
    else:
        assert out.shape == img.shape


def test_corrupt_bitstream_is_a_codec_error(photo):
    codec = get_codec("jpegxl")
    data = codec.encode(photo, codec.resolve(50))
    with pytest.raises(CodecError, match="jpegxl decode failed"):
        codec.decode(data[:20])


def test_jpegli_writes_fewer_bytes_than_libjpeg_turbo_at_equal_psnr(datasets):
    """jpegli's claim, checked on a Kodak image: at q85 its PSNR costs libjpeg-turbo more bytes."""
    from imgcr.images import load_image

    image = load_image(datasets / "Kodak24" / "kodim05.png")
    jpegli = get_codec("jpegli")
    data = jpegli.encode(image.pixels, jpegli.resolve(85))
    decoded = jpegli.decode(data)
    assert data[:2] == b"\xff\xd8" and decoded.shape == image.pixels.shape  # a plain JPEG any decoder reads
    level = psnr(image.pixels, decoded)
    turbo = get_codec("jpeg")
    for q in range(70, 101):  # the cheapest libjpeg-turbo file that reaches the same PSNR
        plain = turbo.encode(image.pixels, turbo.resolve(q))
        if psnr(image.pixels, turbo.decode(plain)) >= level:
            break
    assert len(data) < 0.95 * len(plain), (len(data), len(plain), q, level)


def test_svt_av1_codes_a_gray_image_in_colour(photo):
    codec = get_codec("avif-svt")
    if not codec.available:
        pytest.skip(codec.unavailable_reason())
    gray = np.repeat(np.asarray(Image.fromarray(photo[:64, :64]).convert("L"))[..., None], 3, axis=2)
    data = codec.encode(gray, codec.resolve(60))  # SVT-AV1 has no 4:0:0: it must not fail on a gray image
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "RGB"
    assert "monochrome" not in codec.library_version() and "monochrome" in get_codec("avif").library_version()
