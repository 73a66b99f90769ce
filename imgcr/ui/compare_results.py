"""How a comparison's results are shown in the Compare tab: the full and summary tables, the status line,
the bars, and the outputs of each update of a streamed comparison (files and the slider pair written once)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from imgcr import views
from imgcr.codecs import REGISTRY
from imgcr.numbers import rounded
from imgcr.pipeline import CodecResult
from imgcr.search import Target
from imgcr.ui.common import output_folder, png_files
from imgcr.ui.compare_views import ORIGINAL, captions

COLUMNS = ["Codec", "Bytes", "bpp", "Ratio", "PSNR dB", "SSIM", "MS-SSIM", "LPIPS", "SSIMULACRA2", "Butteraugli",
           "Butteraugli 3-norm", "Encode ms", "Decode ms", "Target", "Settings"]
OPTIONAL = ("SSIMULACRA2", "Butteraugli")  # summary columns shown only when measured
_WRITER = ThreadPoolExecutor(1, thread_name_prefix="imgcr-original")  # writes each comparison's original view


# the table shown first: what fits 1400 px and scrolls on a phone (codec pinned); the rest one click away
SUMMARY_COLUMNS = ["Codec", "Size (bytes)", "bpp", "PSNR (dB)", "SSIM", "LPIPS", "SSIMULACRA2", "Butteraugli",
                   "Encode (ms)", "Decode (ms)"]


def _verdict(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return text
    if text.startswith("lossless"):
        return "n/a (lossless)"
    return text.split(" (")[0]


def summary_table(full: pd.DataFrame, targeted: bool) -> pd.DataFrame:
    """The default column set of the results (the full table keeps every column); 'Target' when a target was set."""
    # the ratio stays in the full table (bpp says the same), so that SSIMULACRA2 fits 1400 px
    out = full[["Codec", "Bytes", "bpp", "PSNR dB", "SSIM", "LPIPS", *OPTIONAL, "Encode ms", "Decode ms"]].copy()
    out.columns = SUMMARY_COLUMNS
    out = out.drop(columns=[c for c in OPTIONAL if out[c].isna().all()])  # not asked for: no empty column
    out["SSIM"] = [v if isinstance(v, str) else rounded(v, 4) for v in out["SSIM"]]  # None where not measured
    if "SSIMULACRA2" in out.columns:  # the score that does not reward blur takes SSIM's place (SSIM: full table)
        out = out.drop(columns=["SSIM"])
    if targeted:  # the verdict alone ("+0.4% met"); the encodes and the decode time stay in the full table
        out = out.drop(columns=["Decode (ms)"])
        out["Target"] = [_verdict(t) for t in full["Target"]]
    errors = full["Target"].where(full["Bytes"].isna(), "")
    if errors.astype(bool).any():  # unavailable or failed codecs say why, here too
        out["Note"] = errors
    return out


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


PENDING = "…"  # a metric still being computed (the table fills in as a streamed comparison goes on)


def _cell(r: CodecResult, metric: str, nd: int) -> Any:
    return PENDING if metric in r.pending else rounded(r.metrics.get(metric), nd)


def results_table(results: list[CodecResult], waiting: Sequence[str] = ()) -> pd.DataFrame:
    """One row per result; ``waiting``: labels of codecs still encoding (their rows say so)."""
    rows: list[list[Any]] = []
    for r in results:
        if not r.ok:
            why = ("unavailable: " if not r.available else "error: ") + (r.error or "")
            rows.append([r.label, *([None] * 12), why, ""])
            continue
        lossless = r.lossless and r.metrics.get("psnr") is None and "psnr" not in r.pending
        rows.append([
            r.label, r.bytes, rounded(r.bpp, 4), rounded(r.ratio, 2), "lossless (∞)" if lossless else _cell(r, "psnr", 2),
            _cell(r, "ssim", 5), _cell(r, "ms_ssim", 5), _cell(r, "lpips", 4), _cell(r, "ssimulacra2", 2),
            _cell(r, "butteraugli", 3), _cell(r, "butteraugli_3norm", 3), rounded(r.encode_ms, 1),
            rounded(r.decode_ms, 1), _target_text(r), _settings_text(r),
        ])
    rows += [[label, "encoding…", *([None] * 13)] for label in waiting]  # the same columns as every other update
    return pd.DataFrame(rows, columns=COLUMNS)


class StreamView:
    """The tab's outputs for each update of a streamed comparison; files and the slider pair written once."""

    def __init__(self, image, form: Any, options: dict, target: Target | None):
        self.image, self.form, self.options, self.target = image, form, options, target
        self.folder = output_folder()
        self.stem = Path(image.name).stem or "image"
        # the original goes out as its own PNG file: the same array sent to two components at once is written to
        # one cache path twice, and a browser can read it half-written
        self.original = self.folder / "original.png"
        # written while the first codecs encode, ready for the first update (0.2 s at 2048x1280, written before
        # the comparison started, was a fifth of a second with one core idle)
        self._writing: Future = _WRITER.submit(Image.fromarray(views.screen(image.pixels)).save, self.original,
                                               compress_level=1)
        self.files: dict[str, str] = {}
        self.slider: tuple | None = None
        self.right: str | None = None
        self._drawn: tuple | None = None  # what the charts last showed: redrawn only when it changes

    def outputs(self, update: list[CodecResult | None]) -> tuple:
        self._writing.result()  # the original's PNG is on disk (a failure to write it is raised here)
        image, labels = self.image, {c: REGISTRY[c].label if c in REGISTRY else c for c in self.form.codecs}
        landed = [r for r in update if r is not None]
        done = [r for r in landed if r.ok]
        for r in done:
            if r.codec not in self.files:
                self.files[r.codec] = str(r.write(self.folder, self.stem))
        names = [ORIGINAL] + [r.label for r in done]
        state: dict[str, Any] = {
            "ref": image.pixels, "images": {ORIGINAL: image.pixels, **{r.label: r.decoded for r in done}},
            "captions": {ORIGINAL: [f"Original {image.width}×{image.height}"], **{r.label: captions(r) for r in done}},
            "stem": self.stem, "name": image.name, "codecs": {r.label: r.codec for r in done},
            "settings": {"mode": self.form.mode, "metrics": list(self.form.metric_ids or ()), "options": self.options}}
        # the slider's right side is the first codec to land, and stays it (the dropdown says the same)
        new_pair = self.right is None and len(names) > 1
        if new_pair:
            self.right = names[1]
            self.slider = (str(self.original), png_files(views.screen(state["images"][names[1]]))[0])
        right = self.right or ORIGINAL
        waiting = [labels[c] for c, r in zip(self.form.codecs, update, strict=True) if r is None]
        full = results_table(landed, waiting)
        pending = sum(1 for r in landed if r.pending)
        status = _status(image, landed, self.target, len(waiting), pending)
        shown = self.slider if new_pair or (not waiting and self.slider) else gr.update()
        return (str(self.original), full, status, shown,
                gr.update(choices=names, value=ORIGINAL), gr.update(choices=names, value=right),
                list(self.files.values()), self._charts(landed, final=not waiting and not pending),
                summary_table(full, self.target is not None), state)

    def _charts(self, landed: list[CodecResult], final: bool):
        """The charts, or no change where the numbers they draw are the ones already drawn: an LPIPS or MS-SSIM
        value filling in leaves them as they are (a figure costs 60-90 ms of the server's CPU to build, and
        its JSON goes to the browser again). The last update always carries them (an API call's result)."""
        drawn = tuple((r.label, r.bytes, r.lossless, *(r.metrics.get(m) for m in CHARTED)) for r in landed if r.ok)
        if drawn == self._drawn and not final:
            return gr.update()
        self._drawn = drawn
        return charts(landed)


CHARTED = ("psnr", "ssim", "ssimulacra2")  # the metrics the charts can draw (bytes and ratio besides)


def charts(results: list[CodecResult]):
    """The at-a-glance bars for the image in hand: file size and ratio, PSNR and SSIM, per codec."""
    from imgcr.bench.plots import compare_bars

    done = [r for r in results if r.ok]
    return compare_bars(done) if done else None


def _status(image, results, target, waiting: int = 0, pending: int = 0) -> str:
    lines = [f"**{image.name}**: {image.width}×{image.height} px ({image.source_format or 'array'}, {image.source_mode})"]
    if waiting or pending:
        lines.append(f"Working: {waiting} codec(s) still encoding, {pending} row(s) waiting for MS-SSIM / LPIPS "
                     f"({PENDING} in the table)." if waiting else
                     f"Every codec is in; {pending} row(s) waiting for MS-SSIM / LPIPS ({PENDING} in the table).")
    lines += [f"- {note}" for note in image.notes]
    shown = views.screen_shape(image.height, image.width)
    if shown != (image.height, image.width):
        lines.append(f"Shown at {shown[1]}×{shown[0]} (lossless PNG views sized for the screen); the zoom panel, "
                     "figures and downloads keep every pixel.")
    if target is not None:
        lines.append(f"Target: {target.label()} — each codec's quality knob was bisected; 'met' means within {target.met_text()}.")
    for r in results:
        if not r.ok:
            lines.append(f"- {r.label}: {'unavailable' if not r.available else 'failed'} — {r.error}")
    lines.append("Timings: one run each, while the other codecs ran on the other cores.")
    if any(r.cached for r in results):
        lines.append("Some results came from the cache (same image, codec and settings); their timings are from the first run.")
    return "\n\n".join(lines)  # one paragraph or list item per line, never run together
