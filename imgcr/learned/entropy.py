"""Entropy models: likelihoods for training, integer tables for coding.

- :class:`FactorizedPrior`: one learned univariate density per channel (the "non-parametric"
  density of Ballé et al. 2018, appendix 6.1), used for the latent of ``ae-factorized`` and the
  hyper-latent of ``ae-hyperprior``.
- :class:`GaussianConditional`: a zero-mean Gaussian whose scale is predicted per element (the
  hyperprior), evaluated on the table of scales the coder uses.

Training sees ``x + U(-0.5, 0.5)`` (additive-noise quantisation); coding sees ``round(x)``.
:meth:`FactorizedPrior.tables` and :func:`gaussian_tables` turn the densities into integer
frequency tables (:class:`imgcr.learned.coder.Table`) once, at export; they are stored with the
weights, so the encoder and the decoder use the same integers whatever the machine.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

LIKELIHOOD_MIN = 1e-9
SCALE_MIN = 0.11
TABLE_BITS = 16  # frequencies sum to about 2**16
TAIL_MASS = 1e-6  # mass left out of a table's range on each side (values there are escaped)


def add_noise(x: torch.Tensor) -> torch.Tensor:
    return x + torch.empty_like(x).uniform_(-0.5, 0.5)


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Rounding whose gradient is the identity (the synthesis sees the integers it will decode)."""
    return x + (torch.round(x) - x).detach()


class FactorizedPrior(nn.Module):
    """Per-channel learned cumulative density ``c(x)``, a small monotone network per channel."""

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0):
        super().__init__()
        self.channels = channels
        dims = (1, *filters, 1)
        scale = init_scale ** (1 / (len(filters) + 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.empty(channels, dims[i + 1], 1).uniform_(-0.5, 0.5)))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))

    def _logits_cumulative(self, x: torch.Tensor) -> torch.Tensor:
        # x: (C, 1, N)
        for i, matrix in enumerate(self.matrices):
            x = torch.matmul(F.softplus(matrix), x) + self.biases[i]
            if i < len(self.factors):
                x = x + torch.tanh(self.factors[i]) * torch.tanh(x)
        return x

    def _likelihood_flat(self, v: torch.Tensor) -> torch.Tensor:
        """v: (C, 1, N) -> P(round(X) = v) per element (for v on integers; a density of the noisy x in training)."""
        lower = self._logits_cumulative(v - 0.5)
        upper = self._logits_cumulative(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        return torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))

    def likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) (noisy or rounded) -> likelihoods of the same shape."""
        b, c, h, w = x.shape
        flat = x.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lik = self._likelihood_flat(flat).reshape(c, b, h, w).permute(1, 0, 2, 3)
        return lik.clamp(min=LIKELIHOOD_MIN)

    @torch.no_grad()
    def tables(self, reach: int = 512) -> list:
        """One integer table per channel over the integers where the density lives."""
        from imgcr.learned.coder import Table

        grid = torch.arange(-reach, reach + 1, dtype=torch.float32)
        pmf = self._likelihood_flat(grid.expand(self.channels, 1, -1).contiguous())[:, 0, :].double().numpy()
        return [Table.from_pmf(p, -reach) for p in pmf]


class GaussianConditional(nn.Module):
    """Zero-mean Gaussian with a predicted scale; coded on a fixed table of scales."""

    scale_table: torch.Tensor

    def __init__(self, scale_table: tuple[float, float, int] = (SCALE_MIN, 256.0, 64)):
        super().__init__()
        lo, hi, n = scale_table
        self.register_buffer("scale_table", torch.exp(torch.linspace(math.log(lo), math.log(hi), n)))

    @staticmethod
    def likelihood(x: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        scales = scales.clamp(min=SCALE_MIN)
        v = torch.abs(x)
        upper = _std_normal_cdf((0.5 - v) / scales)
        lower = _std_normal_cdf((-0.5 - v) / scales)
        return (upper - lower).clamp(min=LIKELIHOOD_MIN)

    def indexes(self, scales: torch.Tensor) -> np.ndarray:
        """The table each element is coded with: the smallest table scale at or above its scale."""
        table = self.scale_table.to(scales.dtype)
        idx = torch.bucketize(scales.clamp(min=SCALE_MIN).contiguous(), table[:-1], right=False)
        return idx.cpu().numpy().astype(np.int64)

    def tables(self) -> list:
        return gaussian_tables(self.scale_table.double().numpy())


def _std_normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x * (2**-0.5))


def gaussian_tables(scales: np.ndarray) -> list:
    """Integer tables of round(N(0, s)) for each scale, over +-(the TAIL_MASS quantile)."""
    from imgcr.learned.coder import Table

    tail = -_norm_ppf(TAIL_MASS)
    out = []
    for s in scales:
        reach = max(1, math.ceil(float(s) * tail))
        v = np.arange(-reach, reach + 1, dtype=np.float64)
        cdf = np.vectorize(lambda t: 0.5 * math.erfc(-t / math.sqrt(2)))
        pmf = cdf((v + 0.5) / s) - cdf((v - 0.5) / s)
        out.append(Table.from_pmf(pmf, -reach))
    return out


def _norm_ppf(p: float) -> float:
    lo, hi = -40.0, 0.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
