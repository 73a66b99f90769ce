"""The Learn tab: JPEG's numbers as libjpeg-turbo really wrote them, and the handlers behind the tab."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from imgcr.errors import ImgcrError
from imgcr.teaching import jpeg_anatomy as ja


@pytest.mark.parametrize("quality", [5, 25, 50, 75, 95])
def test_quantisation_tables_are_the_ones_in_the_file(photo, quality):
    data = ja.encode(photo, quality, "4:2:0")
    tables = ja.quant_tables(data)
    pillow = Image.open(io.BytesIO(data)).quantization  # Pillow's own reading, natural order
    assert set(tables) == set(pillow) == {0, 1}
    for k in tables:
        assert tables[k].ravel().tolist() == list(pillow[k])
    assert np.array_equal(tables[0], ja.libjpeg_table(quality, ja.ANNEX_K_LUMA))
    assert np.array_equal(tables[1], ja.libjpeg_table(quality, ja.ANNEX_K_CHROMA))


def test_zigzag_is_jpegs_scan():
    order = np.argsort(ja.ZIGZAG.ravel())
    cells = [divmod(int(i), 8) for i in order[:10]]
    assert cells == [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2), (0, 3), (1, 2), (2, 1), (3, 0)]
    assert divmod(int(order[63]), 8) == (7, 7) and sorted(ja.ZIGZAG.ravel()) == list(range(64))


def test_block_dct_matches_an_independent_transform(photo):
    from scipy.fft import dctn, idctn

    data = ja.encode(photo, 30, "4:2:0")
    b = ja.block_study(photo, data, 210, 133)
    assert (b.block_x, b.block_y) == (26, 16)
    np.testing.assert_allclose(b.coefficients, dctn(b.pixels - 128.0, norm="ortho"), atol=1e-6)
    np.testing.assert_allclose(b.reconstructed, idctn(b.quantised * b.table, norm="ortho") + 128.0, atol=1e-6)
    assert b.zeros == int(np.sum(np.rint(b.coefficients / b.table) == 0)) and 0 < b.zeros < 64
    # the float walk-through lands on what libjpeg-turbo decoded, up to its integer rounding
    assert np.abs(b.reconstructed - b.decoded).max() < 4.0
    assert b.coefficients[0, 0] / 8 + 128 == pytest.approx(b.pixels.mean(), abs=1e-9)


def test_chroma_blocks_live_in_the_subsampled_plane(photo):
    data = ja.encode(photo, 30, "4:2:0")
    b = ja.block_study(photo, data, 210, 133, channel="Cr", subsampling="4:2:0")
    assert (b.block_x, b.block_y) == (13, 8) and np.array_equal(b.table, ja.quant_tables(data)[1])
    with pytest.raises(ImgcrError, match="outside"):
        ja.block_study(photo, data, 9999, 0)


def test_subsampling_saves_bytes_and_higher_quality_costs_more(photo):
    sizes = ja.subsampling_sizes(photo, 50)
    assert sizes["4:4:4"] > sizes["4:2:2"] > sizes["4:2:0"]
    assert len(ja.encode(photo, 90)) > len(ja.encode(photo, 20))
    assert ja.blockiness(ja.decode(ja.encode(photo, 5))) > ja.blockiness(ja.decode(ja.encode(photo, 95))) > 0.9


def test_grid_and_error_views(photo):
    over = ja.grid_overlay(photo)
    assert over.shape == photo.shape and not np.array_equal(over[::8], photo[::8]) and np.array_equal(over[1:8, 1:8], photo[1:8, 1:8])
    err = ja.amplified_error(photo, photo)
    assert not err.any()


def _png(path) -> np.ndarray:
    assert str(path).endswith(".png")
    return np.asarray(Image.open(path).convert("RGB"))


def test_learn_tab_handlers(tmp_path, photo):
    import gradio as gr

    from imgcr.ui import learn_tab

    path = tmp_path / "big.png"
    Image.fromarray(np.tile(photo, (2, 2, 1))).save(path)  # 1024 px: shown as its centre 768 px
    state, y, cb, cr, grid, err, regions, fig, block_md, summary = learn_tab.load_and_render(str(path), None, 20, "4:2:0", "Y", 8)
    grid, y = _png(grid), _png(y)  # every picture goes out as a lossless PNG file of its own
    assert grid.shape == (768, 768, 3) and y.shape == (768, 768, 3) and "centre 768×768" in summary
    crops = [_png(r[0]) for r in regions]
    assert np.array_equal(_png(cb)[..., 0], _png(cb)[..., 1]) and crops[0].shape == crops[2].shape
    assert not np.array_equal(crops[0], crops[2])  # 4:4:4 and 4:2:0 differ around the block
    assert [r[1].split(": ")[0] for r in regions] == ["4:4:4", "4:2:2", "4:2:0"] and "bytes" in regions[0][1]
    assert "Zig-zag scan" in block_md and len(fig.data) == 6
    evt = gr.SelectData(None, {"index": [17, 9], "value": None, "selected": True})
    state2, *outs = learn_tab.pick_block(state, 20, "4:2:0", "Y", 8, evt)
    assert state2["point"] == (17, 9) and "Block (2, 1) of Y" in outs[4]
    shown = _png(outs[0])
    assert tuple(shown[8, 16]) == (255, 220, 0) and tuple(shown[15, 23]) == (255, 220, 0)  # its outline, in yellow
    table = [[int(t) for t in row] for row in outs[3].data[2].text]
    data = ja.encode(state["pixels"], 20, "4:2:0")
    assert np.array_equal(np.array(table), ja.quant_tables(data)[0])
    with pytest.raises(gr.Error):
        learn_tab.render(None, 20, "4:2:0", "Y", 8)


def test_a_gray_image_is_explained_as_one_channel(tmp_path, photo):
    from imgcr.ui import learn_tab

    path = tmp_path / "gray.png"
    Image.fromarray(photo).convert("L").save(path)
    *_, regions, fig, block_md, summary = learn_tab.load_and_render(str(path), None, 20, "4:2:0", "Cb", 8)
    sizes = {r[1].split(": ")[1].split(" bytes")[0] for r in regions}
    assert len(sizes) == 1 and "one-channel JPEG" in summary  # no chroma: subsampling changes nothing
    colour = tmp_path / "colour.png"
    Image.fromarray(photo).save(colour)
    assert "one-channel" not in learn_tab.load_and_render(str(colour), None, 20, "4:2:0", "Y", 8)[-1]


def test_zoom_to_the_worst_region_finds_the_damage(photo):
    from imgcr import views
    from imgcr.ui.compare_tab import ORIGINAL, zoom_to_worst

    damaged = photo.copy()
    damaged[300:340, 400:440] ^= 128  # a 40 px patch, every sample off by 128
    cx, cy = views.worst_region(photo, damaged, 64)
    top, left, _, _ = views.region_box(photo.shape, cx, cy, 64)
    assert top <= 300 and top + 64 >= 340 and left <= 400 and left + 64 >= 440
    state = {"ref": photo, "images": {ORIGINAL: photo, "JPEG": damaged}}
    on, zx, zy = zoom_to_worst(state, ORIGINAL, "JPEG", 64)
    assert on is True and (zx, zy) == (round(cx), round(cy))


def test_every_table_column_is_explained():
    from imgcr import glossary
    from imgcr.ui import compare_tab, restore_tab

    for col in [*compare_tab.COLUMNS[1:], *restore_tab.COLUMNS[1:]]:
        if col not in ("Settings", "Device", "Notes"):
            term = glossary.TERMS[col]
            assert term.text and (term.better or col == "Target")
    assert "↑ higher is better" in glossary.TERMS["PSNR dB"].line() and "↓ lower is better" in glossary.TERMS["LPIPS"].line()


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (9, 17)])
def test_tiny_and_flat_images_are_explained_not_crashed(tmp_path, shape):
    import warnings

    from imgcr.ui import learn_tab

    path = tmp_path / "t.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" on the way
        out = learn_tab.load_and_render(str(path), None, 50, "4:2:0", "Cb", 8)
    assert f"{shape[1]}×{shape[0]}" in out[-1] and "Block (0, 0) of Cb" in out[-2]
    assert ja.blockiness(np.full((16, 16, 3), 128, np.uint8)) == 1.0
