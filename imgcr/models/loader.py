"""Load models lazily onto the best device, keep a small LRU pool, never full-unpickle.

Spandrel detects the architectures it knows (its loader unpickles with a restricted
allow-list); FFDNet, VDSR and imgcr's own networks (:mod:`imgcr.models.nets`) are read
with ``torch.load(weights_only=True)``.
The pool holds at most ``IMGCR_MODEL_POOL`` models (default 2; 1 big model on small GPUs),
read when used; a load blocks only requests for the same model; models in use are leased
and never evicted mid-run; loaded models are shared read-only by concurrent requests.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imgcr import config, weights
from imgcr.devices import best_device
from imgcr.errors import WeightsError, first_line
from imgcr.models.catalog import ModelSpec


@dataclass
class LoadedModel:
    spec: ModelSpec
    module: Any  # torch.nn.Module (spandrel's wrapped module or ours)
    device: str
    half: bool
    scale: int
    in_channels: int
    call: Any = None  # (1, C, h, w) -> (1, C', h*s, w*s): spandrel's descriptor (its padding, call_fn, clamp) or the module


def _read(spec: ModelSpec, device: str) -> LoadedModel:
    import torch

    if spec.weights is None:
        raise WeightsError(f"{spec.id} is a classical method: it has no weights to load")
    path = weights.require(spec.weights)
    if spec.weights.sha256:
        digest = weights.sha256_file(path)
        if digest not in spec.weights.sha256:
            raise WeightsError(f"{spec.id}: {path} fails its sha256 check (got {digest[:16]}...); re-download it")
    if spec.arch.startswith("imgcr-"):  # imgcr's own, trained by `python -m imgcr train`
        module = _read_own(spec, path)
        in_ch, scale = module.in_nc, 1
    elif spec.arch in ("FFDNet", "VDSR"):
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
            raise WeightsError(f"{spec.id}: spandrel cannot load {path} ({first_line(exc, 160)})") from None
        if spec.arch and desc.architecture.name != spec.arch:
            raise WeightsError(f"{spec.id}: {path} is a {desc.architecture.name}, expected {spec.arch}")
        module, in_ch, scale = desc.model, desc.input_channels, desc.scale
        half = device.startswith("cuda") and spec.fp16 and desc.supports_half
        desc.to(device)
        if half:
            desc.half()
        desc.eval()
        module.requires_grad_(False)
        return LoadedModel(spec, desc.model, device, half, scale, in_ch, call=desc)
    module.eval().requires_grad_(False)
    half = device.startswith("cuda") and spec.fp16
    module = module.to(device)
    if half:
        module = module.half()
    return LoadedModel(spec, module, device, half, scale, in_ch, call=module)


def _read_own(spec: ModelSpec, path) -> Any:
    """One of imgcr's trained networks: a plain (fp16) state dict, rebuilt from its shapes, run in float32."""
    import torch

    from imgcr.models import nets

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or foreign file
        raise WeightsError(f"{spec.id}: cannot read {path} as a state dict ({first_line(exc)})") from None
    if not isinstance(state, dict):
        raise WeightsError(f"{spec.id}: {path} is not a state dict")
    try:
        return nets.from_state_dict(spec.arch, state).float()
    except (KeyError, RuntimeError, ValueError) as exc:
        raise WeightsError(f"{spec.id}: {path} is not an {spec.arch} state dict ({first_line(exc, 120)})") from None


class ModelPool:
    """A thread-safe LRU of loaded models.

    Loading happens outside the pool's lock, under a lock of its own per (model, device):
    a slow load blocks only the requests for that model. Models in use are leased
    (:meth:`use`); eviction skips them, so a model is never dropped while it runs (the
    pool may then hold more than its capacity until the lease ends).
    """

    def __init__(self, capacity: int | None = None):
        self._capacity = capacity
        self._models: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()
        self._leases: dict[tuple[str, str], int] = {}
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self.loads = 0

    @property
    def capacity(self) -> int:
        """The fixed capacity given, else ``IMGCR_MODEL_POOL`` as it is now."""
        return self._capacity or config.model_pool_size()

    def get(self, spec: ModelSpec, device: str | None = None) -> LoadedModel:
        """The loaded model (loading it if needed); use :meth:`use` to hold it while it runs."""
        device = device or best_device()
        key = (spec.id, device)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            load_lock = self._loading.setdefault(key, threading.Lock())
        with load_lock:
            with self._lock:  # another request may have loaded it while we waited
                if key in self._models:
                    self._models.move_to_end(key)
                    return self._models[key]
            model = _read(spec, device)
            with self._lock:
                self._evict_for_one()
                self._models[key] = model
                self.loads += 1
                self._loading.pop(key, None)
            return model

    @contextmanager
    def use(self, spec: ModelSpec, device: str | None = None) -> Iterator[LoadedModel]:
        """Lease a model for one run: it cannot be evicted until the block ends."""
        device = device or best_device()
        key = (spec.id, device)
        while True:
            model = self.get(spec, device)
            with self._lock:
                if self._models.get(key) is model:  # not evicted between get and lease
                    self._leases[key] = self._leases.get(key, 0) + 1
                    break
        try:
            yield model
        finally:
            with self._lock:
                self._leases[key] -= 1
                if not self._leases[key]:
                    del self._leases[key]

    def _evict_for_one(self) -> None:
        """Drop least-recently-used models not in use until one more fits (call with the lock held)."""
        for key in list(self._models):
            if len(self._models) < self.capacity:
                return
            if key not in self._leases:
                self._models.pop(key)
                _free_gpu_cache(key[1])

    def clear(self) -> None:
        with self._lock:
            for key in [k for k in self._models if k not in self._leases]:
                self._models.pop(key)


def _free_gpu_cache(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


POOL = ModelPool()
