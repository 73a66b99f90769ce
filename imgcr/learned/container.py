"""imgcr's file format for learned codecs (extension ``.icr``).

Layout (little-endian)::

    magic      8 bytes  b"\\x89IMGCR\\r\\n" (a high byte and a CR-LF, as PNG's, to catch text-mode transfers)
    version    u8       1
    codec      u8 length + ASCII id (e.g. "ae-hyperprior")
    weights    8 bytes  the first 8 bytes of the weights file's sha256: a file decodes only with the
                        weights that wrote it
    height     u32      the original image size (the coded latents cover it padded to the network's
    width      u32      multiple; decoding crops back)
    quality    u16      quality x 100 (the rate knob the gains were interpolated at)
    escapes    u32 count + int32 each (latent values outside their table's range, in coding order)
    stream     u32 length + the range coder's words
    crc32      u32      over everything before it

bpp counts all of it: the file's bytes x 8 over the original pixel count.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from imgcr.errors import CodecError

MAGIC = b"\x89IMGCR\r\n"
VERSION = 1
EXTENSION = ".icr"


@dataclass(frozen=True)
class Header:
    codec: str
    weights: bytes  # 8 bytes
    height: int
    width: int
    quality: float

    def __post_init__(self):
        if len(self.weights) != 8:
            raise ValueError("weights digest must be 8 bytes")
        if not (0 < self.height < 1 << 31 and 0 < self.width < 1 << 31):
            raise ValueError(f"image size {self.width}x{self.height} cannot be stored")


def quantise_quality(quality: float) -> float:
    """The quality as the file stores it (hundredths): encode with this so decoding sees the same value."""
    return round(float(quality) * 100) / 100


def is_imgcr(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def write(header: Header, stream: bytes, escapes: np.ndarray) -> bytes:
    codec = header.codec.encode("ascii")
    esc = np.asarray(escapes, dtype=np.int64)
    if esc.size and (esc.min() < -(1 << 31) or esc.max() >= 1 << 31):
        raise CodecError("a latent value is too large to store")
    body = b"".join([
        MAGIC, struct.pack("<BB", VERSION, len(codec)), codec, header.weights,
        struct.pack("<IIH", header.height, header.width, round(header.quality * 100)),
        struct.pack("<I", esc.size), esc.astype("<i4").tobytes(),
        struct.pack("<I", len(stream)), stream,
    ])
    return body + struct.pack("<I", zlib.crc32(body))


def read(data: bytes) -> tuple[Header, bytes, np.ndarray]:
    """Parse a file; any defect (not ours, other version, truncated, altered) is a one-line CodecError."""
    if not is_imgcr(data):
        raise CodecError("not an imgcr learned-codec file (its first bytes are not imgcr's magic)")
    if len(data) < len(MAGIC) + 4:
        raise CodecError("the file is truncated")
    body, crc = data[:-4], struct.unpack("<I", data[-4:])[0]
    pos = len(MAGIC)
    try:
        version, n = struct.unpack_from("<BB", body, pos)
        if version != VERSION:
            raise CodecError(f"file format version {version}; this imgcr reads version {VERSION}")
        pos += 2
        codec = body[pos : pos + n].decode("ascii")
        pos += n
        weights = body[pos : pos + 8]
        pos += 8
        height, width, q = struct.unpack_from("<IIH", body, pos)
        pos += 10
        (n_esc,) = struct.unpack_from("<I", body, pos)
        pos += 4
        if pos + 4 * n_esc > len(body):
            raise struct.error("escapes")
        escapes = np.frombuffer(body, dtype="<i4", count=n_esc, offset=pos).astype(np.int64)
        pos += 4 * n_esc
        (n_stream,) = struct.unpack_from("<I", body, pos)
        pos += 4
        stream = body[pos : pos + n_stream]
        if len(stream) != n_stream or pos + n_stream != len(body):
            raise struct.error("stream")
    except (struct.error, UnicodeDecodeError, ValueError):
        raise CodecError("the file is truncated or corrupt (its header does not add up)") from None
    if zlib.crc32(body) != crc:
        raise CodecError("the file is corrupt (checksum mismatch): it was altered or cut after writing")
    try:
        header = Header(codec, weights, height, width, q / 100)
    except ValueError as exc:
        raise CodecError(f"the file is corrupt ({exc})") from None
    return header, stream, escapes
