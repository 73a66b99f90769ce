"""Images to tensors and back, in one place (torch imported only when a tensor is made).

imgcr's image type is ``uint8 HxWxC`` (C = 3, or 1 for gray networks); networks take float32
``(N, C, H, W)`` in [0, 1]. Back to pixels, values are clamped to [0, 1], scaled by 255 and rounded
half to even (numpy's ``rint`` and torch's ``round`` agree), so a file decodes to the same pixels
whichever path produced them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def to_chw(pixels: np.ndarray) -> np.ndarray:
    """``uint8`` HxWxC -> float32 CxHxW in [0, 1], contiguous; a float HxWxC already in [0, 1] is only cast."""
    x = np.ascontiguousarray(pixels.transpose(2, 0, 1), dtype=np.float32)
    return x / np.float32(255.0) if pixels.dtype == np.uint8 else x


def to_nchw(pixels: np.ndarray, device: Any = "cpu", dtype: Any = None, contiguous: bool = False) -> Any:
    """``uint8`` (or [0, 1] float) HxWxC -> a float32 tensor (1, C, H, W) on ``device`` (and ``dtype`` if given).

    By default the tensor keeps the array's channels-last memory (a view, no copy): the layout imgcr's
    learned codecs have always coded with. Convolutions sum in another order on another layout, so a
    change here changes their files by a few bytes; ``contiguous=True`` gives the NCHW layout instead."""
    import torch

    if contiguous:
        t = torch.from_numpy(to_chw(pixels))[None]
    else:
        x = pixels.astype(np.float32) / np.float32(255.0) if pixels.dtype == np.uint8 else pixels.astype(np.float32)
        t = torch.from_numpy(x).permute(2, 0, 1)[None]
    return t.to(device, dtype) if dtype is not None else t.to(device)


def to_float_hwc(t: Any) -> np.ndarray:
    """A tensor (1, C, H, W) -> float32 HxWxC in [0, 1] (clamped), on the CPU."""
    return t.float().clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()


def to_uint8(t: Any) -> np.ndarray:
    """A float tensor (1, C, H, W) or (C, H, W) in [0, 1] -> ``uint8`` HxWxC (clamped, x255, rounded to nearest)."""
    import torch

    t = t.detach()
    t = t[0] if t.dim() == 4 else t
    return np.ascontiguousarray((t.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy())
