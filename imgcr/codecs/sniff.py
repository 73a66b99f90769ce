"""Which codec wrote these bytes: the file signatures of every format imgcr writes.

``python -m imgcr decode`` uses it to decode any file imgcr wrote (learned or classical) with the
same decoder the app reported its pixels from. Compress-then-restore files are plain files of their
base codec (a ``jpeg+dncnn3`` file is a JPEG): name the codec to decode them with its model.
"""

from __future__ import annotations

from imgcr.errors import CodecError

_FTYP_BRANDS = {b"avif": "avif", b"avis": "avif", b"heic": "heif", b"heix": "heif", b"mif1": "heif", b"msf1": "heif"}


def codec_for_bytes(data: bytes) -> str:
    """The id of the codec whose decoder reads ``data``; CodecError when no format matches."""
    from imgcr.learned import container

    head = bytes(data[:32])
    if container.is_imgcr(head):
        return _learned_codec_id(data)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        return "jpeg2000"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "jpegxl"
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP_BRANDS:
        return _FTYP_BRANDS[head[8:12]]
    if head.startswith(b"II\xbc"):
        return "jpegxr"
    if head.startswith(b"qoif"):
        return "qoi"
    raise CodecError("not a file imgcr writes (no known signature: JPEG, PNG, JPEG 2000, WebP, AVIF, JPEG XL, HEIF, "
                     "JPEG XR, QOI or imgcr's .icr)")


def _learned_codec_id(data: bytes) -> str:
    from imgcr.learned import container

    pos = len(container.MAGIC) + 1
    if len(data) < pos + 1:
        raise CodecError("the file is truncated")
    n = data[pos]
    try:
        return bytes(data[pos + 1 : pos + 1 + n]).decode("ascii")
    except UnicodeDecodeError:
        raise CodecError("the file is corrupt (its codec name is not text)") from None
