"""The Restore tab: degrade, restore with one or several models, compare and score."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from imgcr import config, devices, glossary, views, weights
from imgcr.degrade import KINDS
from imgcr.figures import metric_lines
from imgcr.images import from_array
from imgcr.models import MODELS, get_model
from imgcr.numbers import rounded
from imgcr.restoration import run_restore
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
# CPU seconds per input megapixel on 2 cores: DnCNN, FFDNet, VDSR (per output MP) and Compact measured by
# benchmarks/restore_speed.py (docs/benchmarks.md); the heavy archs are rough planning figures from STACK.md.
# imgcr's own networks: benchmarks/train_speed.py, one thread (docs/benchmarks.md).
CPU_S_PER_MP = {"DnCNN": 12.0, "FFDNet": 3.4, "VDSR": 15.0, "RealESRGAN Compact": 12.0, "ESRGAN": 600.0,
                "SwinIR": 700.0, "FBCNN": 100.0, "SCUNet": 100.0, "DRUNet": 75.0, "nlmeans": 2.0,
                "imgcr-UNet": 1.2, "imgcr-ConvAE": 2.9, "imgcr-ResCNN": 12.5}


def available_models() -> list[str]:
    """Models that run here now: classical ones, those whose weights are here, and (when downloads are
    allowed, e.g. on a Space) those fetched and verified on first use."""
    fetch = config.allow_downloads()
    return [m.id for m in MODELS
            if m.weights is None or weights.find(m.weights) is not None or (fetch and weights.fetchable(m.weights))]


def _mb(spec) -> str:
    return f"{spec.size / 1e6:.1f} MB" if spec.size else "size unknown"


def model_choice(model_id: str) -> tuple[str, str]:
    """The checkbox label: a model not yet here says it downloads, and how much."""
    m = get_model(model_id)
    if m.weights is None or weights.find(m.weights) is not None:
        return m.label, m.id
    return f"{m.label} — downloads {_mb(m.weights)} on first use", m.id


def missing_models() -> list:
    here = set(available_models())
    return [m for m in MODELS if m.id not in here]


def _download_choice(m) -> tuple[str, str]:
    pinned = "" if m.weights.sha256 else ", no published sha256"
    return f"{m.id}: {m.label} ({_mb(m.weights)}{pinned})", m.id


_MEASURED: dict[str, float] = {}  # model id -> seconds per input megapixel, from this server's own runs


def learn_speed(model_id: str, input_pixels: int, seconds: float) -> None:
    """Remember how fast a model really ran here (the next estimate uses it)."""
    if input_pixels > 0 and seconds > 0:
        rate = seconds / (input_pixels / 1e6)
        old = _MEASURED.get(model_id)
        _MEASURED[model_id] = rate if old is None else 0.5 * (old + rate)


def estimate_seconds(model_ids: list[str], width: int, height: int, chain: str | None = None,
                     ensemble: bool = False) -> float:
    """CPU time for a run: each model's input megapixels x its seconds per megapixel (x8 for the self-ensemble).

    The input is the degraded image (a downscaling chain makes it smaller; VDSR runs on its bicubic
    upscale). The rate is what this server measured on earlier runs, else the benchmark's figure."""
    from imgcr.degrade import downscale_factor, parse_chain

    try:
        factor = downscale_factor(parse_chain(chain)) if chain else 1
    except Exception:
        factor = 1
    total = 0.0
    for mid in model_ids:
        rate = _MEASURED.get(mid, CPU_S_PER_MP.get(get_model(mid).arch, 0.0))
        total += input_pixels(mid, width, height, factor) / 1e6 * rate * (8 if ensemble else 1)
    return total


def input_pixels(model_id: str, width: int, height: int, factor: int) -> int:
    """Pixels a model processes for a ``width`` x ``height`` original degraded by a ``factor`` downscale:
    the degraded image, except VDSR, which refines its bicubic upscale (the original's size)."""
    if get_model(model_id).arch == "VDSR":
        return width * height
    return (width // factor) * (height // factor)


def _row(label, m, base, run=None):
    def d(key, nd):
        if base is None or m.get(key) is None or base.get(key) is None:
            return None
        return round(m[key] - base[key], nd)

    return [label, rounded(m.get("psnr"), 2), rounded(m.get("ssim"), 4), rounded(m.get("lpips"), 4),
            d("psnr", 2) if run else None, d("ssim", 4) if run else None, d("lpips", 4) if run else None,
            rounded(run.seconds, 2) if run else None, run.device if run else None,
            ("; ".join(run.notes) + ("; cached" if run.cached else "")) if run else ""]


@user_errors
@on_gpu
def run_restore_ui(upload, sample, chain, seed, model_ids, sigma, scale, crop, cx, cy, size, ensemble=False,
                   progress=gr.Progress()):
    """Returns degraded-vs-restored slider, original-vs-restored slider, gallery, table, status, choices, files, state."""
    image = load_input(upload, sample)
    if not model_ids:
        raise gr.Error("choose at least one model")
    if crop:
        image = from_array(views.crop(image.pixels, cx, cy, int(size)), image.name)
    sigma = None if sigma is None or sigma <= 0 else float(sigma)
    scale = None if scale in (None, "auto") else int(scale)

    def report(fraction, text):
        progress(fraction, desc=f"restoring: {text}")

    rep = run_restore(image, model_ids, chain, int(seed or 0), sigma, scale, progress=report, ensemble=bool(ensemble))
    rows = [_row(f"degraded ({rep.chain})", rep.degraded_metrics, None)]
    if rep.baseline_label != "degraded":  # SR: the bicubic upscale is the baseline the gains are measured against
        rows.append(_row(f"{rep.baseline_label} (baseline for Δ)", rep.baseline_metrics, None))
    rows += [_row(r.label, r.metrics, rep.baseline_metrics, r) if not r.error else [r.label] + [None] * 8 + [r.error]
             for r in rep.runs]
    factor = image.width // max(rep.degraded.shape[1], 1) or 1
    for r in rep.runs:  # what the next estimate uses, counted the way estimate_seconds counts
        if r.pixels is not None and r.seconds and not r.cached:
            learn_speed(r.model, input_pixels(r.model, image.width, image.height, factor), r.seconds / (8 if ensemble else 1))
    table = pd.DataFrame(rows, columns=COLUMNS)
    folder = output_folder()
    stem = Path(image.name).stem or "image"
    Image.fromarray(rep.degraded).save(folder / f"{stem}_degraded.png")
    files = [str(folder / f"{stem}_degraded.png")]
    gallery = []
    for r in rep.runs:
        if r.pixels is not None:
            path = folder / f"{stem}_{r.model}.png"
            Image.fromarray(r.pixels).save(path)
            files.append(str(path))
            gallery.append((str(path), r.label))
    done = [r for r in rep.runs if r.pixels is not None]
    if not done:
        raise gr.Error("; ".join(r.error or "failed" for r in rep.runs))
    state = {"original": rep.reference, "degraded": rep.degraded, "restored": {r.model: r.pixels for r in done},
             "captions": {"original": ["original"], "degraded": [f"degraded ({rep.chain})", *metric_lines(rep.degraded_metrics)],
                          **{r.model: [r.label, *metric_lines(r.metrics)] for r in done}},
             "stem": stem}
    first = done[0].model
    s1, s2 = _pairs(state, first)
    lines = [f"**{image.name}**: {image.width}×{image.height}; degradation `{rep.chain}` (seed {rep.seed})."]
    lines += [f"- {n}" for n in (*image.notes, *rep.notes)]
    lines.append(f"Δ columns are restored minus {rep.baseline_label} (for LPIPS, negative is better). "
                 "Heavy models on CPU: tick 'Run on a crop'.")
    if any(get_model(r.model).generative for r in done):
        lines.append(glossary.GENERATIVE_NOTE)
    choice = gr.update(choices=[(r.label, r.model) for r in done], value=first)
    # one paragraph or list item per line: status lines never run together
    return s1, s2, gallery, table, "\n\n".join(lines), choice, files, state


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
    s2 = png_files(original, restored) if original is not None and original.shape == restored.shape else None
    return png_files(degraded, restored), s2


@user_errors
def show_model(state, model_id):
    if not state or model_id not in state.get("restored", {}):
        return None, None
    return _pairs(state, model_id)


@user_errors
def update_estimate(upload, sample, model_ids, crop, size, chain=None, ensemble=False):
    if not model_ids:
        return ""
    try:
        image = load_input(upload, sample)
    except Exception:
        return ""
    w, h = (int(size), int(size)) if crop else (image.width, image.height)
    w, h = min(w, image.width), min(h, image.height)
    secs = estimate_seconds(model_ids, w, h, chain, bool(ensemble))
    heavy = [m for m in model_ids if get_model(m).heavy]
    learnt = [m for m in model_ids if m in _MEASURED]
    basis = "measured on this server" if len(learnt) == len(model_ids) else "from the benchmarks"
    text = (f"Estimated CPU time for {w}×{h}: about {_duration(secs)} ({basis}; loading a model adds a few seconds "
            "the first time; a GPU, when present, is much faster).")
    if heavy and not crop:
        text += f" {', '.join(heavy)} {'is' if len(heavy) == 1 else 'are'} heavy on CPU: consider 'Run on a crop'."
    return text


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


@user_errors
def download_weights(model_id, accept_unpinned, progress=gr.Progress()):
    """Fetch one model's weights (imgcr's Hub mirror, then the official source; sha256-checked) and offer it."""
    if not model_id:
        raise gr.Error("choose a model to download")
    spec = get_model(model_id)
    if spec.weights is None:
        raise gr.Error(f"{model_id} needs no weights")
    if not spec.weights.sha256 and not spec.weights.url_sha256_prefix and not accept_unpinned:
        raise gr.Error(f"{model_id}: its authors publish no sha256; tick 'Accept files without a published sha256' "
                       "to download it (its hash is recorded beside it)")

    def show(done, total):
        progress(done / total if total else 0.0, desc=f"{model_id}: {done / 1e6:.1f} MB")

    path = weights.fetch(spec.weights, progress=show, trust_unpinned=bool(accept_unpinned))
    size = path.stat().st_size
    here = available_models()
    return (f"{model_id}: downloaded and verified ({size / 1e6:.1f} MB) -> {path}; it is now in the model list.",
            gr.update(choices=[model_choice(m) for m in here]),
            gr.update(choices=[_download_choice(m) for m in missing_models() if weights.sources(m.weights)], value=None))


@user_errors
def download_info(model_id) -> str:
    """What a download of this model would fetch: size (asked of the source when not pinned), sources, licence."""
    if not model_id:
        return ""
    m = get_model(model_id)
    if m.weights is None:
        return f"{model_id} needs no weights"
    size = m.weights.size or (weights.remote_size(m.weights.url) if m.weights.url else None)
    where = " or ".join(weights.sources(m.weights)) or "no known source"
    pinned = ("sha256-checked against the catalogue" if m.weights.sha256 else
              "its authors publish no sha256: tick the box to accept it (the hash is recorded)")
    return (f"**{m.id}**: {f'{size / 1e6:.1f} MB' if size else 'size unknown (the source did not say)'} from {where}; "
            f"{pinned}; licence {m.licence}.")


def trained_models() -> list[str]:
    """Models imgcr trained itself whose weights and card are here."""
    from imgcr.train import card as cards

    out = []
    for m in MODELS:
        if m.arch.startswith("imgcr-") and m.weights is not None:
            path = weights.find(m.weights)
            if path is not None and cards.find_for(path) is not None:
                out.append(m.id)
    return out


@user_errors
def show_card(model_id, x_axis):
    """The model card of one of imgcr's trained models: summary and curves (loss, validation PSNR)."""
    from imgcr.train import card as cards
    from imgcr.train.report import curves_figure

    if not model_id:
        return "", None
    path = cards.find_for(weights.require(get_model(model_id).weights))
    if path is None:
        raise gr.Error(f"{model_id}: no model card beside its weights")
    card = cards.read(path)
    return cards.summary_markdown(card), curves_figure([card], x="seconds" if x_axis == "time" else "step")


def build() -> None:
    models_here = available_models()
    missing = missing_models()
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label="Drop an image", type="filepath", elem_id="restore-upload")
            samples = sample_names()
            sample = gr.Dropdown(samples, value=samples[0] if samples else None, label="...or a sample image")
            preset = gr.Dropdown(list(PRESETS), value="JPEG q10", label="Degradation")
            chain = gr.Textbox(value="jpeg:10", label="Degradation chain (" + ", ".join(f"{k}:N" for k in KINDS) + ")",
                               elem_id="restore-chain")
            seed = gr.Number(value=0, precision=0, label="Seed (noise repeats exactly)", elem_classes=[ADVANCED])
            models = gr.CheckboxGroup([model_choice(m) for m in models_here],
                                      value=["dncnn3"] if "dncnn3" in models_here else ["bicubic"],
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
            estimate = gr.Markdown(elem_id="restore-estimate")
            run = gr.Button("Degrade and restore", variant="primary", elem_id="restore-run")
            with gr.Accordion("More models: download (sha256-checked)", open=False, elem_classes=[ADVANCED]):
                gr.Markdown("\n".join(
                    f"- **{m.id}** ({m.label}, {_mb(m.weights)}): "
                    f"{'from ' + ' or '.join(weights.sources(m.weights)) if weights.sources(m.weights) else 'no download source'}"
                    f"{'' if m.weights.sha256 else ' (its authors publish no sha256)'}; {m.licence}"
                    for m in missing) or "All models are available.")
                dl_model = gr.Dropdown([_download_choice(m) for m in missing if weights.sources(m.weights)],
                                       value=None, label="Model to download", elem_id="restore-dl-model")
                accept = gr.Checkbox(False, label="Accept files without a published sha256 (the hash is recorded on download)")
                dl = gr.Button("Download weights", elem_id="restore-dl")
                dl_status = gr.Markdown(elem_id="restore-dl-status")
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="restore-status")
            table = gr.Dataframe(headers=COLUMNS, label="Metrics against the original", interactive=False,
                                 elem_id="restore-table")
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
            with gr.Accordion("imgcr's own models: model cards and training curves", open=False,
                              elem_classes=[ADVANCED]) as card_box:
                with gr.Row():
                    card_model = gr.Dropdown([(get_model(m).label, m) for m in own], value=own[0] if own else None,
                                             label="Model", elem_id="restore-card-model")
                    card_x = gr.Radio(["step", "time"], value="step", label="Curves against")
                card_md = gr.Markdown(elem_id="restore-card")
                card_plot = gr.Plot(label="Training loss and validation PSNR")
    state = gr.State(time_to_live=SESSION_TTL_S)
    preset.change(lambda p: PRESETS[p], preset, chain, api_visibility="private")
    link_upload_and_sample(upload, sample)
    clear_on(run, [s1, s2, gallery, table, files], status).then(
              run_restore_ui, [upload, sample, chain, seed, models, sigma, scale, crop, cx, cy, size, ensemble],
              [s1, s2, gallery, table, status, shown, files, state], api_name="restore",
              concurrency_id="models", concurrency_limit=devices.model_concurrency()  # one shared limit for model runs
              ).then(update_estimate, [upload, sample, models, crop, size, chain, ensemble], estimate,
                     api_visibility="private")
    shown.change(show_model, [state, shown], [s1, s2], api_visibility="private")
    save_fig.click(save_figure, [state, fig_x, fig_y, fig_size], figure_file, api_name="restore_figure")
    for control in (upload, sample, models, crop, size, chain, ensemble):
        control.change(update_estimate, [upload, sample, models, crop, size, chain, ensemble], estimate,
                       api_visibility="private")
    dl_model.change(download_info, dl_model, dl_status, api_name="download_info")
    dl.click(download_weights, [dl_model, accept], [dl_status, models, dl_model], api_name="download_weights")
    card_model.change(show_card, [card_model, card_x], [card_md, card_plot], api_name="model_card")
    card_x.change(show_card, [card_model, card_x], [card_md, card_plot], api_visibility="private")
    card_box.expand(show_card, [card_model, card_x], [card_md, card_plot], api_visibility="private")
