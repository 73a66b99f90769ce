"""Training curves from model cards, as plotly figures (the Restore tab and ``train-report``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots


def curves_figure(cards: Sequence[dict[str, Any]], x: str = "step") -> go.Figure:
    """Training loss and validation PSNR of one or several runs, against ``step`` or ``seconds``.

    The validation input's own PSNR (the degraded crops, before any model) is drawn dotted:
    the distance above it is what the network adds.
    """
    xlabel = "training step" if x == "step" else "training time (s)"
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("Training loss (mean over 50 steps)", "Validation PSNR (held-aside crops)"))
    for i, card in enumerate(cards):
        colour = _COLOURS[i % len(_COLOURS)]
        name = card.get("id", f"run {i + 1}")
        loss = card.get("loss_curve", [])
        fig.add_trace(go.Scatter(x=[p[x] for p in loss], y=[p["loss"] for p in loss], name=f"{name} loss",
                                 mode="lines", line={"color": colour}, legendgroup=name), row=1, col=1)
        val = card.get("validation", {})
        curve = val.get("curve", [])
        fig.add_trace(go.Scatter(x=[p[x] for p in curve], y=[p["psnr"] for p in curve], name=f"{name} PSNR",
                                 mode="lines+markers", line={"color": colour}, legendgroup=name), row=1, col=2)
        base = val.get("baseline", {}).get("psnr")
        if base is not None and curve:
            fig.add_trace(go.Scatter(x=[curve[0][x], curve[-1][x]], y=[base, base], mode="lines",
                                     name=f"{name} input (no model)", line={"color": colour, "dash": "dot"},
                                     legendgroup=name), row=1, col=2)
    fig.update_xaxes(title_text=xlabel)
    fig.update_yaxes(title_text="loss", type="log", row=1, col=1)
    fig.update_yaxes(title_text="PSNR (dB, higher is better)", row=1, col=2)
    fig.update_layout(height=420, margin={"t": 60, "l": 60, "r": 20, "b": 50}, legend={"orientation": "h", "y": -0.25})
    return fig


_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
