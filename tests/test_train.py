"""The training pipeline on tiny data (a few steps), and imgcr's shipped trained weights."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgcr.errors import ImgcrError, WeightsError
from imgcr.train.loop import Trainer
from imgcr.train.recipes import RECIPES, Recipe
from imgcr.train.start import make_trainer

ROOT = Path(__file__).resolve().parent.parent
TINY = Recipe("tiny-unet", "a tiny U-Net for tests", "jpeg", "imgcr-UNet", {"in_nc": 3, "widths": (8, 16), "depth": 1},
              quality=(10, 30), steps=24, batch=4, patch=32, patch_schedule=((0.0, 24), (0.5, 32)), lr=2e-3,
              warmup=2, val_every=12, val_qualities=(10,))


def _trainer(tmp_path, data, name="run", recipe=TINY, **kw) -> Trainer:
    t = make_trainer(recipe, [str(data)], tmp_path / "out" / name, run_dir=tmp_path / "runs" / name, threads=1,
                     workers=0, progress=False, **kw)
    t.log_every = 4
    return t


def _interrupt_at(trainer: Trainer, step: int, monkeypatch) -> None:
    """Make ``trainer`` raise KeyboardInterrupt (as Ctrl-C does) when it reaches ``step``."""
    real = trainer._step

    def interrupting(x, y, lr):
        if trainer.state.step == step:
            raise KeyboardInterrupt
        return real(x, y, lr)

    monkeypatch.setattr(trainer, "_step", interrupting)


def test_a_few_steps_lower_the_loss_and_write_weights_and_card(tmp_path, tiny_data):
    import torch

    card = _trainer(tmp_path, tiny_data).run()
    losses = [p["loss"] for p in card["loss_curve"]]
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert card["steps"] == 24 and card["finished"] and card["best_step"] in (12, 24)
    assert card["data"]["train"][str(tiny_data)]["images"] == 4 and card["validation"]["curve"]
    assert card["hardware"]["threads"] == 1 and card["torch"] == torch.__version__
    weights = tmp_path / "out" / "run.pt"
    assert json.loads((tmp_path / "out" / "run.json").read_text())["sha256"] == card["sha256"]
    state = torch.load(weights, weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values())
    from imgcr.models import nets

    model = nets.from_state_dict("imgcr-UNet", state)
    assert model.widths == (8, 16) and model.depth == 1
    assert (tmp_path / "runs" / "run" / "last.pt").is_file()
    log = [json.loads(line) for line in (tmp_path / "runs" / "run" / "log.jsonl").read_text().splitlines()]
    assert any("val" in row for row in log) and any("steps_per_s" in row for row in log)


def test_resume_continues_at_the_saved_step_and_matches_an_uninterrupted_run(tmp_path, tiny_data, monkeypatch):
    import torch

    whole = _trainer(tmp_path, tiny_data, "whole")
    whole.run()
    cut = _trainer(tmp_path, tiny_data, "cut")
    _interrupt_at(cut, 10, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        cut.run()
    ckpt = torch.load(tmp_path / "runs" / "cut" / "last.pt", weights_only=True)
    assert ckpt["state"]["step"] == 10
    with pytest.raises(ImgcrError, match="--resume"):
        _trainer(tmp_path, tiny_data, "cut")
    resumed = _trainer(tmp_path, tiny_data, "cut", resume=True)
    assert resumed.state.step == 10
    card = resumed.run()
    assert card["steps"] == 24
    for k, v in whole.model.state_dict().items():
        assert torch.equal(v, resumed.model.state_dict()[k]), k


def test_resume_can_shorten_a_run_and_the_card_says_so(tmp_path, tiny_data, monkeypatch):
    cut = _trainer(tmp_path, tiny_data, "short")
    _interrupt_at(cut, 12, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        cut.run()
    with pytest.raises(ImgcrError, match="already at step 12"):
        _trainer(tmp_path, tiny_data, "short", resume=True, total_steps=10)
    card = _trainer(tmp_path, tiny_data, "short", resume=True, total_steps=16).run()
    assert card["steps"] == card["total_steps"] == 16
    assert card["length_changes"] == [{"at_step": 12, "from": 24, "to": 16}]


def test_an_interrupted_fine_tune_can_end_where_it_stopped(tmp_path, tiny_data, monkeypatch):
    first = _trainer(tmp_path, tiny_data, "first")
    first.run()
    weights = tmp_path / "out" / "first.pt"
    cut = _trainer(tmp_path, tiny_data, "tuned", init=weights)
    _interrupt_at(cut, 14, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        cut.run()
    stopped = json.loads((tmp_path / "out" / "tuned.json").read_text())
    assert not stopped["finished"] and stopped["steps"] == 14
    # --resume --steps 14: no more steps; the best weights and a finished card, still naming the run's own --init
    card = _trainer(tmp_path, tiny_data, "tuned", resume=True, total_steps=14, init=tmp_path / "other.pt").run()
    assert card["finished"] and card["steps"] == card["total_steps"] == 14
    assert card["length_changes"] == [{"at_step": 14, "from": 24, "to": 14}]
    assert card["init"] == str(weights) and card["best_step"] == 12


def test_init_starts_from_trained_weights(tmp_path, tiny_data):
    import torch

    first = _trainer(tmp_path, tiny_data, "first")
    first.run()
    weights = tmp_path / "out" / "first.pt"
    tuned = _trainer(tmp_path, tiny_data, "tuned", init=weights)
    for k, v in torch.load(weights, weights_only=True).items():
        assert torch.equal(tuned.model.state_dict()[k], v.float()), k
    assert tuned._score()["psnr"] == pytest.approx(first.state.best_score, abs=0.05)  # it scores as the exported best
    assert tuned.write_card(finished=False)["init"] == str(weights)
    with pytest.raises(ImgcrError, match="not weights of this recipe"):
        _trainer(tmp_path, tiny_data, "bad", init=ROOT / "weights" / "jpeg-ae-color.pt")


def test_seeded_runs_take_the_same_first_steps(tmp_path, tiny_data):
    a = _trainer(tmp_path, tiny_data, "a", recipe=dataclasses.replace(TINY, steps=4))
    b = _trainer(tmp_path, tiny_data, "b", recipe=dataclasses.replace(TINY, steps=4))
    c = _trainer(tmp_path, tiny_data, "c", recipe=dataclasses.replace(TINY, steps=4), seed=1)
    la, lb, lc = ([p["loss"] for p in t.run()["loss_curve"]] for t in (a, b, c))
    assert la == lb and la != lc


def test_bad_data_is_one_clear_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImgcrError, match="no images in this folder"):
        _trainer(tmp_path, empty)
    with pytest.raises(ImgcrError, match="no such folder"):
        _trainer(tmp_path, tmp_path / "missing")
    for i in range(3):
        Image.new("RGB", (64, 64), (i * 40, 90, 200)).save(empty / f"fine{i}.png")
    (empty / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImgcrError, match="broken.png") as info:
        _trainer(tmp_path, empty)
    assert "\n" not in str(info.value)


def test_cli_lists_recipes_trains_and_draws_curves(tmp_path, tiny_data, capsys):
    from imgcr.cli import main

    assert main(["train", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in RECIPES)
    out = tmp_path / "w" / "ae"
    assert main(["train", "jpeg-ae-color", "--data", str(tiny_data), "--out", str(out), "--run-dir", str(tmp_path / "r"),
                 "--steps", "3", "--batch", "2", "--patch", "32", "--val-every", "3", "--threads", "1", "--workers", "0",
                 "--quality", "25-45", "--val-quality", "30,40", "--loss", "mse", "--quiet"]) == 0
    assert "3 steps" in capsys.readouterr().out
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["recipe"]["steps"] == 3 and card["arch"] == "imgcr-ConvAE" and card["recipe"]["quality"] == [25, 45]
    assert card["recipe"]["loss"] == "mse" and RECIPES["jpeg-ae-color"].loss != "mse"
    assert card["recipe"]["val_qualities"] == [30, 40] and set(card["validation"]["curve"][-1]["by_value"]) == {"30", "40"}
    html = tmp_path / "curves.html"
    assert main(["train-report", str(out.with_suffix(".json")), "--out", str(html)]) == 0
    assert "Validation PSNR" in html.read_text()
    assert main(["train", "jpeg-ae-color", "--data", str(tmp_path / "nope"), "--out", str(out)]) != 0
    assert "no such folder" in capsys.readouterr().err
    assert main(["train", "jpeg-ae-color", "--data", str(tiny_data), "--out", str(out), "--quality", "50-20"]) == 2
    assert "LO is above HI" in capsys.readouterr().err
    assert main(["train", "jpeg-ae-color", "--data", str(tiny_data), "--out", str(out), "--val-quality", "30;40"]) == 2
    assert "expected numbers" in capsys.readouterr().err
    assert main(["train", "codec-hyperprior", "--data", str(tiny_data), "--out", str(out), "--loss", "l1"]) == 2
    assert "is a codec" in capsys.readouterr().err


def test_wrong_architecture_or_truncated_weights_are_refused(tmp_path):
    import torch

    from imgcr.models import get_model, nets
    from imgcr.models.archs import get_arch

    spec = get_model("jpeg-unet-color")

    def _read_own(spec, path):
        return get_arch(spec.arch).load(spec.id, path, spec.scale).module

    wrong = tmp_path / "wrong.pt"
    torch.save(nets.build("imgcr-ResCNN", in_nc=3, width=8, n_conv=3).state_dict(), wrong)
    with pytest.raises(WeightsError, match="not an imgcr-UNet state dict") as info:
        _read_own(spec, wrong)
    assert "\n" not in str(info.value)
    good = tmp_path / "good.pt"
    torch.save(nets.build("imgcr-UNet", in_nc=3, widths=(8, 16), depth=1).state_dict(), good)
    assert _read_own(spec, good).widths == (8, 16)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(WeightsError, match="cannot read") as info:
        _read_own(spec, cut)
    assert "\n" not in str(info.value)


OWN = [m for m in ("jpeg-unet-color", "jpeg-unet-gray", "jpeg-ae-color", "jpeg-rescnn-color", "jpeg-unet-color-study")]


@pytest.mark.parametrize("model_id", OWN)
def test_shipped_weights_match_their_pin_and_card(model_id):
    from imgcr.models import get_model
    from imgcr.weights import sha256_file

    spec = get_model(model_id)
    path = ROOT / "weights" / spec.weights.names[0]
    assert sha256_file(path) in spec.weights.sha256
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["sha256"] == spec.weights.sha256[0] and card["finished"] and card["arch"] == spec.arch
    from imgcr.models.run import restore

    tiny = np.random.default_rng(0).integers(0, 256, (21, 34, 3), dtype=np.uint8)  # odd sizes: padding paths
    assert restore(tiny, spec).pixels.shape == tiny.shape  # and it runs through the real call path


# golden PSNR on the first Kodak24 image (kodim01), JPEG q10 by libjpeg-turbo, as measured when the weights landed
GOLDEN = {"jpeg-unet-color": 25.5075, "jpeg-unet-gray": 25.2001}


@pytest.mark.parametrize("model_id", sorted(GOLDEN))
def test_shipped_models_keep_their_golden_psnr(model_id, datasets):
    from imgcr import metrics
    from imgcr.degrade import Step, degrade
    from imgcr.images import load_image
    from imgcr.models import get_model
    from imgcr.models.run import restore

    ref = load_image(datasets / "Kodak24" / "kodim01.png").pixels[:256, :384]
    jpeg = degrade(ref, [Step("jpeg", 10)])
    out = restore(jpeg, get_model(model_id)).pixels
    psnr = metrics.psnr(ref, out)
    assert psnr == pytest.approx(GOLDEN[model_id], abs=0.01)
    assert psnr > metrics.psnr(ref, jpeg) + 0.3


@pytest.mark.server
def test_restore_tab_shows_a_model_card_with_curves(app_server):
    from gradio_client import Client

    client = Client(app_server, verbose=False)
    summary, plot = client.predict("jpeg-unet-color", "time", api_name="/model_card")
    assert "jpeg-unet-color" in summary and "M parameters" in summary and "LIVE1 jpeg:10" in summary
    figure = json.loads(plot["plot"])
    names = [t["name"] for t in figure["data"]]
    assert "jpeg-unet-color loss" in names and "jpeg-unet-color PSNR" in names
    assert figure["layout"]["xaxis"]["title"]["text"] == "training time (s)"


def test_unet_joins_compress_then_restore_at_equal_size(datasets):
    from imgcr import metrics
    from imgcr.codecs import get_codec
    from imgcr.images import load_image

    ref = load_image(datasets / "Kodak24" / "kodim05.png").pixels[:192, :256]
    plain, restored = get_codec("jpeg"), get_codec("jpeg+jpeg-unet-color")
    settings = restored.resolve(15)
    data = restored.encode(ref, settings)
    assert data == plain.encode(ref, plain.resolve(15))  # the same bytes: equal file size by construction
    assert metrics.psnr(ref, restored.decode(data)) > metrics.psnr(ref, plain.decode(data)) + 0.3


def test_kill_stops_a_background_run_with_a_checkpoint_to_resume(tmp_path, tiny_data):
    """SIGTERM (and SIGINT, even where a shell started the run with SIGINT ignored) saves last.pt and exits 130."""
    import signal
    import subprocess
    import sys
    import time

    run_dir = tmp_path / "runs"
    cmd = [sys.executable, "-m", "imgcr", "train", "jpeg-ae-color", "--data", str(tiny_data), "--out",
           str(tmp_path / "out" / "ae"), "--run-dir", str(run_dir), "--steps", "5000", "--patch", "32", "--batch", "2",
           "--val-every", "5000", "--threads", "1", "--workers", "0", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    log = run_dir / "log.jsonl"
    deadline = time.monotonic() + 120
    while not (log.is_file() and log.read_text().strip()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "checkpoint saved" in err
    import torch

    assert torch.load(run_dir / "last.pt", weights_only=True)["state"]["step"] >= 50
