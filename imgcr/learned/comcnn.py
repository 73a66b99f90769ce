"""``comcnn-jpeg``: ComCNN -> JPEG -> RecCNN (Jiang et al. 2017, "An End-to-End Compression Framework Based on
Convolutional Neural Networks").

- ComCNN makes a compact image of half the width and height (three 3x3 convolutions, the middle one of stride
  2). imgcr adds a skip from a 2x2 average (the network starts as a plain downscale and learns what to change).
- A standard JPEG encoder (libjpeg-turbo, 4:2:0) codes the compact image; its quality is the codec's knob.
- RecCNN restores the full size from the decoded compact image upscaled (bicubic): a residual CNN. To stay
  within a few seconds for a 2048x1280 photo on a CPU it works at half resolution after a 2x2
  pixel-unshuffle (the paper's runs at full resolution with 20 layers and batch norm).

Training (the recipe ``codec-comcnn``): one end-to-end loss, MSE of the reconstruction, with the real codec in
the forward pass and the identity as its gradient (a straight-through estimator). That is the paper's
alternating procedure folded into one step: RecCNN always learns from real JPEG output, and ComCNN's gradient
is the one the paper's ComCNN step uses (the codec treated as the identity). Each image of a batch is coded
at its own JPEG quality, so one network pair serves the whole knob.

The file is imgcr's container (:mod:`imgcr.learned.container`) around the compact image's JPEG bytes.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from imgcr.tensors import to_nchw, to_uint8

DEFAULT_QUALITIES = (10, 20, 30, 50, 70, 90)
_LUMA = (0.299, 0.587, 0.114)


def jpeg_bytes(compact: np.ndarray, quality: int) -> bytes:
    """uint8 HxWxC (C = 1 or 3) -> JPEG bytes (libjpeg-turbo through Pillow, 4:2:0, optimised Huffman tables)."""
    img = Image.fromarray(compact[..., 0] if compact.shape[2] == 1 else compact)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality), subsampling=2, optimize=True)
    return buf.getvalue()


def jpeg_pixels(data: bytes, channels: int) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        arr = np.asarray(im.convert("L" if channels == 1 else "RGB"))
    return arr[..., None] if channels == 1 else arr


class ComCNN(nn.Module):
    def __init__(self, channels: int = 3, width: int = 64):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, width, 3, 1, 1), nn.ReLU(inplace=True),
                                  nn.Conv2d(width, width, 3, 2, 1), nn.ReLU(inplace=True),
                                  nn.Conv2d(width, channels, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) + self.body(x)


class RecCNN(nn.Module):
    def __init__(self, channels: int = 3, width: int = 64, depth: int = 12):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(4 * channels, width, 3, 1, 1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(width, 4 * channels, 3, 1, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, up: torch.Tensor) -> torch.Tensor:
        return up + F.pixel_shuffle(self.body(F.pixel_unshuffle(up, 2)), 2)


class ComCNNJpeg(nn.Module):
    """ComCNN + JPEG + RecCNN behind the same coding interface as the autoencoders."""

    arch_name = "imgcr-ComCNNJpeg"
    multiple = 4  # even compact image, even RecCNN input
    table_names: tuple[str, ...] = ()
    qualities: torch.Tensor

    def __init__(self, channels: int = 3, width: int = 64, depth: int = 12,
                 qualities: tuple[int, ...] = DEFAULT_QUALITIES):
        super().__init__()
        self.channels = channels
        self.com = ComCNN(channels, width)
        self.rec = RecCNN(channels, width, depth)
        self.register_buffer("qualities", torch.tensor(qualities, dtype=torch.int32))

    @property
    def rate_points(self) -> int:
        return len(self.qualities)

    def reference(self, x: torch.Tensor) -> torch.Tensor:
        """The network's input, and what its output is compared with: RGB as is, or for a gray network the luma
        of RGB (a 1-channel input as is)."""
        if self.channels == 3 or x.shape[1] == 1:
            return x
        w = torch.tensor(_LUMA, dtype=x.dtype, device=x.device)[None, :, None, None]
        return (x * w).sum(1, keepdim=True)

    def _up(self, compact: torch.Tensor) -> torch.Tensor:
        return F.interpolate(compact, scale_factor=2, mode="bicubic", align_corners=False)

    def _code(self, compact: torch.Tensor, qualities: list[int]) -> tuple[torch.Tensor, list[int]]:
        """The real JPEG round trip of each compact image (no gradient); returns decoded images and byte counts."""
        decoded, sizes = [], []
        for c, q in zip(compact, qualities, strict=True):
            data = jpeg_bytes(to_uint8(c), q)
            decoded.append(to_nchw(jpeg_pixels(data, self.channels), c.device)[0])
            sizes.append(len(data))
        return torch.stack(decoded), sizes

    def rd_loss(self, x: torch.Tensor, rate_idx: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        x = self.reference(x)
        # clamped as the codec clamps it: a pixel pushed out of [0, 1] gets no gradient (without this, the
        # straight-through gradient keeps pushing it while the codec's output stays put, and training diverges)
        compact = self.com(x).clamp(0, 1)
        coded, sizes = self._code(compact, [int(self.qualities[i]) for i in rate_idx.tolist()])
        through = compact + (coded - compact).detach()  # straight-through: real codec forward, identity backward
        out = self.rec(self._up(through))
        mse = F.mse_loss(out, x)
        bpp = float(np.mean(sizes)) * 8 / (x.shape[-1] * x.shape[-2])
        return mse * 255**2 / 100, {"bpp": bpp, "mse": float(mse.detach())}

    @torch.no_grad()
    def validate(self, x: torch.Tensor, i: int) -> tuple[torch.Tensor, float, float]:
        """(reconstruction, real bpp, objective term) at rate point ``i`` (its JPEG quality)."""
        x = self.reference(x)
        coded, sizes = self._code(self.com(x), [int(self.qualities[i])] * x.shape[0])
        out = self.rec(self._up(coded)).clamp(0, 1)
        mse = float(torch.mean(((out * 255).round() / 255 - x) ** 2))
        return out, sizes[0] * 8 / (x.shape[-1] * x.shape[-2]), mse * 255**2 / 100

    def update_tables(self) -> None:
        """Nothing to compute: JPEG carries its own tables."""

    def tables(self, name: str) -> list:
        return []

    @torch.no_grad()
    def compress(self, x: torch.Tensor, quality: float, refine: int = 0) -> tuple[bytes, np.ndarray]:
        """The compact image's JPEG; ``refine`` is for the autoencoders' latents and must be 0 here."""
        if refine:
            raise ValueError("comcnn-jpeg has no latent to refine")
        h, w = x.shape[-2:]
        ph, pw = (-h) % 2, (-w) % 2
        x = self.reference(F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x)
        return jpeg_bytes(to_uint8(self.com(x)[0]), max(1, round(quality))), np.zeros(0, dtype=np.int64)

    @torch.no_grad()
    def decompress(self, stream: bytes, escapes: np.ndarray, height: int, width: int, quality: float) -> torch.Tensor:
        compact = to_nchw(jpeg_pixels(stream, self.channels))
        if compact.shape[-2:] != ((height + 1) // 2, (width + 1) // 2):
            raise ValueError(f"the compact image is {compact.shape[-1]}x{compact.shape[-2]}, not half of {width}x{height}")
        out = self.rec(self._up(compact))[..., :height, :width]
        return out.expand(-1, 3, -1, -1) if self.channels == 1 else out

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> ComCNNJpeg:
        channels, width = state["com.body.0.weight"].shape[1], state["com.body.0.weight"].shape[0]
        depth = sum(1 for k in state if k.startswith("rec.body.") and k.endswith(".weight"))
        net = cls(channels, width, depth, tuple(int(q) for q in state["qualities"]))
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        return net
