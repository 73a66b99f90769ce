"""Every restoration architecture in one table: how its weights load, how it is fed, what it costs.

Loading and running a catalogue model is a lookup in :data:`ARCHS` by ``ModelSpec.arch``; nothing
branches on an architecture's name elsewhere. Three ways to load (spandrel's descriptor habit):

- ``spandrel``: the architectures spandrel knows, detected from the state dict by its loader
  (a restricted unpickler); the detected name must be the catalogue's.
- ``state_dict``: FFDNet and VDSR (written in :mod:`imgcr.models.layouts`) and imgcr's own networks
  (:mod:`imgcr.models.nets`), read with ``torch.load(weights_only=True)`` and rebuilt from their shapes.
- classical methods (bicubic, Lanczos, non-local means) have no weights; their ``run`` is a function.

Costs are CPU seconds per input megapixel on 2 cores: DnCNN, FFDNet, VDSR (per output megapixel) and
Compact measured by ``benchmarks/restore_speed.py``, imgcr's own by ``benchmarks/train_speed.py`` (one
thread); the heavy architectures are planning figures from STACK.md (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imgcr.errors import UnknownNameError, WeightsError, first_line


@dataclass(frozen=True)
class Network:
    """A loaded network, not yet on its device: the module, its channels and scale, and how to call it."""

    module: Any
    in_channels: int
    scale: int
    call: Any = None  # (1, C, h, w) -> (1, C', h*s, w*s); spandrel's descriptor (padding, call_fn, clamp) or None
    supports_half: bool = True


@dataclass(frozen=True)
class Arch:
    """One architecture.

    Attributes:
        load: (model id, path, catalogue scale) -> :class:`Network`; None for classical methods.
        run: classical methods only: (uint8 pixels, sigma, output scale) -> uint8 pixels.
        noise_input: how a noise level reaches the network: ``"map"`` (FFDNet's second input),
            ``"plane"`` (DRUNet's extra input channel) or None.
        on_upscaled_y: the network refines Y of a bicubic upscale (VDSR) instead of taking the image.
        overlap: context kept around each tile (at least the receptive-field radius).
        cpu_s_per_mp: planning cost on CPU, seconds per megapixel of the network's input.
    """

    name: str
    load: Callable[[str, Path, int], Network] | None = None
    run: Callable[[np.ndarray, float | None, int], np.ndarray] | None = None
    noise_input: str | None = None
    on_upscaled_y: bool = False
    overlap: int = 32
    cpu_s_per_mp: float = 0.0

    @property
    def classical(self) -> bool:
        return self.load is None


def _spandrel(name: str) -> Callable[[str, Path, int], Network]:
    def load(model_id: str, path: Path, scale: int) -> Network:
        from spandrel import ModelLoader

        try:
            desc = ModelLoader(device="cpu").load_from_file(path)
        except Exception as exc:
            raise WeightsError(f"{model_id}: spandrel cannot load {path} ({first_line(exc, 160)})") from None
        if desc.architecture.name != name:
            raise WeightsError(f"{model_id}: {path} is a {desc.architecture.name}, expected {name}")
        return Network(desc.model, desc.input_channels, desc.scale, call=desc, supports_half=desc.supports_half)

    return load


def _read_state(model_id: str, path: Path) -> dict[str, Any]:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which
        raise WeightsError(f"{model_id}: cannot read {path} as a state dict ({first_line(exc)})") from None
    if not isinstance(state, dict):
        raise WeightsError(f"{model_id}: {path} is not a state dict")
    return state.get("params", state)


def _state_dict(name: str, build: Callable[[], Any], channels: Callable[[Any], int] | None = None,
                own: bool = False) -> Callable[[str, Path, int], Network]:
    """A loader that rebuilds ``build()``'s class from the file's shapes (``from_state_dict``)."""

    def load(model_id: str, path: Path, scale: int) -> Network:
        state = _read_state(model_id, path)
        try:
            module = build().from_state_dict(state)
        except (KeyError, RuntimeError, ValueError) as exc:
            what = f"is not an {name} state dict" if own else f"does not match the {name} layout"
            raise WeightsError(f"{model_id}: {path} {what} ({first_line(exc, 120)})") from None
        if own:  # imgcr's own are shipped in fp16 and run in float32
            module = module.float()
        in_ch = channels(module) if channels else module.in_nc
        return Network(module, in_ch, 1 if own else scale)

    return load


def _ffdnet():
    from imgcr.models.layouts import FFDNet

    return FFDNet


def _vdsr():
    from imgcr.models.layouts import VDSR

    return VDSR


def _own(name: str) -> Callable[[str, Path, int], Network]:
    def cls():
        from imgcr.models import nets

        return nets.ARCHS[name]

    return _state_dict(name, cls, own=True)


def _upscale(kind: str) -> Callable[[np.ndarray, float | None, int], np.ndarray]:
    def run(pixels: np.ndarray, sigma: float | None, scale: int) -> np.ndarray:
        from imgcr.models import classical

        return classical.upscale(pixels, scale, kind)

    return run


def _nl_means(pixels: np.ndarray, sigma: float | None, scale: int) -> np.ndarray:
    from imgcr.models import classical

    return classical.nl_means(pixels, sigma if sigma is not None else 25.0)


def _spandrel_arch(name: str, cost: float, overlap: int = 32, noise_input: str | None = None) -> Arch:
    return Arch(name, _spandrel(name), overlap=overlap, cpu_s_per_mp=cost, noise_input=noise_input)


ARCHS: dict[str, Arch] = {a.name: a for a in (
    _spandrel_arch("DnCNN", 12.0, overlap=24),
    _spandrel_arch("RealESRGAN Compact", 12.0, overlap=24),
    _spandrel_arch("ESRGAN", 600.0),
    _spandrel_arch("SwinIR", 700.0),
    _spandrel_arch("FBCNN", 100.0),
    _spandrel_arch("SCUNet", 100.0),
    _spandrel_arch("DRUNet", 75.0, noise_input="plane"),
    Arch("FFDNet", _state_dict("FFDNet", _ffdnet), noise_input="map", overlap=24, cpu_s_per_mp=3.4),
    Arch("VDSR", _state_dict("VDSR", _vdsr, channels=lambda m: 1), on_upscaled_y=True, overlap=24, cpu_s_per_mp=15.0),
    # imgcr's own (python -m imgcr train); the U-Net sees far: more context
    Arch("imgcr-UNet", _own("imgcr-UNet"), overlap=48, cpu_s_per_mp=1.2),
    Arch("imgcr-ConvAE", _own("imgcr-ConvAE"), overlap=48, cpu_s_per_mp=2.9),
    Arch("imgcr-ResCNN", _own("imgcr-ResCNN"), overlap=48, cpu_s_per_mp=12.5),
    Arch("bicubic", run=_upscale("bicubic")),
    Arch("lanczos", run=_upscale("lanczos")),
    Arch("nlmeans", run=_nl_means, cpu_s_per_mp=2.0),
)}


def get_arch(name: str) -> Arch:
    try:
        return ARCHS[name]
    except KeyError:
        raise UnknownNameError(f"unknown architecture {name!r} (known: {', '.join(ARCHS)})") from None
