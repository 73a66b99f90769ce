"""Every metric against its reference implementation."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from imgcr import metrics
from imgcr.codecs import get_codec


@pytest.fixture(scope="module")
def pair(odd_photo):
    codec = get_codec("jpeg")
    return odd_photo, codec.decode(codec.encode(odd_photo, codec.resolve(25)))


def test_psnr_matches_skimage(pair):
    ref, test = pair
    assert metrics.psnr(ref, test) == pytest.approx(peak_signal_noise_ratio(ref, test, data_range=255), abs=1e-9)


def test_psnr_y_matches_skimage_ycbcr(pair):
    ref, test = pair
    y_ref, y_test = rgb2ycbcr(ref)[..., 0], rgb2ycbcr(test)[..., 0]
    expected = peak_signal_noise_ratio(y_ref, y_test, data_range=255)
    assert metrics.psnr_y(ref, test) == pytest.approx(expected, abs=1e-6)
    assert metrics.psnr_y(ref, test) != pytest.approx(metrics.psnr(ref, test), abs=0.01)


def test_psnr_of_identical_images_is_null(photo):
    assert metrics.psnr(photo, photo) is None
    assert metrics.compute("psnr", photo, photo) is None


def test_ssim_matches_skimage_gaussian_convention(pair):
    ref, test = pair
    expected = structural_similarity(ref, test, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                     data_range=255, channel_axis=-1)
    assert metrics.ssim(ref, test) == pytest.approx(expected, abs=1e-5)


def test_ssim_on_noise_and_gray():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (40, 53, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    expected = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                     data_range=255, channel_axis=-1)
    assert metrics.ssim(a, b) == pytest.approx(expected, abs=1e-5)
    assert metrics.ssim(a, a) == pytest.approx(1.0, abs=1e-6)


def _torch_ms_ssim(ref, test):
    import torch
    from pytorch_msssim import ms_ssim

    def t(x):
        return torch.from_numpy(np.array(x, dtype=np.float64)).permute(2, 0, 1)[None]

    return float(ms_ssim(t(ref), t(test), data_range=255))


def test_ms_ssim_matches_pytorch_msssim(pair):
    ref, test = pair  # 333 x 301: odd sizes exercise the padded pooling
    assert metrics.ms_ssim(ref, test) == pytest.approx(_torch_ms_ssim(ref, test), abs=1e-5)


def test_ms_ssim_is_null_under_161_px(photo):
    small = photo[:160, :300]
    assert metrics.ms_ssim(small, small) is None
    assert metrics.ms_ssim(photo[:161, :161], photo[:161, :161]) == pytest.approx(1.0, abs=1e-6)


def test_ssim_map_shape_and_range(pair):
    ref, test = pair
    m = metrics.ssim_map(ref, test)
    assert m.shape == ref.shape[:2]
    assert m.max() <= 1.0 + 1e-4 and m.min() < 0.9


@pytest.mark.weights
def test_lpips_reproduces_the_maintainers_values(datasets, weights_dir):
    def load(name):
        return np.asarray(Image.open(datasets / "metric_checks" / name).convert("RGB"))

    ref, p0, p1 = load("ex_ref.png"), load("ex_p0.png"), load("ex_p1.png")
    assert metrics.compute("lpips", ref, p0) == pytest.approx(0.722, abs=5e-4)
    assert metrics.compute("lpips", ref, p1) == pytest.approx(0.138, abs=5e-4)
    assert metrics.compute("lpips", ref, ref) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.weights
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (30, 200)])
def test_lpips_on_tiny_images_is_null_not_a_crash(weights_dir, shape):
    from imgcr.images import from_array
    from imgcr.pipeline import compare

    img = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    assert metrics.compute("lpips", img, img[::-1].copy()) is None
    res = compare(from_array(img, "tiny.png"), codecs=["jpeg"], quality=50, metric_ids=["psnr", "lpips"])[0]
    assert res.ok and res.metrics["lpips"] is None
    ok = np.random.default_rng(1).integers(0, 256, (31, 40, 3), dtype=np.uint8)
    assert metrics.compute("lpips", ok, ok[::-1].copy()) > 0  # the smallest side AlexNet can take


def test_lpips_without_weights_is_unavailable_not_a_crash(monkeypatch, tmp_path, photo):
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("imgcr.config.PROJECT_ROOT", tmp_path)
    spec = metrics.get_metric("lpips")
    reason = spec.unavailable()
    assert reason and "weights download lpips-alex" in reason
    assert metrics.compute("lpips", photo, photo) is None


@pytest.mark.weights
def test_a_metric_unavailable_once_is_not_served_as_null_from_the_cache(monkeypatch, tmp_path, photo, weights_dir):
    from imgcr.cache import ResultCache
    from imgcr.images import from_array
    from imgcr.pipeline import compare

    cache = ResultCache(tmp_path / "results")
    image = from_array(photo[:64, :64], "p.png")
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("imgcr.config.PROJECT_ROOT", tmp_path)
    first = compare(image, codecs=["jpeg"], quality=50, metric_ids=["psnr", "lpips"], cache=cache)[0]
    assert first.metrics["lpips"] is None and first.metrics["psnr"] is not None
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(weights_dir))  # the LPIPS trunk arrives
    again = compare(image, codecs=["jpeg"], quality=50, metric_ids=["psnr", "lpips"], cache=cache)[0]
    assert again.cached and again.metrics["lpips"] > 0
    fresh = ResultCache(tmp_path / "results")  # and what went to disk is the real value
    assert compare(image, codecs=["jpeg"], quality=50, metric_ids=["lpips"], cache=fresh)[0].metrics["lpips"] == again.metrics["lpips"]


def test_metric_labels_state_their_convention():
    assert "RGB" in metrics.METRICS["psnr"].label
    assert "σ=1.5" in metrics.METRICS["ssim"].label
    assert not metrics.METRICS["lpips"].higher_is_better


def test_lpips_against_a_cached_reference_in_bands_equals_the_plain_call(weights_dir, photo):
    """A comparison computes the original's AlexNet features once and runs the network in bands of rows: the same
    number as lpips.LPIPS on the whole pair (within 1e-6), however the rows are banded, and again on a second call."""
    import io

    from PIL import Image

    from imgcr.metrics import lpips_metric

    ref = np.ascontiguousarray(np.concatenate([photo, photo[::-1]], 0)[:700, :450])  # odd-sized, taller than a band
    buf = io.BytesIO()
    Image.fromarray(ref).save(buf, "JPEG", quality=20)
    test = np.asarray(Image.open(buf).convert("RGB"))
    plain = metrics.compute("lpips", ref, test)
    for band in (64, 128, 688, 2048):  # 688: a last band of 12 rows, which owns no rows of conv3-5's maps
        r = lpips_metric.lpips_reference(ref, band=band)
        assert len(r.bands) == -(-700 // band)
        assert r.distance(test) == pytest.approx(plain, abs=1e-6) and r.distance(test) == pytest.approx(plain, abs=1e-6)
    small = lpips_metric.lpips_reference(ref, band=64, budget_bytes=0)  # no features kept: recomputed, same value
    assert small.distance(test) == pytest.approx(plain, abs=1e-6) and not small._kept
    scorer = metrics.Scorer(ref)
    assert scorer.compute("lpips", test) == pytest.approx(plain, abs=1e-6)
    assert scorer.compute("psnr", test) == metrics.compute("psnr", ref, test)


def test_ssim_and_ms_ssim_in_bands_of_rows_equal_the_whole_plane(pair, monkeypatch):
    """SSIM and each MS-SSIM scale are summed band by band (bounded memory on a 50 MP photo): the band height
    changes nothing."""
    import importlib

    ssim_mod = importlib.import_module("imgcr.metrics.ssim")  # the package's ``ssim`` is the function
    ref, test = pair
    monkeypatch.setattr(ssim_mod, "_BAND", 100_000)
    whole = (metrics.ssim(ref, test), metrics.ms_ssim(ref, test))
    for band in (1, 7, 64):
        monkeypatch.setattr(ssim_mod, "_BAND", band)
        ref, test = ref.copy(), test.copy()  # new arrays: nothing served from the first-scale memo
        assert metrics.ssim(ref, test) == pytest.approx(whole[0], abs=1e-12)
        assert metrics.ms_ssim(ref, test) == pytest.approx(whole[1], abs=1e-12)


def test_ms_ssim_reuses_the_first_scale_ssim_computed(pair, monkeypatch):
    """SSIM's means are MS-SSIM's first scale: after ssim() of a pair, ms_ssim() of the same arrays filters
    only the four smaller scales, and gives what it gives computed from nothing; other arrays (even equal
    ones, or a freed array's recycled id) are computed afresh."""
    import importlib

    ssim_mod = importlib.import_module("imgcr.metrics.ssim")
    ref, test = pair[0].copy(), pair[1].copy()  # arrays no other test has scored
    fresh = metrics.ms_ssim(ref.copy(), test.copy())
    sizes = []
    real = ssim_mod._interior_means
    monkeypatch.setattr(ssim_mod, "_interior_means", lambda a, b: (sizes.append(a.shape), real(a, b))[1])
    s = metrics.ssim(ref, test)
    assert sizes == [ref.shape[:2]] * 3
    sizes.clear()
    assert metrics.ms_ssim(ref, test) == fresh  # the same floats, not merely close
    assert ref.shape[:2] not in sizes and len(sizes) == 3 * 4
    sizes.clear()
    assert metrics.ssim(ref, test) == s and sizes == []
    other = test.copy()
    assert metrics.ms_ssim(ref, other) == fresh and sizes.count(ref.shape[:2]) == 3
    for _ in range(3):  # ids of freed arrays come back: a weak reference tells the new array from the old
        sizes.clear()
        metrics.ssim(ref, test[::-1].copy())
        assert sizes.count(ref.shape[:2]) == 3


@pytest.mark.weights
def test_imgcrs_lpips_network_is_the_lpips_package_s_own(weights_dir, photo):
    """imgcr builds LPIPS-alex without importing lpips (and torchvision with it): the same module names, the same
    weights, the same distance as the package's own LPIPS(net="alex") to float rounding."""
    import warnings

    import lpips
    import torch

    from imgcr.metrics import lpips_metric
    from imgcr.tensors import to_nchw

    ours = lpips_metric._load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False).eval()
    assert set(ours.state_dict()) <= set(theirs.state_dict())  # theirs also lists lin0..lin4 under a second name
    theirs.load_state_dict(ours.state_dict(), strict=False)
    assert all(torch.equal(v, theirs.state_dict()[k]) for k, v in ours.state_dict().items())
    rng = np.random.default_rng(3)
    noisy = np.clip(photo.astype(int) + rng.integers(-40, 41, photo.shape), 0, 255).astype(np.uint8)
    for ref, test in ((photo, noisy), (photo[:200, :333], photo[::-1][:200, :333].copy()), (photo, photo)):
        with torch.inference_mode():
            want = float(theirs(to_nchw(ref), to_nchw(test), normalize=True))
        assert metrics.compute("lpips", ref, test) == pytest.approx(want, abs=1e-6)


def test_a_lossless_row_gets_each_metrics_own_value_for_identical_images_without_computing_it(photo, odd_photo):
    """SSIM, MS-SSIM, LPIPS, SSIMULACRA2 and Butteraugli of a pixel-identical pair are known (1, 1, 0, 100, 0):
    a lossless codec's row is given them at once. Each equals what the metric itself computes (within 1e-6)."""
    from dataclasses import replace

    from imgcr.metrics import _guarded

    given = [m for m in metrics.METRICS.values() if m.identical is not None]
    assert {m.id for m in given} >= {"ssim", "ms_ssim", "lpips", "ssimulacra2"}
    for spec in given:
        if spec.unavailable():
            continue
        for img in (photo, odd_photo):
            assert spec.fn(img, img.copy()) == pytest.approx(spec.identical, abs=1e-6), spec.id

        def refuse(*_):
            raise AssertionError("computed")

        shortcut = replace(spec, fn=refuse)
        assert _guarded(shortcut, photo, photo.copy(), None) == spec.identical
        changed = photo.copy()
        changed[0, 0, 0] ^= 1
        with pytest.raises(AssertionError, match="computed"):  # one sample off: computed as usual
            _guarded(shortcut, photo, changed, None)
