"""Equal-size and equal-quality targets: met within 3 %, in a bounded number of encodes."""

from __future__ import annotations

import numpy as np
import pytest

from imgcr import metrics
from imgcr.codecs import get_codec
from imgcr.errors import CodecError
from imgcr.search import MET_TOLERANCE, Target, search

SEARCHABLE = ["jpeg", "jpeg2000", "webp", "avif", "jpegxl"]


@pytest.mark.parametrize("codec_id", SEARCHABLE)
def test_target_size_is_met_within_3_percent(codec_id, photo):
    codec = get_codec(codec_id)
    settings = codec.resolve(75, {"speed": 8} if codec_id == "avif" else None)
    goal = 20_000
    used, probe, report = search(codec, photo, settings, Target("size", goal), None)
    assert abs(len(probe.data) - goal) <= MET_TOLERANCE * goal, report
    assert report.met and report.achieved == len(probe.data)
    assert report.encodes <= 14
    # the chosen settings reproduce the same bytes
    assert codec.encode(photo, used) == probe.data


@pytest.mark.parametrize("codec_id", ["jpeg", "jpeg2000", "webp", "jpegxl"])
def test_target_psnr_is_met(codec_id, photo):
    codec = get_codec(codec_id)
    used, probe, report = search(codec, photo, codec.resolve(75), Target("psnr", 33.0), metrics.psnr)
    achieved = metrics.psnr(photo, codec.decode(probe.data))
    assert achieved == pytest.approx(report.achieved)
    assert abs(achieved - 33.0) <= 0.03 * 33.0
    assert report.encodes <= 14


def test_target_ssim_is_met(photo):
    codec = get_codec("webp")
    _, probe, report = search(codec, photo, codec.resolve(75), Target("ssim", 0.9), metrics.ssim)
    assert abs(metrics.ssim(photo, codec.decode(probe.data)) - 0.9) <= 0.027
    assert report.met


def test_bpp_target_converts_to_bytes(photo):
    codec = get_codec("jpeg")
    _, probe, report = search(codec, photo, codec.resolve(75), Target("bpp", 0.8), None)
    bpp = len(probe.data) * 8 / (photo.shape[0] * photo.shape[1])
    assert bpp == pytest.approx(report.achieved)
    assert abs(bpp - 0.8) <= 0.03 * 0.8


def test_unreachable_target_returns_the_nearest_and_says_so(photo):
    codec = get_codec("jpeg")
    _, probe, report = search(codec, photo, codec.resolve(75), Target("size", 500), None)
    smallest = len(codec.encode(photo, codec.resolve(None, {"quality": 1})))
    assert len(probe.data) == smallest
    assert not report.met and "cannot go this low" in report.note


def test_lossless_settings_cannot_be_searched(photo):
    codec = get_codec("webp")
    with pytest.raises(CodecError, match="no quality knob"):
        search(codec, photo, codec.resolve(75, {"lossless": True}), Target("size", 1000), None)


def test_bad_targets_are_refused():
    with pytest.raises(CodecError):
        Target("ssim", 1.5)
    with pytest.raises(CodecError):
        Target("size", -1)
    with pytest.raises(CodecError):
        Target("vmaf", 90)
    with pytest.raises(CodecError):
        Target("ssimulacra2", 100)
    with pytest.raises(CodecError):
        Target("butteraugli", 0)


def test_searches_interpolate_and_take_few_encodes(photo):
    """Once both ends of the bracket are measured the next point is interpolated (log-bytes for sizes): on Kodak
    images halving alone took 6.4 encodes on average (up to 10), interpolation 4.4 (up to 6)."""
    counts = []
    for codec_id in ("jpeg", "webp", "jpeg2000"):
        codec = get_codec(codec_id)
        for goal in (10_000, 25_000, 50_000):
            _, probe, report = search(codec, photo, codec.resolve(75), Target("size", goal), None)
            assert report.met, (codec_id, goal, report)
            counts.append(report.encodes)
    assert sum(counts) / len(counts) <= 5 and max(counts) <= 7, counts


AUTOENCODERS = ("ae-hyperprior", "ae-factorized", "ae-multires")


@pytest.mark.parametrize("codec_id", AUTOENCODERS)
def test_a_learned_codecs_estimate_is_its_file(codec_id, photo):
    """The latent search's stand-in: the size from the coding tables within a word of the real file, and the
    pixels the real file decodes to."""
    codec = get_codec(codec_id)
    crop = np.ascontiguousarray(photo[:200, :264])
    estimator = codec.estimator(crop, codec.resolve(50))
    assert estimator is not None
    for q in (0, 37.5, 100):
        settings = codec.resolve(q)
        data = codec.encode(crop, settings)
        assert abs(estimator.size(settings) - len(data)) <= 8, (q, estimator.size(settings), len(data))
        assert np.array_equal(estimator.decoded(settings), codec.decode(data))
        coded, ms = estimator.encode(settings)  # the search's one file, coded from the latent: the same bytes
        assert coded == data and ms > 0
    assert codec.estimator(crop, codec.resolve(50, {"refine": 2})) is None  # a refined latent differs per quality


@pytest.mark.parametrize("target", [Target("bpp", 0.6), Target("psnr", 29.5)])
def test_a_learned_codecs_search_codes_once_and_lands_as_encoding_every_probe_does(target, photo, monkeypatch):
    """The analysis transform runs once: every probe is judged from its latent and the chosen setting is coded
    from it too (the same file an encode writes)."""
    codec = get_codec("ae-hyperprior")
    measure = metrics.METRICS["psnr"].fn if target.kind == "psnr" else None
    encodes, analyses = [], []
    real_encode = codec._encode
    monkeypatch.setattr(codec, "_encode", lambda px, s: encodes.append(s["quality"]) or real_encode(px, s))
    net = codec._load()[0]
    real_latent = net.latent
    monkeypatch.setattr(net, "latent", lambda x: analyses.append(1) or real_latent(x))
    used, probe, report = search(codec, photo, codec.resolve(75), target, measure)
    assert report.met and report.encodes == 1 and report.estimated >= 3, report
    assert len(analyses) == 1 and encodes == []
    assert probe.data is not None and probe.encode_ms is not None
    assert probe.data == codec.encode(photo, used)
    real = len(probe.data) * 8 / photo.size * 3 if target.kind == "bpp" else measure(photo, codec.decode(probe.data))
    assert report.achieved == pytest.approx(real)
    monkeypatch.setattr(codec, "estimator", lambda *a: None)  # the old way: every probe encoded
    _, _, slow = search(codec, photo, codec.resolve(75), target, measure)
    assert slow.encodes > 2
    assert abs(report.error_pct) <= abs(slow.error_pct) + 0.1, (report, slow)


def test_a_misleading_estimate_falls_back_to_encoding_every_probe(photo, monkeypatch):
    codec = get_codec("ae-factorized")
    honest = codec.estimator

    class Liar:
        def __init__(self, inner):
            self.inner = inner

        def size(self, settings):
            return self.inner.size(settings) * 1.5

        def decoded(self, settings):
            return self.inner.decoded(settings)

        def encode(self, settings):
            return self.inner.encode(settings)

    monkeypatch.setattr(codec, "estimator", lambda px, s: Liar(honest(px, s)))
    _, probe, report = search(codec, photo, codec.resolve(75), Target("size", 30_000), None)
    assert report.met and report.encodes > 1 and len(probe.data) == pytest.approx(30_000, rel=MET_TOLERANCE)


def test_a_searched_codec_is_not_encoded_again_for_its_timing(photo, monkeypatch):
    from imgcr.codec_run import _encode

    codec = get_codec("jpeg")
    calls = []
    real_encode = codec._encode
    monkeypatch.setattr(codec, "_encode", lambda px, s: calls.append(1) or real_encode(px, s))
    entry = _encode(codec, photo, codec.resolve(75), Target("size", 20_000), repeats=1)
    assert len(calls) == entry.record["target"]["encodes"] and entry.record["timing_runs"] == 1
    assert entry.record["bytes"] == len(entry.data) and entry.record["encode_ms"] > 0


@pytest.fixture(scope="module")
def big_photo(photo) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(photo).resize((1536, 1088), Image.Resampling.LANCZOS))


def test_the_sample_is_tiles_from_across_the_image(big_photo, monkeypatch):
    from imgcr import search as search_mod

    assert search_mod.sample_of(big_photo) is None  # 1.7 MP: searched directly
    monkeypatch.setattr(search_mod, "SAMPLE_ABOVE", 1_000_000)
    sample = search_mod.sample_of(big_photo)
    assert sample.shape == (512, 512, 3)  # 4 x 4 tiles of 128 px: at most a quarter of the image
    assert np.array_equal(sample[:128, :128], big_photo[:128, :128])
    y, x = (1088 - 128) // 64 * 64, (1536 - 128) // 64 * 64  # the last tile, its corner on the 64 px grid
    assert np.array_equal(sample[-128:, -128:], big_photo[y:y + 128, x:x + 128])
    # a 2048x1280 photo's tiles are 192 px (22 % of it), a 10 MP photo's 256 px (about 1 MP, a tenth)
    assert search_mod.sample_tile(1280, 2048) == 192 and search_mod.sample_tile(2500, 4000) == 256
    for h, w in ((1088, 1536), (1280, 2048), (2500, 4000), (6000, 8000)):
        t = search_mod.sample_tile(h, w)
        assert t % 64 == 0 and (4 * t) ** 2 <= h * w / 4


@pytest.mark.parametrize("codec_id", ["jpeg", "webp"])
def test_a_big_images_size_search_is_aimed_by_its_sample_and_lands_where_the_full_search_does(codec_id, big_photo,
                                                                                                monkeypatch):
    """A sample's cheap probes aim the real encodes; the real encodes alone decide what is reported."""
    from imgcr import search as search_mod

    codec = get_codec(codec_id)
    target = Target("bpp", 0.6)
    full_settings, full_probe, full = search(codec, big_photo, codec.resolve(75), target, None)
    monkeypatch.setattr(search_mod, "SAMPLE_ABOVE", 1_000_000)
    monkeypatch.setattr(search_mod, "SAMPLE_SHARE", 2)  # 192 px tiles, as a 2048x1280 photo's (128 px here else)
    settings, probe, report = search(codec, big_photo, codec.resolve(75), target, None)
    assert report.sampled >= 3 and full.sampled == 0
    assert report.met and full.met
    assert abs(report.error_pct) <= abs(full.error_pct) + 0.5, (report, full)
    assert report.encodes < full.encodes, (report, full)
    assert len(probe.data) == len(codec.encode(big_photo, settings))


def test_a_size_past_the_knobs_end_is_found_in_few_encodes(photo):
    """Halving towards an end the target lies beyond took 7-8 encodes; once three probes lie on one side and the
    last two extrapolate past the knob's end, the end is probed and the search stops there."""
    codec = get_codec("jpeg2000")
    _, probe, report = search(codec, photo, codec.resolve(75), Target("bpp", 12.0), None)
    assert not report.met and "cannot reach" in report.note
    assert report.knob_value == codec.knob.high and report.encodes <= 5, report


def test_an_out_of_reach_size_on_a_big_image_takes_few_real_encodes(big_photo, monkeypatch):
    """JPEG 2000's knob (target PSNR) tops out below this size: the sample finds the end, the image confirms it."""
    from imgcr import search as search_mod

    monkeypatch.setattr(search_mod, "SAMPLE_ABOVE", 1_000_000)
    codec = get_codec("jpeg2000")
    _, _, report = search(codec, big_photo, codec.resolve(75), Target("bpp", 12.0), None)
    assert not report.met and "cannot reach" in report.note
    assert report.encodes <= 2, report
