"""Model catalogue, loading (spandrel + our layouts), pool, tiling and colour handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imgcr import weights
from imgcr.errors import ImgcrError, WeightsError
from imgcr.models import CATALOG, MODELS, get_model
from imgcr.models.catalog import ModelSpec
from imgcr.models.layouts import VDSR, FFDNet
from imgcr.models.loader import ModelPool
from imgcr.models.run import output_scale, restore
from imgcr.models.tiling import run_tiled

CLI_IDS = ["dncnn-15", "dncnn-25", "dncnn-50", "dncnn-gray-blind", "dncnn-color-blind", "dncnn3", "ffdnet-color",
           "ffdnet-gray", "realesr-animevideov3", "realesr-general-x4v3", "vdsr", "bicubic", "lanczos", "nlmeans"]
DOWNLOADABLE = ["realesrgan-x4plus", "realesrgan-x2plus", "swinir-m-x4", "fbcnn-color", "scunet-color-psnr",
                "drunet-color"]


def test_catalogue_is_one_record_per_model():
    assert len(CATALOG) == len(MODELS)
    for mid in CLI_IDS + DOWNLOADABLE:
        spec = get_model(mid)
        assert spec.licence and spec.source
    for mid in DOWNLOADABLE:
        assert get_model(mid).weights.url.startswith("https://github.com/")
    with pytest.raises(ImgcrError, match="unknown model"):
        get_model("gfpgan")


@pytest.mark.weights
def test_shared_weights_match_their_pinned_sha256(weights_dir):
    for spec in MODELS:
        if spec.weights and spec.weights.sha256:
            path = weights.find(spec.weights)
            assert path is not None, spec.id
            assert weights.sha256_file(path) in spec.weights.sha256, spec.id


def _spec(tmp_path, arch, state, **kw) -> ModelSpec:
    name = f"toy/{arch}.pth"
    (tmp_path / "toy").mkdir(exist_ok=True)
    torch.save(state, tmp_path / name)
    w = weights.WeightFile(id=f"toy-{arch}", names=(name,), sha256=(), url="")
    return ModelSpec(f"toy-{arch}", arch, "denoise", arch, weights=w, **kw)


def test_tiny_random_models_round_trip_through_detection(tmp_path, monkeypatch):
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.DnCNN import DnCNN

    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    torch.manual_seed(0)
    dn = DnCNN(in_nc=3, out_nc=3, nc=8, nb=5)
    compact = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=3, upscale=2)
    ff = FFDNet(in_nc=3, nc=8, nb=4)
    vd = VDSR(depth=3)
    x = torch.rand(1, 3, 20, 22)
    pool = ModelPool(capacity=4)
    for arch, net, kw in (("DnCNN", dn, {}), ("RealESRGAN Compact", compact, {"scale": 2}), ("FFDNet", ff, {}),
                          ("VDSR", vd, {})):
        loaded = pool.get(_spec(tmp_path, arch, net.state_dict(), **kw), "cpu")
        with torch.inference_mode():
            if arch == "FFDNet":
                ref, got = net.eval()(x, torch.full((1, 1, 1, 1), 0.1)), loaded.module(x, torch.full((1, 1, 1, 1), 0.1))
            elif arch == "VDSR":
                ref, got = net.eval()(x[:, :1]), loaded.module(x[:, :1])
            else:
                ref, got = net.eval()(x), loaded.module(x)
        assert torch.allclose(ref, got, atol=1e-6), arch
    wrong = ModelSpec("toy-wrong", "x", "sr", "DnCNN", weights=_spec(tmp_path, "Compact", compact.state_dict()).weights)
    with pytest.raises(WeightsError, match="expected DnCNN"):
        pool.get(wrong, "cpu")


def test_pinned_hash_mismatch_refuses_to_load(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    spec = _spec(tmp_path, "VDSR", VDSR(depth=2).state_dict())
    bad = ModelSpec(spec.id, spec.label, spec.task, spec.arch,
                    weights=weights.WeightFile(spec.weights.id, spec.weights.names, ("0" * 64,), ""))
    with pytest.raises(WeightsError, match="sha256"):
        ModelPool().get(bad, "cpu")


def test_pool_is_an_lru_of_bounded_size(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    specs = [_spec(tmp_path, f"VDSR{i}", VDSR(depth=1).state_dict()) for i in range(3)]
    specs = [ModelSpec(s.id, s.label, s.task, "VDSR", weights=s.weights) for s in specs]
    pool = ModelPool(capacity=2)
    a = pool.get(specs[0], "cpu")
    assert pool.get(specs[0], "cpu") is a and pool.loads == 1
    pool.get(specs[1], "cpu")
    pool.get(specs[2], "cpu")  # evicts specs[0]
    assert pool.get(specs[0], "cpu") is not a and pool.loads == 4


def test_tiled_equals_untiled_and_backs_off_on_oom():
    torch.manual_seed(1)
    from spandrel.architectures.Compact import Compact

    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=6, upscale=2).eval()
    x = torch.rand(1, 3, 70, 93)
    with torch.inference_mode():
        whole = net(x)
        tiled = run_tiled(net, x, 2, tile=32, overlap=12)
    assert torch.allclose(whole, tiled, atol=1e-5)

    calls = []

    def picky(piece):
        calls.append(piece.shape[-1])
        if max(piece.shape[-2:]) > 60:
            raise torch.OutOfMemoryError("simulated")
        return net(piece)

    with torch.inference_mode():
        backed = run_tiled(picky, x, 2, tile=None, overlap=12)
    assert torch.allclose(whole, backed, atol=1e-5) and max(calls[1:]) <= 60


@pytest.mark.weights
def test_real_dncnn_tiled_is_seamless(weights_dir, photo):
    spec = get_model("dncnn-color-blind")
    noisy = np.clip(photo[:150, :170].astype(float) + np.random.default_rng(0).normal(0, 25, (150, 170, 3)), 0, 255)
    noisy = noisy.astype(np.uint8)
    whole = restore(noisy, spec, tile=None).pixels
    tiled = restore(noisy, spec, tile=48).pixels
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


@pytest.mark.weights
def test_gray_models_run_on_y_and_keep_chroma(weights_dir, photo):
    from imgcr.colour import rgb_to_ycbcr

    x = photo[:64, :64]
    out = restore(x, get_model("dncnn3")).pixels
    a, b = rgb_to_ycbcr(x), rgb_to_ycbcr(out)
    assert np.abs(a[..., 1:] - b[..., 1:]).mean() < 1.0  # chroma kept (up to rounding)
    assert np.abs(a[..., 0] - b[..., 0]).mean() > 0.1  # luma changed


@pytest.mark.weights
def test_scale_handling(weights_dir, photo):
    x = photo[:32, :40]
    assert restore(x, get_model("realesr-animevideov3")).pixels.shape == (128, 160, 3)
    two = restore(x, get_model("realesr-animevideov3"), scale=2)
    assert two.pixels.shape == (64, 80, 3) and "resized" in two.notes[0]
    assert restore(x, get_model("vdsr"), scale=3).pixels.shape == (96, 120, 3)
    assert restore(x, get_model("lanczos"), scale=3).pixels.shape == (96, 120, 3)
    with pytest.raises(ImgcrError, match="cannot make x8"):
        output_scale(get_model("realesr-animevideov3"), 8)


def test_classical_nlmeans_denoises(photo):
    x = photo[:96, :96]
    noisy = np.clip(x + np.random.default_rng(3).normal(0, 20, x.shape), 0, 255).astype(np.uint8)
    from imgcr.metrics import psnr

    out = restore(noisy, get_model("nlmeans"), sigma=20).pixels
    assert psnr(x, out) > psnr(x, noisy) + 2


def test_a_slow_load_blocks_only_its_own_model(tmp_path, monkeypatch):
    import threading
    import time

    import imgcr.models.loader as loader

    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    slow, fast = (ModelSpec(s.id, s.label, s.task, "VDSR", weights=s.weights)
                  for s in (_spec(tmp_path, f"VDSRslow{i}", VDSR(depth=1).state_dict()) for i in range(2)))
    real, started = loader._read, threading.Event()

    def read(spec, device):
        if spec.id == slow.id:
            started.set()
            time.sleep(1.5)
        return real(spec, device)

    monkeypatch.setattr(loader, "_read", read)
    pool = ModelPool(capacity=2)
    results = []
    t = threading.Thread(target=lambda: results.append(pool.get(slow, "cpu")))
    t.start()
    started.wait(5)
    t0 = time.perf_counter()
    pool.get(fast, "cpu")
    assert time.perf_counter() - t0 < 1.0  # did not wait for the slow load
    again = [None]
    t2 = threading.Thread(target=lambda: again.__setitem__(0, pool.get(slow, "cpu")))
    t2.start()
    t.join(5)
    t2.join(5)
    assert again[0] is results[0] and pool.loads == 2  # the second request for it waited and shared the load


def test_a_model_in_use_is_not_evicted(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    specs = [ModelSpec(s.id, s.label, s.task, "VDSR", weights=s.weights)
             for s in (_spec(tmp_path, f"VDSRuse{i}", VDSR(depth=1).state_dict()) for i in range(3))]
    pool = ModelPool(capacity=1)
    with pool.use(specs[0], "cpu") as held:
        other = pool.get(specs[1], "cpu")  # over capacity: the leased one stays
        assert pool.get(specs[0], "cpu") is held and pool.loads == 2
    pool.get(specs[2], "cpu")  # the lease ended: now the least recently used go
    assert pool.get(specs[2], "cpu") is not other and pool.loads == 3
    assert pool.get(specs[0], "cpu") is not held and pool.loads == 4


@pytest.mark.slow
def test_fbcnn_and_drunet_run_through_the_real_call_path(tmp_path, monkeypatch):
    """Spandrel's descriptor does FBCNN's tuple output and DRUNet's padding; DRUNet gets the user's noise level."""
    from spandrel.architectures.DRUNet import DRUNet
    from spandrel.architectures.FBCNN import FBCNN

    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    torch.manual_seed(0)
    img = np.random.default_rng(0).integers(0, 256, (21, 30, 3), dtype=np.uint8)  # not a multiple of 8
    fb = _spec(tmp_path, "FBCNN", FBCNN(in_nc=3, out_nc=3).state_dict())
    out = restore(img, fb, device="cpu")
    assert out.pixels.shape == img.shape and out.pixels.dtype == np.uint8
    dr = _spec(tmp_path, "DRUNet", DRUNet(in_nc=4, out_nc=3).state_dict(), needs_sigma=True)
    low, high = restore(img, dr, sigma=5, device="cpu"), restore(img, dr, sigma=50, device="cpu")
    assert low.pixels.shape == img.shape and not np.array_equal(low.pixels, high.pixels)


def _tiny_net(arch: str, spec: ModelSpec):
    """A random-initialised network of ``arch``, small, with the catalogue entry's scale and channels."""
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.DnCNN import DnCNN
    from spandrel.architectures.DRUNet import DRUNet
    from spandrel.architectures.ESRGAN import ESRGAN
    from spandrel.architectures.FBCNN import FBCNN
    from spandrel.architectures.SCUNet import SCUNet
    from spandrel.architectures.SwinIR import SwinIR

    scale = spec.scale or 1
    c = 1 if spec.colour == "y" else 3
    return {
        "DnCNN": lambda: DnCNN(in_nc=c, out_nc=c, nc=8, nb=4),
        "FFDNet": lambda: FFDNet(in_nc=c, nc=8, nb=4),
        "VDSR": lambda: VDSR(depth=2),
        "RealESRGAN Compact": lambda: Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=scale),
        "ESRGAN": lambda: ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=scale),
        "SwinIR": lambda: SwinIR(img_size=16, embed_dim=12, depths=[2], num_heads=[2], window_size=8, upscale=scale,
                                 upsampler="pixelshuffle" if scale > 1 else ""),
        "FBCNN": lambda: FBCNN(in_nc=3, out_nc=3),  # spandrel detects FBCNN only at its published widths
        "SCUNet": lambda: SCUNet(in_nc=3, config=[1] * 7, dim=64),  # spandrel reads its head count at the published width
        "DRUNet": lambda: DRUNet(in_nc=c + 1, out_nc=c),
    }[arch]()


@pytest.mark.slow
@pytest.mark.parametrize("model_id", [m.id for m in MODELS if not m.classical and not m.arch.startswith("imgcr-")])
def test_every_catalogued_model_runs_through_the_real_call_path(model_id, tmp_path, monkeypatch):
    """Each catalogued entry, with random weights of its architecture in its file's place: loads through the
    same detection and descriptor as the real file and restores an odd-sized image to the right shape."""
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    real = get_model(model_id)
    torch.manual_seed(0)
    net = _tiny_net(real.arch, real)
    name = real.weights.names[0]
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), tmp_path / name)
    spec = ModelSpec(real.id, real.label, real.task, real.arch, scale=real.scale, colour=real.colour,
                     weights=weights.WeightFile(id=real.id, names=(name,), sha256=(), url=""),
                     sigma=real.sigma, needs_sigma=real.needs_sigma, fp16=real.fp16)
    img = np.random.default_rng(1).integers(0, 256, (19, 26, 3), dtype=np.uint8)
    scale = output_scale(spec, 2 if real.scale == 0 else None)
    out = restore(img, spec, sigma=15 if real.needs_sigma else None, scale=scale, device="cpu")
    assert out.pixels.shape == (19 * scale, 26 * scale, 3) and out.pixels.dtype == np.uint8, model_id
