"""``python -m imgcr``: JSON contract, files written, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "imgcr", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=os.environ.copy(), timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def image_path(tmp_path_factory, odd_photo):
    path = tmp_path_factory.mktemp("img") / "photo.png"
    Image.fromarray(odd_photo).save(path)
    return path


def test_codecs_json():
    rows = json.loads(run("codecs", "--json").stdout)
    ids = {r["id"] for r in rows}
    assert {"jpeg", "png", "jpeg2000", "webp", "avif", "jpegxl"} <= ids
    for r in rows:
        assert set(r) >= {"id", "kind", "available", "reason", "library"}
        assert r["kind"] in ("classical", "compress+restore", "learned")
        assert (r["reason"] is None) == r["available"]


def test_compare_json_contract_and_files(image_path, tmp_path):
    out = tmp_path / "out"
    proc = run("compare", image_path, "--codecs", "jpeg,png,jpeg2000,webp,avif,jpegxl", "--quality", "50",
               "--metrics", "psnr,ssim,ms_ssim", "--repeats", "1", "--out", out, "--json")
    doc = json.loads(proc.stdout)
    assert doc["image"] == {**doc["image"], "path": str(image_path), "width": 301, "height": 333}
    assert [r["codec"] for r in doc["results"]] == ["jpeg", "png", "jpeg2000", "webp", "avif", "jpegxl"]
    keys = {"codec", "params", "bytes", "bpp", "ratio", "psnr", "ssim", "ms_ssim", "lpips", "encode_ms",
            "decode_ms", "library", "file"}
    exts = {"jpeg": ".jpg", "png": ".png", "jpeg2000": ".j2k", "webp": ".webp", "avif": ".avif", "jpegxl": ".jxl"}
    for r in doc["results"]:
        assert keys <= set(r), keys - set(r)
        path = Path(r["file"])
        assert path.suffix == exts[r["codec"]] and path.stat().st_size == r["bytes"]
        assert r["lpips"] is None  # not requested
    png = doc["results"][1]
    assert png["psnr"] is None and png["ssim"] == 1.0
    assert all(r["psnr"] > 25 for r in doc["results"] if r["codec"] != "png")


def test_compare_target_size_json(image_path):
    doc = json.loads(run("compare", image_path, "--codecs", "jpeg,webp", "--target-size", "12000",
                         "--metrics", "psnr", "--json").stdout)
    for r in doc["results"]:
        assert abs(r["bytes"] - 12000) <= 360 and r["target"]["met"]


def test_codec_options_on_the_cli(image_path):
    doc = json.loads(run("compare", image_path, "--codecs", "jpeg", "--opt", "jpeg.subsampling=4:4:4",
                         "--metrics", "psnr", "--json").stdout)
    assert doc["results"][0]["params"]["subsampling"] == "4:4:4"


def test_table_output(image_path):
    out = run("compare", image_path, "--codecs", "jpeg,png", "--metrics", "psnr").stdout
    assert "jpeg" in out and "lossless" in out


@pytest.mark.parametrize("content, needle", [
    (b"just some text", "text file"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "corrupt"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, needle):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    proc = run("compare", bad, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, needle", [
    (["--codecs", "jpeg,bpg"], "unknown codec 'bpg'"),
    (["--opt", "jpeg.qualty=3"], "no option 'qualty'"),
    (["--metrics", "vmaf"], "unknown metric"),
    (["--target-ssim", "2"], "at most 1"),
])
def test_bad_arguments_are_one_line(image_path, args, needle):
    proc = run("compare", image_path, *args, check=False)
    assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_rgba_input_notes_alpha(tmp_path):
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 3] = 128
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    doc = json.loads(run("compare", path, "--codecs", "png", "--metrics", "psnr", "--json").stdout)
    assert any("alpha" in n for n in doc["image"]["notes"])
