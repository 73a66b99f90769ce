"""Shared fixtures. Tests never download: weights and datasets come from ../shared."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IMGCR_SHARED_DIR", ROOT.parent / "shared"))
WEIGHTS = SHARED / "weights"
DATASETS = SHARED / "datasets"

if WEIGHTS.is_dir():
    os.environ.setdefault("IMGCR_WEIGHTS_DIR", str(WEIGHTS))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Every test session gets its own result cache folder."""
    folder = tmp_path_factory.mktemp("cache")
    os.environ["IMGCR_CACHE_DIR"] = str(folder)
    import imgcr.cache

    imgcr.cache._default = None
    yield folder


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"standard test images not found at {DATASETS} (set IMGCR_SHARED_DIR)")
    return DATASETS


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    if not WEIGHTS.is_dir():
        pytest.skip(f"real weights not found at {WEIGHTS} (set IMGCR_SHARED_DIR)")
    return WEIGHTS


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A real photo that ships with scikit-image (CC0), 512x512."""
    from imgcr.images import load_image
    from imgcr.samples import sample_names, sample_path

    return load_image(sample_path(sample_names()[0])).pixels


@pytest.fixture(scope="session")
def odd_photo(photo) -> np.ndarray:
    """An odd-sized crop (exercises padding paths in codecs and metrics)."""
    return np.ascontiguousarray(photo[3:336, 5:306])


def noise_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); the README's test command does it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


def upload(pg, component: str, path: Path, tries: int = 3, wait_ms: int = 30_000, total_ms: int = 240_000) -> None:
    """Drop ``path`` on the Gradio upload ``component`` (a CSS id) and wait until its name shows.

    On 2 busy cores a tab's drop zone can render late, a drop can be lost, and a taken drop's name can show late:
    so this polls, dropping whenever a drop zone is there and nothing was dropped in the last ``wait_ms`` (at most
    ``tries`` drops), and succeeds as soon as the name shows, within ``total_ms``."""
    import time

    # once taken, Gradio's file table shows the name as "stem" and ".ext" in two spans with a space between, so a
    # text match only sees the name while it uploads (a poll can miss that): the cell's aria-label has it whole
    taken = pg.locator(f'{component} td.filename[aria-label="{path.name}"]')
    zone = pg.locator(f"{component} input[type=file]")
    deadline, dropped, last = time.monotonic() + total_ms / 1000, 0, -1e9
    while time.monotonic() < deadline:
        if taken.count():
            return
        if zone.count() and dropped < tries and time.monotonic() - last > wait_ms / 1000:
            try:
                zone.first.set_input_files(str(path), timeout=30_000)
                dropped, last = dropped + 1, time.monotonic()
            except Exception:  # the zone went away under us (the drop was taken after all): keep waiting
                pass
        pg.wait_for_timeout(250)
    raise AssertionError(f"{path.name} never showed in {component} ({dropped} drop(s) in {total_ms / 1000:.0f} s)")


def start_app(env: dict, log: Path, timeout: float = 120.0):
    """Start ``python app.py`` with ``env`` on a free port on 127.0.0.1; returns (process, URL)."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    env = {**env, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"app.py did not start: {log.read_text()}")


def stop_app(proc) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """``python app.py`` as a user runs it, on a free port on 127.0.0.1; yields its URL."""
    log = tmp_path_factory.mktemp("server") / "app.log"
    env = {**os.environ, "IMGCR_CACHE_DIR": str(tmp_path_factory.mktemp("server-cache"))}
    proc, url = start_app(env, log)
    yield url
    stop_app(proc)


@pytest.fixture
def tiny_data(tmp_path, photo) -> Path:
    """Four small crops of the photo in a folder: training data for a few steps."""
    from PIL import Image

    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.ascontiguousarray(photo[i * 90 : i * 90 + 96, 100 : 196 + i * 20])).save(folder / f"im{i}.png")
    return folder


def last(updates):
    """The last of a streamed handler's updates (a Gradio generator): what the page shows at the end."""
    from collections import deque

    tail = deque(updates, maxlen=1)
    return tail[0] if tail else None
