"""LPIPS-alex (v0.1)'s network, built without importing the ``lpips`` package.

``import lpips`` imports all of torchvision (its datasets, io, ops and transforms) and ``lpips.LPIPS`` builds a
whole random AlexNet (61 M parameters, its classifier included) before keeping the convolutions: 0.17 GB
resident that a comparison never uses (measured: about 8 % of a 10 MP comparison's peak). This module builds
the same modules under the same names as ``lpips.LPIPS(net="alex", version="0.1")`` (the AlexNet trunk's five
slices, the scaling layer, the five linear layers) and runs the same arithmetic, so a state dict loads into
either and the distances agree to float rounding (tested against the package itself). The linear calibration
weights are the installed ``lpips`` package's own file (found without importing the package); the trunk is
torchvision's ImageNet AlexNet, loaded by :mod:`imgcr.metrics.lpips_metric`.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import torch
from torch import nn

CHANNELS = (64, 192, 384, 256, 256)  # relu1 .. relu5
# torchvision's ``alexnet().features`` by index, cut after each ReLU as lpips cuts it
_SLICES = ((0, 2), (2, 5), (5, 8), (8, 10), (10, 12))


def _features() -> dict[int, nn.Module]:
    return {0: nn.Conv2d(3, 64, 11, 4, 2), 1: nn.ReLU(inplace=True), 2: nn.MaxPool2d(3, 2),
            3: nn.Conv2d(64, 192, 5, padding=2), 4: nn.ReLU(inplace=True), 5: nn.MaxPool2d(3, 2),
            6: nn.Conv2d(192, 384, 3, padding=1), 7: nn.ReLU(inplace=True), 8: nn.Conv2d(384, 256, 3, padding=1),
            9: nn.ReLU(inplace=True), 10: nn.Conv2d(256, 256, 3, padding=1), 11: nn.ReLU(inplace=True)}


class AlexTrunk(nn.Module):
    """AlexNet's convolutions as five slices (``slice1`` .. ``slice5``); ``forward`` gives each slice's output."""

    def __init__(self):
        super().__init__()
        layers = _features()
        for n, (a, b) in enumerate(_SLICES, 1):
            block = nn.Sequential()
            for i in range(a, b):
                block.add_module(str(i), layers[i])
            self.add_module(f"slice{n}", block)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = x.contiguous(memory_format=torch.channels_last)  # as the weights are kept (see :func:`build`)
        outs = []
        for n in range(1, len(_SLICES) + 1):
            x = getattr(self, f"slice{n}")(x)
            outs.append(x)
        return outs


class ScalingLayer(nn.Module):
    shift: torch.Tensor
    scale: torch.Tensor

    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188])[None, :, None, None])
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450])[None, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


class NetLinLayer(nn.Module):
    """A 1x1 convolution to one channel, behind a dropout (an identity in evaluation), as lpips names it."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, stride=1, padding=0, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


EPS = 1e-10  # lpips's normalize_tensor's


def normalize_tensor(x: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Unit length along the channels (lpips's ``normalize_tensor``: ``x / (sqrt(sum(x**2)) + eps)``; the norm in
    one pass, not three: 44 -> 24 ms for relu1 at 2048x1280 on one core, the same to float rounding)."""
    norm = torch.linalg.vector_norm(x, dim=1, keepdim=True)
    return x / norm.add_(eps)


class LpipsAlex(nn.Module):
    """``lpips.LPIPS(net="alex", version="0.1")``'s modules and evaluation forward (not spatial, not per layer)."""

    def __init__(self):
        super().__init__()
        self.scaling_layer = ScalingLayer()
        self.net = AlexTrunk()
        self.lins = nn.ModuleList(NetLinLayer(c) for c in CHANNELS)

    def forward(self, in0: torch.Tensor, in1: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        if normalize:  # inputs in [0, 1]
            in0, in1 = 2 * in0 - 1, 2 * in1 - 1
        outs0, outs1 = self.net(self.scaling_layer(in0)), self.net(self.scaling_layer(in1))
        val = 0
        for k, (f0, f1) in enumerate(zip(outs0, outs1, strict=True)):
            diff = (normalize_tensor(f0) - normalize_tensor(f1)) ** 2
            val = val + self.lins[k](diff).mean([2, 3], keepdim=True)
        return val  # type: ignore[return-value]


def linear_weights_path() -> Path | None:
    """The installed lpips package's v0.1 AlexNet calibration (``weights/v0.1/alex.pth``), or None."""
    spec = find_spec("lpips")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "weights" / "v0.1" / "alex.pth"
        if path.is_file():
            return path
    return None


def build(trunk: dict[str, torch.Tensor], linear: dict[str, torch.Tensor]) -> LpipsAlex:
    """The network in evaluation mode from AlexNet's ``features.*`` (keys without the prefix: ``3.weight``) and
    lpips's linear layers (``lin0.model.1.weight`` ..)."""
    model = LpipsAlex()
    state = {}
    for key in model.state_dict():
        part, rest = key.split(".", 1)
        if part == "net":  # net.slice2.3.weight -> 3.weight
            state[key] = trunk[rest.split(".", 1)[1]]
        elif part == "lins":  # lins.0.model.1.weight -> lin0.model.1.weight
            k, name = rest.split(".", 1)
            state[key] = linear[f"lin{k}.{name}"]
        else:
            state[key] = model.state_dict()[key]
    model.load_state_dict(state)
    for p in model.parameters():
        p.requires_grad_(False)
    # channels last (NHWC) is oneDNN's own layout for these convolutions: no reorder of every layer's input and
    # output, and the max-pools run along contiguous channels. Measured at 2048x1280: the trunk 1.01 -> 0.81 s on
    # one core, 0.53 -> 0.42 s on two; the same features to float rounding (2e-6 relative, another summation order)
    model.net.to(memory_format=torch.channels_last)
    return model.eval()
