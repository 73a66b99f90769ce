"""The published learned codecs (CompressAI's pretrained models) as registry codecs, through imgcr's own port.

Each published quality is its own weight file, fetched on first use from CompressAI's official URL (the file
name carries the first 8 hex digits of its sha256, checked on download; the full hash is recorded beside it)
or found in a weights folder (``compressai/NAME-Q-XXXXXXXX.pth.tar``). The 0-100 quality scale maps onto the
published qualities (1-8, or 1-6): a target search picks the nearest one and says whether it met the target.
Files are imgcr's ``.icr`` container around a range-coded stream coded with the model's own CDF tables; they
decode, on CPU, to the same pixels in any process (coding runs at a fixed thread count).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imgcr.codecs.base import Codec, Knob, Option
from imgcr.errors import CodecError, WeightsError, first_line
from imgcr.learned import container
from imgcr.learned.threads import coding_threads
from imgcr.tensors import to_nchw, to_uint8
from imgcr.weights import WeightFile

ROOT_URL = "https://compressai.s3.amazonaws.com/models/v1"
LICENCE = "BSD-3-Clause-Clear (InterDigital, CompressAI)"


@dataclass(frozen=True)
class Published:
    """One published design: its id, label, the hash prefix of each quality's file, and its file-name stem."""

    id: str
    label: str
    stem: str
    prefixes: tuple[str, ...]  # quality 1, 2, ...
    kodak_bd_rate: float  # CompressAI's own Kodak run, PSNR BD-rate against its JPEG anchor (%)
    serial: bool = False  # a context model decoded in raster order (seconds per image on a CPU)
    widths: tuple[tuple[int, int], tuple[int, int]] = ((128, 192), (192, 320))  # (N, M): low, high qualities
    high_from: int = 6  # the first quality at the high widths
    # encode and decode seconds per megapixel on imgcr's CPU reference machine (2 cores), low and high widths,
    # measured on a 2048x1280 photo by benchmarks/zoo_speed.py (docs/learned.md): what Compare quotes before a run
    seconds_per_mp: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))

    def widths_at(self, quality: int) -> tuple[int, int]:
        return self.widths[quality >= self.high_from]

    def file_bytes(self, quality: int) -> int:
        """About how many bytes the published file of ``quality`` holds: its tensors in float32 (the CDF tables,
        a few kB, left out), counted on the port at the published widths."""
        return _tensor_bytes(self.id, *self.widths_at(quality))

    def coding_seconds(self, pixels: int) -> tuple[float, float]:
        """(fastest, slowest) seconds to encode and decode ``pixels`` here, over the published widths."""
        totals = [(enc + dec) * pixels / 1e6 for enc, dec in self.seconds_per_mp]
        return min(totals), max(totals)

    def weight(self, quality: int) -> WeightFile:
        prefix = self.prefixes[quality - 1]
        name = f"{self.stem}-{quality}-{prefix}.pth.tar"
        return WeightFile(id=f"{self.id}-{quality}", names=(f"compressai/{name}",), sha256=(), url=f"{ROOT_URL}/{name}",
                          url_sha256_prefix=prefix, licence=LICENCE,
                          source=f"CompressAI's pretrained {self.id} (MSE), quality {quality}")


ZOO = (
    Published("bmshj2018-factorized", "Published: factorized prior (Ballé 2018, CompressAI)", "bmshj2018-factorized-prior",
              ("446d5c7f", "87279a02", "5c6f152b", "1ed4405a", "866ba797", "9b02ea3a", "6dfd6734", "5232faa3"), -45.0,
              seconds_per_mp=((0.9, 1.2), (1.6, 2.2))),
    Published("bmshj2018-hyperprior", "Published: scale hyperprior (Ballé 2018, CompressAI)", "bmshj2018-hyperprior",
              ("7eb97409", "93677231", "6d87be32", "de1b779c", "f8b614e1", "1ab9c41e", "3804dcbd", "a583f0cf"), -55.3,
              seconds_per_mp=((0.9, 1.2), (1.7, 2.2))),
    Published("mbt2018-mean", "Published: mean-scale hyperprior (Minnen 2018, CompressAI)", "mbt2018-mean",
              ("e522738d", "e54a039d", "723404a8", "6dba02a3", "d504e8eb", "a19628ab", "d5d441d1", "8089ae3e"), -58.2,
              high_from=5,
              seconds_per_mp=((1.0, 1.3), (1.8, 2.4))),
    Published("mbt2018", "Published: joint autoregressive (Minnen 2018, CompressAI; serial, slow)", "mbt2018",
              ("3f36cd77", "43b70cdd", "22901978", "456e2af9", "b4a046dd", "7052e5ea", "8ba2bf82", "dd0097aa"), -61.3,
              serial=True, widths=((192, 192), (192, 320)), high_from=5,
              seconds_per_mp=((8.9, 9.4), (18.2, 17.1))),
    Published("cheng2020-anchor", "Published: Cheng 2020 anchor (CompressAI; serial, slow)", "cheng2020-anchor",
              ("dad2ebff", "a29008eb", "e49be189", "98b0b468", "23852949", "4c052b1a"), -65.4, serial=True,
              widths=((128, 128), (192, 192)), high_from=4,
              seconds_per_mp=((5.7, 6.5), (10.5, 13.4))),
    Published("cheng2020-attn", "Published: Cheng 2020 attention (CompressAI; serial, slow)", "cheng2020_attn-mse",
              ("465f2b64", "e0805385", "2d07bbdf", "f7b0ccf2", "26c8920e", "730501f2"), -65.1, serial=True,
              widths=((128, 128), (192, 192)), high_from=4,
              seconds_per_mp=((6.2, 7.1), (12.1, 13.9))),
)


class ZooCodec(Codec):
    kind = "learned"
    extension = container.EXTENSION
    library = "imgcr's port of CompressAI's models (torch + constriction)"

    def __init__(self, pub: Published):
        self.pub, self.id, self.label = pub, pub.id, pub.label
        n = len(pub.prefixes)
        self.options = (Option("quality", (n + 1) // 2, f"the published quality, 1-{n} (one trained model each)",
                               minimum=1, maximum=n),)
        self.knob = Knob("quality", 1, n, integer=True)
        self.sweep = tuple(round(100 * i / (n - 1), 2) for i in range(n))
        self.quality_doc = (f"0-100 maps onto the {n} published qualities (nearest); file {container.EXTENSION}; "
                            f"weights fetched on first use ({LICENCE})")
        self._lock = threading.Lock()
        self._nets: dict[int, tuple[Any, bytes]] = {}

    def knob_for_quality(self, quality: float) -> float:
        n = len(self.pub.prefixes)
        return float(1 + round(quality / 100 * (n - 1)))

    def unavailable_reason(self) -> str | None:
        from importlib.util import find_spec

        from imgcr import config, weights

        for module in ("torch", "constriction"):
            if find_spec(module) is None:
                return f"needs the {module} package (not installed)"
        missing = [q for q in range(1, len(self.pub.prefixes) + 1) if weights.find(self.pub.weight(q)) is None]
        if missing and not config.allow_downloads():
            first = self.pub.weight(missing[0])
            return (f"its published weights are not here ({len(missing)} of {len(self.pub.prefixes)} qualities missing); "
                    f"set IMGCR_ALLOW_DOWNLOADS=1 or run `python -m imgcr weights download {first.id}`")
        return None

    def library_version(self) -> str:
        import torch

        return f"imgcr port of CompressAI {self.pub.id} (torch {torch.__version__}; weights: CompressAI's, {LICENCE})"

    def _load(self, quality: int) -> tuple[Any, bytes]:
        from imgcr import weights

        with self._lock:
            if quality not in self._nets:
                try:
                    path = weights.require(self.pub.weight(quality))
                except WeightsError as exc:
                    raise CodecError(f"{self.id}: {exc}") from None
                self._nets[quality] = _read(self.pub.id, path)
            return self._nets[quality]

    def _encode(self, pixels: np.ndarray, settings: dict[str, Any]) -> bytes:
        import torch

        quality = int(settings["quality"])
        net, digest = self._load(quality)
        h, w = pixels.shape[:2]
        with coding_threads(), torch.inference_mode():
            stream, escapes = net.compress(to_nchw(pixels))
        return container.write(container.Header(self.id, digest, h, w, quality), stream, escapes)

    def _decode(self, data: bytes) -> np.ndarray:
        import torch

        header, stream, escapes = container.read(bytes(data))
        if header.codec != self.id:
            raise CodecError(f"this file was written by {header.codec}, not {self.id}")
        quality = int(round(header.quality))
        if not 1 <= quality <= len(self.pub.prefixes):
            raise CodecError(f"this file names quality {header.quality}, which {self.id} does not have")
        net, digest = self._load(quality)
        if header.weights != digest:
            raise CodecError(f"this file was written with other {self.id} weights: it decodes only with the weights that wrote it")
        with coding_threads(), torch.inference_mode():
            y = net.decompress(stream, escapes, header.height, header.width)
        return to_uint8(y)


def _read(arch: str, path: Path) -> tuple[Any, bytes]:
    """The port built from a published file (the state dict, or a checkpoint holding one under ``state_dict``)."""
    import torch

    from imgcr.learned.zoo.designs import MODELS

    raw = path.read_bytes()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        net = MODELS[arch].from_state_dict(state)
        net.tables()
    except Exception as exc:  # truncated, foreign or untabled
        raise CodecError(f"{arch}: {path.name} is not {arch} weights with CDF tables ({first_line(exc, 160)})") from None
    for p in net.parameters():
        p.requires_grad_(False)
    return net, hashlib.sha256(raw).digest()[:8]


@functools.cache
def _tensor_bytes(design: str, n: int, m: int) -> int:
    import torch

    from imgcr.learned.zoo.designs import MODELS

    with torch.device("meta"):  # shapes only: nothing is allocated or initialised
        net = MODELS[design](n, m)
    return 4 * sum(t.numel() for t in (*net.parameters(), *net.buffers()))


def zoo_codecs() -> list[ZooCodec]:
    return [ZooCodec(p) for p in ZOO]
