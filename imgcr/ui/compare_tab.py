"""The Compare tab: formats side by side at equal setting, size or quality."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from imgcr import glossary, metrics, views
from imgcr.codecs import DEFAULT_CODECS, REGISTRY, parse_options
from imgcr.pipeline import CodecResult, compare
from imgcr.samples import sample_names
from imgcr.search import Target
from imgcr.ui.common import load_input, output_folder, user_errors
from imgcr.ui.present import ADVANCED

MODES = {
    "Same setting (quality 0-100)": None,
    "Equal file size (KB)": "size",
    "Equal file size (bpp)": "bpp",
    "Equal quality (PSNR dB)": "psnr",
    "Equal quality (SSIM)": "ssim",
}
ORIGINAL = "Original"
COLUMNS = ["Codec", "Bytes", "bpp", "Ratio", "PSNR dB", "SSIM", "MS-SSIM", "LPIPS", "Encode ms", "Decode ms", "Target", "Settings"]


def _target(mode: str, value: float | None) -> Target | None:
    kind = MODES.get(mode)
    if mode not in MODES:
        raise gr.Error(f"unknown mode {mode!r}")
    if kind is None:
        return None
    if value is None:
        raise gr.Error("enter a target value for this mode")
    return Target(kind, float(value) * 1000 if kind == "size" else float(value))


def _settings_text(r: CodecResult) -> str:
    return ", ".join(f"{k}={v}" for k, v in r.params.items())


def _target_text(r: CodecResult) -> str:
    t = r.target
    if not t:
        return ""
    if t.get("error_pct") is None:
        return t.get("note", "")
    mark = "met" if t["met"] else "not met"
    text = f"{t['error_pct']:+.1f}% {mark} ({t['encodes']} encodes)"
    return f"{text}; {t['note']}" if t.get("note") else text


def _num(x, nd):
    return None if x is None else round(float(x), nd)


def results_table(results: list[CodecResult]) -> pd.DataFrame:
    rows = []
    for r in results:
        if not r.ok:
            rows.append([r.label] + [None] * 9 + [("unavailable: " if not r.available else "error: ") + (r.error or ""), ""])
            continue
        m = r.metrics
        psnr = "lossless (∞)" if r.lossless and m.get("psnr") is None else _num(m.get("psnr"), 2)
        rows.append([
            r.label, r.bytes, _num(r.bpp, 4), _num(r.ratio, 2), psnr,
            _num(m.get("ssim"), 5), _num(m.get("ms_ssim"), 5), _num(m.get("lpips"), 4),
            _num(r.encode_ms, 1), _num(r.decode_ms, 1), _target_text(r), _settings_text(r),
        ])
    return pd.DataFrame(rows, columns=COLUMNS)


@user_errors
def run_compare(
    upload: str | None,
    sample: str | None,
    codecs: list[str],
    mode: str,
    quality: float,
    target_value: float | None,
    metric_ids: list[str],
    extra_options: str = "",
    progress=gr.Progress(),
):
    """Run a comparison; returns original, table, status, slider, left/right choices, files, state."""
    image = load_input(upload, sample)
    if not codecs:
        raise gr.Error("choose at least one codec")
    target = _target(mode, target_value)
    options = parse_options(extra_options.split()) if extra_options and extra_options.strip() else {}

    def report(fraction, text):
        progress(fraction, desc=text)

    results = compare(image, codecs=codecs, quality=quality, target=target, options=options,
                      metric_ids=metric_ids or (), progress=report)
    folder = output_folder()
    stem = Path(image.name).stem or "image"
    files = [str(r.write(folder, stem)) for r in results if r.ok]
    done = [r for r in results if r.ok]
    names = [ORIGINAL] + [r.label for r in done]
    state = {"ref": image.pixels, "images": {ORIGINAL: image.pixels, **{r.label: r.decoded for r in done}},
             "captions": {ORIGINAL: [f"Original {image.width}×{image.height}"], **{r.label: captions(r) for r in done}},
             "stem": stem}
    status = _status(image, results, target)
    right = names[1] if len(names) > 1 else ORIGINAL
    slider = (image.pixels, state["images"][right])
    return (
        image.pixels,
        results_table(results),
        status,
        slider,
        gr.update(choices=names, value=ORIGINAL),
        gr.update(choices=names, value=right),
        files,
        state,
    )


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


def _status(image, results, target) -> str:
    lines = [f"**{image.name}**: {image.width}×{image.height} px ({image.source_format or 'array'}, {image.source_mode})"]
    lines += [f"- {note}" for note in image.notes]
    if target is not None:
        lines.append(f"Target: {target.label()} — each codec's quality knob was bisected; 'met' means within 3%.")
    for r in results:
        if not r.ok:
            lines.append(f"- {r.label}: {'unavailable' if not r.available else 'failed'} — {r.error}")
    if any(r.cached for r in results):
        lines.append("Some results came from the cache (same image, codec and settings); their timings are from the first run.")
    return "\n".join(lines)


@user_errors
def render_view(state, left: str, right: str, view: str, zoom: bool, cx: float, cy: float, size: int, magnify: int):
    """The slider's two images for the chosen pair, view, and optional 1:1 crop."""
    if not state:
        return None
    images = state["images"]
    if left not in images or right not in images:
        return None
    ref = state["ref"]
    pair = [views.render(ref, images[name], view) for name in (left, right)]
    if zoom:
        pair = [views.crop(img, cx, cy, int(size), int(magnify)) for img in pair]
    return tuple(np.ascontiguousarray(p) for p in pair)


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


def build() -> None:
    """Lay out the tab inside the current gr.Blocks."""
    available = [c.id for c in REGISTRY.values() if c.available]
    missing = [f"{c.label}: {c.unavailable_reason()}" for c in REGISTRY.values() if not c.available]
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label="Drop an image (PNG, JPEG, WebP, AVIF, TIFF, BMP, GIF...)", type="filepath",
                             elem_id="upload")
            samples = sample_names()
            sample = gr.Dropdown(samples, value=samples[0] if samples else None, label="...or a sample image",
                                 elem_id="sample")
            codecs = gr.CheckboxGroup(
                [(REGISTRY[c].label, c) for c in available],
                value=[c for c in DEFAULT_CODECS if c in available], label="Codecs", elem_id="codecs")
            if missing:
                gr.Markdown("Unavailable here: " + "; ".join(missing))
            mode = gr.Radio(list(MODES), value=next(iter(MODES)), label="Compare at", elem_id="mode")
            quality = gr.Slider(0, 100, value=75, step=1, label="Quality (one 0-100 scale, mapped per codec)")
            target_value = gr.Number(value=30, label="Target (KB, bpp, dB or SSIM, by mode)")
            metric_ids = gr.CheckboxGroup([(m.label, m.id) for m in metrics.METRICS.values()],
                                          value=list(metrics.DEFAULT_METRICS), label="Metrics", elem_classes=[ADVANCED])
            with gr.Accordion("Codec options", open=False, elem_classes=[ADVANCED]):
                extra = gr.Textbox(value="", label="CODEC.NAME=VALUE, space separated",
                                   placeholder="jpeg.subsampling=4:4:4 avif.speed=8 jpegxl.effort=9 webp.lossless=true")
                gr.Markdown(_options_help())
            run = gr.Button("Compare", variant="primary", elem_id="run")
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="status")
            table = gr.Dataframe(headers=COLUMNS, label="Results (timings: median of up to 3 runs)", interactive=False, elem_id="results")
            with gr.Accordion("What the numbers mean", open=False, elem_id="compare-glossary"):
                gr.Markdown(glossary.lines(COLUMNS))
            slider = gr.ImageSlider(label="Left vs right (drag the handle)", format="png", type="numpy",
                                    elem_id="slider", max_height=700)
            with gr.Row():
                left = gr.Dropdown([ORIGINAL], value=ORIGINAL, label="Left", elem_id="left")
                right = gr.Dropdown([ORIGINAL], value=ORIGINAL, label="Right", elem_id="right")
                view = gr.Radio(list(views.VIEWS), value=views.VIEWS[0], label="Show")
            with gr.Row():
                zoom = gr.Checkbox(False, label="Zoom to a region (1:1 pixels)")
                cx = gr.Slider(0, 100, value=50, step=1, label="Region x %")
                cy = gr.Slider(0, 100, value=50, step=1, label="Region y %")
                size = gr.Dropdown([64, 128, 256, 512], value=256, label="Region px")
                magnify = gr.Dropdown([1, 2, 4, 8], value=2, label="Magnify (nearest)")
            with gr.Row():
                worst = gr.Button("Zoom to the worst region", size="sm", elem_id="zoom-worst")
                save_fig = gr.Button("Save as figure (PNG, this region at 1:1)", size="sm", elem_id="save-figure")
                with gr.Accordion("Artifacts to look for", open=False):
                    gr.Markdown(glossary.ARTIFACTS)
            figure_file = gr.File(label="Figure for slides", elem_id="figure-file")
            files = gr.File(label="Encoded files (the real bytes)", file_count="multiple", elem_id="files")
            original = gr.Image(label="Original as loaded (RGB)", format="png", interactive=False, type="numpy",
                                elem_classes=[ADVANCED])
    state = gr.State()
    run.click(
        run_compare,
        [upload, sample, codecs, mode, quality, target_value, metric_ids, extra],
        [original, table, status, slider, left, right, files, state],
        api_name="compare",
    )
    view_inputs = [state, left, right, view, zoom, cx, cy, size, magnify]
    for control in (left, right, view, zoom, cx, cy, size, magnify):
        control.change(render_view, view_inputs, slider, api_name=False, show_progress="hidden")
    save_fig.click(save_figure, [state, cx, cy, size], figure_file, api_name="figure")
    worst.click(zoom_to_worst, [state, left, right, size], [zoom, cx, cy], api_name=False).then(
        render_view, view_inputs, slider, api_name=False, show_progress="hidden")


def _options_help() -> str:
    lines = ["| codec | quality maps to | options |", "|---|---|---|"]
    for c in REGISTRY.values():
        opts = ", ".join(f"`{o.name}`={o.default}" + (f" ({'/'.join(map(str, o.choices))})" if o.choices else "")
                         for o in c.options)
        lines.append(f"| {c.id} | {c.quality_doc} | {opts or '-'} |")
    return "\n".join(lines)
