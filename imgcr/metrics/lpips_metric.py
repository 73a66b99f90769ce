"""LPIPS-alex (v0.1), loaded lazily and offline.

The ``lpips`` package ships the linear calibration layers (read from its files; the network itself is
:mod:`imgcr.metrics.lpips_net`, the same modules without importing lpips and torchvision); the AlexNet trunk is
read from a local weights file (``lpips/alexnet_features_torchvision_imagenet1k_v1.pth``,
the ``features.*`` of torchvision's ImageNet AlexNet, or torchvision's full
``alexnet-owt-7be5be79.pth``). Nothing is downloaded unless ``IMGCR_ALLOW_DOWNLOADS`` is
on (a Space): then the trunk is fetched, sha256-checked, on first use.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from imgcr import config, weights
from imgcr.errors import WeightsError

ALEXNET_TRUNK = weights.WeightFile(
    id="lpips-alex",
    names=("lpips/alexnet_features_torchvision_imagenet1k_v1.pth", "lpips/alexnet-owt-7be5be79.pth"),
    sha256=("412621990854a3b2295f106a8bdf6f1e92e01110a0afc4b6fec2c385d9630486",),
    url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    url_sha256_prefix="7be5be79",
    licence="BSD-3-Clause (torchvision)",
    source="torchvision AlexNet IMAGENET1K_V1",
    size=9883509,
)

# AlexNet's 11x11/4 conv and two 3x3/2 max-pools leave no pixel below this side: LPIPS is undefined (null)
LPIPS_MIN_SIDE = 31

_lock = threading.Lock()
_model = None
_fetch_failed: tuple[float, str] | None = None  # (when, why) a download of the trunk last failed
RETRY_FETCH_S = 600.0


def unavailable_reason() -> str | None:
    from importlib.util import find_spec

    if find_spec("torch") is None:
        return "torch is not installed"
    from imgcr.metrics.lpips_net import linear_weights_path

    if linear_weights_path() is None:
        return "the lpips package (its calibration weights) is not installed"
    if _fetch_failed and time.monotonic() - _fetch_failed[0] < RETRY_FETCH_S:
        return _fetch_failed[1]
    if weights.find(ALEXNET_TRUNK) is None and not (config.allow_downloads() and weights.fetchable(ALEXNET_TRUNK)):
        return weights.missing_message(ALEXNET_TRUNK)
    return None


def _load():
    global _model, _fetch_failed
    with _lock:
        if _model is not None:
            return _model
        import torch

        from imgcr.metrics import lpips_net

        try:
            path = weights.require(ALEXNET_TRUNK)  # fetched here on first use when downloads are allowed
        except WeightsError as exc:
            _fetch_failed = (time.monotonic(), str(exc))
            raise
        _fetch_failed = None
        state = torch.load(path, map_location="cpu", weights_only=True)
        trunk = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        linear = torch.load(lpips_net.linear_weights_path(), map_location="cpu", weights_only=True)
        try:
            model = lpips_net.build(trunk, linear)
        except KeyError as exc:
            raise WeightsError(f"{path}: not an AlexNet trunk (missing features.{exc.args[0]})") from None
        _model = model
        return model


def warm() -> None:
    """Load the network now if it is available here (a server calls this before it serves: importing torch in a
    request's worker thread holds the GIL for seconds, and the server stops answering meanwhile)."""
    if unavailable_reason() is None:
        try:
            _load()
        except WeightsError:  # a failed download is remembered by _load and reported as the metric's reason
            pass


def lpips_alex(ref: np.ndarray, test: np.ndarray) -> float:
    """LPIPS-alex distance between two uint8 RGB images (lower is more similar)."""
    import torch

    from imgcr.tensors import to_nchw

    model = _load()
    with torch.inference_mode():
        return float(model(to_nchw(ref), to_nchw(test), normalize=True).item())


def lpips_reference(ref: np.ndarray, budget_bytes: int | None = None, band: int | None = None):
    """An :class:`~imgcr.metrics.lpips_bands.LpipsReference` for scoring many images against ``ref``."""
    from imgcr.metrics import lpips_bands

    kwargs = {k: v for k, v in (("budget_bytes", budget_bytes), ("band", band)) if v is not None}
    return lpips_bands.LpipsReference(_load(), ref, **kwargs)
