"""Generalized divisive normalisation (Ballé et al. 2016), the non-linearity of learned image codecs.

``y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)``; the inverse (IGDN, in decoders) multiplies
instead. ``beta`` and ``gamma`` are kept non-negative by storing square roots bounded below. The bound
passes a gradient that would raise a parameter sitting at it (a plain ``clamp`` would not, and a
parameter pushed onto the bound would stay there for good).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_PEDESTAL = 2.0**-18


class _LowerBound(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, bound: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.bound = bound
        return x.clamp(min=bound)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        passes = (x >= ctx.bound) | (grad < 0)  # descent raises x when grad < 0
        return grad * passes.to(grad.dtype), None


def lower_bound(x: torch.Tensor, bound: float) -> torch.Tensor:
    return _LowerBound.apply(x, bound)


class GDN(nn.Module):
    def __init__(self, channels: int, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1):
        super().__init__()
        self.inverse = inverse
        self.beta_min = beta_min
        self.beta = nn.Parameter(torch.sqrt(torch.ones(channels) + _PEDESTAL))
        self.gamma = nn.Parameter(torch.sqrt(gamma_init * torch.eye(channels) + _PEDESTAL))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta = lower_bound(self.beta, (self.beta_min + _PEDESTAL) ** 0.5) ** 2 - _PEDESTAL
        gamma = lower_bound(self.gamma, _PEDESTAL**0.5) ** 2 - _PEDESTAL
        norm = F.conv2d(x * x, gamma[:, :, None, None], beta)
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)
