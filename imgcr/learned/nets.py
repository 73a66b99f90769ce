"""The learned codecs' networks: transforms, entropy models, and the rate knob.

- :class:`FactorizedAE` (``ae-factorized``, Ballé et al. 2017): analysis ``g_a`` (4 stride-2 5x5
  convolutions with GDN) -> quantised latent coded with a per-channel factorized prior -> synthesis
  ``g_s`` (transposed convolutions with inverse GDN).
- :class:`HyperpriorAE` (``ae-hyperprior``, Ballé et al. 2018): the same transforms; a hyper-analysis
  ``h_a`` summarises the latent's scales in a side latent ``z`` (coded with the factorized prior), and
  the hyper-synthesis ``h_s`` predicts each latent element's Gaussian scale from ``z``.

One network covers several rate points (a "gained" variable-rate model, Cui et al. 2021): rate point
``i`` scales the latent per channel by ``gain[i]`` before rounding and by ``inv_gain[i]`` after, and is
trained with its own lambda (loss ``lambda * 255^2 * MSE + bpp``). Between two rate points the gains
are interpolated geometrically, so the 0-100 quality knob is continuous and monotone.

An encoder may also refine the latent for the image at hand before rounding it (:meth:`LearnedAE.refine`,
the codec option ``refine``): slower encoding, smaller files for the same quality, the same decoder.

Tensor contract: float32 ``(N, 3, H, W)`` in [0, 1]; ``compress`` pads to a multiple of
:attr:`multiple` (edge replication) and ``decompress`` crops back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from imgcr.learned import coder
from imgcr.learned.entropy import FactorizedPrior, GaussianConditional, add_noise, round_ste
from imgcr.learned.layers import GDN

DEFAULT_LAMBDAS = (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08)


def _conv(cin: int, cout: int, k: int = 5, s: int = 2) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, s, k // 2)


def _deconv(cin: int, cout: int, k: int = 5, s: int = 2) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, k, s, k // 2, output_padding=s - 1)


def analysis(n: int, m: int) -> nn.Sequential:
    return nn.Sequential(_conv(3, n), GDN(n), _conv(n, n), GDN(n), _conv(n, n), GDN(n), _conv(n, m))


def synthesis(n: int, m: int) -> nn.Sequential:
    return nn.Sequential(_deconv(m, n), GDN(n, inverse=True), _deconv(n, n), GDN(n, inverse=True),
                         _deconv(n, n), GDN(n, inverse=True), _deconv(n, 3))


class LearnedAE(nn.Module):
    """What every learned codec network shares: gains, padding, the table buffers, the RD loss."""

    arch_name = ""
    multiple = 16
    table_names: tuple[str, ...] = ()
    lambdas: torch.Tensor
    g_a: nn.Module  # the analysis transform, set by each subclass
    g_s: nn.Module  # the synthesis transform

    def __init__(self, n: int, m: int, lambdas: tuple[float, ...] = DEFAULT_LAMBDAS):
        super().__init__()
        self.n, self.m = n, m
        self.register_buffer("lambdas", torch.tensor(lambdas, dtype=torch.float32))
        init = 0.5 * torch.log(self.lambdas / self.lambdas[len(lambdas) // 2])  # gain ~ sqrt(lambda)
        self.log_gain = nn.Parameter(init[:, None].repeat(1, m))
        self.log_inv_gain = nn.Parameter(-init[:, None].repeat(1, m))
        for name in self.table_names:  # integer coding tables, filled by update_tables() at export
            for part in ("offsets", "lengths", "freqs"):
                self.register_buffer(f"{name}_{part}", torch.zeros(0, dtype=torch.int32) if part != "freqs"
                                     else torch.zeros(0, 0, dtype=torch.int32))

    @property
    def rate_points(self) -> int:
        return len(self.lambdas)

    # --- gains ----------------------------------------------------------------------------------
    def _gains(self, rate_idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.exp(self.log_gain[rate_idx])[:, :, None, None], torch.exp(self.log_inv_gain[rate_idx])[:, :, None, None]

    def _between(self, quality: float) -> tuple[int, float]:
        """The rate points quality 0-100 falls between, and where: (i, t) with t in [0, 1] from point i to i + 1."""
        pos = float(np.clip(quality, 0, 100)) / 100 * (self.rate_points - 1)
        i = min(int(pos), self.rate_points - 2)
        return i, pos - i

    def gains_at(self, quality: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Gains for quality 0-100, interpolated geometrically between the rate points."""
        i, t = self._between(quality)
        g = torch.exp((1 - t) * self.log_gain[i] + t * self.log_gain[i + 1])
        ig = torch.exp((1 - t) * self.log_inv_gain[i] + t * self.log_inv_gain[i + 1])
        return g[None, :, None, None], ig[None, :, None, None]

    def lambda_at(self, quality: float) -> float:
        """The rate-distortion trade-off at quality 0-100: the lambdas interpolated as the gains are."""
        i, t = self._between(quality)
        return float(torch.exp((1 - t) * torch.log(self.lambdas[i]) + t * torch.log(self.lambdas[i + 1])))

    # --- training ---------------------------------------------------------------------------------
    def rd_loss(self, x: torch.Tensor, rate_idx: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """``mean(lambda_i * 255^2 * MSE + bpp)`` over the batch, each image at its own rate point."""
        x_hat, likelihoods = self(x, rate_idx)
        pixels = x.shape[-1] * x.shape[-2]
        bits = torch.stack([(-torch.log2(lik)).flatten(1).sum(1) for lik in likelihoods]).sum(0)
        bpp = bits / pixels
        mse = F.mse_loss(x_hat, x, reduction="none").flatten(1).mean(1)
        loss = (self.lambdas[rate_idx] * 255**2 * mse + bpp).mean()
        return loss, {"bpp": float(bpp.detach().mean()), "mse": float(mse.detach().mean())}

    @torch.no_grad()
    def validate(self, x: torch.Tensor, i: int) -> tuple[torch.Tensor, float, float]:
        """(reconstruction, estimated bpp with real rounding, the RD loss term) at rate point ``i``."""
        x_hat, liks = self(x, torch.tensor([i], device=x.device))
        bpp = float(sum((-torch.log2(lik)).sum() for lik in liks)) / (x.shape[-1] * x.shape[-2])
        mse = float(torch.mean(((x_hat.clamp(0, 1) * 255).round() / 255 - x) ** 2))
        return x_hat, bpp, float(self.lambdas[i]) * 255**2 * mse + bpp

    def reference(self, x: torch.Tensor) -> torch.Tensor:
        """The autoencoders code RGB as it is."""
        return x

    # --- coding -----------------------------------------------------------------------------------
    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.multiple, (-w) % self.multiple
        return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x

    def _analyse(self, x: torch.Tensor, quality: float, refine: int) -> torch.Tensor:
        """The latent of ``x`` (padded to :attr:`multiple`) scaled by the quality's gains, refined if asked;
        not yet rounded."""
        g, _ = self.gains_at(quality)
        return self.refine(x, self.g_a(self._pad(x)) * g, quality, refine)

    def _synthesise(self, y: torch.Tensor, quality: float, height: int, width: int) -> torch.Tensor:
        """The decoded latent's image: the inverse gains, the synthesis, cropped back to ``height`` x ``width``."""
        _, ig = self.gains_at(quality)
        return self.g_s(y * ig)[..., :height, :width]

    # --- the latent search (a target met without coding every probe) ---------------------------------
    def latent(self, x: torch.Tensor) -> torch.Tensor:
        """The analysis transform of ``x`` (padded), before the gains: every quality's latent is this times its
        gains, so a search runs the transform once."""
        return self.g_a(self._pad(x))

    def coded_cost(self, latent: torch.Tensor, quality: float) -> tuple[float, int]:
        """(bits, escapes) that :meth:`compress` (without refinement) would spend at ``quality``, from the coding
        tables, given :meth:`latent`."""
        raise NotImplementedError

    def reconstruct(self, latent: torch.Tensor, quality: float, height: int, width: int) -> torch.Tensor:
        """What the file coded at ``quality`` decodes to (the rounded latent through the synthesis), not coded."""
        g, _ = self.gains_at(quality)
        return self._synthesise(torch.round(latent * g), quality, height, width)

    def tables(self, name: str) -> list[coder.Table]:
        cache = self.__dict__.setdefault("_tables", {})
        if name not in cache:
            parts = [getattr(self, f"{name}_{p}").cpu().numpy() for p in ("offsets", "lengths", "freqs")]
            if not len(parts[0]):
                raise RuntimeError("this network has no coding tables (call update_tables() after training)")
            cache[name] = coder.unpack(*parts)
        return cache[name]

    def _store_tables(self, name: str, tables: list[coder.Table]) -> None:
        for part, arr in coder.pack(tables).items():
            setattr(self, f"{name}_{part}", torch.from_numpy(arr))
        self.__dict__.pop("_tables", None)

    def update_tables(self) -> None:
        raise NotImplementedError

    def rate_bits(self, y: torch.Tensor) -> torch.Tensor:
        """The entropy model's bits for a latent (already scaled by the gains), relaxed: the likelihood of
        each continuous value's unit interval, so it has a gradient everywhere (used by :meth:`refine`)."""
        raise NotImplementedError

    def refine(self, x: torch.Tensor, y: torch.Tensor, quality: float, steps: int) -> torch.Tensor:
        """Encoder-side latent refinement (Campos et al. 2019): ``steps`` Adam steps on the latent ``y`` itself
        against this quality's loss ``lambda * 255^2 * MSE + bpp``, the networks fixed.

        The encoder's amortised guess ``g_a(x)`` is the start; the objective is the training one in its
        continuous relaxation (no rounding: the synthesis sees ``y``, the rate model the likelihood of
        ``y``'s unit interval), and the latent is rounded afterwards as usual. The decoder is unchanged, so
        a refined file decodes like any other. ``x`` is the unpadded image; the latent covers its padded
        copy, and only the image's own pixels count. No randomness: at the codec's fixed thread count the
        refined file is the same in every process (tested)."""
        if steps <= 0:
            return y
        h, w = x.shape[-2:]
        lam = self.lambda_at(quality) * 255**2
        _, ig = self.gains_at(quality)
        lr = min(0.2, 2.0 / steps)  # measured on kodim01: 10 steps at 0.2 get most of what 40 at 0.05 do
        with torch.enable_grad():
            y = y.detach().clone().requires_grad_(True)
            opt = torch.optim.Adam([y], lr=lr)
            for step in range(steps):
                x_hat = self.g_s(y * ig)[..., :h, :w]
                loss = lam * F.mse_loss(x_hat, x) + self.rate_bits(y) / (h * w)
                (grad,) = torch.autograd.grad(loss, [y])
                y.grad = grad
                opt.param_groups[0]["lr"] = lr * (1 - step / steps)
                opt.step()
        return y.detach()

    @torch.no_grad()
    def compress(self, x: torch.Tensor, quality: float, refine: int = 0) -> tuple[bytes, np.ndarray]:
        """The range-coded stream and its escapes for ``x`` at ``quality``; ``refine`` steps of :meth:`refine` first."""
        return self.code(self._analyse(x, quality, refine))

    @torch.no_grad()
    def compress_latent(self, latent: torch.Tensor, quality: float) -> tuple[bytes, np.ndarray]:
        """What :meth:`compress` (without refinement) gives, from :meth:`latent` of the same image: the same
        arithmetic, the analysis transform not run again (a search's chosen setting is coded from its latent)."""
        return self.code(latent * self.gains_at(quality)[0])

    def code(self, y: torch.Tensor) -> tuple[bytes, np.ndarray]:
        """The stream and escapes of the scaled latent ``y`` (rounded here)."""
        raise NotImplementedError

    def decompress(self, stream: bytes, escapes: np.ndarray, height: int, width: int, quality: float) -> torch.Tensor:
        raise NotImplementedError

    # --- rebuilding from a file -------------------------------------------------------------------
    @staticmethod
    def _dims(state: dict[str, torch.Tensor]) -> tuple[int, int]:
        """(n, m) read off the tensor shapes."""
        return state["g_a.0.weight"].shape[0], state["g_a.6.weight"].shape[0]

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> LearnedAE:
        n, m = cls._dims(state)
        lambdas = tuple(float(v) for v in state["lambdas"])
        net = cls(n, m, lambdas)
        for name in net.table_names:
            for part in ("offsets", "lengths", "freqs"):
                key = f"{name}_{part}"
                setattr(net, key, torch.zeros_like(state[key]))
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        return net


def _quantise(x: torch.Tensor, training: bool) -> torch.Tensor:
    """Additive uniform noise while training (a differentiable stand-in for rounding); rounding otherwise."""
    return add_noise(x) if training else torch.round(x)


def _channel_index(shape: tuple[int, ...]) -> np.ndarray:
    """Each element's channel (the factorized prior's table) for a (1, C, H, W) latent."""
    return np.broadcast_to(np.arange(shape[1])[None, :, None, None], shape)


def _latent_shape(channels: int, height: int, width: int, stride: int) -> tuple[int, int, int, int]:
    """The (1, C, h, w) latent of a ``height`` x ``width`` image at ``stride`` (the image padded up to it)."""
    return (1, channels, -(-height // stride), -(-width // stride))


def _put_factorized(w: coder.Writer, v: torch.Tensor, tables: list[coder.Table]) -> None:
    """Code a rounded latent with the factorized prior: one table per channel."""
    w.put(v.numpy(), _channel_index(tuple(v.shape)), tables)


def _get_factorized(r: coder.Reader, shape: tuple[int, int, int, int], tables: list[coder.Table]) -> torch.Tensor:
    return torch.from_numpy(r.get(_channel_index(shape), tables).astype(np.float32))


class FactorizedAE(LearnedAE):
    arch_name = "imgcr-FactorizedAE"
    multiple = 16
    table_names: tuple[str, ...] = ("prior",)

    def __init__(self, n: int = 128, m: int = 192, lambdas: tuple[float, ...] = DEFAULT_LAMBDAS):
        super().__init__(n, m, lambdas)
        self.g_a = analysis(n, m)
        self.g_s = synthesis(n, m)
        self.prior = FactorizedPrior(m)

    def forward(self, x: torch.Tensor, rate_idx: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        g, ig = self._gains(rate_idx)
        y = self.g_a(x) * g
        lik = self.prior.likelihood(_quantise(y, self.training))
        return self.g_s(round_ste(y) * ig), [lik]

    def update_tables(self) -> None:
        self._store_tables("prior", self.prior.tables())

    def rate_bits(self, y: torch.Tensor) -> torch.Tensor:
        return -torch.log2(self.prior.likelihood(y)).sum()

    def coded_cost(self, latent: torch.Tensor, quality: float) -> tuple[float, int]:
        v = torch.round(latent * self.gains_at(quality)[0])
        return coder.cost(v.numpy(), _channel_index(tuple(v.shape)), self.tables("prior"))

    @torch.no_grad()
    def code(self, y: torch.Tensor) -> tuple[bytes, np.ndarray]:
        w = coder.Writer()
        _put_factorized(w, torch.round(y), self.tables("prior"))
        return w.finish()

    @torch.no_grad()
    def decompress(self, stream: bytes, escapes: np.ndarray, height: int, width: int, quality: float) -> torch.Tensor:
        r = coder.Reader(stream, escapes)
        y = _get_factorized(r, _latent_shape(self.m, height, width, 16), self.tables("prior"))
        return self._synthesise(y, quality, height, width)


class HyperpriorAE(LearnedAE):
    arch_name = "imgcr-HyperpriorAE"
    multiple = 64
    table_names: tuple[str, ...] = ("prior", "gauss")

    def __init__(self, n: int = 128, m: int = 192, lambdas: tuple[float, ...] = DEFAULT_LAMBDAS):
        super().__init__(n, m, lambdas)
        self.g_a = analysis(n, m)
        self.g_s = synthesis(n, m)
        self.h_a = nn.Sequential(nn.Conv2d(m, n, 3, 1, 1), nn.ReLU(inplace=True), _conv(n, n), nn.ReLU(inplace=True),
                                 _conv(n, n))
        self.h_s = nn.Sequential(_deconv(n, n), nn.ReLU(inplace=True), _deconv(n, n), nn.ReLU(inplace=True),
                                 nn.Conv2d(n, m, 3, 1, 1), nn.ReLU(inplace=True))
        self.prior = FactorizedPrior(n)
        self.gauss = GaussianConditional()

    def forward(self, x: torch.Tensor, rate_idx: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        g, ig = self._gains(rate_idx)
        y = self.g_a(x) * g
        z = self.h_a(torch.abs(y))
        lik_z = self.prior.likelihood(_quantise(z, self.training))
        scales = self.h_s(round_ste(z))
        lik_y = self.gauss.likelihood(_quantise(y, self.training), scales)
        return self.g_s(round_ste(y) * ig), [lik_y, lik_z]

    def update_tables(self) -> None:
        self._store_tables("prior", self.prior.tables())
        self._store_tables("gauss", self.gauss.tables())

    def rate_bits(self, y: torch.Tensor) -> torch.Tensor:
        z = self.h_a(torch.abs(y))
        lik_y = self.gauss.likelihood(y, self.h_s(z))
        return -torch.log2(lik_y).sum() - torch.log2(self.prior.likelihood(z)).sum()

    def coded_cost(self, latent: torch.Tensor, quality: float) -> tuple[float, int]:
        y = latent * self.gains_at(quality)[0]
        z = torch.round(self.h_a(torch.abs(y)))
        bits_z, esc_z = coder.cost(z.numpy(), _channel_index(tuple(z.shape)), self.tables("prior"))
        bits_y, esc_y = coder.cost(torch.round(y).numpy(), self.gauss.indexes(self.h_s(z)), self.tables("gauss"))
        return bits_z + bits_y, esc_z + esc_y

    @torch.no_grad()
    def code(self, y: torch.Tensor) -> tuple[bytes, np.ndarray]:
        z = torch.round(self.h_a(torch.abs(y)))
        w = coder.Writer()
        _put_factorized(w, z, self.tables("prior"))
        w.put(torch.round(y).numpy(), self.gauss.indexes(self.h_s(z)), self.tables("gauss"))
        return w.finish()

    @torch.no_grad()
    def decompress(self, stream: bytes, escapes: np.ndarray, height: int, width: int, quality: float) -> torch.Tensor:
        r = coder.Reader(stream, escapes)
        z = _get_factorized(r, _latent_shape(self.n, height, width, 64), self.tables("prior"))
        y = torch.from_numpy(r.get(self.gauss.indexes(self.h_s(z)), self.tables("gauss")).astype(np.float32))
        return self._synthesise(y, quality, height, width)


class MultiResAnalysis(nn.Module):
    """The seed's encoder: convolution + pooling at four resolutions; every resolution's features are pooled
    down to 1/16 and joined (a branch per scale), then mixed into the latent by a 1x1 convolution."""

    def __init__(self, n: int, m: int):
        super().__init__()
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(3 if i == 0 else n, n, 5 if i == 0 else 3, 1, 2 if i == 0 else 1), GDN(n))
            for i in range(4))
        self.mix = nn.Conv2d(4 * n, m, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = []
        for i, stage in enumerate(self.stages):
            x = F.avg_pool2d(stage(x), 2)
            branches.append(F.avg_pool2d(x, 2 ** (3 - i)) if i < 3 else x)
        return self.mix(torch.cat(branches, 1))


class MultiResSynthesis(nn.Module):
    """The seed's decoder: upsampling (nearest) + convolution, four times, back to full resolution."""

    def __init__(self, n: int, m: int):
        super().__init__()
        self.head = nn.Conv2d(m, n, 1)
        self.stages = nn.ModuleList(nn.Sequential(nn.Conv2d(n, n, 3, 1, 1), GDN(n, inverse=True)) for _ in range(4))
        self.out = nn.Conv2d(n, 3, 3, 1, 1)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        x = self.head(y)
        for stage in self.stages:
            x = stage(F.interpolate(x, scale_factor=2, mode="nearest"))
        return self.out(x)


class MultiResAE(HyperpriorAE):
    """``ae-multires``: the seed's multi-resolution autoencoder (pooling encoder with a branch per scale,
    upsampling decoder) on the same back end as ``ae-hyperprior`` (gains, hyperprior, range coding), so the
    two differ only in their transforms."""

    arch_name = "imgcr-MultiResAE"

    def __init__(self, n: int = 64, m: int = 128, lambdas: tuple[float, ...] = DEFAULT_LAMBDAS):
        super().__init__(n, m, lambdas)
        self.g_a = MultiResAnalysis(n, m)  # type: ignore[assignment]
        self.g_s = MultiResSynthesis(n, m)  # type: ignore[assignment]

    @staticmethod
    def _dims(state: dict[str, torch.Tensor]) -> tuple[int, int]:
        return state["g_a.stages.0.0.weight"].shape[0], state["g_a.mix.weight"].shape[0]


def describe(net: LearnedAE) -> dict[str, Any]:
    return {"arch": net.arch_name, "n": net.n, "m": net.m, "lambdas": [round(float(v), 6) for v in net.lambdas]}
