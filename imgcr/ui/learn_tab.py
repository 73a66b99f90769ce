"""The Learn tab: JPEG step by step on the user's own image, for classrooms.

Every control re-encodes with libjpeg-turbo (milliseconds at 512 px) and redraws: the
Y/Cb/Cr planes, chroma subsampling on a zoomed region with the bytes it saves, the
whole image with the 8x8 grid and its amplified error, and one 8x8 block (picked by
clicking the image) through DCT, quantisation and reconstruction.
"""

from __future__ import annotations

import gradio as gr
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from imgcr import glossary, metrics
from imgcr.samples import sample_names
from imgcr.teaching import jpeg_anatomy as ja
from imgcr.ui.common import SESSION_TTL_S, link_upload_and_sample, load_input, png_files, user_errors

MAX_SIDE = 768  # larger images are shown as their centre crop: the tab stays interactive
ZOOM = 4
REGION = 48  # px of the subsampling region, before the x4 zoom


def prepare(upload, sample) -> dict:
    """Load the image (centre crop to MAX_SIDE) and pick its centre block; the tab's state."""
    image = load_input(upload, sample)
    px = image.pixels
    notes = list(image.notes)
    h, w = px.shape[:2]
    if max(h, w) > MAX_SIDE:
        top, left = max(0, (h - MAX_SIDE) // 2), max(0, (w - MAX_SIDE) // 2)
        px = np.ascontiguousarray(px[top : top + MAX_SIDE, left : left + MAX_SIDE])
        notes.append(f"shown: the centre {px.shape[1]}×{px.shape[0]} px of the {w}×{h} image (1:1, so the blocks are real)")
    return {"pixels": px, "name": image.name, "notes": notes, "point": (px.shape[1] // 2, px.shape[0] // 2)}


def _plane_image(plane: np.ndarray) -> np.ndarray:
    g = np.clip(np.rint(plane), 0, 255).astype(np.uint8)
    return np.repeat(g[:, :, None], 3, axis=2)


def _region(px: np.ndarray, point) -> np.ndarray:
    h, w = px.shape[:2]
    s = min(REGION, h, w)
    x0 = min(max(0, point[0] - s // 2), w - s)
    y0 = min(max(0, point[1] - s // 2), h - s)
    crop = px[y0 : y0 + s, x0 : x0 + s]
    return np.ascontiguousarray(np.repeat(np.repeat(crop, ZOOM, axis=0), ZOOM, axis=1))


def block_figure(b: ja.BlockStudy) -> go.Figure:
    """Six 8x8 heat maps with their numbers: pixels, DCT, table, quantised, reconstruction, error."""
    panels = [("pixels (0-255)", b.pixels, "Greys_r", ".0f"), ("DCT of pixels − 128", b.coefficients, "RdBu", ".0f"),
              ("quantisation table (from the file)", b.table, "Viridis", "d"),
              ("quantised: round(DCT ÷ table)", b.quantised, "RdBu", "d"),
              ("reconstructed: IDCT(quantised × table)", b.reconstructed, "Greys_r", ".0f"),
              ("error: reconstructed − original", b.error, "RdBu", ".1f")]
    fig = make_subplots(rows=2, cols=3, subplot_titles=[p[0] for p in panels], horizontal_spacing=0.06, vertical_spacing=0.12)
    for i, (_, z, scale, fmt) in enumerate(panels):
        z = np.asarray(z, dtype=np.float64)
        sym = scale == "RdBu"
        lim = float(np.abs(z).max()) or 1.0
        text = [[format(int(v) if fmt == "d" else float(v), fmt) for v in row] for row in z]
        grey = scale == "Greys_r"
        fig.add_trace(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont={"size": 10}, colorscale=scale,
                                 zmin=-lim if sym else (0 if grey else None), zmax=lim if sym else (255 if grey else None),
                                 showscale=False, hovertemplate="row %{y}, column %{x}: %{text}<extra></extra>"),
                      row=i // 3 + 1, col=i % 3 + 1)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(height=560, margin={"t": 40, "l": 10, "r": 10, "b": 10}, font={"size": 11})
    return fig


def _outline(img: np.ndarray, b: ja.BlockStudy, colour=(255, 220, 0)) -> np.ndarray:
    """Draw the chosen block's outline (the image area it covers) on ``img``."""
    fx, fy = ja.factors(b.channel, b.subsampling)
    h, w = img.shape[:2]
    x0, y0 = b.block_x * 8 * fx, b.block_y * 8 * fy
    x1, y1 = min(x0 + 8 * fx, w) - 1, min(y0 + 8 * fy, h) - 1
    out = img.copy()
    out[y0, x0 : x1 + 1] = out[y1, x0 : x1 + 1] = colour
    out[y0 : y1 + 1, x0] = out[y0 : y1 + 1, x1] = colour
    return out


def block_text(b: ja.BlockStudy) -> str:
    order = np.argsort(ja.ZIGZAG.ravel())
    scan = b.quantised.ravel()[order]
    last = int(np.nonzero(scan)[0][-1]) if np.any(scan) else -1
    shown = ", ".join(str(int(v)) for v in scan[: last + 1])
    fx, fy = ja.factors(b.channel, b.subsampling)
    side = f"8×8 samples = {8 * fx}×{8 * fy} image pixels" if (fx, fy) != (1, 1) else "8×8 pixels"
    dev = float(np.abs(b.reconstructed - b.decoded).max())
    return "\n".join([
        f"**Block ({b.block_x}, {b.block_y}) of {b.channel}**: {side}. Click the image to pick another.",
        f"- Zig-zag scan of the quantised coefficients, low to high frequency: `{shown}` then **end of block** "
        f"({63 - last} trailing zeros cost one symbol).",
        f"- {b.zeros} of 64 coefficients are zero. DC (top-left) = {int(b.quantised[0, 0])} × {int(b.table[0, 0])}: "
        f"the block's mean, {b.coefficients[0, 0] / 8 + 128:.1f}.",
        f"- This float DCT's reconstruction is within {dev:.2f} levels of the block libjpeg-turbo decoded "
        "(its integer DCT and colour conversion round differently).",
    ])


def _zigzag_figure() -> go.Figure:
    z = ja.ZIGZAG
    fig = go.Figure(go.Heatmap(z=z, text=z, texttemplate="%{text}", colorscale="Blues", showscale=False,
                               hovertemplate="row %{y}, column %{x}: scan position %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_layout(title="zig-zag scan order", height=300, width=320, margin={"t": 40, "l": 10, "r": 10, "b": 10})
    return fig


def _fmt(x: float | None, unit: str = "") -> str:
    return "n/a" if x is None else f"{x:.2f}{unit}"


@user_errors
def render(state, quality, subsampling, channel, gain):
    """Everything the tab shows for the image in ``state`` at this quality and subsampling."""
    if not state:
        raise gr.Error("drop an image or pick a sample first")
    px = state["pixels"]
    q = int(quality)
    data = ja.encode(px, q, subsampling)
    decoded = ja.decode(data)
    h, w = px.shape[:2]
    sizes = ja.subsampling_sizes(px, q)
    crops, captions = [], []
    for s in ja.SUBSAMPLINGS:
        dec = decoded if s == subsampling else ja.decode(ja.encode(px, q, s))
        crops.append(_region(dec, state["point"]))
        captions.append(f"{s}: {sizes[s]:,} bytes ({sizes[s] * 8 / (w * h):.3f} bpp)")
    tables = ja.quant_tables(data)
    psnr = metrics.psnr(px, decoded)
    lines = [f"**{state['name']}** {w}×{h} at quality {q}, {subsampling}: **{len(data):,} bytes**, "
             f"{len(data) * 8 / (w * h):.3f} bpp, PSNR {_fmt(psnr, ' dB')}, blockiness {_fmt(ja.blockiness(decoded))} (1 = none).",
             *(f"- {n}" for n in state["notes"]),
             f"- The file holds {len(tables)} quantisation table(s), read back from its DQT segments: luma table at this quality "
             f"= the JPEG standard's table × {(5000 / q if q < 50 else 200 - 2 * q):.0f}% (libjpeg's scaling), clamped to 1-255."]
    if ja.is_one_channel(data):
        lines.append("- This image is gray (R = G = B), so the file is a one-channel JPEG: it stores Y alone, with no "
                     "chroma, and the subsampling setting changes nothing (the three sizes above are equal).")
    b = ja.block_study(px, data, *state["point"], channel=channel, subsampling=subsampling)
    grid = _outline(ja.grid_overlay(decoded), b)
    err = ja.grid_overlay(ja.amplified_error(px, decoded, float(gain)), colour=(60, 60, 60))
    grid_png, err_png, *crop_pngs = png_files(grid, err, *crops)  # lossless, each a file of its own
    regions = list(zip(crop_pngs, captions, strict=True))
    return grid_png, err_png, regions, block_figure(b), block_text(b), "\n\n".join(lines)


def plane_images(state) -> tuple[str, ...]:
    """Y, Cb, Cr of the image as gray pictures, PNG files (they depend on the image only, so are drawn on load)."""
    planes = ja.planes(state["pixels"], "4:4:4")
    return png_files(*(_plane_image(planes[c]) for c in ("Y", "Cb", "Cr")))


@user_errors
def load_and_render(upload, sample, quality, subsampling, channel, gain):
    state = prepare(upload, sample)
    return (state, *plane_images(state), *render(state, quality, subsampling, channel, gain))


@user_errors
def pick_block(state, quality, subsampling, channel, gain, evt: gr.SelectData):
    """A click on the image picks the 8x8 block under it (and centres the subsampling region there)."""
    if not state:
        raise gr.Error("drop an image or pick a sample first")
    state = {**state, "point": (int(evt.index[0]), int(evt.index[1]))}
    return (state, *render(state, quality, subsampling, channel, gain))


def build() -> None:
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            upload = gr.File(label="Drop an image", type="filepath", elem_id="learn-upload")
            samples = sample_names()
            sample = gr.Dropdown(samples, value=samples[0] if samples else None, label="...or a sample image")
            quality = gr.Slider(1, 100, value=25, step=1, label="JPEG quality", elem_id="learn-quality")
            subsampling = gr.Radio(list(ja.SUBSAMPLINGS), value="4:2:0", label="Chroma subsampling")
            channel = gr.Radio(["Y", "Cb", "Cr"], value="Y", label="Block of channel")
            gain = gr.Slider(1, 32, value=8, step=1, label="Error amplification")
            show = gr.Button("Show", variant="primary", elem_id="learn-show")
            with gr.Accordion("What the numbers mean", open=False):
                gr.Markdown(glossary.lines(["Bytes", "bpp", "PSNR dB", "Quantisation step", "Zero coefficients", "Blockiness"]))
        with gr.Column(scale=3):
            summary = gr.Markdown(elem_id="learn-summary")
            with gr.Row():
                grid = gr.Image(label="Decoded, with the 8×8 grid (the chosen block in yellow): click a block", format="png",
                                type="filepath",
                                interactive=False, elem_id="learn-image")
                err = gr.Image(label="Error × amplification: blocking shows as a grid", format="png", type="filepath",
                               interactive=False)
            block_md = gr.Markdown(elem_id="learn-block")
            block_plot = gr.Plot(label="One 8×8 block through JPEG", elem_id="learn-block-plot")
            with gr.Row():
                gr.Plot(_zigzag_figure(), label="Zig-zag order")
                with gr.Column():
                    gr.Markdown("**Colour**: JPEG first turns RGB into luma (Y) and two colour differences (Cb, Cr). "
                                "Eyes resolve luma detail far better than colour detail, so the colour planes can be "
                                "stored at half resolution (4:2:0) for fewer bytes.")
            with gr.Row():
                y_img = gr.Image(label="Y (luma)", format="png", type="filepath", interactive=False)
                cb_img = gr.Image(label="Cb (blue difference)", format="png", type="filepath", interactive=False)
                cr_img = gr.Image(label="Cr (red difference)", format="png", type="filepath", interactive=False)
            regions = gr.Gallery(label=f"Chroma subsampling around the chosen block (×{ZOOM}), with each file's size",
                                 format="png", columns=3, elem_id="learn-subsampling")
            with gr.Accordion("Why newer formats do better, and learned codecs", open=False):
                gr.Markdown(glossary.WHY_NEWER + "\n" + glossary.AUTOENCODER)
    state = gr.State(time_to_live=SESSION_TTL_S)
    outs = [grid, err, regions, block_plot, block_md, summary]
    loaded = [state, y_img, cb_img, cr_img, *outs]
    show.click(load_and_render, [upload, sample, quality, subsampling, channel, gain], loaded, api_name="learn")
    link_upload_and_sample(upload, sample)
    for control in (upload, sample):
        control.change(load_and_render, [upload, sample, quality, subsampling, channel, gain], loaded,
                       api_visibility="private", trigger_mode="always_last")
    for setting in (quality, subsampling, channel, gain):
        setting.change(render, [state, quality, subsampling, channel, gain], outs, api_visibility="private",
                       trigger_mode="always_last", show_progress="hidden")
    grid.select(pick_block, [state, quality, subsampling, channel, gain], [state, *outs], api_visibility="private",
                show_progress="hidden")
