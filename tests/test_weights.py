"""The real download path, against a local HTTP server on 127.0.0.1: sha256-checked, offline-first."""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

from imgcr import weights
from imgcr.errors import WeightsError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def server(tmp_path):
    folder = tmp_path / "www"
    folder.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def spec_for(payload: bytes, **kw) -> weights.WeightFile:
    return weights.WeightFile(id="toy", names=("toy/model.pth",), sha256=(hashlib.sha256(payload).hexdigest(),),
                              url="http://invalid.example/model.pth", **kw)


def test_download_verifies_and_lands_in_the_cache(server, tmp_path):
    folder, base = server
    payload = os.urandom(3_000_000)
    (folder / "model.pth").write_bytes(payload)
    seen = []
    path = weights.download(spec_for(payload), url=f"{base}/model.pth", dest_dir=tmp_path / "w",
                            progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == payload and path == tmp_path / "w" / "toy" / "model.pth"
    assert seen[-1] == (len(payload), len(payload))


def test_hash_mismatch_leaves_nothing_behind(server, tmp_path):
    folder, base = server
    (folder / "model.pth").write_bytes(b"tampered")
    with pytest.raises(WeightsError, match="sha256"):
        weights.download(spec_for(b"the real bytes"), url=f"{base}/model.pth", dest_dir=tmp_path / "w")
    assert not any((tmp_path / "w").rglob("*.pth")) and not any((tmp_path / "w").rglob("*.part"))


def test_prefix_checked_source(server, tmp_path):
    folder, base = server
    payload = b"x" * 1000
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    (folder / f"net-{prefix}.pth").write_bytes(payload)
    spec = weights.WeightFile(id="net", names=(f"nets/net-{prefix}.pth",), sha256=(), url="", url_sha256_prefix=prefix)
    path = weights.download(spec, url=f"{base}/net-{prefix}.pth", dest_dir=tmp_path / "w")
    assert path.name == f"net-{prefix}.pth" and path.read_bytes() == payload


def test_unreachable_source_is_a_weights_error(tmp_path):
    with pytest.raises(WeightsError, match="download from"):
        weights.download(spec_for(b"a"), url="http://127.0.0.1:9/none.pth", dest_dir=tmp_path)


def test_cli_download_refuses_bytes_that_fail_the_check(server, tmp_path):
    folder, base = server
    (folder / "alexnet-owt-7be5be79.pth").write_bytes(b"not alexnet")
    env = {**os.environ, "IMGCR_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "imgcr", "weights", "download", "lpips-alex", "--url",
                           f"{base}/alexnet-owt-7be5be79.pth"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 2 and "sha256" in proc.stderr.splitlines()[-1]
    assert not list((tmp_path / "cache").rglob("*.pth"))


def test_search_order_prefers_the_configured_folder(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    for d in (first, second):
        (d / "toy").mkdir(parents=True)
        (d / "toy" / "model.pth").write_bytes(d.name.encode())
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(first))
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(second.parent / "cache-unused"))
    assert weights.find(spec_for(b"")) == first / "toy" / "model.pth"
    monkeypatch.setenv("IMGCR_WEIGHTS_DIR", str(tmp_path / "empty"))
    assert weights.find(spec_for(b"")) is None
    with pytest.raises(WeightsError, match="IMGCR_WEIGHTS_DIR"):
        weights.require(spec_for(b""))
