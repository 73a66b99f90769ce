"""The published learned codecs: imgcr's port against CompressAI's own outputs, the real files, the downloads.

The fixtures (tests/fixtures/compressai/NAME.pt.gz) were made by CompressAI 1.2.8 itself in a throwaway virtual
environment (``benchmarks/compressai_fixtures.py`` says how to regenerate them): each architecture at small widths,
trained a few hundred steps so that it codes real content, with its evaluation forward, compressed lengths and
decompressed reconstruction on two fixed inputs. Nothing here downloads from the internet.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from imgcr import weights
from imgcr.codecs.zoo import ZOO, ZooCodec
from imgcr.errors import CodecError, WeightsError
from imgcr.learned.threads import coding_threads
from imgcr.learned.zoo.designs import MODELS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "compressai"
NAMES = sorted(MODELS)


def fixture(name: str) -> dict:
    return torch.load(io.BytesIO(gzip.decompress((FIXTURES / f"{name}.pt.gz").read_bytes())), weights_only=False)


def assert_same_as_compressai(net, fx: dict) -> None:
    """The port's forward, likelihoods, compressed length and decoded pixels against CompressAI's on the fixture."""
    for case in fx["cases"]:
        with torch.no_grad(), coding_threads():
            out = net(case["x"])
            stream, escapes = net.compress(case["x"])
            decoded = net.decompress(stream, escapes, *case["x"].shape[-2:])
        assert torch.allclose(out["x_hat"], case["x_hat"], atol=1e-5)
        for key, lik in case["likelihoods"].items():
            assert torch.allclose(out["likelihoods"][key], lik, atol=1e-5), key
        # one stream here, one per latent in CompressAI (each rANS string ends with its own state): 8 bytes each
        ours = len(stream) + 4 * len(escapes)
        assert abs(ours - case["bytes"]) <= max(0.01 * case["bytes"], 8 * len(case["likelihoods"])), (ours, case["bytes"])
        assert torch.allclose(decoded, case["decoded"], atol=1e-5)
    rate = fx["rate_case"]  # a 256x256 crop: the rate over a longer stream
    x = rate["x_u8"].float() / 255
    with torch.no_grad(), coding_threads():
        stream, escapes = net.compress(x)
        decoded = net.decompress(stream, escapes, 256, 256)
    ours = len(stream) + 4 * len(escapes)
    assert rate["bytes"] >= 500  # real content: untrained, the two hyperprior models code this crop in 188 bytes
    assert abs(ours - rate["bytes"]) <= max(0.01 * rate["bytes"], 8 * len(fx["cases"][0]["likelihoods"])), (ours, rate["bytes"])
    assert torch.allclose(decoded.flatten()[::4099], rate["decoded_sample"], atol=1e-5)
    assert abs(float(decoded.double().sum()) - rate["decoded_sum"]) < 1e-2


@pytest.mark.parametrize("name", NAMES)
def test_the_port_gives_compressais_reconstruction_likelihoods_and_rate(name):
    fx = fixture(name)
    assert_same_as_compressai(MODELS[name].from_state_dict(fx["state_dict"]), fx)


PUBLISHED_WIDTHS = sorted(p.name.removesuffix(".pt.gz") for p in FIXTURES.glob("*-published-q*.pt.gz"))


@pytest.mark.parametrize("name", PUBLISHED_WIDTHS)
def test_the_port_at_the_published_widths_gives_compressais_numbers(name):
    """One design at the widths CompressAI publishes for one quality (its weights rounded to 8 bits, exactly as
    CompressAI ran them): the same reconstruction, likelihoods, length and decoded pixels."""
    fx = fixture(name)
    state = {k: q.float() * scale for k, (q, scale) in fx["int8"].items()} | fx["buffers"]
    net = MODELS[fx["name"]].from_state_dict(state)
    pub = next(p for p in ZOO if p.id == fx["name"])
    assert (net.n, net.m) == tuple(fx["widths"]) == pub.widths_at(fx["quality"])  # the widths imgcr's table says
    assert_same_as_compressai(net, fx)


def test_a_published_width_fixture_is_there():
    assert PUBLISHED_WIDTHS, "make it with benchmarks/compressai_fixtures.py (see its docstring)"


@pytest.mark.parametrize("name", NAMES)
def test_compressais_older_key_names_load(name):
    fx = fixture(name)
    old = {}
    for k, v in fx["state_dict"].items():
        for new, was in (("matrices.", "_matrix"), ("biases.", "_bias"), ("factors.", "_factor")):
            if k.startswith(f"entropy_bottleneck.{new}"):
                k = f"entropy_bottleneck.{was}{k.rsplit('.', 1)[1]}"
        old[f"module.{k.replace('.skip.', '.downsample.')}"] = v  # cheng2020's residual blocks: once "downsample"
    net = MODELS[name].from_state_dict(old)
    x = fx["cases"][0]["x"]
    with torch.no_grad():
        assert torch.allclose(net(x)["x_hat"], fx["cases"][0]["x_hat"], atol=1e-5)


@pytest.fixture()
def published(tmp_path, monkeypatch):
    """The fixtures installed where the codecs look for the published files (every quality: one fixture each)."""
    folder = tmp_path / "weights"
    for pub in ZOO:
        state = fixture(pub.id)["state_dict"]
        for q in range(1, len(pub.prefixes) + 1):
            path = folder / pub.weight(q).names[0]
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(state, path)
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(folder))
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    return folder


@pytest.mark.parametrize("pub", ZOO, ids=[p.id for p in ZOO])
def test_a_published_codec_writes_real_files_that_decode_to_the_reported_pixels(pub, published, photo, tmp_path):
    codec = ZooCodec(pub)
    assert codec.unavailable_reason() is None
    crop = np.ascontiguousarray(photo[:100, :150])  # not a multiple of 64: padded, then cropped back
    data = codec.encode(crop, codec.resolve(50))
    decoded = codec.decode(data)
    assert decoded.shape == crop.shape and decoded.dtype == np.uint8
    net = MODELS[pub.id].from_state_dict(fixture(pub.id)["state_dict"])
    from imgcr.tensors import to_nchw, to_uint8

    with torch.no_grad(), coding_threads():
        stream, escapes = net.compress(to_nchw(crop))
        direct = to_uint8(net.decompress(stream, escapes, 100, 150))
    assert np.array_equal(decoded, direct)
    path = tmp_path / f"x{codec.extension}"
    path.write_bytes(data)
    out = tmp_path / "x.png"
    done = subprocess.run([sys.executable, "-m", "imgcr", "decode", str(path), "--out", str(out)], capture_output=True,
                          text=True, cwd=ROOT, env={**__import__("os").environ}, timeout=300)
    assert done.returncode == 0, done.stderr
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), decoded)
    with pytest.raises(CodecError):
        codec.decode(data[: len(data) // 2])  # truncated: one line, no crash
    other = ZooCodec(next(p for p in ZOO if p.id != pub.id))
    with pytest.raises(CodecError, match="written by"):
        other.decode(data)


def test_the_quality_knob_is_the_published_qualities_and_targets_say_nearest(published, photo):
    from imgcr.search import Target, search

    codec = ZooCodec(ZOO[1])
    assert [codec.resolve(q)["quality"] for q in (0, 10, 50, 100)] == [1, 2, 5, 8]
    crop = np.ascontiguousarray(photo[:128, :128])
    size = len(codec.encode(crop, codec.resolve(None, {"quality": 1})))  # (here every quality holds the same fixture)
    used, probe, report = search(codec, crop, codec.resolve(50), Target("size", size), None)
    assert report.met and used["quality"] in range(1, 9) and len(probe.data) == size
    _, probe, report = search(codec, crop, codec.resolve(50), Target("size", size * 0.5), None)
    assert not report.met and "cannot go this low" in report.note and report.achieved == size  # the nearest, said so


def test_encoding_is_bit_exact_in_two_processes(published, photo, tmp_path):
    script = ("import sys, numpy as np, torch; torch.set_num_threads(int(sys.argv[1]));"
              "from imgcr.codecs.zoo import ZOO, ZooCodec; from imgcr.samples import sample_names, sample_path;"
              "from imgcr.images import load_image; x = np.ascontiguousarray(load_image(sample_path(sample_names()[0])).pixels[:96, :160]);"
              "c = ZooCodec(ZOO[2]); sys.stdout.buffer.write(c.encode(x, c.resolve(60)))")
    import os

    outs = [subprocess.run([sys.executable, "-c", script, n], capture_output=True, cwd=ROOT, env=dict(os.environ), timeout=300).stdout
            for n in ("1", "2")]
    assert outs[0] and outs[0] == outs[1]


@pytest.fixture()
def official(tmp_path, monkeypatch):
    folder = tmp_path / "www"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path / "none"))
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_download_checks_the_published_hash_prefix(official, tmp_path):
    folder, base = official
    payload = (FIXTURES / "bmshj2018-hyperprior.pt.gz").read_bytes()
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    pub = ZOO[1].__class__(**{**ZOO[1].__dict__, "prefixes": (prefix,) * 8})
    spec = pub.weight(3)
    (folder / Path(spec.url).name).write_bytes(payload)
    path = weights.download(spec, url=f"{base}/{Path(spec.url).name}")
    assert path.read_bytes() == payload and path.name.endswith(f"-3-{prefix}.pth.tar")
    assert path.with_name(path.name + ".sha256").read_text().split()[0] == hashlib.sha256(payload).hexdigest()
    wrong = ZOO[1].weight(4)  # the real prefix, which these bytes do not have
    (folder / Path(wrong.url).name).write_bytes(payload)
    with pytest.raises(WeightsError, match="sha256"):
        weights.download(wrong, url=f"{base}/{Path(wrong.url).name}")
    assert not (tmp_path / "cache" / "weights" / wrong.names[0]).exists()


def test_missing_weights_are_a_reason_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    reason = ZooCodec(ZOO[0]).unavailable_reason()
    assert reason and "weights download bmshj2018-factorized-1" in reason


def test_every_published_design_has_its_kodak_points_and_they_give_its_published_bd_rate():
    from imgcr.bench.bdrate import bd
    from imgcr.references import KODAK_JPEG_ANCHOR, KODAK_PSNR, published_name

    anchor_bpp, anchor_psnr = zip(*KODAK_JPEG_ANCHOR, strict=True)
    for pub in ZOO:
        points = KODAK_PSNR[published_name(pub.id)]
        assert len(points) == len(pub.prefixes)  # one point per published quality
        bpp, psnr = zip(*points, strict=True)
        assert list(bpp) == sorted(bpp) and list(psnr) == sorted(psnr)
        # the points as typed reproduce the BD-rate CompressAI published for the design (a typo would move it)
        assert abs(bd(anchor_bpp, anchor_psnr, bpp, psnr).bd_rate - pub.kodak_bd_rate) < 0.6, pub.id


def test_the_compare_tab_downloads_a_published_design_and_then_offers_it(official, monkeypatch, tmp_path, photo):
    from imgcr.codecs import REGISTRY, zoo
    from imgcr.ui import zoo_box

    folder, base = official
    monkeypatch.setenv("IMGCR_HUB_REPO", "")  # the official URL stand-in only
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    monkeypatch.setattr(zoo, "ROOT_URL", base)
    buf = io.BytesIO()
    torch.save(fixture("bmshj2018-hyperprior")["state_dict"], buf)
    payload = buf.getvalue()
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    pub = ZOO[1].__class__(**{**ZOO[1].__dict__, "prefixes": (prefix,) * 8})
    monkeypatch.setitem(REGISTRY, pub.id, ZooCodec(pub))
    for q in range(1, 9):
        (folder / Path(pub.weight(q).url).name).write_bytes(payload)

    offered = dict((v, k) for k, v in zoo_box.download_choices())
    assert offered[pub.id].startswith(f"{pub.id}: 8 files, about ")
    info = zoo_box.download_info(pub.id)
    assert "8 files" in info and base in info and "sha256 prefix" in info and zoo.LICENCE in info
    assert pub.id not in dict((v, k) for k, v in zoo_box.codec_choices())

    seen = []
    text, codecs, designs = zoo_box.download_design(pub.id, progress=lambda f, desc="": seen.append(f))
    assert "8 files downloaded" in text and seen and max(seen) <= 1
    assert pub.id in [v for _, v in codecs["choices"]] and pub.id not in [v for _, v in designs["choices"]]
    assert (tmp_path / "cache" / "weights" / pub.weight(8).names[0]).read_bytes() == payload
    crop = photo[:64, :96]
    codec = REGISTRY[pub.id]
    data = codec.encode(crop, codec.resolve(None, {"quality": 2}))
    assert codec.decode(data).shape == crop.shape  # the downloaded files run as a codec


def test_a_download_from_the_compare_tab_with_a_wrong_prefix_keeps_nothing(official, monkeypatch, tmp_path):
    import gradio as gr

    from imgcr.codecs import REGISTRY, zoo
    from imgcr.ui import zoo_box

    folder, base = official
    monkeypatch.setenv("IMGCR_HUB_REPO", "")
    monkeypatch.setattr(zoo, "ROOT_URL", base)
    monkeypatch.setitem(REGISTRY, ZOO[0].id, ZooCodec(ZOO[0]))
    (folder / Path(ZOO[0].weight(1).url).name).write_bytes(b"not the published bytes" * 100)
    with pytest.raises(gr.Error, match="sha256"):
        zoo_box.download_design(ZOO[0].id, progress=lambda *a, **k: None)
    with pytest.raises(gr.Error, match="not one of the published"):
        zoo_box.download_info("jpeg")
    assert not list((tmp_path / "cache").rglob("*.pth.tar"))


def test_before_a_run_the_compare_tab_says_how_long_the_published_codecs_take(published, tmp_path):
    from PIL import Image

    from imgcr.ui import zoo_box

    small, big = tmp_path / "small.png", tmp_path / "big.png"
    Image.new("RGB", (768, 512), "gray").save(small)
    Image.new("RGB", (1536, 1024), "gray").save(big)
    assert zoo_box.time_note(["jpeg", "webp"], str(small), None) == ""
    fast = zoo_box.time_note(["jpeg", "bmshj2018-factorized"], str(small), None)
    assert "768×512" in fast and "bmshj2018-factorized about" in fast and "serial" not in fast
    slow = zoo_box.time_note(["mbt2018", "cheng2020-attn"], str(big), None)
    assert "mbt2018 about" in slow and "cheng2020-attn about" in slow and "serial" in slow
    for pub in ZOO:  # the quoted times are measured figures, and they grow with the image
        low, high = pub.coding_seconds(768 * 512)
        assert 0 < low <= high and pub.coding_seconds(4 * 768 * 512)[1] == pytest.approx(4 * high)
    serial = [p for p in ZOO if p.serial]
    assert min(p.coding_seconds(10**6)[0] for p in serial) > max(p.coding_seconds(10**6)[1] for p in ZOO if not p.serial)
