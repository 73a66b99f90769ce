"""Where torch work runs: one rule for inference and training.

``IMGCR_DEVICE`` forces a device (``cpu``, ``cuda``, ``cuda:1``); otherwise a usable GPU is chosen
when there is one, else the CPU. Torch is imported only when the choice is made.
"""

from __future__ import annotations

from imgcr import config
from imgcr.errors import ImgcrError


def best_device() -> str:
    """``IMGCR_DEVICE`` when set, else ``cuda`` when a GPU is usable, else ``cpu``."""
    forced = config.device()
    if forced:
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_device(requested: str = "auto") -> str:
    """``auto`` -> :func:`best_device`; a CUDA device that is not usable here is a clear error."""
    device = best_device() if requested == "auto" else requested
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ImgcrError(f"device {device}: no CUDA GPU is usable here")
    return device


def model_concurrency() -> int:
    """Restore runs at once, all tabs together: ``IMGCR_MODEL_CONCURRENCY``, else one on a GPU (they share its
    memory), else :func:`imgcr.config.concurrency`."""
    forced = config.model_concurrency_override()
    if forced:
        return forced
    try:
        on_gpu = best_device().startswith("cuda")
    except ImportError:  # no torch: no models run on a GPU
        on_gpu = False
    return 1 if on_gpu else config.concurrency()
