"""The compare backend: real bytes, true numbers, cached by content."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from imgcr.cache import ResultCache
from imgcr.codecs import get_codec
from imgcr.errors import UnknownNameError
from imgcr.images import from_array
from imgcr.metrics import psnr, ssim
from imgcr.pipeline import compare
from imgcr.search import Target


@pytest.fixture()
def image(odd_photo):
    return from_array(odd_photo, "odd.png")


def test_results_are_true(image, tmp_path):
    results = compare(image, ["jpeg", "png", "webp"], quality=60, metric_ids=("psnr", "ssim"), cache=ResultCache())
    jpeg, png, webp = results
    for r in results:
        path = r.write(tmp_path, "odd")
        assert path.stat().st_size == r.bytes == len(r.data)
        assert r.bpp == pytest.approx(r.bytes * 8 / (image.width * image.height))
        assert r.ratio == pytest.approx(image.width * image.height * 3 / r.bytes)
        assert r.library and r.encode_ms > 0 and r.decode_ms > 0 and r.timing_runs >= 1
    # the metrics are those of the written file decoded independently
    decoded = get_codec("jpeg").decode((tmp_path / "odd_jpeg.jpg").read_bytes())
    assert jpeg.metrics["psnr"] == pytest.approx(psnr(image.pixels, decoded))
    assert jpeg.metrics["ssim"] == pytest.approx(ssim(image.pixels, decoded))
    assert png.lossless and png.metrics["psnr"] is None and png.metrics["ssim"] == pytest.approx(1.0)
    assert jpeg.params["subsampling"] == "4:2:0" and jpeg.params["quality"] == 60
    doc = json.loads(json.dumps([r.to_json() for r in results]))
    assert doc[1]["psnr"] is None  # lossless: null, not a fake number
    assert doc[0]["ms_ssim"] is None and doc[0]["psnr"] > 20  # not requested -> null


def test_repeat_comparison_is_served_from_cache(image, tmp_path):
    cache = ResultCache(tmp_path / "cache")
    t0 = time.perf_counter()
    first = compare(image, ["jpeg", "avif"], target=Target("size", 15000), metric_ids=("psnr",), cache=cache)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = compare(image, ["jpeg", "avif"], target=Target("size", 15000), metric_ids=("psnr",), cache=cache)
    warm = time.perf_counter() - t0
    assert [r.cached for r in second] == [True, True]
    assert [r.data for r in first] == [r.data for r in second]
    assert warm < cold / 5
    # a new process (empty memory) still finds it on disk
    fresh = ResultCache(tmp_path / "cache")
    third = compare(image, ["jpeg", "avif"], target=Target("size", 15000), metric_ids=("psnr",), cache=fresh)
    assert all(r.cached for r in third) and third[0].metrics["psnr"] == first[0].metrics["psnr"]


def test_cache_key_depends_on_options_and_content(image):
    cache = ResultCache()
    a = compare(image, ["jpeg"], options={"jpeg": {"subsampling": "4:4:4"}}, metric_ids=(), cache=cache)[0]
    b = compare(image, ["jpeg"], options={"jpeg": {"subsampling": "4:2:0"}}, metric_ids=(), cache=cache)[0]
    assert not b.cached and a.bytes != b.bytes
    other = from_array(np.ascontiguousarray(image.pixels[::-1]), "flipped")
    assert not compare(other, ["jpeg"], metric_ids=(), cache=cache)[0].cached


def test_a_codec_failure_stays_in_its_row(image, monkeypatch):
    codec = get_codec("webp")

    def boom(pixels, settings):
        raise ValueError("simulated libwebp failure")

    monkeypatch.setattr(codec, "_encode", boom)
    results = compare(image, ["jpeg", "webp"], metric_ids=(), cache=ResultCache())
    assert results[0].ok
    assert not results[1].ok and "simulated libwebp failure" in results[1].error


def test_lossless_codec_in_target_mode_says_not_applicable(image):
    r = compare(image, ["png"], target=Target("size", 1000), metric_ids=(), cache=ResultCache())[0]
    assert r.ok and r.target["note"].startswith("lossless")


def test_unknown_metric_or_option_codec_is_an_error(image):
    with pytest.raises(UnknownNameError):
        compare(image, ["jpeg"], metric_ids=("vmaf",), cache=ResultCache())
    with pytest.raises(UnknownNameError):
        compare(image, ["jpeg"], options={"jpgg": {"quality": 3}}, cache=ResultCache())


def test_progress_is_reported(image):
    seen = []
    compare(image, ["jpeg", "png"], metric_ids=(), cache=ResultCache(), progress=lambda f, t: seen.append((f, t)))
    assert seen[0][0] == 0 and seen[-1] == (1.0, "done") and len(seen) == 3  # start, the first codec landed, done
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)


def test_a_missing_codec_library_is_shown_unavailable_and_the_others_work(monkeypatch, photo):
    from imgcr.codecs import jpegli as jpegli_module
    from imgcr.codecs import list_codecs

    monkeypatch.setattr(jpegli_module, "_jpegli", lambda: "No module named 'pyjpegli'")
    row = next(r for r in list_codecs() if r["id"] == "jpegli")
    assert row["available"] is False and "pyjpegli" in row["reason"]
    image = from_array(photo[:64, :64])
    res = {r.codec: r for r in compare(image, ["jpegli", "jpeg"], quality=50, metric_ids=("psnr",), cache=ResultCache())}
    assert not res["jpegli"].ok and "pyjpegli" in res["jpegli"].error
    assert res["jpeg"].ok and res["jpeg"].bytes > 0


def test_an_unusable_cache_folder_costs_only_the_disk_layer(monkeypatch, tmp_path, photo):
    import imgcr.cache

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(blocker))
    monkeypatch.setattr(imgcr.cache, "_default", None)
    try:
        image = from_array(photo[:64, :64])
        first = compare(image, ["jpeg"], quality=50, metric_ids=("psnr",))[0]
        again = compare(image, ["jpeg"], quality=50, metric_ids=("psnr",))[0]
        assert first.ok and again.ok and again.cached and again.bytes == first.bytes  # memory still serves
    finally:
        imgcr.cache._default = None


def test_results_stream_as_they_land_and_equal_a_serial_run(image):
    """compare_iter yields each codec's row with its fast metrics, then the slow ones; codecs run concurrently and
    give the same records as one codec at a time."""
    from imgcr.pipeline import compare_iter

    codecs = ["jpeg", "png", "webp", "jpegxl"]
    updates = list(compare_iter(image, codecs, quality=60, metric_ids=("psnr", "ssim", "ms_ssim"), cache=ResultCache(),
                                workers=2))
    # one update per wake-up: several codecs (or a slow metric) may land together on a busy machine
    assert len(updates) >= 2 and any(r is not None and r.pending for r in updates[0])
    assert all(r is not None and not r.pending for r in updates[-1])
    for i in range(len(codecs)):  # each row shows first with its slow metric to come, then complete
        states = [bool(u[i].pending) for u in updates if u[i] is not None]
        assert states[0] and not states[-1] and states == sorted(states, reverse=True)
    serial = compare(image, codecs, quality=60, metric_ids=("psnr", "ssim", "ms_ssim"), cache=ResultCache(), workers=1)
    for a, b in zip(serial, updates[-1], strict=True):
        assert b is not None and a.data == b.data and a.params == b.params
        assert a.metrics == pytest.approx(b.metrics, abs=1e-6)


def test_one_core_metrics_run_side_by_side_and_a_whole_machine_one_alone():
    """LPIPS's network uses every core: nothing runs beside it; MS-SSIM and SSIMULACRA2 use one each: two at once."""
    import threading
    import time

    from imgcr import metrics
    from imgcr.cores import Cores, release_memory

    assert metrics.get_metric("lpips").all_cores and not metrics.get_metric("ssimulacra2").all_cores
    cores, running, seen, lock = Cores(2), [], [], threading.Lock()

    def step(name, n):
        with cores.take(n):
            with lock:
                running.append(name)
                seen.append(tuple(sorted(running)))
            time.sleep(0.2)
            with lock:
                running.remove(name)

    threads = [threading.Thread(target=step, args=a) for a in (("a", 1), ("b", 1), ("all", 2), ("c", 1))]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert ("a", "b") in seen  # two one-core steps together
    assert all(s == ("all",) for s in seen if "all" in s)  # the whole-machine step alone
    assert Cores(2)._free == 2 and Cores(0).total == 1
    release_memory()  # hands free heap pages back (or does nothing off glibc); never fails


@pytest.mark.weights
def test_a_reference_prepared_on_upload_serves_the_comparison_and_its_reruns(image, weights_dir, monkeypatch):
    """Dropping a photo prepares it as the reference (LPIPS's features, SSIMULACRA2's planes); the comparison
    that follows, and a re-run at another setting, compute only the codecs' side, with the same values as
    metrics computed from nothing. The same photo loaded again is the same reference; another photo replaces it."""
    from imgcr import metrics
    from imgcr.metrics import kept, lpips_bands

    kept.forget()
    assert kept.prepare(image, ("psnr", "lpips", "ssimulacra2")) == ["lpips", "ssimulacra2"]
    reference_runs = []
    real = lpips_bands.LpipsReference._features
    monkeypatch.setattr(lpips_bands.LpipsReference, "_features",
                        lambda self, px, band, **kw: (reference_runs.append(px is self.reference), real(self, px, band, **kw))[1])
    for quality in (40, 70):
        results = compare(image, ["jpeg", "webp"], quality=quality, metric_ids=("lpips", "ssimulacra2"), cache=ResultCache())
        for r in results:
            for m in ("lpips", "ssimulacra2"):
                assert r.metrics[m] == pytest.approx(metrics.compute(m, image.pixels, r.decoded), abs=1e-6)
    assert reference_runs == [False] * 4  # two codecs at two settings: their features only, never the reference's
    again = from_array(image.pixels.copy(), "again.png")
    assert kept.scorer(again) is kept.scorer(image)
    other = from_array(np.ascontiguousarray(image.pixels[::-1]), "flipped.png")
    assert kept.scorer(other) is not kept.scorer(image)


def test_the_upload_handler_prepares_quietly(tmp_path):
    """A bad file is not reported at the drop (Compare reports it, where its user looks); nothing is kept for it."""
    from imgcr.metrics import kept
    from imgcr.ui.compare_tab import prepare_reference

    kept.forget()
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    assert prepare_reference(str(bad), None, ["lpips"]) is None
    assert kept._last is None


def test_a_kept_reference_unused_for_a_while_is_dropped(image, monkeypatch):
    """Its memory goes back once nobody has used it for KEEP_S; each use starts the wait again."""
    import time

    from imgcr.metrics import kept

    monkeypatch.setattr(kept, "KEEP_S", 0.3)
    kept.forget()
    first = kept.scorer(image)
    time.sleep(0.2)
    assert kept.scorer(image) is first  # used again: the wait starts again
    time.sleep(0.2)
    assert kept._last is not None
    time.sleep(0.3)
    assert kept._last is None
