"""The registry's learned codecs: a trained network + range coding + imgcr's container.

``encode`` runs the analysis transform, rounds and range-codes the latents and wraps them in a
``.icr`` file (:mod:`imgcr.learned.container`); ``decode`` parses the file, checks that it was
written with these weights, decodes the latents and runs the synthesis. What the app reports (sizes,
metrics, the image shown) is always ``decode(encode(x))``: the real file, decoded.

The weights are imgcr's own (``weights/ID.pt``, trained by ``python -m imgcr train``, sha256
pinned); they carry the integer coding tables. On CPU, a file decodes to the same pixels in any
process and at any thread count (tested: coding runs at a fixed thread count,
:mod:`imgcr.learned.threads`); a GPU decodes the same latents but its floating point may differ from
the CPU's in the last bit of a few pixels, and may in principle pick a neighbouring coding table, so
files are coded on CPU. The option ``refine`` (autoencoders) refines the latent for the image before
coding it (:meth:`imgcr.learned.nets.LearnedAE.refine`): slower encoding, the same decoder.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from imgcr.codecs.base import Codec, Estimator, Knob, Option
from imgcr.errors import CodecError, first_line
from imgcr.learned import container
from imgcr.learned.threads import coding_threads
from imgcr.tensors import to_nchw, to_uint8
from imgcr.weights import WeightFile

MIT_IMGCR = "MIT (imgcr, trained here)"


REFINE = Option("refine", 0, "encoder-side latent refinement steps (0 = off): each step costs about a decode and its "
                "backward pass and makes the file smaller at the same quality; 10 gets most of the gain; the decoder "
                "is unchanged", minimum=0, maximum=200)


class LearnedCodec(Codec):
    kind = "learned"
    extension = container.EXTENSION
    library = "imgcr (torch + constriction)"
    options: tuple[Option, ...] = (
        Option("quality", 75.0, "the rate knob, 0-100 (continuous: interpolates between the trained rate points)",
               minimum=0.0, maximum=100.0),)
    knob = Knob("quality", 0.0, 100.0, integer=False)
    sweep = (0, 15, 30, 45, 60, 75, 90, 100)

    def __init__(self, codec_id: str, label: str, arch: str, sha256: str | None, path: str | Path | None = None):
        self.id, self.label, self.arch = codec_id, label, arch
        self.weights = WeightFile(id=codec_id, names=(f"{codec_id}.pt",), sha256=(sha256,) if sha256 else (), url="",
                                  licence=MIT_IMGCR, source=f"trained by imgcr; model card weights/{codec_id}.json")
        self.path = Path(path) if path else None
        if arch == "imgcr-ComCNNJpeg":  # the knob is the JPEG quality of the compact image
            self.quality_doc = (f"the JPEG quality (1-100) of the half-size compact image; file {container.EXTENSION} "
                                "(that JPEG inside imgcr's container)")
            self.sweep = (10, 20, 30, 40, 50, 60, 75, 90)
        else:
            self.quality_doc = (f"0-100 maps onto the network's trained rate points (geometric interpolation of its "
                                f"gains); file {container.EXTENSION}")
            self.options = (*self.options, REFINE)
        self._lock = threading.Lock()
        self._loaded: tuple[Any, bytes, str] | None = None

    # --- availability ---------------------------------------------------------------------------
    def _weights_path(self) -> Path | None:
        from imgcr import weights

        return self.path if self.path else weights.find(self.weights)

    def unavailable_reason(self) -> str | None:
        from importlib.util import find_spec

        for module in ("torch", "constriction"):  # found, not imported: listing codecs must stay fast
            if find_spec(module) is None:
                return f"needs the {module} package (not installed)"
        if self._weights_path() is None:
            from imgcr import config

            dirs = ", ".join(str(d) for d in config.weights_dirs())
            return f"its weights {self.weights.names[0]} are not in {dirs} (they ship in imgcr's weights/ folder)"
        return None

    def library_version(self) -> str:
        from importlib.metadata import version

        import torch

        sha = self._load()[2]
        return f"imgcr {self.arch} (torch {torch.__version__}, constriction {version('constriction')}; weights sha256 {sha[:12]}...)"

    # --- the network ----------------------------------------------------------------------------------
    def _load(self) -> tuple[Any, bytes, str]:
        with self._lock:
            if self._loaded is None:
                self._loaded = _read(self.id, self.arch, self._weights_path(), self.weights.sha256)
            return self._loaded

    def prepare(self) -> None:
        self._load()

    def effective(self, settings: dict[str, Any]) -> dict[str, Any]:
        return {**settings, "quality": container.quantise_quality(settings["quality"])}

    def estimator(self, pixels: np.ndarray, settings: dict[str, Any]) -> Estimator | None:
        """The latent search: the analysis transform runs once, each probe's size comes from the coding tables
        and its pixels from the synthesis of the rounded latent; nothing is coded until the search has chosen.
        Not with ``refine`` (the refined latent differs per quality) nor for ComCNN (its stream is a JPEG)."""
        net, digest, _ = self._load()
        if int(settings.get("refine", 0)) or not hasattr(net, "coded_cost"):
            return None
        return _LatentEstimator(self.id, net, digest, pixels)

    # --- coding -------------------------------------------------------------------------------------
    def _encode(self, pixels: np.ndarray, settings: dict[str, Any]) -> bytes:
        import torch

        net, digest, _ = self._load()
        quality = container.quantise_quality(settings["quality"])
        x = to_nchw(pixels)
        refine = int(settings.get("refine", 0))
        with coding_threads(), torch.inference_mode(refine == 0):  # refinement needs autograd (on the latent only)
            stream, escapes = net.compress(x, quality, refine)
        return _file(self.id, digest, pixels, quality, stream, escapes)

    def _decode(self, data: bytes) -> np.ndarray:
        import torch

        header, stream, escapes = container.read(bytes(data))
        if header.codec != self.id:
            raise CodecError(f"this file was written by {header.codec}, not {self.id}")
        net, digest, _ = self._load()
        if header.weights != digest:
            raise CodecError(f"this file was written with other {self.id} weights (sha256 {header.weights.hex()}..., "
                             f"these are {digest.hex()}...): it decodes only with the weights that wrote it")
        with coding_threads(), torch.inference_mode():
            y = net.decompress(stream, escapes, header.height, header.width, header.quality)
        return to_uint8(y)


class _LatentEstimator:
    """One image's latent, computed on first use; sizes and reconstructions at any quality from it."""

    def __init__(self, codec_id: str, net: Any, digest: bytes, pixels: np.ndarray):
        self.codec_id, self.net, self.digest, self.pixels = codec_id, net, digest, pixels
        self._latent: Any = None
        self._latent_ms = 0.0

    def _y(self):
        import torch

        if self._latent is None:
            start = time.perf_counter()
            with coding_threads(), torch.inference_mode():
                self._latent = self.net.latent(to_nchw(self.pixels))
            self._latent_ms = (time.perf_counter() - start) * 1000
        return self._latent

    def encode(self, settings: dict[str, Any]) -> tuple[bytes, float]:
        """The file :meth:`LearnedCodec.encode` writes at ``settings`` (bit for bit: the same latent, the same
        arithmetic at the same thread count; tested), coded from the search's latent; its time is the analysis
        transform's (timed when the latent was made) plus the coding's, what one encode costs."""
        import torch

        latent = self._y()
        start = time.perf_counter()
        quality = container.quantise_quality(settings["quality"])
        with coding_threads(), torch.inference_mode():
            stream, escapes = self.net.compress_latent(latent, quality)
        data = _file(self.codec_id, self.digest, self.pixels, quality, stream, escapes)
        return data, self._latent_ms + (time.perf_counter() - start) * 1000

    def size(self, settings: dict[str, Any]) -> float:
        """The file's bytes: the container around the stream, the stream being its bits in 32-bit words."""
        import torch

        quality = container.quantise_quality(settings["quality"])
        with coding_threads(), torch.inference_mode():
            bits, escapes = self.net.coded_cost(self._y(), quality)
        around = _file(self.codec_id, self.digest, self.pixels, quality, b"", np.zeros(escapes, dtype=np.int64))
        return float(len(around) + 4 * (int(bits) // 32 + 2))  # the coder flushes about two words (measured: within 4 bytes)

    def decoded(self, settings: dict[str, Any]) -> np.ndarray:
        import torch

        h, w = self.pixels.shape[:2]
        with coding_threads(), torch.inference_mode():
            y = self.net.reconstruct(self._y(), container.quantise_quality(settings["quality"]), h, w)
        return to_uint8(y)


def _file(codec_id: str, digest: bytes, pixels: np.ndarray, quality: float, stream: bytes, escapes: np.ndarray) -> bytes:
    """An .icr file: the header (codec, weights, size, quality) around a stream and its escapes."""
    h, w = pixels.shape[:2]
    return container.write(container.Header(codec_id, digest, h, w, quality), stream, escapes)


def _read(codec_id: str, arch: str, path: Path | None, pinned: tuple[str, ...]):
    import torch

    from imgcr.learned.archs import ARCHS

    if path is None:
        raise CodecError(f"{codec_id}: weights not found")
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if pinned and sha not in pinned:
        raise CodecError(f"{codec_id}: {path} does not match its pinned sha256 ({sha[:12]}... is not {pinned[0][:12]}...)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net = ARCHS[arch].from_state_dict(state).eval()
        for name in net.table_names:  # the coding tables are there (not a training snapshot)
            net.tables(name)
    except Exception as exc:  # truncated, foreign, or untabled file
        raise CodecError(f"{codec_id}: {path} is not {arch} weights with coding tables ({first_line(exc, 160)})") from None
    for p in net.parameters():
        p.requires_grad_(False)
    return net, bytes.fromhex(sha)[:8], sha


# id, label, architecture (imgcr.learned.nets), sha256 of weights/ID.pt
LEARNED: tuple[tuple[str, str, str, str | None], ...] = (
    ("ae-hyperprior", "Learned: scale hyperprior (imgcr)", "imgcr-HyperpriorAE",
     "b4ea29dcab306b091d36dfef21164d865f876ea778f627e6ba8450172bc9cc88"),
    ("ae-factorized", "Learned: factorized prior (imgcr)", "imgcr-FactorizedAE",
     "e92bc115f98f7580b5b9bc38a31e3f2c64f3128cec30ff80960727a6d38ea752"),
    ("ae-multires", "Learned: the seed's multi-resolution autoencoder (imgcr)", "imgcr-MultiResAE",
     "3af55eecd95830eb227869cd13571d7fea848a47bacdeb6528423efeaedb35d5"),
    ("comcnn-jpeg", "Learned: ComCNN -> JPEG -> RecCNN (imgcr)", "imgcr-ComCNNJpeg",
     "28fd6ff4650abad35d212495b53469e6f0ab43cde58eff084f05f05cabfb4f82"),
    ("comcnn-jpeg-gray", "Learned: ComCNN -> JPEG -> RecCNN, gray (imgcr)", "imgcr-ComCNNJpeg",
     "3c987d80aa2631b27630236ba30edf0aa0609f1eb20e20a067ef10191d54029d"),
)


def learned_codecs() -> list[LearnedCodec]:
    return [LearnedCodec(*row) for row in LEARNED]
