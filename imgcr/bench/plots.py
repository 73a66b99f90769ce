"""Plotly figures from bench records: pure functions, no I/O, no gradio."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from imgcr import metrics
from imgcr.bench.rd import curves
from imgcr.codecs import REGISTRY

TEMPLATE = "plotly_white"


def _wrap(text: str, width: int = 48) -> str:
    """A title broken into lines of at most ``width`` characters: plotly never wraps, and on a 390 px phone a
    one-line title runs into its neighbour's or off the chart."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def _short(metric_id: str) -> str:
    """A metric's name without its convention (the axis title carries the unit)."""
    return metrics.METRICS[metric_id].label.split(" (")[0]


def _label(codec: str) -> str:
    return REGISTRY[codec].label if codec in REGISTRY else codec


def rd_figure(records: Sequence[dict], metric: str = "psnr", image: str | None = None,
              extra: dict[str, list[dict]] | None = None) -> go.Figure:
    """bpp vs ``metric``, one curve per codec (averaged at equal setting unless ``image`` is given).

    ``extra`` curves (e.g. published reference points) are drawn dashed, after the measured ones."""
    spec = metrics.get_metric(metric)
    fig = go.Figure()
    all_curves = {**curves(records, metric, image), **(extra or {})}
    for codec, pts in all_curves.items():
        fig.add_trace(go.Scatter(
            x=[p["bpp"] for p in pts], y=[p["value"] for p in pts], mode="lines+markers", name=_label(codec),
            line={"dash": "dash"} if extra and codec in extra else None,
            customdata=[[p["quality"] if p["quality"] is not None else "lossless", p["images"]] for p in pts],
            hovertemplate=(f"<b>{_label(codec)}</b><br>setting %{{customdata[0]}}<br>%{{x:.4f}} bpp<br>"
                           f"{spec.label}: %{{y:.4f}}<br>images: %{{customdata[1]}}<extra></extra>"),
        ))
    scope = f"image {image}" if image else "mean over images at equal setting"
    fig.update_layout(template=TEMPLATE, title=_wrap(f"Rate-distortion: {spec.label} ({scope})", 60),
                      xaxis_title="bits per pixel", yaxis_title=spec.label, hovermode="closest",
                      legend_title="codec")
    return fig


def at_setting(records: Sequence[dict], quality: float) -> dict[str, dict[str, float | None]]:
    """Per codec, the mean of each numeric field at one setting (lossless codecs: their only point).

    A codec not measured at that setting contributes its nearest measured setting (a sweep of 30, 60, 90
    asked at 75 shows 60 or 90, never nothing)."""
    measured: dict[str, set[float]] = defaultdict(set)
    for r in records:
        if r["quality"] is not None:
            measured[r["codec"]].add(float(r["quality"]))
    nearest = {c: min(qs, key=lambda q: (abs(q - float(quality)), q)) for c, qs in measured.items()}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if r["quality"] is None or float(r["quality"]) == nearest.get(r["codec"]):
            groups[r["codec"]].append(r)
    out = {}
    fields = ("bytes", "bpp", "ratio", "encode_ms", "decode_ms", *metrics.METRICS)
    for codec, rs in groups.items():
        row = {}
        for f in fields:
            vals = [r[f] for r in rs if r.get(f) is not None]
            row[f] = sum(vals) / len(vals) if vals else None
        out[codec] = row
    return out


FIELD_LABELS = {"bpp": "bpp (bits per pixel)", "bytes": "size (bytes)", "ratio": "ratio (:1)",
                "encode_ms": "Encode time (ms)", "decode_ms": "Decode time (ms)"}
UNITS = {"psnr": "dB", "psnr_y": "dB", "ssim": "SSIM", "ms_ssim": "MS-SSIM", "lpips": "LPIPS", "ssimulacra2": "SSIMULACRA2",
         "butteraugli": "Butteraugli", "butteraugli_3norm": "Butteraugli 3-norm"}


def field_label(field: str) -> str:
    """A person's label for a record field or metric id (never the raw id)."""
    return metrics.METRICS[field].label if field in metrics.METRICS else FIELD_LABELS.get(field, field)


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    """Title above the subplot titles, never on them."""
    fig.update_layout(template=TEMPLATE, title={"text": _wrap(title, 60), "y": 0.97, "yanchor": "top"},
                      margin={"t": 100, "l": 60, "r": 20, "b": 60}, **kw)
    return fig


def size_figure(records: Sequence[dict], quality: float = 75) -> go.Figure:
    table = at_setting(records, quality)
    codecs = list(table)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.18, subplot_titles=("File size (KB)", "Ratio (vs 24-bit RGB)"))
    fig.add_trace(go.Bar(x=[_label(c) for c in codecs], y=[(table[c]["bytes"] or 0) / 1000 for c in codecs], name="KB",
                         hovertemplate="%{x}: %{y:.1f} KB<extra></extra>"), 1, 1)
    fig.add_trace(go.Bar(x=[_label(c) for c in codecs], y=[table[c]["ratio"] for c in codecs], name="ratio",
                         hovertemplate="%{x}: %{y:.2f}:1<extra></extra>"), 1, 2)
    fig.update_yaxes(title_text="KB", row=1, col=1)
    fig.update_yaxes(title_text="ratio (:1)", row=1, col=2)
    return _layout(fig, f"Mean size at setting {quality:g} (1 KB = 1000 bytes)", showlegend=False)


def timing_figure(records: Sequence[dict], quality: float = 75) -> go.Figure:
    table = at_setting(records, quality)
    codecs = list(table)
    fig = go.Figure()
    for field, name in (("encode_ms", "encode"), ("decode_ms", "decode")):
        fig.add_trace(go.Bar(x=[_label(c) for c in codecs], y=[table[c][field] for c in codecs], name=name,
                             hovertemplate=f"%{{x}} {name}: %{{y:.1f}} ms<extra></extra>"))
    return _layout(fig, f"Encode / decode time at setting {quality:g}", barmode="group", yaxis_type="log",
                   yaxis_title="time (ms, log scale)", legend_title="step")


def metric_bars(records: Sequence[dict], quality: float = 75, metric_ids: Sequence[str] = ("psnr", "ssim")) -> go.Figure:
    table = at_setting(records, quality)
    codecs = list(table)
    present = [m for m in metric_ids if any(table[c].get(m) is not None for c in codecs)]
    fig = make_subplots(rows=1, cols=max(1, len(present)), subplot_titles=[_wrap(_short(m), 14) for m in present])
    for i, m in enumerate(present, 1):
        values = [table[c].get(m) for c in codecs]
        fig.add_trace(go.Bar(x=[_label(c) for c in codecs], y=values, name=m,
                             hovertemplate="%{x}: %{y:.4f}<extra></extra>"), 1, i)
        span = [v for v in values if v is not None]
        pad = 0.1 * (max(span) - min(span)) + (0.5 if UNITS.get(m) == "dB" else 0.005) if span else 0
        fig.update_yaxes(title_text=UNITS.get(m, m), range=_range(values, pad), row=1, col=i)
    return _layout(fig, f"Quality at setting {quality:g} (axes do not start at 0; lossless PSNR is undefined)",
                   showlegend=False)


def heatmap(records: Sequence[dict], quality: float = 75, metric_ids: Sequence[str] | None = None) -> go.Figure:
    """Format x metric at one setting; colour is each column's rank-free 0-1 scale (1 = best), text the value."""
    table = at_setting(records, quality)
    codecs = list(table)
    fields = [m for m in (metric_ids or metrics.METRICS) if any(table[c].get(m) is not None for c in codecs)]
    fields += ["bpp", "encode_ms", "decode_ms"]
    better_high = {**{m: metrics.METRICS[m].higher_is_better for m in metrics.METRICS}, "bpp": False,
                   "encode_ms": False, "decode_ms": False}
    z, text = [], []
    for c in codecs:
        zrow, trow = [], []
        for f in fields:
            col = [x for k in codecs if (x := table[k].get(f)) is not None]
            v = table[c].get(f)
            if v is None or not col or max(col) == min(col):
                zrow.append(None if v is None else 1.0)
            else:
                s = (v - min(col)) / (max(col) - min(col))
                zrow.append(s if better_high[f] else 1 - s)
            trow.append("-" if v is None else f"{v:.4g}")
        z.append(zrow)
        text.append(trow)
    names = [field_label(f) for f in fields]
    fig = go.Figure(go.Heatmap(z=z, x=names, y=[_label(c) for c in codecs], text=text, texttemplate="%{text}",
                               colorscale="RdYlGn", zmin=0, zmax=1, colorbar={"title": "best=1"},
                               hovertemplate="%{y} / %{x}: %{text}<extra></extra>"))
    return _layout(fig, f"Formats x metrics at setting {quality:g} (colour: 1 = best in the column)")


def timing_vs_quality(records: Sequence[dict]) -> go.Figure:
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in records:
        if r["quality"] is not None and r.get("encode_ms") is not None:
            groups[(r["codec"], r["quality"])].append(r["encode_ms"])
    fig = go.Figure()
    for codec in dict.fromkeys(c for c, _ in groups):
        qs = sorted(q for c, q in groups if c == codec)
        fig.add_trace(go.Scatter(x=qs, y=[sum(groups[(codec, q)]) / len(groups[(codec, q)]) for q in qs],
                                 mode="lines+markers", name=_label(codec),
                                 hovertemplate=f"{_label(codec)} setting %{{x}}: %{{y:.1f}} ms<extra></extra>"))
    return _layout(fig, "Mean encode time vs setting", xaxis_title="setting (0-100 scale)",
                   yaxis_title="encode time (ms, log scale)", yaxis_type="log", legend_title="codec")


def all_figures(doc: dict[str, Any], quality: float = 75) -> dict[str, go.Figure]:
    recs = doc["records"]
    figs = {f"rd_{m}": rd_figure(recs, m) for m in doc.get("metrics", ["psnr"])
            if any(r.get(m) is not None for r in recs)}
    figs.update(size=size_figure(recs, quality), timing=timing_figure(recs, quality),
                quality=metric_bars(recs, quality, doc.get("metrics", ("psnr", "ssim"))),
                heatmap=heatmap(recs, quality, doc.get("metrics")), timing_vs_quality=timing_vs_quality(recs))
    return figs


# after each chart: buttons that save it through plotly.js's own export, as PNG (2x, for slides) and SVG
_EXPORT_JS = """(function () {{
  var gd = document.getElementById('{{plot_id}}');
  var bar = document.createElement('div');
  ['png', 'svg'].forEach(function (fmt) {{
    var b = document.createElement('button');
    b.textContent = 'Download ' + fmt.toUpperCase();
    b.className = 'imgcr-export-' + fmt;
    b.onclick = function () {{ Plotly.downloadImage(gd, {{format: fmt, filename: 'imgcr-{name}', scale: fmt === 'png' ? 2 : 1}}); }};
    bar.appendChild(b);
  }});
  gd.parentNode.insertBefore(bar, gd);
}})();"""


def charts_html(doc: dict[str, Any], quality: float = 75, bd_rows: Sequence[dict] | None = None) -> str:
    """One self-contained HTML page (plotly.js inlined once, works offline); every chart has PNG and SVG buttons."""
    parts = []
    for i, (name, fig) in enumerate(all_figures(doc, quality).items()):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), post_script=_EXPORT_JS.format(name=name)))
    table = ""
    if bd_rows:
        rows = "".join(
            f"<tr><td>{r['codec']}</td><td>{_fmt(r['bd_rate'], '%')}</td><td>{_fmt(r['bd_metric'])}</td>"
            f"<td>{r['overlap']:.2f}</td><td>{r['reason'] or ''}</td></tr>" for r in bd_rows)
        table = ("<h2>BD-rate</h2><table border=1 cellpadding=4><tr><th>codec</th><th>BD-rate</th><th>BD-metric</th>"
                 f"<th>overlap</th><th>note</th></tr>{rows}</table>")
    images = ", ".join(i["name"] for i in doc.get("images", []))
    head = (f"<h1>imgcr benchmark</h1><p>imgcr {doc.get('imgcr')} &middot; {doc.get('created', '')} &middot; "
            f"{len(doc.get('images', []))} images ({images}) &middot; {len(doc['records'])} records</p>")
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>imgcr benchmark</title></head><body>{head}{table}{''.join(parts)}</body></html>"


def _fmt(v, unit=""):
    return "n/a" if v is None else f"{v:+.2f}{unit}"


def rd_csv(records: Sequence[dict], metrics_: Sequence[str]) -> str:
    """The rate-distortion charts' data: one row per codec, setting and metric (mean over images)."""
    from imgcr.bench.rd import curves

    lines = ["codec,metric,quality,bpp,value,images"]
    for m in metrics_:
        for codec, pts in curves(records, m).items():
            lines += [f"{codec},{m},{p['quality']:g},{p['bpp']:.6f},{p['value']:.6f},{p['images']}" for p in pts]
    return "\n".join(lines) + "\n"


def _range(values: Sequence[float | None], pad: float) -> list[float] | None:
    """An axis range around the values (quality bars starting at 0 hide the differences that matter)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return [min(vals) - pad, max(vals) + pad]


_BAR_TIPS = ("%{x}: %{y:.1f} KB", "%{x}: %{y:.2f}:1", "%{x}: %{y:.2f} dB", "%{x}: %{y:.4g}")


@cache
def _bars_layout(perceptual: bool) -> dict[str, Any]:
    """The part of :func:`compare_bars`'s figure that no result changes (the four panels and their titles),
    built and checked by plotly once. Building the whole figure each time took 54 ms of the server's CPU (the
    Compare tab redraws it as each codec lands); taken from this dict, 15 ms."""
    title = "SSIMULACRA2<br>(90: visually lossless)" if perceptual else "SSIM<br>(higher is better)"
    fig = make_subplots(rows=2, cols=2, vertical_spacing=0.3, horizontal_spacing=0.14,
                        subplot_titles=("File size<br>(KB = 1000 bytes)", "Compression ratio<br>(vs 24-bit RGB)",
                                        "PSNR<br>(dB, higher is better)", title))
    # two short lines each, side by side on a 390 px phone; they carry the units: y-axis titles of the right
    # column stood between the panels and ran into the left ones' bars there
    fig.update_annotations(font_size=12)
    fig.update_layout(template=TEMPLATE, showlegend=False, height=600, margin={"t": 80, "b": 40, "l": 50, "r": 10})
    return fig.to_dict()["layout"]


def compare_bars(results: Sequence[Any]) -> go.Figure:
    """The Compare tab's at-a-glance charts for one image: size (KB), ratio, PSNR (dB) and SSIMULACRA2 per codec
    (SSIM where SSIMULACRA2 was not measured).

    Args:
        results: :class:`imgcr.pipeline.CodecResult` objects that succeeded.
    """
    names = [r.label for r in results]
    psnr_ = [r.metrics.get("psnr") for r in results]
    perceptual = any(r.metrics.get("ssimulacra2") is not None for r in results)
    fourth, pad = ("ssimulacra2", 5.0) if perceptual else ("ssim", 0.01)
    quality = [r.metrics.get(fourth) for r in results]
    values = ([r.bytes / 1000 for r in results], [r.ratio for r in results], psnr_, quality)
    layout = dict(_bars_layout(perceptual))
    for axis, vals, margin in (("yaxis3", psnr_, 1.0), ("yaxis4", quality, pad)):  # quality bars do not start at 0
        span = _range(vals, margin)
        if span is not None:
            layout[axis] = {**layout[axis], "range": span}
    lossless = [r.label for r in results if r.lossless]
    if lossless:
        layout["title"] = {"text": _wrap(f"lossless ({', '.join(lossless)}): PSNR is infinite, not drawn", 60), "font": {"size": 12}}
    axes = (("x", "y"), ("x2", "y2"), ("x3", "y3"), ("x4", "y4"))
    data = [{"type": "bar", "x": names, "y": y, "hovertemplate": f"{tip}<extra></extra>", "xaxis": xa, "yaxis": ya}
            for y, tip, (xa, ya) in zip(values, _BAR_TIPS, axes, strict=True)]
    return go.Figure({"data": data, "layout": layout})
