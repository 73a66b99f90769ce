"""A fresh Hugging Face Space: no ../shared, an empty HOME and cache, ``SPACE_ID`` set.

``python app.py`` runs with ``HF_ENDPOINT`` pointing at a local stand-in for the Hub
(tests/hub_server.py) that serves the real weight files from ../shared/weights: the first
DnCNN restore fetches, verifies and runs them, LPIPS appears, and a file with the wrong
hash is refused with a clear message while the rest keeps working.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.conftest import start_app, stop_app
from tests.hub_server import HubServer

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def space(weights_dir, tmp_path_factory):
    home = tmp_path_factory.mktemp("space-home")
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "GRADIO_ANALYTICS_ENABLED", "TMPDIR")
    with HubServer(weights_dir) as hub:
        hub.tampered.add("ffdnet/ffdnet_color.pth")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update({"HOME": str(home), "SPACE_ID": "imgcr/demo", "HF_ENDPOINT": hub.url,
                    "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1"})
        proc, url = start_app(env, home / "app.log")
        try:
            yield Client(url, verbose=False), hub, home
        finally:
            stop_app(proc)


def test_first_restore_on_a_fresh_space_fetches_verifies_and_runs(space, tmp_path, photo):
    client, hub, home = space
    src = tmp_path / "p.png"
    Image.fromarray(photo[:192, :192]).save(src)
    s1, s2, gallery, table, status, shown, files = client.predict(
        handle_file(str(src)), None, "jpeg:10", 0, ["dncnn3", "ffdnet-color"], 0, "auto", False, 50, 50, 128,
        api_name="/restore")
    rows = {r[0]: r for r in table["data"]}
    headers = table["headers"]
    dncnn = next(r for label, r in rows.items() if label.startswith("DnCNN-3"))
    assert dncnn[headers.index("ΔPSNR")] > 0.5
    assert dncnn[headers.index("LPIPS")] is not None  # the LPIPS trunk was fetched too
    ffdnet = next(r for label, r in rows.items() if label.startswith("FFDNet"))
    assert "sha256" in ffdnet[headers.index("Notes")] and "nothing was kept" in ffdnet[headers.index("Notes")]
    assert "/imgcr/weights/resolve/main/dncnn/dncnn3.pth" in hub.gets()
    assert "/imgcr/weights/resolve/main/lpips/alexnet_features_torchvision_imagenet1k_v1.pth" in hub.gets()
    cached = home / ".cache" / "imgcr" / "weights"
    assert (cached / "dncnn" / "dncnn3.pth").is_file()
    assert not (cached / "ffdnet").exists() or not any((cached / "ffdnet").iterdir())
    assert not [p for p in (home / ".cache" / "huggingface").rglob("*ffdnet_color*") if p.exists()]
    assert {Path(f).name for f in files} == {"p_degraded.png", "p_dncnn3.png"}


def test_second_restore_needs_no_download(space, tmp_path, photo):
    client, hub, _ = space
    src = tmp_path / "q.png"
    Image.fromarray(photo[200:392, 200:392]).save(src)
    before = len(hub.gets())
    client.predict(handle_file(str(src)), None, "jpeg:20", 0, ["dncnn3"], 0, "auto", False, 50, 50, 128,
                   api_name="/restore")
    assert len(hub.gets()) == before
