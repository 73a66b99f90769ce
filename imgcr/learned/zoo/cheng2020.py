"""Cheng et al. 2020's designs as CompressAI publishes them: ``cheng2020-anchor`` and ``cheng2020-attn``.

Residual blocks with GDN replace the plain convolution stacks, sub-pixel convolutions upsample, and ``-attn``
adds simplified attention blocks; the entropy model is ``mbt2018``'s (hyperprior + serial context model, one
Gaussian per latent, coded in raster order), with N = M. Module names are CompressAI's (older files' ``downsample``
is ``skip``: renamed on load).
"""

from __future__ import annotations

import torch
from torch import nn

from imgcr.learned.zoo.layers import GDN
from imgcr.learned.zoo.models import JointAutoregressive, ZooModel


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, stride)


def subpel_conv3x3(cin: int, cout: int, r: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout * r * r, 3, padding=1), nn.PixelShuffle(r))


class ResidualBlockWithStride(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 2):
        super().__init__()
        self.conv1 = conv3x3(cin, cout, stride)
        self.leaky_relu = nn.LeakyReLU(inplace=True)
        self.conv2 = conv3x3(cout, cout)
        self.gdn = GDN(cout)
        self.skip = conv1x1(cin, cout, stride) if stride != 1 or cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.gdn(self.conv2(self.leaky_relu(self.conv1(x))))
        return out + (self.skip(x) if self.skip is not None else x)


class ResidualBlockUpsample(nn.Module):
    def __init__(self, cin: int, cout: int, upsample: int = 2):
        super().__init__()
        self.subpel_conv = subpel_conv3x3(cin, cout, upsample)
        self.leaky_relu = nn.LeakyReLU(inplace=True)
        self.conv = conv3x3(cout, cout)
        self.igdn = GDN(cout, inverse=True)
        self.upsample = subpel_conv3x3(cin, cout, upsample)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.igdn(self.conv(self.leaky_relu(self.subpel_conv(x)))) + self.upsample(x)


class ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = conv3x3(cin, cout)
        self.leaky_relu = nn.LeakyReLU(inplace=True)
        self.conv2 = conv3x3(cout, cout)
        self.skip = conv1x1(cin, cout) if cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.leaky_relu(self.conv2(self.leaky_relu(self.conv1(x))))
        return out + (self.skip(x) if self.skip is not None else x)


class ResidualUnit(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.conv = nn.Sequential(conv1x1(n, n // 2), nn.ReLU(inplace=True), conv3x3(n // 2, n // 2), nn.ReLU(inplace=True),
                                  conv1x1(n // 2, n))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x) + x)


class AttentionBlock(nn.Module):
    """Cheng et al.'s simplified attention: a trunk gated by a sigmoid mask, plus the input."""

    def __init__(self, n: int):
        super().__init__()
        self.conv_a = nn.Sequential(ResidualUnit(n), ResidualUnit(n), ResidualUnit(n))
        self.conv_b = nn.Sequential(ResidualUnit(n), ResidualUnit(n), ResidualUnit(n), conv1x1(n, n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_a(x) * torch.sigmoid(self.conv_b(x)) + x


class Cheng2020Anchor(JointAutoregressive):
    name = "cheng2020-anchor"

    def __init__(self, n: int, m: int | None = None):
        super().__init__(n, n)
        self.g_a = nn.Sequential(ResidualBlockWithStride(3, n), ResidualBlock(n, n), ResidualBlockWithStride(n, n),
                                 ResidualBlock(n, n), ResidualBlockWithStride(n, n), ResidualBlock(n, n), conv3x3(n, n, 2))
        self.h_a = nn.Sequential(conv3x3(n, n), nn.LeakyReLU(inplace=True), conv3x3(n, n), nn.LeakyReLU(inplace=True),
                                 conv3x3(n, n, 2), nn.LeakyReLU(inplace=True), conv3x3(n, n), nn.LeakyReLU(inplace=True),
                                 conv3x3(n, n, 2))
        self.h_s = nn.Sequential(conv3x3(n, n), nn.LeakyReLU(inplace=True), subpel_conv3x3(n, n, 2), nn.LeakyReLU(inplace=True),
                                 conv3x3(n, n * 3 // 2), nn.LeakyReLU(inplace=True), subpel_conv3x3(n * 3 // 2, n * 3 // 2, 2),
                                 nn.LeakyReLU(inplace=True), conv3x3(n * 3 // 2, n * 2))
        self.g_s = nn.Sequential(ResidualBlock(n, n), ResidualBlockUpsample(n, n), ResidualBlock(n, n), ResidualBlockUpsample(n, n),
                                 ResidualBlock(n, n), ResidualBlockUpsample(n, n), ResidualBlock(n, n), subpel_conv3x3(n, 3, 2))

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> ZooModel:
        state = {k.removeprefix("module.").replace(".downsample.", ".skip."): v for k, v in state.items()}
        net = cls(state["g_a.0.conv1.weight"].shape[0])
        net.load_state_dict(state, strict=True)
        return net.eval()


class Cheng2020Attention(Cheng2020Anchor):
    name = "cheng2020-attn"

    def __init__(self, n: int, m: int | None = None):
        super().__init__(n)
        self.g_a = nn.Sequential(ResidualBlockWithStride(3, n), ResidualBlock(n, n), ResidualBlockWithStride(n, n),
                                 AttentionBlock(n), ResidualBlock(n, n), ResidualBlockWithStride(n, n), ResidualBlock(n, n),
                                 conv3x3(n, n, 2), AttentionBlock(n))
        self.g_s = nn.Sequential(AttentionBlock(n), ResidualBlock(n, n), ResidualBlockUpsample(n, n), ResidualBlock(n, n),
                                 ResidualBlockUpsample(n, n), AttentionBlock(n), ResidualBlock(n, n), ResidualBlockUpsample(n, n),
                                 ResidualBlock(n, n), subpel_conv3x3(n, 3, 2))
