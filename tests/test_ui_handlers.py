"""The Compare tab's handlers, called directly as plain functions."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from imgcr.metrics import psnr
from imgcr.samples import sample_names
from imgcr.ui import build_app
from imgcr.ui.compare_tab import COLUMNS, MODES, ORIGINAL, render_view, run_compare
from tests.conftest import last


def no_progress(*args, **kwargs):
    return None


def px(path):
    """The pixels of an image output (sent as a PNG file of its own)."""
    assert str(path).endswith(".png")
    return np.asarray(Image.open(path))


def call(upload=None, sample=None, codecs=("jpeg", "png", "webp"), mode="Same setting (quality 0-100)", quality=75,
         target=30, metric_ids=("psnr", "ssim"), extra=""):
    return last(run_compare(upload, sample, no_progress, list(codecs), mode, quality, target, list(metric_ids), extra))


def test_build_app_has_the_compare_endpoint():
    demo = build_app()
    names = [d.get("api_name") for d in demo.config["dependencies"]]
    assert "compare" in names


def test_compare_with_a_sample():
    original, table, status, slider, left, right, files, bars, summary, state = call(sample=sample_names()[0])
    assert list(table.columns) == COLUMNS and list(table["Codec"]) == ["JPEG", "PNG", "WebP"]
    assert table.loc[1, "PSNR dB"] == "lossless (∞)"
    sizes = {Path(f).suffix: Path(f).stat().st_size for f in files}
    assert sizes == {".jpg": table.loc[0, "Bytes"], ".png": table.loc[1, "Bytes"], ".webp": table.loc[2, "Bytes"]}
    assert left["choices"] == [ORIGINAL, "JPEG", "PNG", "WebP"] and right["value"] == "JPEG"
    shown = np.asarray(Image.open(original))  # the original as its own lossless PNG file
    assert Path(original).suffix == ".png" and np.array_equal(shown, state["ref"])
    assert np.array_equal(px(slider[0]), shown) and not np.array_equal(px(slider[1]), shown)
    assert "astronaut" in status


def test_equal_size_mode_reports_closeness(tmp_path, photo):
    path = tmp_path / "p.png"
    Image.fromarray(photo).save(path)
    _, table, status, *_ = call(upload=str(path), codecs=("jpeg", "webp"), mode="Equal file size (KB)", target=20)
    assert all(abs(b - 20000) <= 600 for b in table["Bytes"])
    assert all("met" in t for t in table["Target"])
    assert "Target: 20000 bytes" in status


def test_every_mode_runs():
    for mode in MODES:
        target = {"Equal file size (KB)": 15, "Equal file size (bpp)": 0.5, "Equal quality (PSNR dB)": 32,
                  "Equal quality (SSIM)": 0.9, "Equal quality (SSIMULACRA2)": 70, "Equal quality (Butteraugli)": 3.0}.get(mode, 30)
        _, table, *_ = call(sample=sample_names()[0], codecs=("jpeg",), mode=mode, target=target)
        row = table.loc[0]
        got = {"Equal file size (KB)": row["Bytes"] / 1000, "Equal file size (bpp)": row["bpp"],
               "Equal quality (PSNR dB)": row["PSNR dB"], "Equal quality (SSIM)": row["SSIM"],
               "Equal quality (SSIMULACRA2)": row["SSIMULACRA2"], "Equal quality (Butteraugli)": row["Butteraugli"]}.get(mode)
        if got is None:  # same setting: the quality asked for is the one used
            assert "quality=75" in row["Settings"] and not row["Target"]
        else:  # the target is met, and the table's own number shows it (the target's metric is measured unasked)
            assert "met" in row["Target"] and "not met" not in row["Target"], (mode, row["Target"])
            tolerance = 1.0 if "SSIMULACRA2" in mode else 0.03 * target
            assert abs(got - target) <= tolerance + 0.01, (mode, got)


def test_codec_options_box():
    _, table, *_ = call(sample=sample_names()[0], codecs=("jpeg",), extra="jpeg.subsampling=4:4:4 jpeg.quality=90")
    assert "subsampling=4:4:4" in table.loc[0, "Settings"] and "quality=90" in table.loc[0, "Settings"]


@pytest.mark.parametrize("content, needle", [(b"hello", "text file"), (b"", "empty"), (b"PK\x03\x04zzzz", "ZIP")])
def test_bad_upload_is_a_user_error(tmp_path, content, needle):
    bad = tmp_path / "upload.jpg"
    bad.write_bytes(content)
    with pytest.raises(gr.Error, match=needle):
        call(upload=str(bad))


def test_no_input_and_no_codec_are_user_errors():
    with pytest.raises(gr.Error, match="drop an image"):
        call()
    with pytest.raises(gr.Error, match="at least one codec"):
        call(sample=sample_names()[0], codecs=())
    with pytest.raises(gr.Error, match="no option"):
        call(sample=sample_names()[0], extra="jpeg.nope=1")


def test_views_difference_ssim_and_zoom():
    *_, state = call(sample=sample_names()[0], codecs=("jpeg", "png"))
    same = [px(p) for p in render_view(state, ORIGINAL, "PNG", "Difference (amplified)", False, 50, 50, 256, 1)]
    assert same[0].max() == 0 and same[1].max() == 0  # lossless: black error map
    diff = [px(p) for p in render_view(state, ORIGINAL, "JPEG", "Difference (amplified)", False, 50, 50, 256, 1)]
    assert diff[1].max() > 0
    heat = [px(p) for p in render_view(state, "JPEG", "PNG", "SSIM map", False, 50, 50, 256, 1)]
    assert heat[1].min() == 255 and heat[0].min() < 255
    crop = [px(p) for p in render_view(state, ORIGINAL, "JPEG", "Images", True, 0, 0, 64, 4)]
    assert crop[0].shape == (64, 64, 3)  # real pixels: magnification is the browser's nearest-neighbour job
    assert np.array_equal(crop[0], state["images"][ORIGINAL][:64, :64])
    assert render_view(None, ORIGINAL, "JPEG", "Images", False, 0, 0, 64, 1) is None


def test_bench_tab_handlers(tmp_path, photo):
    from imgcr.bench.image_sets import SAMPLES, UPLOADS
    from imgcr.ui.bench_tab import BD_COLUMNS, refresh, run_bench

    a = tmp_path / "a.png"
    Image.fromarray(photo[:180, :200]).save(a)
    out = run_bench([str(a)], UPLOADS, no_progress, ["jpeg", "webp"], "20,40,60,80", ["psnr", "ssim"], 1, "jpeg", "psnr", 60)
    status, table, rd, size, timing, quality, heat, tvq, files, images, measured, doc = out
    rate = BD_COLUMNS[1]
    assert images["choices"] == ["mean over images", "a.png"]
    assert [v for _, v in measured["choices"]] == ["psnr", "ssim"]  # the curve metric offers only what was measured
    assert "8 records" in status and list(table.columns) == BD_COLUMNS and "dB" in BD_COLUMNS[2]
    assert table.loc[0, "Codec"] == "WebP" and table.loc[0, rate] < 0
    # charts: units on axes, titles clear of subplot titles, quality bars not from 0, no raw field ids
    assert size.layout.yaxis.title.text == "KB" and size.layout.margin.t >= 100
    assert quality.layout.yaxis.title.text == "dB" and quality.layout.yaxis.range[0] > 10
    assert "encode_ms" not in list(heat.data[0].x) and "Encode time (ms)" in list(heat.data[0].x)
    assert "ms" in timing.layout.yaxis.title.text
    assert {Path(f).name for f in files} == {"results.json", "results.csv", "rd_curves.csv", "charts.html"}
    assert [t.name for t in rd.data] == ["JPEG", "WebP"]
    table2, rd2, *_ = refresh(doc, "webp", "ssim", 40)
    assert table2.loc[0, "Codec"] == "JPEG" and table2.loc[0, rate] > 0 and "SSIM" in table2.columns[2]
    assert "SSIM" in rd2.layout.title.text
    _, rd3, *_ = refresh(doc, "jpeg", "psnr", 40, "a.png")
    assert "image a.png" in rd3.layout.title.text
    with pytest.raises(gr.Error, match="upload images"):
        run_bench(None, UPLOADS, no_progress, ["jpeg"], "", ["psnr"], 1, "jpeg", "psnr", 75)
    with pytest.raises(gr.Error, match="qualities"):
        run_bench(None, SAMPLES, no_progress, ["jpeg"], "ten", ["psnr"], 1, "jpeg", "psnr", 75)


def test_bench_tab_codec_options_reach_the_encoder(tmp_path, photo):
    from imgcr.bench.image_sets import UPLOADS
    from imgcr.ui.bench_tab import run_bench

    a = tmp_path / "a.png"
    Image.fromarray(photo[:96, :128]).save(a)

    def sizes(options: str) -> tuple[str, dict]:
        out = run_bench([str(a)], UPLOADS, no_progress, ["jpeg"], "50", ["psnr"], 1, "jpeg", "psnr", 50, options)
        return out[0], {r["quality"]: r["bytes"] for r in out[-1]["records"]}

    plain_status, plain = sizes("")
    status, full_chroma = sizes("jpeg.subsampling=4:4:4")
    assert full_chroma[50] > plain[50] and "jpeg.subsampling=4:4:4" in status and "subsampling" not in plain_status
    with pytest.raises(gr.Error, match="no option 'speed'"):
        run_bench([str(a)], UPLOADS, no_progress, ["jpeg"], "50", ["psnr"], 1, "jpeg", "psnr", 50, "jpeg.speed=3")


def test_each_mode_shows_only_its_control_with_units():
    from imgcr.ui.compare_tab import TARGETS, mode_controls

    q, t = mode_controls("Same setting (quality 0-100)")
    assert q["visible"] is True and t["visible"] is False
    q, t = mode_controls("Equal file size (bpp)")
    assert q["visible"] is False and t["visible"] is True and "bpp" in t["label"] and t["value"] == TARGETS["bpp"][1] <= 2
    _, t = mode_controls("Equal quality (SSIM)")
    assert t["value"] < 1 and "SSIM" in t["label"]
    _, t = mode_controls("Equal file size (KB)")
    assert "KB" in t["label"] and "1000 bytes" in t["label"]


def test_zoom_panel_draws_both_sides_at_real_pixels():
    import base64
    import io
    import re

    from imgcr.ui.compare_tab import zoom_panel

    *_, state = call(sample=sample_names()[0], codecs=("jpeg",))
    assert zoom_panel(state, ORIGINAL, "JPEG", "Images", False, 50, 50, 64, 1) == ""
    html = zoom_panel(state, ORIGINAL, "JPEG", "Images", True, 0, 0, 64, 4)
    imgs = re.findall(r'<img class="imgcr-pixels"[^>]*width="(\d+)" height="(\d+)" src="data:image/png;base64,([^"]+)"', html)
    assert [(w, h) for w, h, _ in imgs] == [("256", "256"), ("256", "256")]  # 64 px at 4x each
    first = np.asarray(Image.open(io.BytesIO(base64.b64decode(imgs[0][2]))))
    assert np.array_equal(first, state["images"][ORIGINAL][:64, :64])  # the PNG holds the 64x64 pixels, unscaled
    assert "JPEG — 64×64 px at 4×" in html


def test_clicking_the_original_picks_the_zoom_region():
    from imgcr.ui.compare_tab import pick_region

    *_, state = call(sample=sample_names()[0], codecs=("jpeg",))
    h, w = state["ref"].shape[:2]
    evt = gr.SelectData(None, {"index": [w - 1, (h - 1) // 4], "value": None})
    assert pick_region(state, 128, evt) == (True, 100, 25)


def test_compare_bars_have_units_and_quality_axes_not_from_zero():
    *_, bars, _, _ = call(sample=sample_names()[0], codecs=("jpeg", "webp", "png"))
    layout = bars.layout
    titles = [a.text for a in layout.annotations]
    assert any("KB" in t for t in titles) and any("dB" in t for t in titles)
    assert layout.yaxis3.range[0] > 10  # PSNR bars do not start at 0
    assert "PNG" in layout.title.text  # lossless PSNR is said, not drawn as a bar
    assert list(bars.data[0].x) == ["JPEG", "WebP", "PNG"]
    assert titles[3].startswith("SSIM<br>")  # SSIMULACRA2 not measured: SSIM's bars
    assert not any(layout[f"yaxis{i}"].title.text for i in ("", 2, 3, 4))  # the panel titles carry the units
    *_, bars, _, _ = call(sample=sample_names()[0], codecs=("jpeg", "webp"), metric_ids=("psnr", "ssimulacra2"))
    assert "SSIMULACRA2" in bars.layout.annotations[3].text
    assert all(0 < v < 100 for v in bars.data[3].y)


def test_first_visit_shows_a_comparison():
    from imgcr.ui.compare_tab import first_visit

    updates = list(first_visit(progress=no_progress))
    original, table, status, *_ = updates[-1]
    assert original is not None and len(table) >= 3 and table["Bytes"].notna().all()
    assert len(updates) > 1 and "Working" in updates[0][2]  # rows show as they land
    summary = updates[-1][8]
    assert summary["LPIPS"].notna().all() and summary["SSIMULACRA2"].notna().all()  # every ticked metric, LPIPS too


def test_user_errors_leave_one_log_line_and_no_traceback(caplog):
    import logging

    caplog.set_level(logging.INFO, logger="imgcr.ui")
    for kwargs in ({}, {"sample": sample_names()[0], "codecs": ()}):  # an ImgcrError, then a gr.Error raised directly
        with pytest.raises(gr.Error) as info:
            call(**kwargs)
        assert info.value.print_exception is False
    lines = [r.getMessage() for r in caplog.records if r.name == "imgcr.ui"]
    assert len(lines) == 2 and "drop an image" in lines[0] and all("\n" not in x for x in lines)


def test_summary_table_is_the_default_column_set_with_units():
    from imgcr.ui.compare_results import OPTIONAL
    from imgcr.ui.compare_tab import SUMMARY_COLUMNS

    *_, summary, _ = call(sample=sample_names()[0], codecs=("jpeg", "png"))  # psnr, ssim: no perceptual columns
    assert list(summary.columns) == [c for c in SUMMARY_COLUMNS if c not in OPTIONAL] and "Settings" not in summary.columns
    *_, summary, _ = call(sample=sample_names()[0], codecs=("jpeg",), metric_ids=("psnr", "ssimulacra2", "butteraugli"))
    assert list(summary.columns) == [c for c in SUMMARY_COLUMNS if c != "SSIM"]  # SSIMULACRA2 takes SSIM's place
    assert 0 < summary.loc[0, "SSIMULACRA2"] < 100
    assert summary.loc[0, "Butteraugli"] > 0
    assert {"Size (bytes)", "PSNR (dB)", "SSIMULACRA2", "Encode (ms)"} <= set(SUMMARY_COLUMNS)
    *_, summary, _ = call(sample=sample_names()[0], codecs=("jpeg",), metric_ids=("psnr",))  # SSIM not measured
    assert summary.loc[0, "SSIM"] is None and summary.loc[0, "PSNR (dB)"] > 20
    *_, summary, _ = call(sample=sample_names()[0], codecs=("jpeg",), mode="Equal file size (KB)", target=20)
    assert "Target" in summary.columns and "met" in summary.loc[0, "Target"]


def test_zerogpu_decorator_is_used_only_when_spaces_is_present(monkeypatch):
    import sys
    import types

    from imgcr.ui.common import on_gpu

    def work(x):
        return x + 1

    assert on_gpu(work) is work  # no `spaces` package here: unchanged
    seen = []
    fake = types.ModuleType("spaces")
    fake.GPU = lambda fn: (seen.append(fn), lambda *a: ("on gpu", fn(*a)))[1]
    monkeypatch.setitem(sys.modules, "spaces", fake)
    assert on_gpu(work)(1) == ("on gpu", 2) and seen == [work]


def test_each_side_of_the_slider_gets_its_own_setting():
    from imgcr.ui.compare_tab import reencode_side

    *_, state = call(sample=sample_names()[0], codecs=("jpeg", "webp"))
    state2, left, right, pair = reencode_side(state, ORIGINAL, "WebP", "right", 20, progress=no_progress)
    assert right["value"] == "WebP @ 20" and "WebP @ 20" in right["choices"] and left["value"] == ORIGINAL
    pair = [px(p) for p in pair]
    assert np.array_equal(pair[0], state["ref"]) and not np.array_equal(pair[1], state["images"]["WebP"])
    assert psnr(state["ref"], pair[1]) < psnr(state["ref"], state["images"]["WebP"])  # q20 is worse than q75
    assert "WebP @ 20" not in state["images"]  # the old state is not mutated
    state3, left, right, pair = reencode_side(state2, "JPEG", "WebP @ 20", "left", 90, progress=no_progress)
    assert left["value"] == "JPEG @ 90" and right["value"] == "WebP @ 20"  # only the left side changed
    assert state3["captions"]["JPEG @ 90"][0] == "JPEG" and "bytes" in state3["captions"]["JPEG @ 90"][1]
    with pytest.raises(gr.Error, match="original"):
        reencode_side(state, ORIGINAL, "WebP", "left", 50, progress=no_progress)


def test_a_big_image_is_shown_at_screen_size_and_keeps_its_pixels_for_zoom_and_downloads(tmp_path):
    """The slider and the original go out as lossless screen-size views (the status says so); the zoom panel,
    figures and downloads keep every pixel."""
    from imgcr import views

    rng = np.random.default_rng(3)
    big = np.ascontiguousarray(np.repeat(np.repeat(rng.integers(0, 255, (130, 90, 3), dtype=np.uint8), 20, 0), 30, 1))
    src = tmp_path / "big.png"
    Image.fromarray(big).save(src, compress_level=1)  # 2700x2600
    original, table, status, slider, left, right, files, bars, summary, state = call(upload=str(src), codecs=("jpeg",),
                                                                                      metric_ids=("psnr",))
    assert px(original).shape[:2] == px(slider[1]).shape[:2] == views.screen_shape(2600, 2700) == (1972, 2048)
    assert "Shown at 2048×1972" in status
    with Image.open(files[0]) as im:  # the real JPEG file, full size
        assert im.format == "JPEG" and im.size == (2700, 2600)
    assert state["images"]["JPEG"].shape == big.shape  # the zoom panel and figures crop the real pixels
    pair = render_view(state, ORIGINAL, "JPEG", "Images", True, 50, 50, 64, 1)
    assert px(pair[0]).shape == (64, 64, 3)


def test_the_slider_shows_the_first_codec_to_land_and_the_right_choice_says_so():
    """Rows land in any order: the right-hand side chosen when the first codec lands stays the one shown."""
    from imgcr.ui.compare_tab import run_compare

    updates = list(run_compare(None, sample_names()[0], no_progress, ["png", "jpeg", "webp"],
                               "Same setting (quality 0-100)", 60, None, ["psnr"], ""))
    first = next(u for u in updates if isinstance(u[3], tuple))
    chosen = first[5]["value"]
    assert chosen != ORIGINAL and all(u[5]["value"] == chosen for u in updates)
    assert px(updates[-1][3][1]).shape == (512, 512, 3)


def test_a_drop_or_a_sample_starts_preparing_the_reference():
    """The drop handler is wired to the upload and to the sample list, with the ticked metrics, out of the API."""
    from imgcr.ui import compare_tab

    demo = build_app()
    wired = {f.fn.__name__: f for f in demo.fns.values() if f.fn is not None}
    for name, event in (("_prepare_dropped", "upload"), ("_prepare_sample", "input")):
        fn = wired[name]
        assert [t[1] for t in fn.targets] == [event] and fn.api_visibility == "private"
        labels = [getattr(b, "label", "") for b in fn.inputs]
        assert labels[1] == "Metrics", labels
    assert compare_tab._prepare_dropped is wired["_prepare_dropped"].fn


def test_the_charts_are_redrawn_only_when_what_they_draw_changes(monkeypatch):
    """MS-SSIM filling in changes no bar (size, ratio, PSNR, SSIM are drawn): those updates leave the charts as
    they are; every row landing redraws them, and the last update carries them whole."""
    import time

    import plotly.graph_objects as go

    from imgcr import metrics

    monkeypatch.setenv("IMGCR_COMPARE_WORKERS", "1")  # one step at a time: an update per step, in a known order
    compute = metrics.Scorer.compute
    # each MS-SSIM step outlasts an update's drawing, so that no two steps land in one update
    monkeypatch.setattr(metrics.Scorer, "compute", lambda self, m, *a: (time.sleep(0.3 if m == "ms_ssim" else 0),
                                                                        compute(self, m, *a))[1])
    updates = list(run_compare(None, sample_names()[0], no_progress, ["jpeg", "webp", "png"], "Same setting (quality 0-100)",
                               63, None, ["psnr", "ssim", "ms_ssim"], ""))  # a setting no other test caches
    bars = [u[7] for u in updates]
    tables = [u[1] for u in updates]
    kept = [i for i, b in enumerate(bars) if not isinstance(b, go.Figure) and b is not None]
    assert kept and all(isinstance(bars[i], dict) and bars[i].get("__type__") == "update" for i in kept)
    for i in kept:  # an unchanged chart: the same rows and sizes as the last one drawn
        assert list(tables[i]["Bytes"]) == list(tables[i - 1]["Bytes"])
    assert isinstance(bars[-1], go.Figure) and len(bars[-1].data[0].x) == 3


def test_the_original_is_whole_on_disk_by_the_first_update(monkeypatch):
    """The original's PNG is written while the first codecs encode; the first update waits for it (here its
    writing is held back until a codec has been encoded, and 1.5 s more)."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from imgcr.codecs.jpeg import JpegCodec
    from imgcr.ui import compare_results

    pool, encoded = ThreadPoolExecutor(1), threading.Event()
    encode = JpegCodec.encode
    monkeypatch.setattr(JpegCodec, "encode", lambda self, *a: (encode(self, *a), encoded.set())[0])

    class Late:
        def submit(self, fn, *args, **kwargs):
            return pool.submit(lambda: (encoded.wait(30), time.sleep(1.5), fn(*args, **kwargs))[2])

    monkeypatch.setattr(compare_results, "_WRITER", Late())
    updates = run_compare(None, sample_names()[0], no_progress, ["jpeg", "png"], "Same setting (quality 0-100)", 75, 30,
                          ["psnr"], "")
    original, *_, state = next(updates)
    assert np.array_equal(px(original), state["ref"])
    updates.close()


def test_warm_takes_what_the_server_loaded_out_of_the_collectors_sight():
    """After the app's warm-up, gradio, torch and plotly's objects are frozen: a full garbage collection no longer
    walks them (it cost 0.14 s inside a comparison)."""
    import gc

    from imgcr.ui import warm

    gc.unfreeze()
    warm()
    assert gc.get_freeze_count() > 100_000
