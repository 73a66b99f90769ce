"""Load models lazily onto the best device, keep a small LRU pool, never full-unpickle.

Each architecture loads through its entry in :data:`imgcr.models.archs.ARCHS` (spandrel's restricted
unpickler, or ``torch.load(weights_only=True)`` for the layouts written here).
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
from imgcr.errors import WeightsError
from imgcr.models.archs import get_arch
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
    """Verify the weights, load them through the architecture's own loader (:data:`imgcr.models.archs.ARCHS`),
    move the network to ``device`` (fp16 on a GPU where the architecture and the catalogue allow it)."""
    if spec.weights is None:
        raise WeightsError(f"{spec.id} is a classical method: it has no weights to load")
    arch = get_arch(spec.arch)
    assert arch.load is not None  # a catalogue entry with weights names a network architecture (tested)
    path = weights.require(spec.weights)
    if spec.weights.sha256:
        digest = weights.sha256_file(path)
        if digest not in spec.weights.sha256:
            raise WeightsError(f"{spec.id}: {path} fails its sha256 check (got {digest[:16]}...); re-download it")
    net = arch.load(spec.id, path, spec.scale)
    half = device.startswith("cuda") and spec.fp16 and net.supports_half
    call = net.call or net.module
    call.to(device)
    if half:
        call.half()
    call.eval()
    net.module.requires_grad_(False)
    return LoadedModel(spec, net.module, device, half, net.scale, net.in_channels, call=call)


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

    def holds(self, model_id: str) -> bool:
        """Whether ``model_id`` is loaded (on any device)."""
        with self._lock:
            return any(key[0] == model_id for key in self._models)

    def clear(self) -> None:
        with self._lock:
            for key in [k for k in self._models if k not in self._leases]:
                self._models.pop(key)


def _free_gpu_cache(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


POOL = ModelPool()
