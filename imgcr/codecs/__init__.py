"""The codec registry: one visible registration list, one entry per codec id."""

from __future__ import annotations

from imgcr.codecs.avif import AvifCodec, AvifRav1eCodec, AvifSvtCodec
from imgcr.codecs.base import Codec, Knob, Option
from imgcr.codecs.heif import HeifCodec
from imgcr.codecs.jpeg import JpegCodec
from imgcr.codecs.jpeg2000 import Jpeg2000Codec
from imgcr.codecs.jpegli import JpegliCodec
from imgcr.codecs.jpegxl import JpegXlCodec
from imgcr.codecs.jpegxr import JpegXrCodec
from imgcr.codecs.learned import learned_codecs
from imgcr.codecs.png import PngCodec
from imgcr.codecs.qoi import QoiCodec
from imgcr.codecs.restored import RestoredCodec
from imgcr.codecs.webp import WebpCodec
from imgcr.codecs.zoo import zoo_codecs
from imgcr.errors import CodecUnavailableError, UnknownNameError

REGISTRY: dict[str, Codec] = {
    c.id: c
    for c in (
        JpegCodec(),
        JpegliCodec(),
        PngCodec(),
        Jpeg2000Codec(),
        WebpCodec(),
        AvifCodec(),
        AvifSvtCodec(),
        AvifRav1eCodec(),
        JpegXlCodec(),
        HeifCodec(),
        JpegXrCodec(),
        QoiCodec(),
    )
}
# compress, then restore: the base codec's bytes, decoded and restored by a model
_jpeg = REGISTRY["jpeg"]
REGISTRY.update({c.id: c for c in (RestoredCodec(_jpeg, "dncnn3"), RestoredCodec(_jpeg, "jpeg-unet-color"))})

# learned codecs: imgcr's own trained networks, entropy-coded into .icr files
REGISTRY.update({c.id: c for c in learned_codecs()})
# the published learned codecs (CompressAI's pretrained models), through imgcr's port; weights on first use
REGISTRY.update({c.id: c for c in zoo_codecs()})

DEFAULT_CODECS = ("jpeg", "png", "jpeg2000", "webp", "avif", "jpegxl")


def get_codec(codec_id: str, *, require_available: bool = True) -> Codec:
    """Look a codec up by id.

    Raises:
        UnknownNameError: no such id.
        CodecUnavailableError: the codec exists but its library is missing here.
    """
    try:
        codec = REGISTRY[codec_id]
    except KeyError:
        raise UnknownNameError(f"unknown codec {codec_id!r} (known: {', '.join(REGISTRY)})") from None
    if require_available:
        reason = codec.unavailable_reason()
        if reason:
            raise CodecUnavailableError(f"{codec_id} is unavailable: {reason}")
    return codec


def parse_options(items: list[str]) -> dict[str, dict[str, str]]:
    """Parse ``CODEC.NAME=VALUE`` items (CLI ``--opt`` and the UI's options box).

    Values stay strings here; each codec's :class:`Option` checks and converts them.
    """
    out: dict[str, dict[str, str]] = {}
    for item in items:
        name, eq, value = item.partition("=")
        codec, dot, opt = name.partition(".")
        if not (eq and dot and codec.strip() and opt.strip()):
            raise UnknownNameError(f"option {item!r}: expected CODEC.NAME=VALUE, e.g. jpeg.subsampling=4:4:4")
        out.setdefault(codec.strip(), {})[opt.strip()] = value.strip()
    return out


def list_codecs() -> list[dict]:
    return [c.describe() for c in REGISTRY.values()]


__all__ = ["Codec", "Knob", "Option", "REGISTRY", "DEFAULT_CODECS", "get_codec", "list_codecs", "parse_options"]
