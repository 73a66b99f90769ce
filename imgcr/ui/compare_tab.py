"""The Compare tab: formats side by side at equal setting, size or quality."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from types import SimpleNamespace

import gradio as gr

from imgcr import elsewhere, glossary, metrics, views
from imgcr.codecs import DEFAULT_CODECS, REGISTRY
from imgcr.codecs.zoo import ZooCodec
from imgcr.errors import ImgcrError
from imgcr.metrics import kept
from imgcr.pipeline import CompareSettings, compare_iter
from imgcr.samples import sample_names
from imgcr.search import Target
from imgcr.ui import zoo_box
from imgcr.ui.common import (
    SESSION_TTL_S,
    clear_on,
    codec_options_box,
    link_upload_and_sample,
    load_input,
    parse_option_text,
    user_errors,
)
from imgcr.ui.compare_results import COLUMNS, SUMMARY_COLUMNS, StreamView
from imgcr.ui.compare_views import (
    ORIGINAL,
    pick_region,
    reencode_side,
    render_view,
    save_figure,
    zoom_panel,
    zoom_to_worst,
)
from imgcr.ui.present import ADVANCED

log = logging.getLogger("imgcr.ui")

MODES = {
    "Same setting (quality 0-100)": None,
    "Equal file size (KB)": "size",
    "Equal file size (bpp)": "bpp",
    "Equal quality (PSNR dB)": "psnr",
    "Equal quality (SSIM)": "ssim",
    "Equal quality (SSIMULACRA2)": "ssimulacra2",
    "Equal quality (Butteraugli)": "butteraugli",
}
# the target control per mode: (label, default, step); the quality slider shows only for "Same setting"
TARGETS = {
    "size": ("Target file size (KB, 1 KB = 1000 bytes)", 30.0, 1.0),
    "bpp": ("Target bits per pixel (bpp)", 1.0, 0.05),
    "psnr": ("Target PSNR (dB)", 35.0, 0.5),
    "ssim": ("Target SSIM (0-1)", 0.95, 0.005),
    "ssimulacra2": ("Target SSIMULACRA2 (90 visually lossless, 80 very high, 70 high, 50 medium)", 80.0, 1.0),
    "butteraugli": ("Target Butteraugli distance (1.0: no visible difference at 1:1)", 1.5, 0.1),
}
def _target(mode: str, value: float | None) -> Target | None:
    kind = MODES.get(mode)
    if mode not in MODES:
        raise ImgcrError(f"unknown mode {mode!r}")
    if kind is None:
        return None
    if value is None:
        raise ImgcrError("enter a target value for this mode")
    return Target(kind, float(value) * 1000 if kind == "size" else float(value))


def mode_controls(mode: str):
    """Show the quality slider or the one target box this mode needs, with its unit and a sensible default."""
    kind = MODES.get(mode)
    if kind is None:
        return gr.update(visible=True), gr.update(visible=False)
    label, default, step = TARGETS[kind]
    return gr.update(visible=False), gr.update(visible=True, label=label, value=default, step=step)


@dataclass(frozen=True)
class CompareForm:
    """A comparison's settings as the tab's controls give them (after the upload and the sample)."""

    codecs: list[str]
    mode: str
    quality: float
    target_value: float | None
    metric_ids: list[str]
    extra_options: str = ""
    elsewhere: str | None = None  # a file encoded elsewhere, to measure beside the codecs


@user_errors
def run_compare(upload: str | None, sample: str | None, progress=gr.Progress(), *settings):
    """``settings`` are :class:`CompareForm`'s fields in order. A generator: yields original, table, status,
    slider, left/right choices, files, charts, summary and state each time a codec lands (rows first with
    size, PSNR and SSIM; the slow metrics fill in after), the last time complete. A user error ends it with
    its reason in the status line."""
    form = CompareForm(*settings)
    try:
        image = load_input(upload, sample)
        if not form.codecs:
            raise ImgcrError("choose at least one codec")
        target = _target(form.mode, form.target_value)
        options = parse_option_text(form.extra_options)
        metric_ids = CompareSettings.of(form.quality, target, options, form.metric_ids or ()).metric_ids
        outside = [elsewhere.result(image, form.elsewhere, metric_ids)] if form.elsewhere else []
        view = StreamView(image, replace(form, codecs=[*(r.codec for r in outside), *form.codecs]), options, target)
        for update in compare_iter(image, form.codecs, quality=form.quality, target=target, options=options,
                                   metric_ids=form.metric_ids or (), progress=lambda f, t: progress(f, desc=t)):
            yield view.outputs([*outside, *update])
    except ImgcrError as exc:
        yield (*[gr.update()] * 2, f"**Could not compare:** {exc}", *[gr.update()] * 7)
        raise


def prepare_reference(upload: str | None, sample: str | None, metric_ids: list[str] | None) -> None:
    """On a drop (or a sample picked): the photo is prepared as a reference for the ticked metrics (LPIPS's
    features, SSIMULACRA2's planes) while its user picks codecs, so Compare does not wait for it. Silent: a bad
    file is reported by Compare, where its user looks."""
    try:
        kept.prepare(load_input(upload, sample), metric_ids or ())
    except ImgcrError as exc:
        log.info("not prepared: %s", exc)


def _prepare_dropped(upload: str | None, metric_ids: list[str] | None) -> None:
    prepare_reference(upload, None, metric_ids)


def _prepare_sample(sample: str | None, metric_ids: list[str] | None) -> None:
    prepare_reference(None, sample, metric_ids)


def build(demo: gr.Blocks | None = None) -> None:
    """Lay out the tab inside the current gr.Blocks; with ``demo``, a first visit shows a default comparison."""
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            c = _controls()
        with gr.Column(scale=3):
            o = _results()
    _wire(demo, c, o)


def _controls() -> SimpleNamespace:
    """The left column: input, the run button, the mode and its target, codecs, metrics, options."""
    available = [c.id for c in REGISTRY.values() if c.available]
    unavailable = [c for c in REGISTRY.values() if not c.available]
    published = [c.id for c in unavailable if isinstance(c, ZooCodec)]  # one sentence for the six, not six
    missing = [f"{c.label}: {c.unavailable_reason()}" for c in unavailable if not isinstance(c, ZooCodec)]
    if published:
        missing.append(f"the published learned codecs ({', '.join(published)}) until their weights are fetched: "
                       "'Published learned codecs' below, `python -m imgcr weights download ID-QUALITY`, or "
                       "IMGCR_ALLOW_DOWNLOADS=1")
    upload = gr.File(label="Drop an image (PNG, JPEG, WebP, AVIF, TIFF, BMP, GIF...)", type="filepath", elem_id="upload")
    samples = sample_names()
    sample = gr.Dropdown(samples, value=samples[0] if samples else None, label="...or a sample image", elem_id="sample")
    run = gr.Button("Compare", variant="primary", elem_id="run")
    mode = gr.Radio(list(MODES), value=next(iter(MODES)), label="Compare at", elem_id="mode")
    quality = gr.Slider(0, 100, value=75, step=1, label="Quality (one 0-100 scale, mapped per codec)", elem_id="quality")
    target_value = gr.Number(value=None, label="Target", visible=False, elem_id="target")
    codecs = gr.CheckboxGroup(zoo_box.codec_choices(), value=[c for c in DEFAULT_CODECS if c in available],
                              label="Codecs", elem_id="codecs")
    zoo_box.build(codecs, upload, sample)
    if missing:
        gr.Markdown("Unavailable here: " + "; ".join(missing))
    metric_ids = gr.CheckboxGroup([(m.label, m.id) for m in metrics.METRICS.values()],
                                  value=list(metrics.DEFAULT_METRICS), label="Metrics", elem_classes=[ADVANCED])
    with gr.Accordion("Codec options", open=False, elem_classes=[ADVANCED]):
        extra = codec_options_box()
    outside = gr.File(label="Add a file encoded elsewhere (optional: made from this image by another encoder; "
                      "measured like the rest, its own bytes)", type="filepath", elem_id="elsewhere")
    # the file reaches the handler through a State, so /compare's API parameters stay as they were
    outside_path = gr.State(None)
    outside.change(lambda f: f, outside, outside_path, api_visibility="private", queue=False, show_progress="hidden")
    return SimpleNamespace(upload=upload, sample=sample, samples=samples, run=run, mode=mode, quality=quality,
                           target_value=target_value, form=[codecs, mode, quality, target_value, metric_ids, extra, outside_path])


def _results() -> SimpleNamespace:
    """The right column: status, tables, bars, the slider and its view controls, zoom, figure, files."""
    status = gr.Markdown(elem_id="status")
    summary = gr.Dataframe(headers=SUMMARY_COLUMNS, label="Results (timings: one run each)",
                           interactive=False, elem_id="summary", pinned_columns=1, max_height=420)
    with gr.Accordion("All columns: MS-SSIM, target search, encoder settings", open=False, elem_id="all-columns"):
        table = gr.Dataframe(headers=COLUMNS, label="All results", interactive=False, elem_id="results",
                             wrap=True, max_chars=60, pinned_columns=1)
    with gr.Accordion("What the numbers mean", open=False, elem_id="compare-glossary"):
        gr.Markdown(glossary.lines(COLUMNS))
    bars = gr.Plot(label="At a glance: size and quality per codec", elem_id="compare-bars", show_label=False)
    slider = gr.ImageSlider(label="Left vs right (drag the handle)", format="png", type="numpy", elem_id="slider",
                            max_height=700)
    with gr.Row():
        left = gr.Dropdown([ORIGINAL], value=ORIGINAL, label="Left", elem_id="left")
        right = gr.Dropdown([ORIGINAL], value=ORIGINAL, label="Right", elem_id="right")
        view = gr.Radio(list(views.VIEWS), value=views.VIEWS[0], label="Show")
    with gr.Row():
        left_q = gr.Slider(0, 100, value=75, step=1, label="Re-encode the left side at (0-100)", elem_id="left-quality")
        right_q = gr.Slider(0, 100, value=75, step=1, label="Re-encode the right side at (0-100)", elem_id="right-quality")
    with gr.Row():
        zoom = gr.Checkbox(False, label="Zoom to a region (real pixels)", elem_id="zoom")
        cx = gr.Slider(0, 100, value=50, step=1, label="Region x %", elem_id="zoom-x")
        cy = gr.Slider(0, 100, value=50, step=1, label="Region y %", elem_id="zoom-y")
        size = gr.Dropdown([64, 128, 256, 512], value=128, label="Region px")
        magnify = gr.Dropdown([1, 2, 4, 8], value=2, label="Magnify (nearest neighbour)", elem_id="magnify")
    zoomed = gr.HTML(elem_id="zoom-panel")
    with gr.Row():
        worst = gr.Button("Zoom to the worst region", size="sm", elem_id="zoom-worst")
        save_fig = gr.Button("Save as figure (PNG, this region at 1:1)", size="sm", elem_id="save-figure")
        with gr.Accordion("Artifacts to look for", open=False):
            gr.Markdown(glossary.ARTIFACTS)
    original = gr.Image(label="Original (click it to choose the zoom region)", format="png", interactive=False,
                        type="numpy", elem_id="original", height=360)
    figure_file = gr.File(label="Figure for slides", elem_id="figure-file")
    files = gr.File(label="Encoded files (the real bytes)", file_count="multiple", elem_id="files")
    return SimpleNamespace(status=status, summary=summary, table=table, bars=bars, slider=slider, left=left, right=right,
                           view=view, sides=(("left", left_q), ("right", right_q)), region=[zoom, cx, cy, size, magnify],
                           zoomed=zoomed, worst=worst, save_fig=save_fig, original=original, figure_file=figure_file,
                           files=files)


def _wire(demo: gr.Blocks | None, c: SimpleNamespace, o: SimpleNamespace) -> None:
    state = gr.State(time_to_live=SESSION_TTL_S)
    c.mode.change(mode_controls, c.mode, [c.quality, c.target_value], api_visibility="private", show_progress="hidden")
    outputs = [o.original, o.table, o.status, o.slider, o.left, o.right, o.files, o.bars, o.summary, state]
    first = []
    if demo is not None and c.samples:  # the page is never empty: a default comparison (cached after the first visitor)
        first.append(demo.load(first_visit, None, outputs, api_visibility="private", show_progress_on=[o.status]))
    cleared = clear_on(c.run, [o.table, o.summary, o.slider, o.bars, o.files, o.zoomed], o.status)
    if first:  # a user's own comparison wins over a default one still running: cancelled at the click
        c.run.click(None, None, None, cancels=first, api_visibility="private")
    cleared.then(run_compare, [c.upload, c.sample, *c.form], outputs, show_progress_on=[o.status],
                 api_name="compare", cancels=first)
    link_upload_and_sample(c.upload, c.sample)
    metric_box = c.form[4]
    quiet = dict(api_visibility="private", show_progress="hidden", trigger_mode="always_last", concurrency_limit=1,
                 concurrency_id="prepare-reference")
    c.upload.upload(_prepare_dropped, [c.upload, metric_box], None, **quiet)
    c.sample.input(_prepare_sample, [c.sample, metric_box], None, **quiet)
    c.run.click(None, js="() => { const s = document.getElementById('status'); if (s) s.scrollIntoView({block: 'start'}); }")
    zoom, cx, cy, size, _ = o.region
    view_inputs = [state, o.left, o.right, o.view, *o.region]
    for control in (o.left, o.right, o.view, *o.region):
        control.change(render_view, view_inputs, o.slider, api_visibility="private", show_progress="hidden")
        control.change(zoom_panel, view_inputs, o.zoomed, api_visibility="private", show_progress="hidden")
    for side, control in o.sides:
        control.release(reencode_side, [state, o.left, o.right, gr.State(side), control], [state, o.left, o.right, o.slider],
                        api_visibility="private")
    o.save_fig.click(save_figure, [state, cx, cy, size], o.figure_file, api_name="figure")
    o.worst.click(zoom_to_worst, [state, o.left, o.right, size], [zoom, cx, cy], api_visibility="private")
    o.original.select(pick_region, [state, size], [zoom, cx, cy], api_visibility="private")


@user_errors
def first_visit(progress=gr.Progress()):
    """The comparison a first visitor sees: the first sample, the default codecs, the same setting."""
    available = [c for c in DEFAULT_CODECS if REGISTRY[c].available]
    yield from run_compare(None, sample_names()[0], progress, available, next(iter(MODES)), 75, None,
                           list(metrics.DEFAULT_METRICS), "")

