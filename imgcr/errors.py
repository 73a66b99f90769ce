"""Typed errors with messages a user can act on.

Only :mod:`imgcr.ui` turns these into ``gr.Error`` and only :mod:`imgcr.cli`
into exit codes; the library itself never prints.
"""

from __future__ import annotations


class ImgcrError(Exception):
    """Base class: the message is one line, fit to show a user as is."""


class ImageLoadError(ImgcrError):
    """The input is not an image we can read (empty, corrupt, unsupported)."""


class ImageTooLargeError(ImageLoadError):
    """The image has more pixels than the configured limit (or is a decompression bomb)."""


class CodecUnavailableError(ImgcrError):
    """The codec's library is missing or lacks the needed encoder."""


class CodecError(ImgcrError):
    """A codec failed to encode or decode, or was given an invalid option."""


class UnknownNameError(ImgcrError):
    """A codec, metric or option name that does not exist."""


class WeightsError(ImgcrError):
    """Model weights are missing, corrupt, or failed their checksum."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (at most ``limit`` characters), or its type's name when empty:
    a library's multi-line error shown to a user as one line."""
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__
