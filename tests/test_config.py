"""Settings are read when used: changing the environment takes effect without re-importing anything."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imgcr.errors import ImageTooLargeError


def test_model_pool_and_device_follow_the_environment(monkeypatch):
    from imgcr.devices import best_device
    from imgcr.models.loader import POOL, ModelPool

    monkeypatch.setenv("IMGCR_MODEL_POOL", "5")
    assert POOL.capacity == 5 and ModelPool(capacity=1).capacity == 1
    monkeypatch.setenv("IMGCR_MODEL_POOL", "1")
    assert POOL.capacity == 1
    monkeypatch.setenv("IMGCR_DEVICE", "cpu")
    assert best_device() == "cpu"
    monkeypatch.setenv("IMGCR_DEVICE", "cuda:1")
    assert best_device() == "cuda:1"


def test_training_device_follows_the_same_setting(monkeypatch):
    """``train --device auto`` takes IMGCR_DEVICE as inference does; an unusable GPU is a clear error."""
    import torch

    from imgcr.devices import resolve_device
    from imgcr.errors import ImgcrError

    monkeypatch.setenv("IMGCR_DEVICE", "cpu")
    assert resolve_device("auto") == "cpu"
    if not torch.cuda.is_available():
        monkeypatch.setenv("IMGCR_DEVICE", "cuda")
        with pytest.raises(ImgcrError, match="no CUDA GPU"):
            resolve_device("auto")


def test_pixel_limit_can_be_raised_and_lowered_at_run_time(monkeypatch, tmp_path):
    from imgcr.images import load_image

    path = tmp_path / "wide.png"
    Image.fromarray(np.zeros((100, 3000), dtype=np.uint8)).save(path)  # 0.3 MP
    monkeypatch.setenv("IMGCR_MAX_PIXELS", "200000")
    with pytest.raises(ImageTooLargeError, match="0.2 MP limit"):
        load_image(path)
    monkeypatch.setenv("IMGCR_MAX_PIXELS", "400000")
    assert load_image(path).pixels.shape == (100, 3000, 3)
    # Pillow's own guard (a second net, warning above its limit) follows the setting in force at each decode
    monkeypatch.setenv("IMGCR_MAX_PIXELS", str(300_000_000))
    load_image(path)
    assert Image.MAX_IMAGE_PIXELS == 300_000_000


def test_app_help_lists_every_setting_with_its_variable():
    import subprocess
    import sys

    from imgcr.config import SETTINGS
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "app.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    for s in SETTINGS:
        assert s.flag in text and f"[{s.env}]" in text
    for needed in ("--host", "--port", "--share", "--max-pixels", "--max-upload", "--cache-memory", "--weights-dir",
                   "--device", "--allow-downloads", "--concurrency"):
        assert needed in text


def test_app_flags_become_settings(monkeypatch):
    from imgcr import config, devices

    for s in config.SETTINGS:
        monkeypatch.delenv(s.env, raising=False)
    monkeypatch.setenv("SPACE_ID", "a/b")
    config.parse_app_args(["--port", "9123", "--no-allow-downloads", "--cache-memory", "5e8", "--concurrency", "3"])
    assert config.port() == 9123 and not config.allow_downloads()
    assert config.cache_memory_bytes() == 500_000_000 and config.concurrency() == 3
    assert devices.model_concurrency() in (1, 3)  # 1 only where a GPU is present
    monkeypatch.setenv("IMGCR_DEVICE", "cuda")
    assert devices.model_concurrency() == 1
