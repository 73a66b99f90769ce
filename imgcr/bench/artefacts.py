"""The files a sweep leaves behind, written by one function for the CLI and the Benchmark tab.

- ``results.json``: the results document (:func:`imgcr.bench.sweep.bench`), every record;
- ``results.csv``: the records as a table;
- ``rd_curves.csv``: the rate-distortion charts' data (mean over images per codec and setting);
- ``charts.html``: every chart on one offline page, with the BD-rate table on PSNR when PSNR was measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgcr.bench import plots
from imgcr.bench.rd import bd_table
from imgcr.bench.sweep import save_csv, save_json


@dataclass(frozen=True)
class Artefacts:
    """Where each file goes (None: not written)."""

    results_json: Path | None = None
    results_csv: Path | None = None
    rd_csv: Path | None = None
    charts_html: Path | None = None

    @classmethod
    def in_folder(cls, folder: Path) -> Artefacts:
        """All four, under their usual names in ``folder``."""
        return cls(folder / "results.json", folder / "results.csv", folder / "rd_curves.csv", folder / "charts.html")


def psnr_measured(doc: dict[str, Any]) -> bool:
    """Whether the sweep measured PSNR (some records carry a value: lossless-only sweeps have none)."""
    return "psnr" in doc.get("metrics", ["psnr"]) and any(r.get("psnr") is not None for r in doc["records"])


def write_artefacts(doc: dict[str, Any], where: Artefacts, setting: float = 75, anchor: str = "jpeg") -> list[Path]:
    """Write the asked-for files; returns their paths, in the order above. ``setting`` picks the bar charts'
    setting, ``anchor`` the BD table's reference codec."""
    written = []
    if where.results_json:
        save_json(doc, where.results_json)
        written.append(where.results_json)
    if where.results_csv:
        save_csv(doc, where.results_csv)
        written.append(where.results_csv)
    if where.rd_csv:
        _text(where.rd_csv, plots.rd_csv(doc["records"], doc["metrics"]))
        written.append(where.rd_csv)
    if where.charts_html:
        rows = bd_table(doc["records"], anchor, "psnr") if psnr_measured(doc) else None
        _text(where.charts_html, plots.charts_html(doc, setting, rows))
        written.append(where.charts_html)
    return written


def _text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
