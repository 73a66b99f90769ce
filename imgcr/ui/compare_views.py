"""The Compare tab's views of a comparison in hand: the slider pair, the zoom panel at real pixels, the region
picked by a click or by the worst error, one side re-encoded, the figure for slides. No encoding here but the
re-encode, which goes through :func:`imgcr.pipeline.compare` like the first run."""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr
import numpy as np

from imgcr import views
from imgcr.pipeline import CodecResult, compare
from imgcr.ui.common import output_folder, png_files, user_errors

ORIGINAL = "Original"


@dataclass(frozen=True)
class Region:
    """The zoom controls: on/off, centre in % of the image, side in image pixels, screen pixels per image pixel."""

    zoom: bool
    cx: float
    cy: float
    size: int
    magnify: int = 1


def captions(r: CodecResult) -> list[str]:
    """A result's figure caption: codec, bytes and bpp, then its metrics."""
    from imgcr.figures import metric_lines

    return [r.label, f"{r.bytes:,} bytes, {r.bpp:.3f} bpp", *metric_lines(r.metrics, r.lossless)]


@user_errors
def save_figure(state, cx: float, cy: float, size: int) -> str:
    """The region at 1:1 for the original and every result, labelled, as one PNG for slides."""
    if not state:
        raise gr.Error("run a comparison first")
    from imgcr import figures

    panels = [(img, state["captions"][name]) for name, img in state["images"].items()]
    sheet = figures.labelled_crops(panels, cx, cy, int(size))
    return str(figures.save_png(sheet, output_folder(), state["stem"]))


@user_errors
def render_view(state, left: str, right: str, view: str, *region):
    """The slider's two images for the chosen pair and view, cropped to the region when zoom is on
    (``region``: :class:`Region`'s fields)."""
    r = Region(*region)
    if not state:
        return None
    images = state["images"]
    if left not in images or right not in images:
        return None
    ref = state["ref"]
    pair = [views.render(ref, images[name], view) for name in (left, right)]
    pair = [views.crop(img, r.cx, r.cy, int(r.size)) for img in pair] if r.zoom else [views.screen(img) for img in pair]
    return png_files(*pair)


@user_errors
def zoom_panel(state, left: str, right: str, view: str, *region) -> str:
    """Both sides' crops together, drawn at real pixels: each image pixel is exactly ``magnify`` screen
    pixels (nearest neighbour, no smoothing; magnify 1 = 1:1). ``region``: :class:`Region`'s fields."""
    r = Region(*region)
    if not state or not r.zoom:
        return ""
    images = state["images"]
    if left not in images or right not in images:
        return ""
    ref, mag = state["ref"], int(r.magnify)
    cells = []
    for name in (left, right):
        crop = views.crop(views.render(ref, images[name], view), r.cx, r.cy, int(r.size))
        h, w = crop.shape[:2]
        cells.append(
            f'<figure style="margin:0"><img class="imgcr-pixels" alt="{html.escape(name)}" '
            f'width="{w * mag}" height="{h * mag}" src="data:image/png;base64,{_png_b64(crop)}">'
            f"<figcaption>{html.escape(name)} — {w}×{h} px at {mag}×</figcaption></figure>")
    return f'<div class="imgcr-zoom">{"".join(cells)}</div>'


def _png_b64(pixels: np.ndarray) -> str:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, "PNG", compress_level=1)
    return base64.b64encode(buf.getvalue()).decode()


def pick_region(state, size: int, evt: gr.SelectData):
    """A click on the original chooses the zoom region: its centre, as percentages."""
    if not state or evt is None or evt.index is None:
        return gr.update(), gr.update(), gr.update()
    x, y = evt.index[:2]
    h, w = views.screen_shape(*state["ref"].shape[:2])  # the click is on the shown (screen-size) original
    return True, round(100 * x / max(w - 1, 1)), round(100 * y / max(h - 1, 1))


@user_errors
def reencode_side(state, left: str, right: str, which: str, quality: float, progress=gr.Progress()):
    """Squoosh-style: re-encode only one side's codec at another setting; the new result joins the choices
    (``"WebP @ 40"``) and is shown on that side. Returns state, left, right and the slider pair."""
    if not state:
        raise gr.Error("run a comparison first")
    name = left if which == "left" else right
    base = name.split(" @ ")[0]
    codec = state["codecs"].get(base)
    if codec is None:
        raise gr.Error(f"the {which} side shows the original: choose a codec there first")
    from imgcr.images import from_array

    q = float(quality)
    label = f"{base} @ {q:g}"
    if label not in state["images"]:
        image = from_array(state["ref"], state["name"])
        result = compare(image, [codec], quality=q, options=state["settings"]["options"],
                         metric_ids=state["settings"]["metrics"], progress=lambda f, t: progress(f, desc=t))[0]
        if not result.ok:
            raise gr.Error(f"{base} at {q:g}: {result.error}")
        state = {**state, "images": {**state["images"], label: result.decoded},
                 "captions": {**state["captions"], label: captions(result)},
                 "codecs": {**state["codecs"], label: codec}}
    left, right = (label, right) if which == "left" else (left, label)
    names = list(state["images"])
    pair = png_files(views.screen(state["images"][left]), views.screen(state["images"][right]))
    return state, gr.update(choices=names, value=left), gr.update(choices=names, value=right), pair


@user_errors
def zoom_to_worst(state, left: str, right: str, size: int):
    """Turn the zoom on, centred where the right image (or the left, if right is the original) differs most."""
    if not state:
        raise gr.Error("run a comparison first")
    images = state["images"]
    name = right if right in images and right != ORIGINAL else left
    if name not in images or name == ORIGINAL:
        raise gr.Error("choose a codec on the left or right first")
    cx, cy = views.worst_region(state["ref"], images[name], int(size))
    return True, round(cx), round(cy)


