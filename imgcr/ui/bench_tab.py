"""The Benchmark tab: sweeps over images, RD curves, BD-rate table, charts, downloads."""

from __future__ import annotations

import os
from dataclasses import dataclass

import gradio as gr
import pandas as pd

from imgcr import glossary, metrics, references
from imgcr.bench import plots
from imgcr.bench.artefacts import Artefacts, write_artefacts
from imgcr.bench.image_sets import SAMPLES, image_sets, resolve
from imgcr.bench.rd import bd_table
from imgcr.bench.sweep import Sweep, bench, parse_qualities
from imgcr.codecs import DEFAULT_CODECS, REGISTRY
from imgcr.numbers import rounded
from imgcr.ui.common import SESSION_TTL_S, codec_options_box, output_folder, parse_option_text, user_errors

BD_COLUMNS = ["Codec", "BD-rate (% bits; − = fewer)", "BD-PSNR (dB)", "Overlap (0-1)", "Points", "Note"]
MEAN = "mean over images"


def bd_columns(metric: str) -> list[str]:
    """The BD table's headers with units: BD-rate in % of bits, BD-metric in the metric's own unit."""
    unit = plots.UNITS.get(metric, metric)
    name = "BD-PSNR" if metric in ("psnr", "psnr_y") else f"BD-{unit}"
    return ["Codec", "BD-rate (% bits; − = fewer)", f"{name} ({'dB' if unit == 'dB' else unit + ' units'})",
            "Overlap (0-1)", "Points", "Note"]


def bd_frame(doc: dict, anchor: str, metric: str, image: str | None = None) -> pd.DataFrame:
    rows = bd_table(doc["records"], anchor, metric, image)
    return pd.DataFrame(
        [[REGISTRY[r["codec"]].label if r["codec"] in REGISTRY else r["codec"],
          rounded(r["bd_rate"], 2), rounded(r["bd_metric"], 4), rounded(r["overlap"], 2), r["points"], r["reason"] or ""] for r in rows],
        columns=bd_columns(metric))


def _views(doc: dict, anchor: str, metric: str, setting: float, image: str = MEAN):
    recs = doc["records"]
    one = None if image in (None, MEAN) else image
    # on the whole of Kodak24 the published learned-codec curves are comparable means: drawn dashed beside
    published = references.kodak_curves(metric) if one is None and references.is_kodak24(doc["images"]) else None
    return (
        bd_frame(doc, anchor, metric, one),
        plots.rd_figure(recs, metric, one, extra=published),
        plots.size_figure(recs, setting),
        plots.timing_figure(recs, setting),
        plots.metric_bars(recs, setting, doc["metrics"]),
        plots.heatmap(recs, setting, doc["metrics"]),
        plots.timing_vs_quality(recs),
    )


@dataclass(frozen=True)
class BenchForm:
    """The run's settings as the tab's controls give them (after the uploads and the image set)."""

    codecs: list[str]
    qualities: str
    metric_ids: list[str]
    workers: float
    anchor: str
    rd_metric: str
    setting: float
    extra_options: str = ""

    def sweep(self) -> Sweep:
        if not self.codecs:
            raise gr.Error("choose at least one codec")
        if not self.metric_ids:
            raise gr.Error("choose at least one metric")
        return Sweep.of(self.codecs, parse_qualities(self.qualities), self.metric_ids, parse_option_text(self.extra_options))


@user_errors
def run_bench(uploads, source, progress=gr.Progress(), *settings):
    """``settings`` are :class:`BenchForm`'s fields in order. Runs a sweep; returns status, BD table, six
    figures, download files, the image and metric choices, and the results state."""
    form = BenchForm(*settings)
    sweep = form.sweep()
    paths, names = resolve(uploads, source)
    rd_metric = form.rd_metric if form.rd_metric in form.metric_ids else form.metric_ids[0]
    doc = bench(paths, sweep, workers=int(form.workers), names=names,
                progress=lambda done, total, label: progress(done / total, desc=f"{done}/{total} {label}"))
    files = write_artefacts(doc, Artefacts.in_folder(output_folder()), form.setting, form.anchor)
    status = (f"{len(doc['records'])} records: {len(doc['images'])} images x {len(sweep.codecs)} codecs; "
              f"{int(form.workers)} worker(s). BD-rate is against **{form.anchor}** on mean curves (PCHIP on log-rate); "
              "negative = fewer bits for the same quality.")
    if sweep.options:
        status += " Codec options: " + ", ".join(f"`{c}.{k}={v}`" for c, kv in sweep.options.items() for k, v in kv.items())
    if doc["errors"]:
        status += "\n" + "\n".join(f"- {c}: {e}" for c, e in doc["errors"].items())
    images = gr.update(choices=[MEAN] + [i["name"] for i in doc["images"]], value=MEAN)
    measured = gr.update(choices=[(metrics.METRICS[m].label, m) for m in doc["metrics"]], value=rd_metric)
    return (status, *_views(doc, form.anchor, rd_metric, form.setting), [str(f) for f in files], images, measured, doc)


@user_errors
def refresh(doc, anchor, rd_metric, setting, image=MEAN):
    """Recompute the table and charts for another anchor, metric, setting or image (no re-encoding)."""
    if not doc:
        return (None,) * 7
    if rd_metric not in doc["metrics"]:
        raise gr.Error(f"{rd_metric} was not measured in this run")
    return _views(doc, anchor, rd_metric, setting, image)


def build() -> None:
    available = [c.id for c in REGISTRY.values() if c.available]
    with gr.Row():
        with gr.Column(scale=1):
            uploads = gr.File(label="Images to add (drop several)", file_count="multiple", type="filepath",
                              elem_id="bench-uploads")
            source = gr.Dropdown(image_sets(), value=SAMPLES, label="Image set", elem_id="bench-source")
            codecs = gr.CheckboxGroup([(REGISTRY[c].label, c) for c in available],
                                      value=[c for c in DEFAULT_CODECS if c in available], label="Codecs")
            qualities = gr.Textbox(value="", label="Settings (0-100, comma-separated; empty = each codec's sweep)",
                                   placeholder="10,20,30,40,50,60,75,90")
            metric_ids = gr.CheckboxGroup([(m.label, m.id) for m in metrics.METRICS.values()], value=["psnr", "ssim"],
                                          label="Metrics")
            workers = gr.Slider(1, max(1, os.cpu_count() or 1), value=max(1, os.cpu_count() or 1), step=1,
                                label="Worker processes")
            anchor = gr.Dropdown([(REGISTRY[c].label, c) for c in available], value="jpeg", label="BD-rate anchor")
            rd_metric = gr.Dropdown([(m.label, m.id) for m in metrics.METRICS.values()], value="psnr",
                                    label="Curve / BD metric")
            curve_image = gr.Dropdown([MEAN], value=MEAN, label="Curves and BD-rate for")
            setting = gr.Slider(0, 100, value=75, step=5, label="Setting for the bar charts")
            with gr.Accordion("Codec options", open=False):
                extra = codec_options_box()
            run = gr.Button("Run benchmark", variant="primary", elem_id="bench-run")
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="bench-status")
            table = gr.Dataframe(headers=BD_COLUMNS, label="BD-rate vs anchor", interactive=False, elem_id="bd-table")
            with gr.Accordion("What the numbers mean", open=False):
                gr.Markdown(glossary.lines(["BD-rate", "BD-PSNR", "bpp", "PSNR dB", "SSIM", "MS-SSIM", "LPIPS", "Encode ms",
                                            "Decode ms"]) + "\n- **Overlap**: the share of the two curves' quality ranges "
                            "that overlap; BD figures only average over that part, so a small overlap is a weak comparison.")
            rd = gr.Plot(label="Rate-distortion", elem_id="rd-plot", show_label=False)
            files = gr.File(label="Results (JSON, CSV), the RD curves' data (CSV), and every chart in one page "
                            "(HTML, with PNG and SVG buttons per chart; the camera icon on a chart here saves a PNG)",
                            file_count="multiple", elem_id="bench-files")
            # full width, one under another: each chart's title says what it is (no label drawn over it)
            size = gr.Plot(label="Size and ratio", show_label=False, elem_id="size-plot")
            timing = gr.Plot(label="Encode / decode time", show_label=False)
            quality = gr.Plot(label="Quality bars", show_label=False, elem_id="quality-plot")
            heat = gr.Plot(label="Formats x metrics", show_label=False)
            tvq = gr.Plot(label="Time vs setting", show_label=False)
    state = gr.State(time_to_live=SESSION_TTL_S)
    charts = [table, rd, size, timing, quality, heat, tvq]
    run.click(run_bench, [uploads, source, codecs, qualities, metric_ids, workers, anchor, rd_metric, setting, extra],
              [status, *charts, files, curve_image, rd_metric, state], api_name="bench")
    for control in (anchor, rd_metric, setting, curve_image):
        control.change(refresh, [state, anchor, rd_metric, setting, curve_image], charts, api_visibility="private")
