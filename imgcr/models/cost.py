"""How long a restore run will take: the input pixels each model processes x its seconds per megapixel.

The rate is what this process measured on earlier runs of the model (:meth:`CostModel.learn`), else the
architecture's planning figure (:data:`imgcr.models.archs.ARCHS`). One :class:`CostModel` is shared by the
requests of a server (thread-safe); the x8 self-ensemble counts as 8 runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from imgcr.degrade import downscale_factor, parse_chain
from imgcr.errors import ImgcrError
from imgcr.models import get_model
from imgcr.models.archs import get_arch

ENSEMBLE_RUNS = 8


def input_pixels(model_id: str, width: int, height: int, factor: int) -> int:
    """Pixels a model processes for a ``width`` x ``height`` original degraded by a ``factor`` downscale:
    the degraded image, except a model that refines a bicubic upscale (VDSR: the original's size)."""
    if get_arch(get_model(model_id).arch).on_upscaled_y:
        return width * height
    return (width // factor) * (height // factor)


def chain_factor(chain: str | None) -> int:
    """The downscale factor of a degradation chain (1 when there is none, or the text is not a chain yet)."""
    try:
        return downscale_factor(parse_chain(chain)) if chain else 1
    except ImgcrError:
        return 1


LOAD_S = 3.0  # reading and preparing a model's weights the first time (planning figure; DnCNN 1-2 s, U-Net ~3 s)
SPREAD = 1.4  # a first run on a busy machine takes up to this much longer than the rate says (seen: 7.4 s for 4 s)


@dataclass(frozen=True)
class Estimate:
    seconds: float  # the models' own time at their rates
    measured: bool  # every model's rate was measured by this process (else some come from the benchmarks)
    loads: int = 0  # models not loaded yet: each adds its loading time the first time

    @property
    def high(self) -> float:
        """The range's upper end: the spread of real runs, plus the first loads."""
        return self.seconds * SPREAD + self.loads * LOAD_S


class CostModel:
    """Seconds per input megapixel per model: measured here when it has run, else the planning figure."""

    def __init__(self) -> None:
        self._measured: dict[str, float] = {}
        self._lock = threading.Lock()

    def rate(self, model_id: str) -> float:
        with self._lock:
            measured = self._measured.get(model_id)
        return measured if measured is not None else get_arch(get_model(model_id).arch).cpu_s_per_mp

    def learn(self, model_id: str, pixels: int, seconds: float, ensemble: bool = False) -> None:
        """Remember how fast a model really ran here (the next estimate uses it); an ensemble run counts once."""
        seconds = seconds / (ENSEMBLE_RUNS if ensemble else 1)
        if pixels <= 0 or seconds <= 0:
            return
        rate = seconds / (pixels / 1e6)
        with self._lock:
            old = self._measured.get(model_id)
            self._measured[model_id] = rate if old is None else 0.5 * (old + rate)

    def forget(self, model_id: str) -> None:
        with self._lock:
            self._measured.pop(model_id, None)

    def estimate(self, model_ids: list[str], width: int, height: int, chain: str | None = None,
                 ensemble: bool = False) -> Estimate:
        """CPU time for restoring a ``width`` x ``height`` original degraded by ``chain`` with each model."""
        factor = chain_factor(chain)
        runs = ENSEMBLE_RUNS if ensemble else 1
        total = sum(input_pixels(m, width, height, factor) / 1e6 * self.rate(m) * runs for m in model_ids)
        with self._lock:
            measured = all(m in self._measured for m in model_ids)
        return Estimate(total, measured, sum(1 for m in model_ids if not _loaded(m)))


def _loaded(model_id: str) -> bool:
    """Whether the model is in the shared pool already (a classical method needs no loading)."""
    spec = get_model(model_id)
    if spec.weights is None:
        return True
    from imgcr.models.loader import POOL

    return POOL.holds(model_id)


COSTS = CostModel()
