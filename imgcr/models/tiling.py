"""Tiled inference with overlap: seamless, bounded memory, backs off on out-of-memory.

Each tile is run with ``overlap`` pixels of context on every side and only its
centre is kept, so a model whose receptive field fits in the overlap gives the
same result tiled as untiled. On CUDA out-of-memory the tile size is halved.
"""

from __future__ import annotations

from collections.abc import Callable

MIN_TILE = 32


def run_tiled(fn: Callable, x, scale: int, tile: int | None, overlap: int = 16,
              progress: Callable[[float], None] | None = None):
    """Apply ``fn`` ((1, C, h, w) -> (1, C', h*scale, w*scale)) over ``x`` in tiles.

    Args:
        tile: tile side in input pixels; None or >= the image runs it whole.
    """
    import torch

    while True:
        try:
            return _tiles(fn, x, scale, tile, overlap, progress)
        except torch.OutOfMemoryError:
            if x.device.type == "cuda":
                torch.cuda.empty_cache()
            h, w = x.shape[-2:]
            tile = max(h, w) // 2 if tile is None else tile // 2
            if tile < MIN_TILE:
                raise


def _tiles(fn, x, scale, tile, overlap, progress):
    import torch

    _, _, h, w = x.shape
    if tile is None or (tile >= h and tile >= w):
        out = fn(x)
        if progress:
            progress(1.0)
        return out
    out = None
    ys = list(range(0, h, tile))
    xs = list(range(0, w, tile))
    total, done = len(ys) * len(xs), 0
    for y0 in ys:
        for x0 in xs:
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            py0, px0 = max(y0 - overlap, 0), max(x0 - overlap, 0)
            py1, px1 = min(y1 + overlap, h), min(x1 + overlap, w)
            piece = fn(x[:, :, py0:py1, px0:px1])
            if out is None:
                out = torch.empty((x.shape[0], piece.shape[1], h * scale, w * scale), dtype=piece.dtype,
                                  device=piece.device)
            oy, ox = (y0 - py0) * scale, (x0 - px0) * scale
            out[:, :, y0 * scale:y1 * scale, x0 * scale:x1 * scale] = \
                piece[:, :, oy:oy + (y1 - y0) * scale, ox:ox + (x1 - x0) * scale]
            done += 1
            if progress:
                progress(done / total)
    return out
