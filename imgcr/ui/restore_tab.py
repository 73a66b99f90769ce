"""The Restore tab: degrade, restore with one or several models, compare and score.

The backend does the work and the arithmetic (:func:`imgcr.restoration.run_restore`: the pair, the runs,
their deltas, the cost model); this module lays out the tab and words the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from imgcr import devices, glossary, views
from imgcr.degrade import KINDS
from imgcr.errors import ImgcrError
from imgcr.figures import metric_lines
from imgcr.images import LoadedImage, from_array
from imgcr.models import get_model
from imgcr.models.availability import runnable_ids
from imgcr.numbers import rounded
from imgcr.pairs import RestoreProtocol
from imgcr.restoration import RestoreReport, run_restore
from imgcr.samples import sample_names
from imgcr.ui.common import (
    SESSION_TTL_S,
    clear_on,
    link_upload_and_sample,
    load_input,
    on_gpu,
    output_folder,
    png_files,
    user_errors,
)
from imgcr.ui.present import ADVANCED
from imgcr.ui.restore_models import (
    download_choices,
    download_info,
    download_list_markdown,
    download_weights,
    model_choice,
    show_card,
    trained_models,
    update_estimate,
)

PRESETS = {
    "JPEG q10": "jpeg:10",
    "JPEG q20": "jpeg:20",
    "WebP q10": "webp:10",
    "AVIF q15": "avif:15",
    "Noise σ=15": "noise:15",
    "Noise σ=25": "noise:25",
    "Noise σ=50": "noise:50",
    "Downscale x2": "down:2",
    "Downscale x4": "down:4",
    "Blur 1.5 + noise 5": "blur:1.5,noise:5",
    "None: my image is already degraded": "none",
}
COLUMNS = ["Result", "PSNR dB", "SSIM", "LPIPS", "ΔPSNR", "ΔSSIM", "ΔLPIPS", "Seconds", "Device", "Notes"]


@dataclass(frozen=True)
class RestoreForm:
    """The run's settings as the tab's controls give them (after the upload and the sample)."""

    chain: str | None
    seed: float | None
    model_ids: list[str]
    sigma: float | None  # 0 or empty: the chain's noise, else the model's default
    scale: Any  # "auto" or an integer factor
    crop: bool
    cx: float
    cy: float
    size: int
    ensemble: bool = False

    def protocol(self) -> RestoreProtocol:
        sigma = None if self.sigma is None or self.sigma <= 0 else float(self.sigma)
        scale = None if self.scale in (None, "auto") else int(self.scale)
        return RestoreProtocol(self.chain, int(self.seed or 0), sigma, scale, bool(self.ensemble))

    def region(self, image: LoadedImage) -> LoadedImage:
        """The image, or the crop a heavy model runs on."""
        return from_array(views.crop(image.pixels, self.cx, self.cy, int(self.size)), image.name) if self.crop else image


def _row(label: str, metrics: dict, run=None) -> list:
    """One table row: metrics, and for a model run its deltas against the baseline, time, device, notes."""
    d = run.deltas if run is not None else {}
    return [label, rounded(metrics.get("psnr"), 2), rounded(metrics.get("ssim"), 4), rounded(metrics.get("lpips"), 4),
            rounded(d.get("psnr"), 2), rounded(d.get("ssim"), 4), rounded(d.get("lpips"), 4),
            rounded(run.seconds, 2) if run else None, run.device if run else None,
            ("; ".join(run.notes) + ("; cached" if run.cached else "")) if run else ""]


def results_table(rep: RestoreReport) -> pd.DataFrame:
    rows = [_row(f"degraded ({rep.chain})", rep.degraded_metrics)]
    if rep.baseline_label != "degraded":  # SR: the bicubic upscale is the baseline the gains are measured against
        rows.append(_row(f"{rep.baseline_label} (baseline for Δ)", rep.baseline_metrics))
    rows += [_row(r.label, r.metrics, r) if not r.error else [r.label] + [None] * 8 + [r.error] for r in rep.runs]
    return pd.DataFrame(rows, columns=COLUMNS)


@user_errors
@on_gpu
def run_restore_ui(upload, sample, progress=gr.Progress(), *settings):
    """``settings``: :class:`RestoreForm`'s fields in order. Yields (once, when done) the two sliders, gallery,
    table, status, choices, files and state; a user error ends it with its reason in the status line."""
    form = RestoreForm(*settings)
    try:
        image = load_input(upload, sample)
        if not form.model_ids:
            raise ImgcrError("choose at least one model")
        image = form.region(image)
        rep = run_restore(image, form.model_ids, form.protocol(),
                          progress=lambda f, t: progress(f, desc=f"restoring: {t}"))
        done = [r for r in rep.runs if r.pixels is not None]
        if not done:
            raise ImgcrError("; ".join(r.error or "failed" for r in rep.runs))
    except ImgcrError as exc:
        yield (*[gr.update()] * 4, f"**Could not restore:** {exc}", *[gr.update()] * 3)
        raise
    stem = Path(image.name).stem or "image"
    files, gallery = _write_files(rep, stem)
    state = {"original": rep.reference, "degraded": rep.degraded, "restored": {r.model: r.pixels for r in done},
             "captions": {"original": ["original"], "degraded": [f"degraded ({rep.chain})", *metric_lines(rep.degraded_metrics)],
                          **{r.model: [r.label, *metric_lines(r.metrics)] for r in done}},
             "stem": stem}
    s1, s2 = _pairs(state, done[0].model)
    choice = gr.update(choices=[(r.label, r.model) for r in done], value=done[0].model)
    yield s1, s2, gallery, results_table(rep), _status(image, rep), choice, files, state


def _write_files(rep: RestoreReport, stem: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The degraded input and every restoration as PNG downloads; the gallery's (path, caption) pairs."""
    folder = output_folder()
    Image.fromarray(rep.degraded).save(folder / f"{stem}_degraded.png")
    files, gallery = [str(folder / f"{stem}_degraded.png")], []
    for r in rep.runs:
        if r.pixels is not None:
            path = folder / f"{stem}_{r.model}.png"
            Image.fromarray(r.pixels).save(path)
            files.append(str(path))
            gallery.append((str(path), r.label))
    return files, gallery


def _status(image: LoadedImage, rep: RestoreReport) -> str:
    lines = [f"**{image.name}**: {image.width}×{image.height}; degradation `{rep.chain}` (seed {rep.seed})."]
    lines += [f"- {n}" for n in (*image.notes, *rep.notes)]
    lines.append(f"Δ columns are restored minus {rep.baseline_label} (for LPIPS, negative is better). "
                 "Heavy models on CPU: tick 'Run on a crop'.")
    if any(get_model(r.model).generative for r in rep.runs if r.pixels is not None):
        lines.append(glossary.GENERATIVE_NOTE)
    return "\n\n".join(lines)  # one paragraph or list item per line: status lines never run together


@user_errors
def save_figure(state, cx: float, cy: float, size: int) -> str:
    """Original, degraded and every restoration on one region at 1:1, labelled, as one PNG for slides."""
    if not state:
        raise gr.Error("restore an image first")
    from imgcr import figures

    first = next(iter(state["restored"].values()))
    panels = [] if state["original"] is None else [(state["original"], state["captions"]["original"])]
    panels.append((_fit(state["degraded"], first), state["captions"]["degraded"]))
    panels += [(px, state["captions"][m]) for m, px in state["restored"].items()]
    sheet = figures.labelled_crops(panels, cx, cy, int(size))
    return str(figures.save_png(sheet, output_folder(), state["stem"]))


def _fit(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Nearest-neighbour enlargement of a smaller (downscaled) input so the slider halves align."""
    if a.shape == like.shape:
        return a
    fy, fx = like.shape[0] // a.shape[0], like.shape[1] // a.shape[1]
    big = np.repeat(np.repeat(a, max(fy, 1), axis=0), max(fx, 1), axis=1)
    return np.ascontiguousarray(big[: like.shape[0], : like.shape[1]])


def _pairs(state, model_id):
    restored = state["restored"][model_id]
    degraded = _fit(state["degraded"], restored)
    original = state["original"]
    both = original is not None and original.shape == restored.shape
    return png_files(views.screen(degraded), views.screen(restored)), png_files(*map(views.screen, (original, restored))) if both else None


@user_errors
def show_model(state, model_id):
    if not state or model_id not in state.get("restored", {}):
        return None, None
    return _pairs(state, model_id)


def build() -> None:
    with gr.Row():
        with gr.Column(scale=1):
            c = _controls()
        with gr.Column(scale=2):
            o = _results()
    _wire(c, o)


def _controls() -> SimpleNamespace:
    """The left column: input, degradation, models, crop, the run button, downloads."""
    here = runnable_ids()
    upload = gr.File(label="Drop an image", type="filepath", elem_id="restore-upload")
    samples = sample_names()
    sample = gr.Dropdown(samples, value=samples[0] if samples else None, label="...or a sample image")
    preset = gr.Dropdown(list(PRESETS), value="JPEG q10", label="Degradation")
    chain = gr.Textbox(value="jpeg:10", label="Degradation chain (" + ", ".join(f"{k}:N" for k in KINDS) + ")",
                       elem_id="restore-chain")
    seed = gr.Number(value=0, precision=0, label="Seed (noise repeats exactly)", elem_classes=[ADVANCED])
    run = gr.Button("Degrade and restore", variant="primary", elem_id="restore-run")  # in view, above the long list
    estimate = gr.Markdown(elem_id="restore-estimate")
    models = gr.CheckboxGroup([model_choice(m) for m in here], value=["dncnn3"] if "dncnn3" in here else ["bicubic"],
                              label="Models", elem_id="restore-models")
    sigma = gr.Slider(0, 75, value=0, step=1, label="σ for FFDNet / non-local means (0 = the chain's noise, else 25)")
    scale = gr.Dropdown(["auto", 2, 3, 4], value="auto", label="Upscale for SR (auto = the chain's downscale)")
    with gr.Row():
        crop = gr.Checkbox(False, label="Run on a crop")
        size = gr.Dropdown([128, 256, 384, 512], value=256, label="Crop px")
    ensemble = gr.Checkbox(False, label="x8 self-ensemble: average the 8 flips/rotations (8x the time, "
                           "usually a little higher PSNR)", elem_id="restore-ensemble", elem_classes=[ADVANCED])
    with gr.Row():
        cx = gr.Slider(0, 100, value=50, step=1, label="Crop x %")
        cy = gr.Slider(0, 100, value=50, step=1, label="Crop y %")
    with gr.Accordion("More models: download (sha256-checked)", open=False, elem_classes=[ADVANCED]):
        gr.Markdown(download_list_markdown())
        dl_model = gr.Dropdown(download_choices(), value=None, label="Model to download", elem_id="restore-dl-model")
        accept = gr.Checkbox(False, label="Accept files without a published sha256 (the hash is recorded on download)")
        dl = gr.Button("Download weights", elem_id="restore-dl")
        dl_status = gr.Markdown(elem_id="restore-dl-status")
    form = [chain, seed, models, sigma, scale, crop, cx, cy, size, ensemble]  # RestoreForm's fields, in order
    return SimpleNamespace(upload=upload, sample=sample, preset=preset, chain=chain, models=models, crop=crop, size=size,
                           ensemble=ensemble, form=form, estimate=estimate, run=run, dl_model=dl_model, accept=accept,
                           dl=dl, dl_status=dl_status)


def _results() -> SimpleNamespace:
    """The right column: status, table, sliders, gallery, downloads, the figure, model cards."""
    status = gr.Markdown(elem_id="restore-status")
    table = gr.Dataframe(headers=COLUMNS, label="Metrics against the original", interactive=False, elem_id="restore-table")
    with gr.Accordion("What the numbers mean", open=False):
        gr.Markdown(glossary.lines(COLUMNS) + "\n\n" + glossary.GENERATIVE_NOTE)
    shown = gr.Dropdown([], label="Model shown in the sliders", elem_id="restore-shown")
    with gr.Row():
        s1 = gr.ImageSlider(label="Degraded vs restored", format="png", type="numpy", elem_id="restore-slider")
        s2 = gr.ImageSlider(label="Original vs restored", format="png", type="numpy")
    gallery = gr.Gallery(label="All restored results", format="png", columns=3, elem_id="restore-gallery")
    files = gr.File(label="Degraded and restored images (PNG)", file_count="multiple", elem_id="restore-files")
    with gr.Row():
        fig_size = gr.Dropdown([64, 128, 256, 384, 512], value=256, label="Figure region px")
        fig_x = gr.Slider(0, 100, value=50, step=1, label="Figure region x %")
        fig_y = gr.Slider(0, 100, value=50, step=1, label="Figure region y %")
        save_fig = gr.Button("Save as figure (PNG, 1:1)", size="sm", elem_id="restore-save-figure")
    figure_file = gr.File(label="Figure for slides", elem_id="restore-figure-file")
    own = trained_models()
    with gr.Accordion("imgcr's own models: model cards and training curves", open=False, elem_classes=[ADVANCED]) as card_box:
        with gr.Row():
            card_model = gr.Dropdown([(get_model(m).label, m) for m in own], value=own[0] if own else None,
                                     label="Model", elem_id="restore-card-model")
            card_x = gr.Radio(["step", "time"], value="step", label="Curves against")
        card_md = gr.Markdown(elem_id="restore-card")
        card_plot = gr.Plot(label="Training loss and validation PSNR")
    return SimpleNamespace(status=status, table=table, shown=shown, s1=s1, s2=s2, gallery=gallery, files=files,
                           figure=[fig_x, fig_y, fig_size], save_fig=save_fig, figure_file=figure_file,
                           card_box=card_box, card=[card_model, card_x], card_out=[card_md, card_plot])


def _wire(c: SimpleNamespace, o: SimpleNamespace) -> None:
    state = gr.State(time_to_live=SESSION_TTL_S)
    c.preset.change(lambda p: PRESETS[p], c.preset, c.chain, api_visibility="private")
    link_upload_and_sample(c.upload, c.sample)
    estimate_in = [c.upload, c.sample, c.models, c.crop, c.size, c.chain, c.ensemble]
    clear_on(c.run, [o.s1, o.s2, o.gallery, o.table, o.files], o.status).then(
        run_restore_ui, [c.upload, c.sample, *c.form],
        [o.s1, o.s2, o.gallery, o.table, o.status, o.shown, o.files, state], api_name="restore", show_progress_on=[o.status],
        concurrency_id="models", concurrency_limit=devices.model_concurrency()  # one shared limit for model runs
    ).then(update_estimate, estimate_in, c.estimate, api_visibility="private")
    c.run.click(None, js="() => { const s = document.getElementById('restore-status'); "
                         "if (s) s.scrollIntoView({block: 'start', behavior: 'instant'}); }")
    o.shown.change(show_model, [state, o.shown], [o.s1, o.s2], api_visibility="private")
    o.save_fig.click(save_figure, [state, *o.figure], o.figure_file, api_name="restore_figure")
    for control in (c.upload, c.sample, c.models, c.crop, c.size, c.chain, c.ensemble):
        control.change(update_estimate, estimate_in, c.estimate, api_visibility="private")
    c.dl_model.change(download_info, c.dl_model, c.dl_status, api_name="download_info")
    c.dl.click(download_weights, [c.dl_model, c.accept], [c.dl_status, c.models, c.dl_model], api_name="download_weights")
    card_model, card_x = o.card
    card_model.change(show_card, o.card, o.card_out, api_name="model_card")
    card_x.change(show_card, o.card, o.card_out, api_visibility="private")
    o.card_box.expand(show_card, o.card, o.card_out, api_visibility="private")
