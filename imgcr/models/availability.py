"""Which catalogue models run here, one rule for the CLI (``imgcr models``) and the Restore tab.

A model is ``classical`` (no weights), ``available`` (its weights are here), ``downloadable`` (a
source is known) or ``missing``. It *runs here* when it is classical or available, or when downloads
are allowed (``IMGCR_ALLOW_DOWNLOADS``, the default on a Space) and a download can be verified (a
pinned sha256 or the source's hash prefix): it is then fetched on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imgcr import config, weights
from imgcr.models.catalog import MODELS, ModelSpec


@dataclass(frozen=True)
class Availability:
    spec: ModelSpec
    state: str  # classical | available | downloadable | missing
    path: Path | None  # the weights found here
    runs_here: bool  # offered to run now (fetched on first use when it is not here yet)

    @property
    def here(self) -> bool:
        """Runs without a download: classical, or its weights are here."""
        return self.state in ("classical", "available")


def availability(spec: ModelSpec) -> Availability:
    if spec.weights is None:
        return Availability(spec, "classical", None, True)
    path = weights.find(spec.weights)
    if path is not None:
        return Availability(spec, "available", path, True)
    state = "downloadable" if weights.sources(spec.weights) else "missing"
    return Availability(spec, state, None, config.allow_downloads() and weights.fetchable(spec.weights))


def catalogue() -> list[Availability]:
    """Every catalogue model with its state, in catalogue order."""
    return [availability(m) for m in MODELS]


def runnable_ids() -> list[str]:
    """The models offered to run now (the Restore tab's list, the CLI's ``runs_here``)."""
    return [a.spec.id for a in catalogue() if a.runs_here]


def not_runnable() -> list[ModelSpec]:
    """Models that need a download first (offered in the download box)."""
    return [a.spec for a in catalogue() if not a.runs_here]
