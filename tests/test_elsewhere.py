"""A file encoded elsewhere joins a comparison with its own bytes, measured like imgcr's codecs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgcr import elsewhere, metrics
from imgcr.errors import ImgcrError
from imgcr.images import from_array
from imgcr.samples import sample_names
from imgcr.ui.compare_tab import run_compare
from tests.conftest import last

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def outside(photo, tmp_path) -> Path:
    path = tmp_path / "made elsewhere.webp"
    Image.fromarray(photo).save(path, quality=40, method=6)
    return path


def test_the_row_is_the_uploaded_file_measured_like_the_rest(photo, outside):
    r = elsewhere.result(from_array(photo), outside, ("psnr", "ssimulacra2"))
    decoded = np.asarray(Image.open(outside).convert("RGB"))
    assert r.data == outside.read_bytes() and r.bytes == outside.stat().st_size  # its own bytes, not re-encoded
    assert np.array_equal(r.decoded, decoded)
    assert r.bpp == pytest.approx(r.bytes * 8 / (photo.shape[0] * photo.shape[1]))
    assert r.metrics["psnr"] == pytest.approx(metrics.psnr(photo, decoded))
    assert r.metrics["ssimulacra2"] == pytest.approx(metrics.compute("ssimulacra2", photo, decoded))
    assert r.codec == "elsewhere-made-elsewhere" and r.extension == ".webp" and "WebP" in r.library


def test_a_file_of_another_size_or_not_an_image_is_refused(photo, tmp_path):
    small = tmp_path / "small.png"
    Image.fromarray(photo[:100]).save(small)
    with pytest.raises(ImgcrError, match="must have the original's size"):
        elsewhere.result(from_array(photo), small, ("psnr",))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ImgcrError):
        elsewhere.result(from_array(photo), text, ("psnr",))


def test_the_compare_tab_adds_the_file_to_table_files_and_slider_choices(outside):
    from imgcr.images import load_image
    from imgcr.samples import sample_path

    original = load_image(sample_path(sample_names()[0])).pixels
    Image.fromarray(original).save(outside, quality=40)
    out = last(run_compare(None, sample_names()[0], lambda *a, **k: None, ["jpeg"], "Same setting (quality 0-100)", 75,
                           None, ["psnr", "ssim"], "", str(outside)))
    _, table, status, _, _, right, files, _, summary, state = out
    row = table[table["Codec"] == "Uploaded: made elsewhere.webp"].iloc[0]
    assert row["Bytes"] == outside.stat().st_size and row["PSNR dB"] > 20
    assert any(Path(f).read_bytes() == outside.read_bytes() for f in files)
    assert "Uploaded: made elsewhere.webp" in state["images"]


def test_the_cli_compares_a_file_encoded_elsewhere(photo, outside, tmp_path):
    ref = tmp_path / "ref.png"
    Image.fromarray(photo).save(ref)
    done = subprocess.run([sys.executable, "-m", "imgcr", "compare", str(ref), "--codecs", "jpeg", "--metrics", "psnr",
                           "--elsewhere", str(outside), "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = {r["codec"]: r for r in json.loads(done.stdout)["results"]}
    assert rows["elsewhere-made-elsewhere"]["bytes"] == outside.stat().st_size
    buf = io.BytesIO(outside.read_bytes())
    assert rows["elsewhere-made-elsewhere"]["psnr"] == pytest.approx(metrics.psnr(photo, np.asarray(Image.open(buf).convert("RGB"))), abs=1e-5)
