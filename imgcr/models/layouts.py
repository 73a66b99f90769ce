"""The two architectures spandrel does not know, written from their papers' layouts.

- FFDNet (Zhang et al., 2018), KAIR's layout: 2x2 pixel-unshuffle, the noise-level map
  concatenated as one more channel, ``nb`` 3x3 convs (ReLU between), pixel-shuffle back.
  State-dict keys ``model.{0,2,...}.weight/bias``.
- VDSR (Kim et al., 2016), twtygqyy/pytorch-vdsr's layout: 20 bias-free 3x3 convs on Y,
  global residual. Keys ``input.weight``, ``residual_layer.N.conv.weight``, ``output.weight``.

Tensor contract: float32 ``(N, C, H, W)`` in [0, 1].
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class FFDNet(nn.Module):
    def __init__(self, in_nc: int = 3, nc: int = 96, nb: int = 12):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_nc * 4 + 1, nc, 3, 1, 1), nn.ReLU(inplace=True)]
        for _ in range(nb - 2):
            layers += [nn.Conv2d(nc, nc, 3, 1, 1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(nc, in_nc * 4, 3, 1, 1))
        self.model = nn.Sequential(*layers)
        self.in_nc = in_nc

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> FFDNet:
        convs = sorted(int(k.split(".")[1]) for k in state if k.endswith(".weight"))
        first = state["model.0.weight"]
        model = cls(in_nc=(first.shape[1] - 1) // 4, nc=first.shape[0], nb=len(convs))
        model.load_state_dict(state)
        return model

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """``sigma``: (N, 1, 1, 1) noise level on the [0, 1] scale."""
        h, w = x.shape[-2:]
        x = F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")
        x = F.pixel_unshuffle(x, 2)
        noise_map = sigma.expand(-1, 1, x.shape[-2], x.shape[-1])
        x = self.model(torch.cat((x, noise_map), 1))
        return F.pixel_shuffle(x, 2)[..., :h, :w]


class _ConvRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(64, 64, 3, 1, 1, bias=False)

    def forward(self, x):
        return F.relu(self.conv(x), inplace=True)


class VDSR(nn.Module):
    def __init__(self, depth: int = 18):
        super().__init__()
        self.input = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
        self.residual_layer = nn.Sequential(*[_ConvRelu() for _ in range(depth)])
        self.output = nn.Conv2d(64, 1, 3, 1, 1, bias=False)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> VDSR:
        depth = len([k for k in state if k.startswith("residual_layer.")])
        model = cls(depth)
        model.load_state_dict(state)
        return model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: Y of the bicubic-upscaled image, (N, 1, H, W)."""
        out = F.relu(self.input(x), inplace=True)
        return self.output(self.residual_layer(out)) + x
