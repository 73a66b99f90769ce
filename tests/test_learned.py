"""Learned codecs: range coding, the .icr container, real files that decode to the reported pixels.

Most tests use a small randomly initialised network (its coding tables computed as export does), so
they exercise the real coding path without trained weights; the shipped models are tested in
test_learned_shipped.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from imgcr.codecs.learned import LearnedCodec
from imgcr.errors import CodecError, ImgcrError
from imgcr.learned import coder, container
from imgcr.learned.comcnn import ComCNNJpeg
from imgcr.learned.nets import FactorizedAE, HyperpriorAE, MultiResAE
from tests.conftest import last

ROOT = Path(__file__).resolve().parent.parent


def _save_net(path: Path, cls=HyperpriorAE, seed: int = 0) -> Path:
    import torch

    torch.manual_seed(seed)
    net = (ComCNNJpeg(3, 8, 3) if cls is ComCNNJpeg else cls(8, 12)).eval()
    net.update_tables()
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def small_codec(tmp_path_factory) -> LearnedCodec:
    path = _save_net(tmp_path_factory.mktemp("w") / "small.pt")
    return LearnedCodec("ae-hyperprior", "test", "imgcr-HyperpriorAE", None, path=path)


def test_coder_round_trips_values_far_outside_the_tables():
    tables = [coder.Table.from_pmf(np.array([0.2, 0.6, 0.2]), -1), coder.Table.from_pmf(np.array([1.0]), 0)]
    values = np.array([0, 1, -1, 5000, -70000, 0, 3, 0], dtype=np.int64)
    which = np.array([0, 0, 0, 0, 1, 1, 1, 0])
    w = coder.Writer()
    w.put(values, which, tables)
    stream, escapes = w.finish()
    assert sorted(escapes.tolist()) == [-70000, 3, 5000]
    assert np.array_equal(coder.Reader(stream, escapes).get(which, tables), values)


def test_inline_escapes_are_compressais_bypass_code_and_round_trip():
    """The published codecs code escapes in the stream as CompressAI's bypass coding does: the distance past the
    table's range (odd below, even above), its nibble count in 4-bit symbols (15: more follow), the nibbles."""
    table = coder.Table.from_pmf(np.array([0.25, 0.5, 0.25]), -1)  # -1, 0, 1 in range; size 3
    assert coder._bypass_symbols(np.array([2]), table) == [0]  # just above: distance 0, no nibbles
    assert coder._bypass_symbols(np.array([-2]), table) == [1, 1]  # just below: raw 1, one nibble
    assert coder._bypass_symbols(np.array([2 + 8]), table) == [2, 0, 1]  # raw 16: two nibbles, low first
    big = coder._bypass_symbols(np.array([-2**62]), table)
    assert big[:2] == [15, 1] and len(big) == 2 + 16  # sixteen nibbles: "15 more", then 1
    values = np.array([0, 2, -2, 10, 1, -70000, 2**31, -2**40, -1, 0], dtype=np.int64)
    which = np.zeros(len(values), dtype=np.int64)
    w = coder.Writer(inline_escapes=True)
    w.put(values, which, [table])
    stream, escapes = w.finish()
    assert len(escapes) == 0
    assert np.array_equal(coder.Reader(stream, escapes, inline_escapes=True).get(which, [table]), values)


def test_tables_pack_and_unpack_identically():
    tables = [coder.Table.from_pmf(np.exp(-np.abs(np.arange(-9, 10)) / s), -9) for s in (0.5, 2.0, 4.0)]
    back = coder.unpack(**coder.pack(tables))
    assert [(t.offset, t.freqs.tolist()) for t in back] == [(t.offset, t.freqs.tolist()) for t in tables]
    assert all(t.freqs.min() >= 1 and t.freqs.sum() <= coder.TOTAL + 1 for t in tables)


@pytest.mark.parametrize("cls", [HyperpriorAE, FactorizedAE, MultiResAE, ComCNNJpeg])
def test_file_decodes_to_the_reported_pixels_for_any_size(tmp_path, cls, odd_photo):
    path = _save_net(tmp_path / "w.pt", cls)
    codec = LearnedCodec("ae-hyperprior", "test", cls.arch_name, None, path=path)
    for img in (odd_photo, odd_photo[:1, :1], odd_photo[:7, :5], odd_photo[:2, :9]):
        data = codec.encode(np.ascontiguousarray(img), codec.resolve(50))
        header, _, _ = container.read(data)
        assert (header.height, header.width) == img.shape[:2] and header.codec == "ae-hyperprior"
        a, b = codec.decode(data), codec.decode(data)
        assert a.shape == img.shape and a.dtype == np.uint8 and np.array_equal(a, b)


def test_truncated_altered_and_foreign_files_are_refused(small_codec, odd_photo):
    data = small_codec.encode(odd_photo, small_codec.resolve(50))
    for bad, words in [(data[: len(data) // 2], "truncated or corrupt"), (data[:10], "truncated"),
                       (data[:-1] + bytes([data[-1] ^ 1]), "checksum"),
                       (data[:40] + bytes([data[40] ^ 0x10]) + data[41:], "corrupt"),
                       (b"\xff\xd8\xff" + data[3:], "not an imgcr")]:
        with pytest.raises(CodecError, match=words):
            small_codec.decode(bad)


def test_a_file_decodes_only_with_the_weights_that_wrote_it(tmp_path, small_codec, odd_photo):
    other = LearnedCodec("ae-hyperprior", "test", "imgcr-HyperpriorAE", None, path=_save_net(tmp_path / "o.pt", seed=1))
    data = small_codec.encode(odd_photo, small_codec.resolve(50))
    with pytest.raises(CodecError, match="other ae-hyperprior weights"):
        other.decode(data)


def test_pinned_sha_and_foreign_weights_are_refused(tmp_path, odd_photo):
    path = _save_net(tmp_path / "w.pt")
    pinned = LearnedCodec("ae-hyperprior", "test", "imgcr-HyperpriorAE", "0" * 64, path=path)
    with pytest.raises(CodecError, match="pinned sha256"):
        pinned.encode(odd_photo, pinned.resolve(50))
    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:5000])
    cut = LearnedCodec("ae-hyperprior", "test", "imgcr-HyperpriorAE", None, path=tmp_path / "cut.pt")
    with pytest.raises(CodecError, match="is not imgcr-HyperpriorAE weights"):
        cut.encode(odd_photo, cut.resolve(50))


_SCRIPT = """
import sys, hashlib, torch
torch.set_num_threads(int(sys.argv[1]))
from imgcr.codecs.learned import LearnedCodec
from imgcr.samples import sample_names, sample_path
from imgcr.images import load_image
c = LearnedCodec("ae-hyperprior", "t", "imgcr-HyperpriorAE", None, path=sys.argv[2])
px = load_image(sample_path(sample_names()[0])).pixels[:200, :264]
b = c.encode(px, c.resolve(float(sys.argv[3])))
print(hashlib.sha256(b).hexdigest(), hashlib.sha256(c.decode(b).tobytes()).hexdigest())
"""


def test_two_processes_at_different_thread_counts_write_and_decode_the_same_bytes(tmp_path):
    path = _save_net(tmp_path / "w.pt")
    runs = [subprocess.run([sys.executable, "-c", _SCRIPT, str(t), str(path), "70"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split() for t in (1, 2)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_quality_is_stored_as_encoded(small_codec, odd_photo):
    data = small_codec.encode(odd_photo, small_codec.resolve(33.333))
    assert container.read(data)[0].quality == 33.33
    assert small_codec.effective(small_codec.resolve(33.333))["quality"] == 33.33


def test_decode_command_decodes_every_format_to_the_codecs_pixels(tmp_path, odd_photo):
    from PIL import Image

    from imgcr.cli import main
    from imgcr.codecs import REGISTRY

    tested = []
    for cid, codec in REGISTRY.items():
        if codec.kind != "classical" or not codec.available:
            continue
        data = codec.encode(odd_photo, codec.resolve(60))
        f = tmp_path / f"x{codec.extension}"
        f.write_bytes(data)
        assert main(["decode", str(f), "-o", str(tmp_path / f"{cid}.png")]) == 0
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"{cid}.png").convert("RGB")), codec.decode(data)), cid
        tested.append(cid)
    assert {"jpeg", "png", "webp", "avif", "jpegxl", "jpeg2000"} <= set(tested)


def test_decode_command_refuses_foreign_and_truncated_files_with_one_line(tmp_path, capsys, small_codec, odd_photo,
                                                                         monkeypatch):
    from imgcr import codecs
    from imgcr.cli import main

    monkeypatch.setitem(codecs.REGISTRY, "ae-hyperprior", small_codec)
    (tmp_path / "a.txt").write_text("hello")
    assert main(["decode", str(tmp_path / "a.txt"), "-o", str(tmp_path / "a.png")]) == 2
    data = small_codec.encode(odd_photo, small_codec.resolve(50))
    (tmp_path / "t.icr").write_bytes(data[:-9])
    assert main(["decode", str(tmp_path / "t.icr"), "-o", str(tmp_path / "t.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no known signature" in err[0] and "truncated" in err[1]
    assert not (tmp_path / "a.png").exists()


# --- training (the shared pipeline, with the rate-distortion objective) -----------------------------

def _tiny_codec_recipe():
    from imgcr.train.recipes import Recipe

    return Recipe("tiny-codec", "a tiny hyperprior codec for tests", "codec", "imgcr-HyperpriorAE",
                  {"n": 8, "m": 12, "lambdas": (0.005, 0.02, 0.08)}, degradation="none", loss="rd", steps=16, batch=3,
                  patch=64, lr=2e-3, warmup=2, val_every=8, val_qualities=(), export_dtype="float32")


def test_codec_training_writes_weights_with_tables_that_code_real_files(tmp_path, tiny_data, odd_photo):
    from imgcr.train.codec_loop import CodecTrainer
    from imgcr.train.start import make_trainer

    recipe = _tiny_codec_recipe()
    t = make_trainer(recipe, [str(tiny_data)], tmp_path / "out" / "c", run_dir=tmp_path / "runs" / "c", threads=1,
                     workers=0, progress=False)
    assert isinstance(t, CodecTrainer)
    t.log_every = 4
    card = t.run()
    assert card["steps"] == 16 and card["finished"] and card["validation"]["baseline"]["psnr"] is None
    curve = card["validation"]["curve"]
    assert [r["step"] for r in curve] == [8, 16] and set(curve[-1]["by_value"]) == {"0", "1", "2"}
    best = max(curve, key=lambda r: r["objective"])
    assert card["best_step"] == best["step"] and card["validation"]["best_objective"] == best["objective"]
    assert card["validation"]["best_psnr"] is None
    bpps = [curve[-1]["by_value"][i]["bpp"] for i in "012"]
    assert all(b > 0 for b in bpps)
    losses = [p["loss"] for p in card["loss_curve"]]
    assert losses[-1] < losses[0]
    codec = LearnedCodec("ae-hyperprior", "t", "imgcr-HyperpriorAE", card["sha256"], path=tmp_path / "out" / "c.pt")
    data = codec.encode(odd_photo, codec.resolve(80))
    assert codec.decode(data).shape == odd_photo.shape


def test_codec_training_resumes_at_the_saved_step(tmp_path, tiny_data):
    from imgcr.train.start import make_trainer

    recipe = _tiny_codec_recipe()
    kw = dict(run_dir=tmp_path / "runs" / "c", threads=1, workers=0, progress=False)
    first = make_trainer(recipe.with_overrides(steps=8), [str(tiny_data)], tmp_path / "out" / "c", **kw)
    first.run()
    again = make_trainer(recipe, [str(tiny_data)], tmp_path / "out" / "c", resume=True, total_steps=16, **kw)
    assert again.state.step == 8
    assert again.run()["steps"] == 16


def test_codec_training_fine_tunes_from_exported_weights(tmp_path, tiny_data):
    # exported weights carry integer coding tables a fresh network lacks: --init must still take them
    import torch

    from imgcr.train.start import make_trainer

    recipe = _tiny_codec_recipe().with_overrides(steps=4, val_every=4)
    kw = dict(threads=1, workers=0, progress=False)
    first = make_trainer(recipe, [str(tiny_data)], tmp_path / "out" / "a", run_dir=tmp_path / "runs" / "a", **kw)
    first.run()
    exported = torch.load(tmp_path / "out" / "a.pt", weights_only=True)
    assert exported["gauss_freqs"].numel() and exported["gauss_freqs"].dtype == torch.int32
    tuned = make_trainer(recipe, [str(tiny_data)], tmp_path / "out" / "b", run_dir=tmp_path / "runs" / "b",
                         init=tmp_path / "out" / "a.pt", **kw)
    assert torch.equal(tuned.model.state_dict()["g_a.0.weight"], exported["g_a.0.weight"])
    assert tuned.run()["init"] == str(tmp_path / "out" / "a.pt")
    foreign = tmp_path / "foreign.pt"
    torch.save({**exported, "extra.weight": torch.zeros(1)}, foreign)
    with pytest.raises(ImgcrError, match="unexpected extra.weight"):
        make_trainer(recipe, [str(tiny_data)], tmp_path / "out" / "c", run_dir=tmp_path / "runs" / "c", init=foreign, **kw)


def test_compare_tab_offers_the_real_file_and_it_decodes_to_the_pixels_shown(tmp_path, small_codec, monkeypatch):
    from PIL import Image

    from imgcr import codecs
    from imgcr.cli import main
    from imgcr.samples import sample_names
    from imgcr.ui.compare_tab import run_compare

    monkeypatch.setitem(codecs.REGISTRY, "ae-hyperprior", small_codec)
    out = last(run_compare(None, sample_names()[0], lambda *a, **k: None, ["jpeg", "ae-hyperprior"],
                           "Same setting (quality 0-100)", 60, 30, ["psnr"], ""))
    table, files, state = out[1], out[6], out[9]
    icr = [Path(f) for f in files if f.endswith(".icr")]
    assert len(icr) == 1 and icr[0].stat().st_size == table.loc[1, "Bytes"]
    assert main(["decode", str(icr[0]), "-o", str(tmp_path / "d.png")]) == 0
    label = next(k for k, v in state["codecs"].items() if v == "ae-hyperprior")
    shown = state["images"][label]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "d.png")), shown)


def test_published_kodak_curves_are_drawn_dashed_only_for_the_whole_of_kodak24():
    from imgcr import references
    from imgcr.ui.bench_tab import _views

    recs = [{"image": f"kodim{i:02d}.png", "codec": "jpeg", "quality": q, "bpp": q / 50, "psnr": 25 + q / 10,
             "lossless": False} for i in range(1, 25) for q in (10, 30, 50, 70)]
    kodak = {"records": recs, "metrics": ["psnr"], "images": [{"name": f"kodim{i:02d}.png"} for i in range(1, 25)]}
    fig = _views(kodak, "jpeg", "psnr", 50)[1]
    dashed = [t.name for t in fig.data if t.line.dash == "dash"]
    assert sorted(dashed) == sorted(references.KODAK_PSNR) and len(fig.data) == 1 + 6
    fewer = {**kodak, "images": kodak["images"][:23], "records": [r for r in recs if r["image"] != "kodim24.png"]}
    assert len(_views(fewer, "jpeg", "psnr", 50)[1].data) == 1
    assert references.kodak_curves("ssim") == {}


def test_every_truncation_and_random_damage_is_a_codec_error(small_codec, odd_photo):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    data = small_codec.encode(odd_photo[:40, :56], small_codec.resolve(50))
    for n in range(len(data)):
        with pytest.raises(CodecError):
            small_codec.decode(data[:n])

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=4,
                    unique_by=lambda t: t[0]))
    def damaged(flips):
        bad = bytearray(data)
        for pos, xor in flips:
            bad[pos] ^= xor
        with pytest.raises(CodecError):
            small_codec.decode(bytes(bad))

    damaged()


def test_comcnn_gets_no_gradient_where_the_codec_clips():
    """The straight-through gradient stops where the JPEG encoder clamps the compact image to [0, 1]
    (without that, training pushed saturated pixels further and further and diverged)."""
    net = ComCNNJpeg(3, 8, 3)
    with torch.no_grad():
        net.com.body[-1].bias.fill_(2.0)  # every compact pixel above 1: all clipped by the codec
    loss, _ = net.rd_loss(torch.rand(2, 3, 16, 16), torch.tensor([0, 3]))
    loss.backward()
    assert all(p.grad is None or not p.grad.any() for p in net.com.parameters())
    assert any(p.grad is not None and p.grad.any() for p in net.rec.parameters())
