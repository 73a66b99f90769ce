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


# --- imgcr's Hugging Face Hub mirror, through huggingface_hub against a local stand-in (tests/hub_server.py)

@pytest.fixture()
def hub(tmp_path, monkeypatch):
    """A local Hub serving tmp/hub/; HF's cache and imgcr's cache in tmp; downloads allowed."""
    from huggingface_hub import constants

    from tests.hub_server import HubServer

    root = tmp_path / "hub"
    root.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("IMGCR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("IMGCR_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("IMGCR_HUB_REPO", raising=False)
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "1")
    with HubServer(root) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def _publish(hub, name: str, payload: bytes) -> None:
    path = hub.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)


def test_hub_fetch_verifies_and_lands_in_the_cache(hub, tmp_path):
    payload = os.urandom(2_500_000)
    _publish(hub, "toy/model.pth", payload)
    seen = []
    path = weights.fetch(spec_for(payload), progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "cache" / "weights" / "toy" / "model.pth" and path.read_bytes() == payload
    assert weights.find(spec_for(payload)) == path
    assert seen and seen[-1] == (len(payload), len(payload))
    assert hub.gets() == ["/imgcr/weights/resolve/main/toy/model.pth"]  # the Hub first, not the official URL


def test_hub_file_with_the_wrong_hash_is_refused_and_nothing_kept(hub, tmp_path):
    payload = os.urandom(10_000)
    _publish(hub, "toy/model.pth", payload)
    hub.tampered.add("toy/model.pth")
    with pytest.raises(WeightsError, match="failed its sha256 check.*nothing was kept"):
        weights.fetch(spec_for(payload))
    kept = [p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size >= 9_000]
    assert kept == [hub.root / "toy" / "model.pth"]  # only the server's copy: no blob, no link, no cache file


def test_missing_on_the_hub_falls_back_to_the_official_source(hub, server, tmp_path):
    folder, base = server
    payload = b"official bytes" * 100
    (folder / "model.pth").write_bytes(payload)
    spec = weights.WeightFile(id="toy", names=("toy/model.pth",), sha256=(hashlib.sha256(payload).hexdigest(),),
                              url=f"{base}/model.pth")
    assert weights.sources(spec)[0].startswith("hf://imgcr/weights@main/")
    assert weights.fetch(spec).read_bytes() == payload
    assert hub.requests and not hub.gets()  # the Hub was asked first (and had no such file)


def test_require_fetches_only_when_downloads_are_allowed(hub, monkeypatch):
    payload = b"weights" * 1000
    _publish(hub, "toy/model.pth", payload)
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    with pytest.raises(WeightsError, match="IMGCR_ALLOW_DOWNLOADS"):
        weights.require(spec_for(payload))
    assert not hub.requests
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "1")
    assert weights.require(spec_for(payload)).read_bytes() == payload


def test_hub_offline_mode_is_one_line(hub, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    spec = weights.WeightFile(id="toy", names=("toy/model.pth",), sha256=("0" * 64,), url="")
    with pytest.raises(WeightsError, match="Hub download of imgcr/weights@main/toy/model.pth failed") as info:
        weights.fetch(spec)
    assert "\n" not in str(info.value) and not hub.requests


def test_allow_downloads_defaults_on_only_on_a_space(monkeypatch):
    from imgcr import config

    monkeypatch.delenv("IMGCR_ALLOW_DOWNLOADS", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert not config.allow_downloads()
    monkeypatch.setenv("SPACE_ID", "someone/imgcr")
    assert config.allow_downloads()
    monkeypatch.setenv("IMGCR_ALLOW_DOWNLOADS", "0")
    assert not config.allow_downloads()


def test_download_box_says_how_big_an_unpinned_file_is(server, monkeypatch):
    """The Restore tab asks the source for the size of a file the catalogue has no pinned size for."""
    from dataclasses import replace

    from imgcr.models import catalog
    from imgcr.ui.restore_models import download_info

    folder, base = server
    (folder / "fbcnn_color.pth").write_bytes(b"x" * 2_500_000)
    real = catalog.CATALOG["fbcnn-color"]
    patched = replace(real, weights=replace(real.weights, url=f"{base}/fbcnn_color.pth"))
    monkeypatch.setitem(catalog.CATALOG, "fbcnn-color", patched)
    text = download_info("fbcnn-color")
    assert "2.5 MB" in text and "no sha256" in text and "Apache-2.0" in text
    monkeypatch.setitem(catalog.CATALOG, "fbcnn-color", replace(real, weights=replace(real.weights, url=f"{base}/gone.pth")))
    assert "size unknown" in download_info("fbcnn-color")


def test_two_first_users_download_once(hub):
    import threading

    payload = os.urandom(300_000)
    _publish(hub, "toy/model.pth", payload)
    got, errors = [], []

    def first_use():
        try:
            got.append(weights.require(spec_for(payload)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(got)) == 1 and got[0].read_bytes() == payload
    assert len(hub.gets()) == 1  # one download for four concurrent first uses


def test_a_published_codec_file_comes_from_the_hub_checked_against_its_name_prefix(hub, tmp_path, monkeypatch):
    """CompressAI's files publish only an 8-hex sha256 prefix (in their names): the Hub mirror's copy is checked
    against it, the full hash recorded beside it; a copy with other bytes is refused and nothing kept."""
    from imgcr.codecs import zoo
    from imgcr.codecs.zoo import ZOO

    monkeypatch.setattr(zoo, "ROOT_URL", "http://127.0.0.1:9/models")  # the official source: nothing listens there
    payload = os.urandom(300_000)
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    pub = ZOO[2].__class__(**{**ZOO[2].__dict__, "prefixes": (prefix,) * 8})
    spec = pub.weight(5)
    _publish(hub, spec.names[0], payload)
    path = weights.fetch(spec)
    assert path.read_bytes() == payload and hub.gets() == [f"/imgcr/weights/resolve/main/{spec.names[0]}"]
    assert path.with_name(path.name + ".sha256").read_text().split()[0] == hashlib.sha256(payload).hexdigest()
    other = pub.weight(6)
    _publish(hub, other.names[0], os.urandom(300_000))  # not the bytes its name's prefix says
    with pytest.raises(WeightsError, match="sha256.*nothing was kept"):
        weights.fetch(other)
    assert not (tmp_path / "cache" / "weights" / other.names[0]).exists()
