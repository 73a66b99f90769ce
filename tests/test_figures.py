"""Figures for slides: labelled 1:1 crops in one PNG, from the Compare and Restore tabs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from imgcr import figures
from imgcr.errors import ImgcrError
from tests.conftest import last


def _caption_strip(lines, width):
    """The captions drawn on white exactly as figures.labelled_crops draws them."""
    font = figures._font(figures.FONT_PX)
    strip = Image.new("RGB", (width, len(lines) * (figures.FONT_PX + 4) + 8), "white")
    draw = ImageDraw.Draw(strip)
    for j, text in enumerate(lines):
        draw.text((0, 6 + j * (figures.FONT_PX + 4)), text, fill="black", font=font)
    return np.asarray(strip)


def test_panels_are_the_region_at_one_to_one_with_their_captions(photo):
    a, b = photo, photo[::-1].copy()
    sheet = figures.labelled_crops([(a, ["left", "1,234 bytes"]), (b, ["right", "PSNR 30.00 dB"])], 25, 75, 128)
    wide = figures.labelled_crops([(a, ["a caption much wider than a sixty-four pixel crop"])], 0, 0, 64)
    assert wide.size[0] > 64 + 2 * figures.GAP  # captions widen their column instead of being cut
    g, s = figures.GAP, 128
    assert sheet.size == (2 * s + 3 * g, s + 2 * (figures.FONT_PX + 4) + 8 + 2 * g)
    px = np.asarray(sheet)
    top, left = int(round((512 - s) * 0.75)), int(round((512 - s) * 0.25))
    assert np.array_equal(px[g : g + s, g : g + s], a[top : top + s, left : left + s])
    assert np.array_equal(px[g : g + s, 2 * g + s : 2 * g + 2 * s], b[top : top + s, left : left + s])
    strip = px[g + s : g + s + 2 * (figures.FONT_PX + 4) + 8, 2 * g + s : 2 * g + 2 * s]
    assert np.array_equal(strip, _caption_strip(["right", "PSNR 30.00 dB"], s))
    with pytest.raises(ImgcrError):
        figures.labelled_crops([], 0, 0, 64)


def test_compare_tab_saves_a_figure(tmp_path, photo):
    from imgcr.ui.compare_tab import run_compare, save_figure

    src = tmp_path / "cat.png"
    Image.fromarray(photo[:200, :300]).save(src)
    out = last(run_compare(str(src), None, lambda *a, **k: None, ["jpeg", "webp"], "Same setting (quality 0-100)", 40,
                           None, ["psnr", "ssim"], ""))
    state = out[-1]
    path = save_figure(state, 50, 50, 128)
    sheet = np.asarray(Image.open(path))
    g, s = figures.GAP, 128
    assert path.endswith("cat_figure.png") and sheet.shape[1] >= 3 * s + 4 * g
    col = (sheet.shape[1] - 4 * g) // 3
    jpeg_lines = state["captions"]["JPEG"]
    assert jpeg_lines[0] == "JPEG" and "bytes" in jpeg_lines[1] and "bpp" in jpeg_lines[1] and "PSNR" in jpeg_lines[2]
    strip = sheet[g + s : g + s + len(jpeg_lines) * (figures.FONT_PX + 4) + 8, 2 * g + col : 2 * g + 2 * col]
    assert np.array_equal(strip, _caption_strip(jpeg_lines, col))
    top, left = (200 - s) // 2, (300 - s) // 2
    assert np.array_equal(sheet[g : g + s, 2 * g + col : 2 * g + col + s], state["images"]["JPEG"][top : top + s, left : left + s])


def test_restore_tab_saves_a_figure(tmp_path, photo):
    from imgcr.ui.restore_tab import run_restore_ui, save_figure

    src = tmp_path / "noisy.png"
    Image.fromarray(photo[:96, :128]).save(src)
    state = last(run_restore_ui(str(src), None, lambda *a, **k: None, "noise:25", 0, ["nlmeans"], 0, "auto", False, 50, 50, 128))[-1]
    sheet = np.asarray(Image.open(save_figure(state, 0, 0, 64)))
    g = figures.GAP
    n_lines = max(len(c) for c in state["captions"].values())  # name, PSNR/SSIM, and LPIPS when its weights are here
    assert sheet.shape[0] == 64 + n_lines * (figures.FONT_PX + 4) + 8 + 2 * g
    assert state["captions"]["degraded"][0] == "degraded (noise:25)" and "PSNR" in state["captions"]["nlmeans"][1]
    assert np.array_equal(sheet[g : g + 64, g : g + 64], photo[:64, :64])  # the original, first, at 1:1


def test_bar_charts_use_the_nearest_measured_setting():
    from imgcr.bench import plots

    recs = [{"codec": "jpeg", "quality": q, "bytes": 1000 * q, "bpp": q / 10, "ratio": 100 / q, "encode_ms": 1.0,
             "decode_ms": 1.0, "psnr": 20 + q / 10} for q in (30, 60, 90)]
    recs.append({"codec": "png", "quality": None, "bytes": 500_000, "bpp": 8.0, "ratio": 3.0, "encode_ms": 5.0,
                 "decode_ms": 2.0, "psnr": None})
    table = plots.at_setting(recs, 75)
    assert table["jpeg"]["bytes"] == 60_000 and table["png"]["bytes"] == 500_000  # 60 is nearest to 75 (tie -> lower)
    assert plots.at_setting(recs, 80)["jpeg"]["bytes"] == 90_000


def test_captions_draw_their_symbols_never_a_missing_glyph_box(monkeypatch):
    """'512×512' and 'σ' in a figure: drawn with a font that has them, else spelled in ASCII (never a box)."""
    from imgcr import figures

    font = figures._font(figures.FONT_PX)
    if figures.has_glyph(font, "×"):
        assert figures.drawable("512×512, σ=25", font) == "512×512, σ=25"
    monkeypatch.setattr(figures, "FONT_CANDIDATES", ())
    monkeypatch.delenv("IMGCR_FONT", raising=False)
    figures._font.cache_clear()
    try:
        fallback = figures._font(figures.FONT_PX)
        text = figures.drawable("Original 512×512, σ=25", fallback)
        assert all(figures.has_glyph(fallback, c) for c in text if not c.isspace())
        assert "512x512" in text
    finally:
        figures._font.cache_clear()
