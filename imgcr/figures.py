"""Figures for slides: labelled crops side by side, at 1:1 pixels, as one PNG.

Each panel is the same region of one image (original, a codec's decoded result, a
restoration...), copied pixel for pixel (never resampled), with its caption lines under
it (codec, bytes, bpp, PSNR / SSIM / LPIPS). Saved as PNG, so the figure shows exactly
what the codec produced.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from imgcr.errors import ImgcrError
from imgcr.views import region_box

GAP = 12
FONT_PX = 15


def metric_lines(m: dict, lossless: bool = False) -> list[str]:
    """Caption lines for a metrics dict: "PSNR .. dB, SSIM ..", then "LPIPS .." when measured."""
    psnr = f"PSNR {m['psnr']:.2f} dB" if m.get("psnr") is not None else ("lossless" if lossless else "")
    ssim = f"SSIM {m['ssim']:.4f}" if m.get("ssim") is not None else ""
    lines = [", ".join(p for p in (psnr, ssim) if p)]
    if m.get("lpips") is not None:
        lines.append(f"LPIPS {m['lpips']:.4f}")
    return lines


# fonts with the captions' symbols (×, σ, Δ, ∞): Pillow's own default (Aileron) draws them as empty boxes.
# DejaVu Sans is Debian's fonts-dejavu-core (a Space installs it from packages.txt); IMGCR_FONT overrides.
FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf",
                   "/usr/share/fonts/dejavu/DejaVuSans.ttf", "/Library/Fonts/Arial Unicode.ttf", "C:/Windows/Fonts/arial.ttf")
ASCII = {"×": "x", "σ": "sigma ", "Δ": "d", "∞": "inf", "–": "-", "—": "-", "≈": "~", "…": "..."}


@functools.lru_cache(maxsize=8)
def _font(px: int):
    for path in filter(None, (os.environ.get("IMGCR_FONT"), *FONT_CANDIDATES)):
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, px)
            except OSError:
                continue
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


@functools.lru_cache(maxsize=64)
def has_glyph(font, ch: str) -> bool:
    """Whether ``font`` draws ``ch`` as itself rather than its missing-glyph box."""
    def mask(c: str) -> bytes:
        im = Image.new("L", (4 * FONT_PX, 2 * FONT_PX))
        ImageDraw.Draw(im).text((2, 2), c, fill=255, font=font)
        return im.tobytes()

    return mask(ch) != mask("\uffff")


def drawable(text: str, font) -> str:
    """``text`` with the symbols ``font`` lacks spelled in ASCII (a fallback font never draws a box)."""
    return "".join(ASCII.get(c, c) if c in ASCII and not has_glyph(font, c) else c for c in text)


def labelled_crops(panels: Sequence[tuple[np.ndarray, Sequence[str]]], cx: float, cy: float, size: int) -> Image.Image:
    """One image: each panel's region at 1:1 with its caption lines under it.

    Args:
        panels: (uint8 HxWx3 image, caption lines); images of another size than the first are skipped.
        cx, cy, size: the region, as the Compare tab's zoom controls give it.
    """
    if not panels:
        raise ImgcrError("nothing to put in a figure: run a comparison first")
    shape = panels[0][0].shape
    panels = [(img, lines) for img, lines in panels if img.shape == shape]
    top, left, sh, sw = region_box(shape, cx, cy, size)
    font = _font(FONT_PX)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    # a column is as wide as its crop or its longest caption line, whichever is wider: captions are never cut
    col = max([sw, *(int(np.ceil(probe.textlength(drawable(t, font), font=font))) for _, lines in panels for t in lines)])
    line_h = FONT_PX + 4
    caption_h = max(len(lines) for _, lines in panels) * line_h + 8
    sheet = Image.new("RGB", (len(panels) * col + (len(panels) + 1) * GAP, sh + caption_h + 2 * GAP), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (img, lines) in enumerate(panels):
        x = GAP + i * (col + GAP)
        sheet.paste(Image.fromarray(np.ascontiguousarray(img[top : top + sh, left : left + sw])), (x, GAP))
        for j, text in enumerate(lines):
            draw.text((x, GAP + sh + 6 + j * line_h), drawable(text, font), fill="black", font=font)
    return sheet


def save_png(image: Image.Image, folder: Path, stem: str) -> Path:
    path = folder / f"{stem}_figure.png"
    image.save(path, optimize=True)
    return path
