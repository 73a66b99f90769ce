"""Load models lazily onto the best device, keep a small LRU pool, never full-unpickle.

Spandrel detects the architectures it knows (its loader unpickles with a restricted
allow-list); FFDNet and VDSR state dicts are read with ``torch.load(weights_only=True)``.
The pool holds at most ``IMGCR_MODEL_POOL`` models (default 2; 1 big model on small GPUs)
behind a lock; loaded models are shared read-only by concurrent requests.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from imgcr import weights
from imgcr.errors import WeightsError
from imgcr.models.catalog import ModelSpec


@dataclass
class LoadedModel:
    spec: ModelSpec
    module: Any  # torch.nn.Module (spandrel's wrapped module or ours)
    device: str
    half: bool
    scale: int
    in_channels: int


def best_device() -> str:
    """``cuda`` when a GPU is usable (``IMGCR_DEVICE`` overrides), else ``cpu``."""
    forced = os.environ.get("IMGCR_DEVICE")
    if forced:
        return forced
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _read(spec: ModelSpec, device: str) -> LoadedModel:
    import torch

    path = weights.require(spec.weights)
    if spec.weights.sha256:
        digest = weights.sha256_file(path)
        if digest not in spec.weights.sha256:
            raise WeightsError(f"{spec.id}: {path} fails its sha256 check (got {digest[:16]}...); re-download it")
    if spec.arch in ("FFDNet", "VDSR"):
        from imgcr.models.arch import VDSR, FFDNet

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a corrupt or foreign file: say which
            raise WeightsError(f"{spec.id}: cannot read {path} as a state dict ({exc})") from None
        state = state.get("params", state) if isinstance(state, dict) else state
        try:
            module = FFDNet.from_state_dict(state) if spec.arch == "FFDNet" else VDSR.from_state_dict(state)
        except (KeyError, RuntimeError) as exc:
            raise WeightsError(f"{spec.id}: {path} does not match the {spec.arch} layout ({exc})") from None
        in_ch = module.in_nc if spec.arch == "FFDNet" else 1
        scale = spec.scale
    else:
        from spandrel import ModelLoader

        try:
            desc = ModelLoader(device="cpu").load_from_file(path)
        except Exception as exc:
            raise WeightsError(f"{spec.id}: spandrel cannot load {path} ({exc})") from None
        if spec.arch and desc.architecture.name != spec.arch:
            raise WeightsError(f"{spec.id}: {path} is a {desc.architecture.name}, expected {spec.arch}")
        module, in_ch, scale = desc.model, desc.input_channels, desc.scale
    module.eval().requires_grad_(False)
    half = device.startswith("cuda") and spec.fp16
    module = module.to(device)
    if half:
        module = module.half()
    return LoadedModel(spec, module, device, half, scale, in_ch)


class ModelPool:
    """A thread-safe LRU of loaded models."""

    def __init__(self, capacity: int | None = None):
        self.capacity = capacity or int(os.environ.get("IMGCR_MODEL_POOL", 2))
        self._models: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, spec: ModelSpec, device: str | None = None) -> LoadedModel:
        device = device or best_device()
        key = (spec.id, device)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            while len(self._models) >= self.capacity:
                self._models.popitem(last=False)
                _free_gpu_cache(device)
            model = _read(spec, device)
            self.loads += 1
            self._models[key] = model
            return model

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


def _free_gpu_cache(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


POOL = ModelPool()
