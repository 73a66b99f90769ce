"""CompressAI's published image codecs, as imgcr's own modules.

- ``bmshj2018-factorized`` (:class:`FactorizedPrior`): Ballé et al. 2018's factorized-prior baseline;
- ``bmshj2018-hyperprior`` (:class:`ScaleHyperprior`): the scale hyperprior;
- ``mbt2018-mean`` (:class:`MeanScaleHyperprior`): Minnen et al. 2018's mean-and-scale hyperprior;
- ``mbt2018`` (:class:`JointAutoregressive`): the same with its serial context model (coded in raster order).

Module names follow CompressAI's (``g_a``, ``g_s``, ``h_a``, ``h_s``, ``entropy_bottleneck``,
``gaussian_conditional``), so its published state dicts load as they are (:meth:`ZooModel.from_state_dict`).
``forward`` is CompressAI's evaluation forward (rounded latents, their likelihoods); ``compress`` codes a padded
image (a multiple of 64 px) into imgcr's range-coded stream with the models' own CDFs and ``decompress`` reads it
back to the same reconstruction (edge-replicated padding, cropped off after decoding). Tensor contract: float32 ``(1, 3, H, W)`` in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from imgcr.learned import coder
from imgcr.learned.zoo.entropy import EntropyBottleneck, GaussianConditional
from imgcr.learned.zoo.layers import GDN, conv, deconv


def _analysis(n: int, m: int) -> nn.Sequential:
    return nn.Sequential(conv(3, n), GDN(n), conv(n, n), GDN(n), conv(n, n), GDN(n), conv(n, m))


def _synthesis(n: int, m: int) -> nn.Sequential:
    return nn.Sequential(deconv(m, n), GDN(n, inverse=True), deconv(n, n), GDN(n, inverse=True), deconv(n, n),
                         GDN(n, inverse=True), deconv(n, 3))


class ZooModel(nn.Module):
    """What the published models share: sizes read off a state dict, padding, the stream's two parts."""

    name = ""
    multiple = 64  # the image is padded to this before coding (the hyperprior's total stride)

    def __init__(self, n: int, m: int):
        super().__init__()
        self.n, self.m = n, m

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> ZooModel:
        """Build from a published state dict (sizes read off its shapes); the names of files saved from a
        DataParallel model (``module.``) are accepted, and the entropy bottleneck's older names are remapped."""
        state = {k.removeprefix("module."): v for k, v in state.items()}
        net = cls(state["g_a.0.weight"].shape[0], state["g_a.6.weight"].shape[0])
        net.load_state_dict(state, strict=True)
        return net.eval()

    def tables(self) -> None:
        """Check that every entropy model carries its CDF tables (a file saved before ``update()`` does not)."""
        for module in self.modules():
            if isinstance(module, (EntropyBottleneck, GaussianConditional)):
                module.tables()

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ph, pw = (-h) % self.multiple, (-w) % self.multiple
        return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x

    def latent_size(self, height: int, width: int, stride: int) -> tuple[int, int]:
        return -(-height // self.multiple) * self.multiple // stride, -(-width // self.multiple) * self.multiple // stride

    def compress(self, x: torch.Tensor) -> tuple[bytes, np.ndarray]:
        w = coder.Writer(inline_escapes=True)  # escapes in the stream, as CompressAI's bypass coding puts them
        self.code(w, self.pad(x))
        return w.finish()

    def decompress(self, stream: bytes, escapes: np.ndarray, height: int, width: int) -> torch.Tensor:
        x_hat = self.decode(coder.Reader(stream, escapes, inline_escapes=True), height, width)
        return x_hat[..., :height, :width].clamp(0, 1)

    def code(self, w: coder.Writer, x: torch.Tensor) -> None:
        raise NotImplementedError

    def decode(self, r: coder.Reader, height: int, width: int) -> torch.Tensor:
        raise NotImplementedError


class FactorizedPrior(ZooModel):
    name = "bmshj2018-factorized"
    multiple = 16

    def __init__(self, n: int, m: int):
        super().__init__(n, m)
        self.entropy_bottleneck = EntropyBottleneck(m)
        self.g_a = _analysis(n, m)
        self.g_s = _synthesis(n, m)

    def forward(self, x: torch.Tensor) -> dict:
        y_hat, lik = self.entropy_bottleneck(self.g_a(x))
        return {"x_hat": self.g_s(y_hat), "likelihoods": {"y": lik}}

    def code(self, w: coder.Writer, x: torch.Tensor) -> None:
        self.entropy_bottleneck.put(w, self.g_a(x))

    def decode(self, r: coder.Reader, height: int, width: int) -> torch.Tensor:
        h, w = self.latent_size(height, width, 16)
        return self.g_s(self.entropy_bottleneck.get(r, (1, self.m, h, w)))


class ScaleHyperprior(ZooModel):
    name = "bmshj2018-hyperprior"

    def __init__(self, n: int, m: int):
        super().__init__(n, m)
        self.entropy_bottleneck = EntropyBottleneck(n)
        self.g_a = _analysis(n, m)
        self.g_s = _synthesis(n, m)
        self.h_a = nn.Sequential(conv(m, n, 3, 1), nn.ReLU(inplace=True), conv(n, n), nn.ReLU(inplace=True), conv(n, n))
        self.h_s = self._hyper_synthesis(n, m)
        self.gaussian_conditional = GaussianConditional()

    @staticmethod
    def _hyper_synthesis(n: int, m: int) -> nn.Sequential:
        return nn.Sequential(deconv(n, n), nn.ReLU(inplace=True), deconv(n, n), nn.ReLU(inplace=True), conv(n, m, 3, 1),
                             nn.ReLU(inplace=True))

    def _params(self, z_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.h_s(z_hat), None  # scales, means

    def _hyper_input(self, y: torch.Tensor) -> torch.Tensor:
        return torch.abs(y)

    def forward(self, x: torch.Tensor) -> dict:
        y = self.g_a(x)
        z_hat, z_lik = self.entropy_bottleneck(self.h_a(self._hyper_input(y)))
        scales, means = self._params(z_hat)
        y_hat, y_lik = self.gaussian_conditional(y, scales, means)
        return {"x_hat": self.g_s(y_hat), "likelihoods": {"y": y_lik, "z": z_lik}}

    def code(self, w: coder.Writer, x: torch.Tensor) -> None:
        y = self.g_a(x)
        z_hat = self.entropy_bottleneck.put(w, self.h_a(self._hyper_input(y)))
        scales, means = self._params(z_hat)
        self.gaussian_conditional.put(w, y, scales, means)

    def decode(self, r: coder.Reader, height: int, width: int) -> torch.Tensor:
        h, w = self.latent_size(height, width, 64)
        z_hat = self.entropy_bottleneck.get(r, (1, self.n, h, w))
        scales, means = self._params(z_hat)
        return self.g_s(self.gaussian_conditional.get(r, scales, means))


class MeanScaleHyperprior(ScaleHyperprior):
    name = "mbt2018-mean"

    def __init__(self, n: int, m: int):
        super().__init__(n, m)
        self.h_a = nn.Sequential(conv(m, n, 3, 1), nn.LeakyReLU(inplace=True), conv(n, n), nn.LeakyReLU(inplace=True),
                                 conv(n, n))
        self.h_s = nn.Sequential(deconv(n, m), nn.LeakyReLU(inplace=True), deconv(m, m * 3 // 2), nn.LeakyReLU(inplace=True),
                                 conv(m * 3 // 2, m * 2, 3, 1))

    def _params(self, z_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        scales, means = self.h_s(z_hat).chunk(2, 1)
        return scales, means

    def _hyper_input(self, y: torch.Tensor) -> torch.Tensor:
        return y


class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only what a raster-order decoder already has: the rows above and the elements to
    the left (CompressAI's mask type A, kept as the ``mask`` buffer its files carry)."""

    mask: torch.Tensor

    def __init__(self, cin: int, cout: int, kernel_size: int = 5):
        super().__init__(cin, cout, kernel_size, padding=kernel_size // 2)
        mask = torch.ones_like(self.weight.data)
        mask[:, :, kernel_size // 2, kernel_size // 2:] = 0
        mask[:, :, kernel_size // 2 + 1:] = 0
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class JointAutoregressive(MeanScaleHyperprior):
    """``mbt2018``: the mean-scale hyperprior plus a serial context model (Minnen et al. 2018). Each latent
    position's Gaussian comes from the hyperprior and from the already-decoded positions above and to its left,
    so coding runs position by position in raster order (seconds per image on a CPU)."""

    name = "mbt2018"
    kernel = 5

    def __init__(self, n: int, m: int):
        super().__init__(n, m)
        self.context_prediction = MaskedConv2d(m, 2 * m, self.kernel)
        self.entropy_parameters = nn.Sequential(
            nn.Conv2d(m * 12 // 3, m * 10 // 3, 1), nn.LeakyReLU(inplace=True), nn.Conv2d(m * 10 // 3, m * 8 // 3, 1),
            nn.LeakyReLU(inplace=True), nn.Conv2d(m * 8 // 3, m * 6 // 3, 1))

    def forward(self, x: torch.Tensor) -> dict:
        y = self.g_a(x)
        z_hat, z_lik = self.entropy_bottleneck(self.h_a(y))
        y_hat = torch.round(y)  # the evaluation forward rounds without the means (the coded file rounds with them)
        params = self.entropy_parameters(torch.cat((self.h_s(z_hat), self.context_prediction(y_hat)), 1))
        scales, means = params.chunk(2, 1)
        _, y_lik = self.gaussian_conditional(y, scales, means)
        return {"x_hat": self.g_s(y_hat), "likelihoods": {"y": y_lik, "z": z_lik}}

    def _position(self, y_pad: torch.Tensor, hyper: torch.Tensor, h: int, w: int, weight: torch.Tensor):
        """(scales, means) of the latent at (h, w), from what lies above and to its left."""
        crop = y_pad[:, :, h : h + self.kernel, w : w + self.kernel]
        ctx = F.conv2d(crop, weight, self.context_prediction.bias)
        params = self.entropy_parameters(torch.cat((hyper[:, :, h : h + 1, w : w + 1], ctx), 1))
        return params.chunk(2, 1)

    def code(self, w: coder.Writer, x: torch.Tensor) -> None:
        y = self.g_a(x)
        z_hat = self.entropy_bottleneck.put(w, self.h_a(y))
        hyper = self.h_s(z_hat)
        pad = self.kernel // 2
        y_pad = F.pad(y, (pad, pad, pad, pad))
        weight = self.context_prediction.weight * self.context_prediction.mask
        for h in range(y.shape[2]):
            for col in range(y.shape[3]):
                scales, means = self._position(y_pad, hyper, h, col, weight)
                value = y_pad[:, :, h + pad : h + pad + 1, col + pad : col + pad + 1]
                y_pad[:, :, h + pad, col + pad] = self.gaussian_conditional.put(w, value, scales, means)[:, :, 0, 0]

    def decode(self, r: coder.Reader, height: int, width: int) -> torch.Tensor:
        h_lat, w_lat = self.latent_size(height, width, 64)
        z_hat = self.entropy_bottleneck.get(r, (1, self.n, h_lat, w_lat))
        hyper = self.h_s(z_hat)
        pad = self.kernel // 2
        y_pad = torch.zeros(1, self.m, h_lat * 4 + 2 * pad, w_lat * 4 + 2 * pad)
        weight = self.context_prediction.weight * self.context_prediction.mask
        for h in range(h_lat * 4):
            for col in range(w_lat * 4):
                scales, means = self._position(y_pad, hyper, h, col, weight)
                y_pad[:, :, h + pad, col + pad] = self.gaussian_conditional.get(r, scales, means)[:, :, 0, 0]
        return self.g_s(y_pad[:, :, pad:-pad, pad:-pad])
