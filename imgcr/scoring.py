"""Score any pair of images: a reference and a file made anywhere (``python -m imgcr score``, and Compare's
"Add a file encoded elsewhere").

Both files are read as imgcr reads every upload (EXIF rotation applied, palette / 16-bit / CMYK / gray turned
into 8-bit RGB, alpha dropped); they must then be the same size. Asking for ``butteraugli`` gives its 3-norm too
(one run of libjxl's tool measures both). A metric that is undefined for this pair (below its minimum size) or
unavailable here is ``null`` with the reason in ``notes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imgcr import metrics
from imgcr.errors import ImgcrError

DEFAULT = ("ssimulacra2", "butteraugli", "psnr")


@dataclass
class ScoreReport:
    reference: str
    distorted: str
    size: tuple[int, int]
    metrics: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"reference": self.reference, "distorted": self.distorted, "width": self.size[0], "height": self.size[1],
                "metrics": self.metrics, "notes": self.notes}

    def lines(self) -> list[str]:
        out = [f"{self.distorted} against {self.reference} ({self.size[0]}x{self.size[1]})"]
        for m, v in self.metrics.items():
            out.append(f"  {m}: {v:.6g}" if v is not None else f"  {m}: - ({self.notes.get(m, 'undefined')})")
        return out


def expand(metric_ids: Sequence[str]) -> list[str]:
    """The metrics asked for, checked, in order; ``butteraugli`` brings its 3-norm."""
    out: list[str] = []
    for m in metric_ids:
        metrics.get_metric(m)  # unknown names fail here, with the known ones listed
        for one in (m, "butteraugli_3norm") if m == "butteraugli" else (m,):
            if one not in out:
                out.append(one)
    return out


def _why_none(metric_id: str, ref: np.ndarray, test: np.ndarray) -> str:
    spec = metrics.METRICS[metric_id]
    reason = spec.unavailable()
    if reason:
        return f"unavailable here: {reason}"
    h, w = ref.shape[:2]
    if min(h, w) < spec.min_side:
        return f"undefined below {spec.min_side} px a side (this pair is {w}x{h})"
    if metric_id.startswith("psnr") and np.array_equal(ref, test):
        return "identical images (infinite PSNR)"
    return "undefined for this pair"


def score_pair(ref: np.ndarray, test: np.ndarray, metric_ids: Sequence[str], names: tuple[str, str] = ("", "")) -> ScoreReport:
    """Every metric of ``test`` against ``ref`` (uint8 RGB)."""
    if ref.shape != test.shape:
        raise ImgcrError(f"the images differ in size: {names[0] or 'reference'} is {ref.shape[1]}x{ref.shape[0]}, "
                         f"{names[1] or 'distorted'} is {test.shape[1]}x{test.shape[0]} (score needs the same size)")
    report = ScoreReport(names[0], names[1], (ref.shape[1], ref.shape[0]))
    scorer = metrics.Scorer(ref)
    for m in expand(metric_ids):
        report.metrics[m] = scorer.compute(m, test)
        if report.metrics[m] is None:
            report.notes[m] = _why_none(m, ref, test)
    return report


def score_files(reference: str, distorted: str, metric_ids: Sequence[str]) -> ScoreReport:
    from imgcr.images import load_image

    ref, test = load_image(reference), load_image(distorted)
    return score_pair(ref.pixels, test.pixels, metric_ids, (reference, distorted))
