"""LPIPS-alex (v0.1), loaded lazily and offline.

The ``lpips`` package ships the linear calibration layers; the AlexNet trunk is
read from a local weights file (``lpips/alexnet_features_torchvision_imagenet1k_v1.pth``,
the ``features.*`` of torchvision's ImageNet AlexNet, or torchvision's full
``alexnet-owt-7be5be79.pth``), so nothing is downloaded at run time.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np

from imgcr import weights
from imgcr.errors import WeightsError

ALEXNET_TRUNK = weights.WeightFile(
    id="lpips-alex",
    names=("lpips/alexnet_features_torchvision_imagenet1k_v1.pth", "lpips/alexnet-owt-7be5be79.pth"),
    sha256=("412621990854a3b2295f106a8bdf6f1e92e01110a0afc4b6fec2c385d9630486",),
    url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    url_sha256_prefix="7be5be79",
    licence="BSD-3-Clause (torchvision)",
    source="torchvision AlexNet IMAGENET1K_V1",
)

# AlexNet's 11x11/4 conv and two 3x3/2 max-pools leave no pixel below this side: LPIPS is undefined (null)
LPIPS_MIN_SIDE = 31

_lock = threading.Lock()
_model = None


def unavailable_reason() -> str | None:
    try:
        import lpips  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        return f"lpips/torch not installed ({exc})"
    if weights.find(ALEXNET_TRUNK) is None:
        return weights.missing_message(ALEXNET_TRUNK)
    return None


def _load():
    global _model
    with _lock:
        if _model is not None:
            return _model
        import lpips
        import torch

        path = weights.require(ALEXNET_TRUNK)
        state = torch.load(path, map_location="cpu", weights_only=True)
        trunk = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        with warnings.catch_warnings():  # torchvision's "pretrained is deprecated" noise
            warnings.simplefilter("ignore", UserWarning)
            model = lpips.LPIPS(net="alex", pnet_rand=True, verbose=False)
        target = {}
        for key in model.net.state_dict():
            index_and_param = key.split(".", 1)[1]  # "slice2.3.weight" -> "3.weight"
            if index_and_param not in trunk:
                raise WeightsError(f"{path}: not an AlexNet trunk (missing features.{index_and_param})")
            target[key] = trunk[index_and_param]
        model.net.load_state_dict(target)
        model.eval()
        _model = model
        return model


def lpips_alex(ref: np.ndarray, test: np.ndarray) -> float:
    """LPIPS-alex distance between two uint8 RGB images (lower is more similar)."""
    import torch

    model = _load()

    def to_tensor(img):
        return torch.from_numpy(np.array(img, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]

    with torch.inference_mode():
        return float(model(to_tensor(ref), to_tensor(test), normalize=True).item())
