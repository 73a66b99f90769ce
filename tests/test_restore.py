"""Degradations, the restore pipeline, compress-then-restore, CLI, tab and endpoint; published numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgcr.cache import ResultCache
from imgcr.degrade import degrade, parse_chain
from imgcr.errors import ImgcrError
from imgcr.images import from_array, is_gray
from imgcr.metrics import psnr
from imgcr.restoration import run_restore
from tests.conftest import last

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.weights


def test_chains_parse_and_refuse_nonsense():
    steps = parse_chain("jpeg:10, noise:25,down:4,blur:1.5")
    assert [s.kind for s in steps] == ["jpeg", "noise", "down", "blur"]
    assert parse_chain("none") == [] and parse_chain("") == []
    for bad, msg in (("sharpen:3", "unknown degradation"), ("jpeg:x", "expected"), ("down:1.5", "integer"),
                     ("jpeg:120", "0-100")):
        with pytest.raises(ImgcrError, match=msg):
            parse_chain(bad)


def test_degradations_are_seeded_and_keep_gray_gray(photo):
    x = photo[:64, :80]
    a = degrade(x, parse_chain("noise:25"), seed=7)
    assert np.array_equal(a, degrade(x, parse_chain("noise:25"), seed=7))
    assert not np.array_equal(a, degrade(x, parse_chain("noise:25"), seed=8))
    assert psnr(x, a) == pytest.approx(20.3, abs=0.6)
    gray = np.repeat(x[..., :1], 3, axis=2)
    assert is_gray(degrade(gray, parse_chain("noise:15,jpeg:30"), seed=1))
    assert degrade(x, parse_chain("down:4")).shape == (16, 20, 3)
    assert degrade(photo[:63, :81], parse_chain("down:2")).shape == (31, 40, 3)


def test_pipeline_scores_each_model_and_caches(weights_dir, photo):
    image = from_array(photo[100:228, 100:228], "crop")
    cache = ResultCache()
    rep = run_restore(image, ["dncnn3", "ffdnet-color", "nlmeans"], "jpeg:10", cache=cache,
                      metric_ids=("psnr", "ssim"))
    assert rep.reference.shape == rep.degraded.shape == (128, 128, 3)
    by = {r.model: r for r in rep.runs}
    assert by["dncnn3"].metrics["psnr"] > rep.degraded_metrics["psnr"] + 0.5
    assert all(r.device == "cpu" and r.seconds >= 0 for r in rep.runs)
    again = run_restore(image, ["dncnn3"], "jpeg:10", cache=cache, metric_ids=("psnr",))
    assert again.runs[0].cached and np.array_equal(again.runs[0].pixels, by["dncnn3"].pixels)


def test_a_crashing_model_costs_only_its_own_row(photo, monkeypatch):
    import imgcr.restoration as restoration

    real = restoration.restore

    def flaky(pixels, spec, **kw):
        if spec.id == "lanczos":
            raise RuntimeError("boom\nsecond line")
        return real(pixels, spec, **kw)

    monkeypatch.setattr(restoration, "restore", flaky)
    rep = run_restore(from_array(photo[:64, :64], "p"), ["lanczos", "bicubic"], "down:2", cache=ResultCache(),
                      metric_ids=("psnr",))
    by = {r.model: r for r in rep.runs}
    assert by["lanczos"].error == "lanczos failed: RuntimeError: boom" and by["lanczos"].pixels is None
    assert by["bicubic"].error is None and by["bicubic"].metrics["psnr"] > 20


def test_already_degraded_has_no_reference(weights_dir, photo):
    rep = run_restore(from_array(photo[:64, :64]), ["dncnn3"], None, cache=ResultCache(), metric_ids=("psnr",))
    assert rep.reference is None and rep.runs[0].metrics == {"psnr": None}
    assert "no degradation" in rep.notes[0]


def test_sr_uses_the_chain_factor(weights_dir, photo):
    rep = run_restore(from_array(photo[:130, :130]), ["realesr-animevideov3", "bicubic"], "down:4",
                      cache=ResultCache(), metric_ids=("psnr", "lpips"))
    assert rep.reference.shape == (128, 128, 3)
    for run in rep.runs:
        assert run.pixels.shape == (128, 128, 3) and run.metrics["psnr"] > 15
    assert rep.degraded_metrics["psnr"] is None


def test_compress_then_restore_at_equal_size(weights_dir, photo):
    from imgcr.codecs import get_codec
    from imgcr.pipeline import compare
    from imgcr.search import Target

    image = from_array(photo[128:384, 128:384], "crop")
    jpeg, restored = compare(image, ["jpeg", "jpeg+dncnn3"], target=Target("bpp", 0.35), metric_ids=("psnr",),
                             cache=ResultCache())
    assert jpeg.data == restored.data  # the same bitstream, the same bytes
    assert restored.metrics["psnr"] > jpeg.metrics["psnr"] + 0.3
    assert restored.params["restore"] == "dncnn3" and get_codec("jpeg+dncnn3").kind == "compress+restore"


def _cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "imgcr", *map(str, args)], capture_output=True, text=True,
                          env=os.environ.copy(), cwd=ROOT, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_cli_restore_models_eval(weights_dir, datasets, tmp_path, photo):
    src = tmp_path / "p.png"
    Image.fromarray(photo[:96, :112]).save(src)
    out = tmp_path / "r.png"
    doc = json.loads(_cli("restore", src, "--model", "ffdnet-color", "--degrade", "noise:25", "--seed", "3",
                          "--out", out, "--json").stdout)
    assert {"model", "device", "seconds", "degraded", "restored"} <= set(doc)
    assert set(doc["restored"]) == {"psnr", "ssim", "lpips"}
    assert doc["restored"]["psnr"] > doc["degraded"]["psnr"] + 3
    assert Image.open(out).size == (112, 96)
    rows = {r["id"]: r for r in json.loads(_cli("models", "--json").stdout)}
    assert rows["dncnn3"]["state"] == "available" and rows["swinir-m-x4"]["state"] == "downloadable"
    assert rows["bicubic"]["state"] == "classical"
    ev = json.loads(_cli("eval", datasets / "Set12", "--model", "ffdnet-gray", "--degrade", "noise:25",
                         "--limit", "2", "--metrics", "psnr", "--json").stdout)
    assert ev["images"] == 2 and ev["restored"]["psnr"] > ev["degraded"]["psnr"] + 6
    bad = _cli("restore", src, "--model", "nope", check=False)
    assert bad.returncode == 2 and "unknown model" in bad.stderr
    bad = _cli("restore", src, "--model", "dncnn3", "--degrade", "sharpen:2", check=False)
    assert bad.returncode == 2 and "unknown degradation" in bad.stderr


def test_restore_tab_handler(weights_dir):
    import gradio as gr

    from imgcr.samples import sample_names
    from imgcr.ui.restore_models import update_estimate
    from imgcr.ui.restore_tab import COLUMNS, run_restore_ui, show_model

    out = last(run_restore_ui(None, sample_names()[0], lambda *a, **k: None, "noise:25", 0, ["ffdnet-color", "nlmeans"], 0, "auto", True, 40, 40,
                         128))
    s1, s2, gallery, table, status, choice, files, state = out
    assert list(table.columns) == COLUMNS and len(table) == 3
    shown = [np.asarray(Image.open(p)) for p in s1]  # image outputs are PNG files of their own
    assert table.loc[1, "ΔPSNR"] > 3 and shown[0].shape == shown[1].shape == (128, 128, 3)
    assert len(gallery) == 2 and len(files) == 3 and choice["value"] == "ffdnet-color"
    assert np.array_equal(np.asarray(Image.open(show_model(state, "nlmeans")[0][1])), state["restored"]["nlmeans"])
    assert "Estimated CPU time" in update_estimate(None, sample_names()[0], ["dncnn3"], False, 256)
    with pytest.raises(gr.Error, match="at least one model"):
        last(run_restore_ui(None, sample_names()[0], lambda *a, **k: None, "noise:25", 0, [], 0, "auto", False, 0, 0, 128))


@pytest.mark.server
def test_restore_endpoint(app_server, tmp_path, photo):
    from gradio_client import Client, handle_file

    src = tmp_path / "p.png"
    Image.fromarray(photo[:80, :96]).save(src)
    client = Client(app_server, verbose=False)
    s1, s2, gallery, table, status, choice, files = client.predict(
        handle_file(str(src)), None, "jpeg:10", 0, ["dncnn3"], 0, "auto", False, 50, 50, 128, api_name="/restore")
    assert Path(s1[0]).suffix == ".png" and Path(s2[1]).suffix == ".png"
    rows = table["data"]
    assert rows[0][0].startswith("degraded") and rows[1][4] > 0  # ΔPSNR positive
    assert {Path(f).name for f in files} == {"p_degraded.png", "p_dncnn3.png"}


@pytest.mark.slow
def test_reproduces_published_numbers(weights_dir, datasets):
    """ASSETS.md's measured figures, same protocols (within 0.05 dB / 0.005 LPIPS)."""
    from imgcr.evaluate import EvalProtocol, evaluate

    dn = evaluate([datasets / "Set12"], "dncnn-25", EvalProtocol.of("noise:25", metric_ids=("psnr",)))
    assert dn["restored"]["psnr"] == pytest.approx(30.46, abs=0.05)
    assert dn["degraded"]["psnr"] == pytest.approx(20.35, abs=0.05)
    sr = evaluate([datasets / "Set5" / "HR"], "realesr-animevideov3", EvalProtocol.of("", metric_ids=("lpips",),
                  lr_dir=datasets / "Set5" / "LR_bicubic" / "X4"))
    assert sr["restored"]["lpips"] == pytest.approx(0.247, abs=0.005)
    vd = evaluate([datasets / "Set5" / "HR"], "vdsr", EvalProtocol.of("", metric_ids=("psnr",), y_channel=True, shave=4,
                  lr_dir=datasets / "Set5" / "LR_bicubic" / "X4"))
    assert vd["restored"]["psnr"] == pytest.approx(31.24, abs=0.05)


def test_super_resolution_gains_are_measured_against_the_bicubic_upscale(photo):
    from imgcr.samples import sample_names
    from imgcr.ui.restore_tab import run_restore_ui

    rep = run_restore(from_array(photo[:96, :96], "p"), ["lanczos", "bicubic"], "down:2", cache=ResultCache(),
                      metric_ids=("psnr", "ssim"))
    assert rep.degraded_metrics["psnr"] is None  # a smaller image has no metrics of its own...
    assert rep.baseline_label == "bicubic upscale x2" and rep.baseline_metrics["psnr"] > 20  # ...its upscale has
    by = {r.model: r for r in rep.runs}
    assert by["bicubic"].metrics["psnr"] == pytest.approx(rep.baseline_metrics["psnr"], abs=1e-9)
    _, _, _, table, status, *_ = last(run_restore_ui(None, sample_names()[0], lambda *a, **k: None, "down:2", 0, ["lanczos"], 0, "auto", True,
                                                50, 50, 128))
    assert table.loc[1, "Result"].startswith("bicubic upscale x2") and table.loc[1, "PSNR dB"] > 20
    assert table.loc[2, "ΔPSNR"] is not None and not np.isnan(table.loc[2, "ΔPSNR"])
    assert "measured against its bicubic upscale" in status


def test_time_estimate_follows_the_input_size_and_what_was_measured():
    from imgcr.models.cost import CostModel, input_pixels

    costs = CostModel()  # the server's COSTS works the same; a fresh one keeps this test independent
    full = costs.estimate(["realesr-animevideov3"], 512, 512, "jpeg:10")
    small = costs.estimate(["realesr-animevideov3"], 512, 512, "down:4")
    assert small.seconds == pytest.approx(full.seconds / 16) and not small.measured  # an SR model runs on the 4x smaller image
    costs.learn("realesr-animevideov3", 128 * 128, 0.5)  # measured: 0.5 s for 128x128
    again = costs.estimate(["realesr-animevideov3"], 512, 512, "down:4")
    assert again.seconds == pytest.approx(0.5) and again.measured
    # VDSR refines the bicubic upscale: learnt and estimated on the same (original-size) pixels
    costs.learn("vdsr", input_pixels("vdsr", 256, 256, 4), 2.0)
    assert costs.estimate(["vdsr"], 256, 256, "down:4").seconds == pytest.approx(2.0)
    costs.learn("dncnn3", 100 * 100, 8.0, ensemble=True)  # an ensemble run counts as 8
    assert costs.estimate(["dncnn3"], 100, 100, "jpeg:10").seconds == pytest.approx(1.0)


def test_a_restore_run_teaches_the_shared_cost_model_and_reports_its_deltas(photo):
    from imgcr.models.cost import COSTS

    COSTS.forget("nlmeans")
    rep = run_restore(from_array(photo[:64, :64], "p"), ["nlmeans"], "noise:25", cache=ResultCache(), metric_ids=("psnr",))
    run = rep.runs[0]
    assert run.deltas["psnr"] == pytest.approx(run.metrics["psnr"] - rep.degraded_metrics["psnr"]) and rep.factor == 1
    assert COSTS.estimate(["nlmeans"], 64, 64, "noise:25").measured
    COSTS.forget("nlmeans")


def test_cli_and_restore_tab_offer_the_same_models_and_deltas(tmp_path, photo, monkeypatch):
    """One rule for which models run here, and the deltas the tab shows are the CLI's."""
    from imgcr.models.availability import runnable_ids
    from imgcr.ui.restore_models import model_choice
    from imgcr.ui.restore_tab import run_restore_ui

    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    env = {**os.environ, "IMGCR_ALLOW_DOWNLOADS": "0"}
    out = subprocess.run([sys.executable, "-m", "imgcr", "models", "--json"], capture_output=True, text=True, env=env,
                         check=True)
    cli_models = [r["id"] for r in json.loads(out.stdout) if r["runs_here"]]
    assert cli_models == runnable_ids() and "bicubic" in cli_models
    assert [model_choice(m)[1] for m in cli_models] == cli_models
    src = tmp_path / "p.png"
    Image.fromarray(photo[:64, :96]).save(src)
    cli = subprocess.run([sys.executable, "-m", "imgcr", "restore", str(src), "--model", "nlmeans", "--degrade", "noise:25",
                          "--metrics", "psnr,ssim", "--json"], capture_output=True, text=True, env=env, check=True)
    doc = json.loads(cli.stdout)
    table = last(run_restore_ui(str(src), None, lambda *a, **k: None, "noise:25", 0, ["nlmeans"], 0, "auto", False, 50, 50, 128))[3]
    assert table.loc[1, "ΔPSNR"] == pytest.approx(doc["deltas"]["psnr"], abs=0.005)
    assert table.loc[1, "ΔSSIM"] == pytest.approx(doc["deltas"]["ssim"], abs=5e-5)


def test_estimates_give_a_range_that_counts_first_loads(photo):
    from imgcr.models.cost import LOAD_S, SPREAD, CostModel
    from imgcr.models.loader import POOL
    from imgcr.samples import sample_names
    from imgcr.ui.restore_models import update_estimate

    POOL.clear()
    est = CostModel().estimate(["dncnn3", "bicubic"], 512, 512, "jpeg:10")
    assert est.loads == 1 and est.high == pytest.approx(est.seconds * SPREAD + LOAD_S)  # bicubic loads nothing
    text = update_estimate(None, sample_names()[0], ["dncnn3"], False, 256)
    assert " to " in text and "load first" in text


def test_study_models_say_what_they_are_for_and_come_last():
    from imgcr.models import MODELS
    from imgcr.ui.restore_models import model_choice

    studies = [m for m in MODELS if m.study]
    assert {m.id for m in studies} == {"jpeg-ae-color", "jpeg-rescnn-color", "jpeg-unet-color-study"}
    assert [m.study for m in MODELS] == sorted(m.study for m in MODELS)  # after every tool
    label = model_choice("jpeg-unet-color-study")[0]
    assert label.startswith("Study only") and "jpeg-unet-color is the trained one" in label


def test_a_restore_error_stays_in_the_status_line(tmp_path):
    import gradio as gr

    from imgcr.ui.restore_tab import run_restore_ui

    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    updates = run_restore_ui(str(bad), None, lambda *a, **k: None, "jpeg:10", 0, ["bicubic"], 0, "auto", False, 50, 50, 128)
    first = next(updates)
    assert "Could not restore" in first[4] and "text file" in first[4]
    with pytest.raises(gr.Error, match="text file"):
        next(updates)
