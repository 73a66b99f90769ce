"""imgcr's own restoration architectures, trained by ``python -m imgcr train``.

- :class:`UNet`: encoder-decoder with skip connections and a residual output. It works
  at half resolution after a 2x2 pixel-unshuffle (as FFDNet does), which keeps it cheap
  on a CPU while its receptive field spans several JPEG blocks.
- :class:`ConvAutoencoder`: the seed project's simple autoencoder: strided conv encoder to
  a compact latent, transposed-conv decoder, no skips, no residual.
- :class:`ResCNN`: a plain deep residual CNN (DnCNN-like): 3x3 conv + ReLU stack, predicts
  the residual.

Each class rebuilds itself from a state dict (``from_state_dict``): the hyper-parameters
are read off the tensor shapes, so a file of another architecture or a truncated
state dict fails with a clear error instead of loading half-way.

Tensor contract: float32 ``(N, C, H, W)`` in [0, 1]; any H, W (padded inside).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _pad_to(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate" if min(h, w) < 2 else "reflect")
    return x, h, w


def _block(ch: int, n: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(n):
        layers += [nn.Conv2d(ch, ch, 3, 1, 1), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class UNet(nn.Module):
    """U-Net on a 2x2 pixel-unshuffled input; ``widths`` per level, ``depth`` convs per block."""

    arch_name = "imgcr-UNet"

    def __init__(self, in_nc: int = 3, widths: tuple[int, ...] = (64, 96, 128), depth: int = 2):
        super().__init__()
        self.in_nc, self.widths, self.depth = in_nc, tuple(widths), depth
        self.head = nn.Conv2d(in_nc * 4, widths[0], 3, 1, 1)
        self.enc = nn.ModuleList(_block(c, depth) for c in widths[:-1])
        self.down = nn.ModuleList(nn.Conv2d(a, b, 2, 2) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.mid = _block(widths[-1], depth)
        self.up = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, 2) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.dec = nn.ModuleList(_block(c, depth) for c in widths[:-1])
        self.tail = nn.Conv2d(widths[0], in_nc * 4, 3, 1, 1)

    @property
    def multiple(self) -> int:
        return 2 ** len(self.widths)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> UNet:
        levels = 1 + len({k.split(".")[1] for k in state if k.startswith("down.")})
        widths = tuple(int(state[f"down.{i}.weight"].shape[0]) for i in range(levels - 1))
        widths = (int(state["head.weight"].shape[0]), *widths)
        depth = len([k for k in state if k.startswith("mid.") and k.endswith(".weight")])
        model = cls(in_nc=int(state["head.weight"].shape[1]) // 4, widths=widths, depth=depth)
        model.load_state_dict(state)
        return model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inp, h, w = _pad_to(x, self.multiple)
        y = F.relu(self.head(F.pixel_unshuffle(inp, 2)), inplace=True)
        skips = []
        for enc, down in zip(self.enc, self.down, strict=True):
            y = enc(y)
            skips.append(y)
            y = F.relu(down(y), inplace=True)
        y = self.mid(y)
        for up, dec, skip in zip(reversed(self.up), reversed(self.dec), reversed(skips), strict=True):
            y = dec(F.relu(up(y), inplace=True) + skip)
        out = inp + F.pixel_shuffle(self.tail(y), 2)
        return out[..., :h, :w]


class ConvAutoencoder(nn.Module):
    """The seed's simple autoencoder: ``levels`` stride-2 convs down to ``latent`` channels, deconvs back."""

    arch_name = "imgcr-ConvAE"

    def __init__(self, in_nc: int = 3, width: int = 64, latent: int = 32, levels: int = 2):
        super().__init__()
        self.in_nc, self.levels = in_nc, levels
        enc: list[nn.Module] = [nn.Conv2d(in_nc, width, 3, 1, 1), nn.ReLU(inplace=True)]
        for i in range(levels):
            out = latent if i == levels - 1 else width
            enc += [nn.Conv2d(width, out, 4, 2, 1), nn.ReLU(inplace=True)]
        dec: list[nn.Module] = []
        for i in range(levels):
            inc = latent if i == 0 else width
            dec += [nn.ConvTranspose2d(inc, width, 4, 2, 1), nn.ReLU(inplace=True)]
        dec.append(nn.Conv2d(width, in_nc, 3, 1, 1))
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> ConvAutoencoder:
        enc = sorted(int(k.split(".")[1]) for k in state if k.startswith("encoder.") and k.endswith(".weight"))
        first, last = state["encoder.0.weight"], state[f"encoder.{enc[-1]}.weight"]
        model = cls(in_nc=int(first.shape[1]), width=int(first.shape[0]), latent=int(last.shape[0]), levels=len(enc) - 1)
        model.load_state_dict(state)
        return model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inp, h, w = _pad_to(x, 2**self.levels)
        return torch.sigmoid(self.decoder(self.encoder(inp)))[..., :h, :w]


class ResCNN(nn.Module):
    """A plain residual CNN (DnCNN's shape without batch norm): ``n_conv`` 3x3 convs, residual output."""

    arch_name = "imgcr-ResCNN"

    def __init__(self, in_nc: int = 3, width: int = 64, n_conv: int = 12):
        super().__init__()
        self.in_nc = in_nc
        layers: list[nn.Module] = [nn.Conv2d(in_nc, width, 3, 1, 1), nn.ReLU(inplace=True)]
        for _ in range(n_conv - 2):
            layers += [nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(width, in_nc, 3, 1, 1))
        self.body = nn.Sequential(*layers)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> ResCNN:
        convs = [k for k in state if k.startswith("body.") and k.endswith(".weight")]
        first = state["body.0.weight"]
        model = cls(in_nc=int(first.shape[1]), width=int(first.shape[0]), n_conv=len(convs))
        model.load_state_dict(state)
        return model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


ARCHS: dict[str, type[nn.Module]] = {c.arch_name: c for c in (UNet, ConvAutoencoder, ResCNN)}


def build(arch: str, **kwargs) -> nn.Module:
    """A freshly initialised network of architecture ``arch`` (a key of :data:`ARCHS`)."""
    return ARCHS[arch](**kwargs)


def from_state_dict(arch: str, state: dict[str, torch.Tensor]) -> nn.Module:
    """Rebuild ``arch`` from ``state``; KeyError/RuntimeError when the shapes do not fit."""
    return ARCHS[arch].from_state_dict(state)  # type: ignore[attr-defined]  # every ARCHS class defines it
