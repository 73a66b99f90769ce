"""A real launched server (``python app.py``) driven by gradio_client."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

pytestmark = [pytest.mark.server, pytest.mark.slow]

SAME = "Same setting (quality 0-100)"


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False)


def test_compare_endpoint_end_to_end(client, tmp_path, photo):
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    original, table, status, slider, left, right, files, bars, summary = client.predict(
        handle_file(str(path)), None, ["jpeg", "png", "webp", "jpegxl"], "Equal file size (KB)", 75, 25,
        ["psnr", "ssim"], "", api_name="/compare")
    headers, rows = table["headers"], table["data"]
    assert [r[0] for r in rows] == ["JPEG", "PNG", "WebP", "JPEG XL"]
    col = headers.index("Bytes")
    sizes = sorted(Path(f).stat().st_size for f in files)
    assert sizes == sorted(r[col] for r in rows)
    assert all(abs(r[col] - 25000) <= 750 for r in rows if r[0] != "PNG")
    # displayed images are PNG, never re-encoded as lossy WebP
    for shown in (original, *slider):
        assert Path(shown).suffix == ".png"
    with Image.open(original) as im:
        assert im.format == "PNG" and im.tobytes() == Image.fromarray(photo).tobytes()


def test_compare_streams_rows_as_they_land(client):
    """A submit on /compare sees several updates: rows first (pending metrics marked), the complete table last."""
    job = client.submit(None, "coffee (600x400, CC0)", ["jpeg", "png", "webp", "avif", "jpegxl"], SAME, 57, 30,
                        ["psnr", "ssim", "ms_ssim"], "", api_name="/compare")
    final = job.result()
    updates = job.outputs()
    assert len(updates) >= 2 and updates[-1][1]["data"] == final[1]["data"]
    first = updates[0][1]["data"]
    assert any("…" in [str(c) for c in row] or "encoding…" in [str(c) for c in row] for row in first)
    assert not any("…" in str(c) for row in final[1]["data"] for c in row)
    assert "Working" in updates[0][2] and "Working" not in final[2]


@pytest.mark.parametrize("content, needle", [
    (b"this is not an image", "text file"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "corrupt"),
])
def test_bad_uploads_get_a_message_and_the_server_keeps_serving(client, tmp_path, content, needle):
    bad = tmp_path / "upload.jpg"
    bad.write_bytes(content)
    with pytest.raises(Exception, match=needle):
        client.predict(handle_file(str(bad)), None, ["jpeg"], SAME, 75, 30, ["psnr"], "", api_name="/compare")
    _, table, *_ = client.predict(None, client.view_api(print_info=False, return_format="dict")
                                  ["named_endpoints"]["/compare"]["parameters"][1]["parameter_default"],
                                  ["jpeg"], SAME, 75, 30, ["psnr"], "", api_name="/compare")
    assert table["data"][0][0] == "JPEG"


def test_decompression_bomb_is_refused(client, tmp_path):
    from tests.test_images import _png_header_bomb

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_bomb(40000, 40000))
    with pytest.raises(Exception, match="decompression bomb|limit"):
        client.predict(handle_file(str(bomb)), None, ["jpeg"], SAME, 75, 30, ["psnr"], "", api_name="/compare")


def test_repeat_is_cached(client):
    import time

    args = (None, "coffee (600x400, CC0)", ["jpeg", "avif"], "Equal quality (PSNR dB)", 75, 34, ["psnr"], "")
    t0 = time.perf_counter()
    first = client.predict(*args, api_name="/compare")
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = client.predict(*args, api_name="/compare")
    warm = time.perf_counter() - t0
    assert first[1]["data"] == second[1]["data"]
    assert "from the cache" in second[2] and warm < cold




def test_bench_endpoint(client, tmp_path, photo):
    paths = []
    for i, (y, x) in enumerate([(0, 0), (200, 150)]):
        p = tmp_path / f"img{i}.png"
        Image.fromarray(photo[y:y + 200, x:x + 220]).save(p)
        paths.append(handle_file(str(p)))
    result = client.predict(paths, "my uploads only", ["jpeg", "jpegxl"], "20,40,60,80", ["psnr"], 2, "jpeg",
                            "psnr", 60, api_name="/bench")
    status, table, rd, *_, files, images, measured = result
    assert "16 records" in status
    assert table["data"][0][0] == "JPEG XL" and table["data"][0][1] < 0
    names = {Path(f).name for f in files}
    assert names == {"results.json", "results.csv", "rd_curves.csv", "charts.html"}
    doc = __import__("json").loads(Path(next(f for f in files if f.endswith(".json"))).read_text())
    assert {r["image"] for r in doc["records"]} == {"img0.png", "img1.png"}
