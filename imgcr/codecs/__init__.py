"""The codec registry: one visible registration list, one entry per codec id."""

from __future__ import annotations

from imgcr.codecs.avif import AvifCodec, AvifRav1eCodec, AvifSvtCodec
from imgcr.codecs.base import Codec, Knob, Option
from imgcr.codecs.extra import HeifCodec, JpegXrCodec, QoiCodec
from imgcr.codecs.jpeg import JpegCodec
from imgcr.codecs.jpeg2000 import Jpeg2000Codec
from imgcr.codecs.jpegxl import JpegXlCodec
from imgcr.codecs.png import PngCodec
from imgcr.codecs.webp import WebpCodec
from imgcr.errors import CodecUnavailableError, UnknownNameError

REGISTRY: dict[str, Codec] = {
    c.id: c
    for c in (
        JpegCodec(),
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


def list_codecs() -> list[dict]:
    return [c.describe() for c in REGISTRY.values()]


__all__ = ["Codec", "Knob", "Option", "REGISTRY", "DEFAULT_CODECS", "get_codec", "list_codecs"]
