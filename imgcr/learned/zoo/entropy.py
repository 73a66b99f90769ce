"""CompressAI's two entropy models, as its published files store them, coded with their own integer CDFs.

- :class:`EntropyBottleneck` (Ballé et al. 2018): a per-channel learned density (a small monotone network
  on the cumulative), median-centred rounding; parameters ``matrices.N`` / ``biases.N`` / ``factors.N`` (older
  files: ``_matrix0``, ``_matrices.0``..., remapped on load) and ``quantiles``.
- :class:`GaussianConditional`: zero-mean or mean-shifted Gaussians whose scale picks one of 64 tables.

Both carry ``_quantized_cdf`` / ``_offset`` / ``_cdf_length``: the 16-bit CDFs the files were published with
(variable-sized, resized on load). imgcr codes with exactly those frequencies through its range coder
(:mod:`imgcr.learned.coder`): CDF row ``i`` covers the values ``offset_i .. offset_i + length_i - 3`` plus the
overflow symbol; a value outside is coded as that overflow followed by CompressAI's own bypass code (its distance
past the range in 4-bit nibbles, their count first), so the rate is the published rate up to the coders' few
bytes, escapes included (a fixture with 13 % of its latents outside the tables: 25,172 bytes against CompressAI's
25,176).
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch
from torch import nn

from imgcr.learned import coder
from imgcr.learned.zoo.layers import LowerBound

CDF_BUFFERS = ("_quantized_cdf", "_offset", "_cdf_length")
_OLD_KEY = re.compile(r"^_(matrix|bias|factor|matrices|biases|factors)\.?(\d+)$")
_NEW_NAME = {"matrix": "matrices", "bias": "biases", "factor": "factors"}


class _Tabled(nn.Module):
    """What both entropy models share: the likelihood floor and the published CDF tables."""

    _quantized_cdf: torch.Tensor
    _offset: torch.Tensor
    _cdf_length: torch.Tensor

    def __init__(self):
        super().__init__()
        self.likelihood_lower_bound = LowerBound(1e-9)
        for name in CDF_BUFFERS:
            self.register_buffer(name, torch.IntTensor())

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in CDF_BUFFERS:  # sized by the file: resize before loading
            key = prefix + name
            if key in state_dict:
                setattr(self, name, torch.zeros_like(state_dict[key], dtype=torch.int32))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def tables(self) -> list[coder.Table]:
        """The published CDFs as imgcr's coding tables (cached)."""
        cache = self.__dict__.setdefault("_tables", None)
        if cache is None:
            if not self._quantized_cdf.numel():
                raise RuntimeError("no CDF tables: these weights were saved before update()")
            cdf = self._quantized_cdf.cpu().numpy().astype(np.int64)
            lengths = self._cdf_length.cpu().numpy().astype(np.int64)
            offsets = self._offset.cpu().numpy().astype(np.int64)
            cache = [coder.Table(int(o), np.diff(row[:n])) for row, n, o in zip(cdf, lengths, offsets, strict=True)]
            self.__dict__["_tables"] = cache
        return cache


class EntropyBottleneck(_Tabled):
    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3, 3), tail_mass: float = 1e-9):
        super().__init__()
        self.channels, self.filters = channels, filters
        dims = (1, *filters, 1)
        self.matrices = nn.ParameterList(nn.Parameter(torch.zeros(channels, dims[i + 1], dims[i])) for i in range(len(filters) + 1))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)) for i in range(len(filters) + 1))
        self.factors = nn.ParameterList(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)) for i in range(len(filters)))
        self.quantiles = nn.Parameter(torch.zeros(channels, 1, 3))
        target = math.log(2 / tail_mass - 1)
        self.register_buffer("target", torch.Tensor([-target, 0, target]))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for key in [k for k in state_dict if k.startswith(prefix)]:
            m = _OLD_KEY.match(key[len(prefix):])
            if m:  # CompressAI's earlier names for the density's parameters
                kind = _NEW_NAME.get(m.group(1), m.group(1))
                state_dict[f"{prefix}{kind}.{m.group(2)}"] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def medians(self) -> torch.Tensor:
        return self.quantiles[:, 0, 1]

    def _logits_cumulative(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(len(self.filters) + 1):
            x = torch.matmul(nn.functional.softplus(self.matrices[i]), x) + self.biases[i]
            if i < len(self.filters):
                x = x + torch.tanh(self.factors[i]) * torch.tanh(x)
        return x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(rounded latent, likelihoods) as CompressAI's evaluation forward gives them."""
        medians = self.medians()[None, :, None, None]
        y = torch.round(x - medians) + medians
        values = y.permute(1, 0, 2, 3).reshape(self.channels, 1, -1)
        lower = self._logits_cumulative(values - 0.5)
        upper = self._logits_cumulative(values + 0.5)
        lik = self.likelihood_lower_bound(torch.sigmoid(upper) - torch.sigmoid(lower))
        return y, lik.reshape(y.shape[1], y.shape[0], *y.shape[2:]).permute(1, 0, 2, 3)

    def put(self, w: coder.Writer, x: torch.Tensor) -> torch.Tensor:
        """Code ``x`` (1, C, h, w) and return what the decoder will see."""
        medians = self.medians()[None, :, None, None]
        symbols = torch.round(x - medians)
        which = np.broadcast_to(np.arange(x.shape[1])[None, :, None, None], tuple(x.shape))
        w.put(symbols.numpy(), which, self.tables())
        return symbols + medians

    def get(self, r: coder.Reader, shape: tuple[int, int, int, int]) -> torch.Tensor:
        which = np.broadcast_to(np.arange(shape[1])[None, :, None, None], shape)
        symbols = torch.from_numpy(r.get(which, self.tables()).astype(np.float32))
        return symbols + self.medians()[None, :, None, None]


class GaussianConditional(_Tabled):
    scale_table: torch.Tensor

    def __init__(self, scale_bound: float = 0.11):
        super().__init__()
        self.lower_bound_scale = LowerBound(scale_bound)
        self.register_buffer("scale_table", torch.Tensor())
        self.register_buffer("scale_bound", torch.Tensor([scale_bound]))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        if prefix + "scale_table" in state_dict:
            self.scale_table = torch.zeros_like(state_dict[prefix + "scale_table"])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @staticmethod
    def _cumulative(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * torch.erfc(-(2**-0.5) * x)

    def forward(self, y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor | None = None):
        """(rounded latent, likelihoods), evaluation mode."""
        y_hat = torch.round(y - means) + means if means is not None else torch.round(y)
        values = torch.abs(y_hat - means) if means is not None else torch.abs(y_hat)
        scales = self.lower_bound_scale(scales)
        lik = self._cumulative((0.5 - values) / scales) - self._cumulative((-0.5 - values) / scales)
        return y_hat, self.likelihood_lower_bound(lik)

    def indexes(self, scales: torch.Tensor) -> np.ndarray:
        """The table each element is coded with: the first of the scale table not below its (bounded) scale."""
        scales = self.lower_bound_scale(scales)
        return torch.searchsorted(self.scale_table[:-1].contiguous(), scales.contiguous()).numpy()

    def put(self, w: coder.Writer, y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor | None = None) -> torch.Tensor:
        symbols = torch.round(y - means) if means is not None else torch.round(y)
        w.put(symbols.numpy(), self.indexes(scales), self.tables())
        return symbols + means if means is not None else symbols

    def get(self, r: coder.Reader, scales: torch.Tensor, means: torch.Tensor | None = None) -> torch.Tensor:
        symbols = torch.from_numpy(r.get(self.indexes(scales), self.tables()).astype(np.float32))
        return symbols + means if means is not None else symbols
