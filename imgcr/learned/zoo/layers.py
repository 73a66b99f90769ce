"""The building blocks of CompressAI's published image codecs, laid out as its state dicts are.

Module and buffer names follow CompressAI 1.2 (``beta_reparam.pedestal``, ``lower_bound.bound``...), so its
published files load with ``strict=True``; the arithmetic is the one those files were trained with. imgcr writes
these itself: CompressAI is not a dependency (it pins numpy < 2 and pulls in torch-geometric).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LowerBound(nn.Module):
    """``max(x, bound)`` with the bound kept as a buffer (the files carry it)."""

    bound: torch.Tensor

    def __init__(self, bound: float):
        super().__init__()
        self.register_buffer("bound", torch.Tensor([float(bound)]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.max(x, self.bound)


class NonNegative(nn.Module):
    """A parameter stored as a bounded square root: ``max(x, bound)^2 - pedestal`` (CompressAI's reparametrisation)."""

    pedestal: torch.Tensor

    def __init__(self, minimum: float = 0.0, offset: float = 2**-18):
        super().__init__()
        self.register_buffer("pedestal", torch.Tensor([offset**2]))
        self.lower_bound = LowerBound((minimum + offset**2) ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lower_bound(x) ** 2 - self.pedestal


class GDN(nn.Module):
    """Generalized divisive normalisation, ``x / sqrt(beta + gamma * x^2)`` (inverse: times)."""

    def __init__(self, channels: int, inverse: bool = False):
        super().__init__()
        self.inverse = inverse
        self.beta_reparam = NonNegative(minimum=1e-6)
        self.gamma_reparam = NonNegative()
        self.beta = nn.Parameter(torch.ones(channels))
        self.gamma = nn.Parameter(torch.eye(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        beta = self.beta_reparam(self.beta)
        gamma = self.gamma_reparam(self.gamma).reshape(c, c, 1, 1)
        norm = F.conv2d(x**2, gamma, beta)
        return x * (torch.sqrt(norm) if self.inverse else torch.rsqrt(norm))


def conv(cin: int, cout: int, kernel_size: int = 5, stride: int = 2) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size, stride, kernel_size // 2)


def deconv(cin: int, cout: int, kernel_size: int = 5, stride: int = 2) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, kernel_size, stride, kernel_size // 2, output_padding=stride - 1)
