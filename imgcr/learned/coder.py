"""Range coding of integer latents against integer frequency tables (``constriction``'s queue coder).

A :class:`Table` covers the integers ``offset .. offset + n - 1`` plus one escape symbol. A value
outside the range is coded as the escape and stored verbatim in the file's escape list, so any
latent is coded losslessly, however far the model's prediction was off. Every frequency is at
least 1, so no symbol is impossible.

Elements are coded grouped by table (a stable order both sides know: the decoder computes which
table each element uses before decoding it), so each group is one vectorised ``encode`` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from imgcr.errors import CodecError, CodecUnavailableError

TOTAL = 1 << 16


def _constriction():
    try:
        import constriction
    except ImportError as exc:
        raise CodecUnavailableError(f"learned codecs need the constriction package ({exc})") from None
    return constriction


@dataclass(frozen=True, eq=False)
class Table:
    offset: int
    freqs: np.ndarray = field(repr=False)  # int64, n + 1 entries, the last for the escape

    @classmethod
    def from_pmf(cls, pmf: np.ndarray, offset: int, tail: float = 1e-6) -> Table:
        """Quantise a probability mass function (over ``offset..``) to integers, trimming ``tail`` mass per side."""
        pmf = np.clip(np.asarray(pmf, dtype=np.float64), 0.0, None)
        cdf = np.cumsum(pmf) / max(pmf.sum(), 1e-300)
        lo = int(np.searchsorted(cdf, tail))
        hi = int(np.searchsorted(cdf, 1.0 - tail)) + 1
        hi = max(hi, lo + 1)
        kept = pmf[lo:hi] / max(pmf[lo:hi].sum(), 1e-300)
        spare = TOTAL - (hi - lo) - 1
        freqs = np.floor(kept * max(spare, 0)).astype(np.int64) + 1
        return cls(offset + lo, np.append(freqs, 1))

    @property
    def size(self) -> int:
        return len(self.freqs) - 1

    @cached_property
    def model(self):
        c = _constriction()
        return c.stream.model.Categorical(self.freqs / self.freqs.sum(), perfect=False)


def pack(tables: list[Table]) -> dict[str, np.ndarray]:
    """Tables as three integer arrays (stored in the weights file)."""
    width = max(len(t.freqs) for t in tables)
    freqs = np.zeros((len(tables), width), dtype=np.int32)
    for i, t in enumerate(tables):
        freqs[i, : len(t.freqs)] = t.freqs
    return {"offsets": np.array([t.offset for t in tables], dtype=np.int32),
            "lengths": np.array([len(t.freqs) for t in tables], dtype=np.int32), "freqs": freqs}


def unpack(offsets: np.ndarray, lengths: np.ndarray, freqs: np.ndarray) -> list[Table]:
    return [Table(int(o), freqs[i, : int(n)].astype(np.int64)) for i, (o, n) in enumerate(zip(offsets, lengths, strict=True))]


def _groups(which: np.ndarray, tables: list[Table]):
    """(element indices, table) per table in use, tables in index order, elements in their flat order."""
    order = np.argsort(which, kind="stable")
    for idx in np.split(order, np.flatnonzero(np.diff(which[order])) + 1):
        if len(idx):
            k = int(which[idx[0]])
            if not 0 <= k < len(tables):
                raise CodecError(f"table {k} does not exist (the file does not fit these weights)")
            yield idx, tables[k]


def cost(values: np.ndarray, which: np.ndarray, tables: list[Table]) -> tuple[float, int]:
    """What :meth:`Writer.put` would spend on ``values``: the bits of their symbols under their tables (the
    information content; the range coder adds a few bytes at most) and how many escapes the file would store."""
    values = np.asarray(values).reshape(-1).astype(np.int64)
    bits, escapes = 0.0, 0
    for idx, table in _groups(np.asarray(which).reshape(-1), tables):
        sym = values[idx] - table.offset
        esc = (sym < 0) | (sym >= table.size)
        sym[esc] = table.size
        escapes += int(esc.sum())
        counts = np.bincount(sym, minlength=len(table.freqs))
        info = np.log2(table.freqs.sum()) - np.log2(table.freqs)
        bits += float(counts @ info)
    return bits, escapes


_BITS = 33  # an escape's bit length (0-32) is coded first, then its bits in chunks of at most 16


def _zigzag(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 0, 2 * v, -2 * v - 1).astype(np.int64)


def _unzigzag(z: int) -> int:
    return z // 2 if z % 2 == 0 else -(z + 1) // 2


class Writer:
    """Collects coded groups and escapes; :meth:`finish` gives the stream's bytes.

    ``inline_escapes``: code each escaped value inside the stream, right after its group (its bit length, then
    its bits, uniformly; about 5 + log2 |v| bits, as CompressAI's bypass coding spends) instead of in the
    file's escape list (4 bytes each: imgcr's own codecs' format)."""

    def __init__(self, inline_escapes: bool = False):
        self.encoder = _constriction().stream.queue.RangeEncoder()
        self.escapes: list[np.ndarray] = []
        self.inline = inline_escapes

    def _put_inline(self, values: np.ndarray) -> None:
        model = _constriction().stream.model
        for z in _zigzag(values):
            n = int(z).bit_length()
            self.encoder.encode(np.array([n], dtype=np.int32), model.Uniform(_BITS))
            rest, left = int(z), n
            while left > 0:
                k = min(16, left)
                self.encoder.encode(np.array([rest & ((1 << k) - 1)], dtype=np.int32), model.Uniform(1 << k))
                rest, left = rest >> k, left - k

    def put(self, values: np.ndarray, which: np.ndarray, tables: list[Table]) -> None:
        values = np.asarray(values).reshape(-1).astype(np.int64)
        for idx, table in _groups(np.asarray(which).reshape(-1), tables):
            v = values[idx]
            sym = v - table.offset
            esc = (sym < 0) | (sym >= table.size)
            sym[esc] = table.size
            self.encoder.encode(sym.astype(np.int32), table.model)
            if esc.any():
                if self.inline:
                    self._put_inline(v[esc])
                else:
                    self.escapes.append(v[esc])

    def finish(self) -> tuple[bytes, np.ndarray]:
        escapes = np.concatenate(self.escapes) if self.escapes else np.zeros(0, dtype=np.int64)
        return self.encoder.get_compressed().astype("<u4").tobytes(), escapes


class Reader:
    def __init__(self, stream: bytes, escapes: np.ndarray, inline_escapes: bool = False):
        if len(stream) % 4:
            raise CodecError("the coded stream is truncated")
        words = np.frombuffer(stream, dtype="<u4").astype(np.uint32)
        self.decoder = _constriction().stream.queue.RangeDecoder(words)
        self.escapes = np.asarray(escapes, dtype=np.int64)
        self.used = 0
        self.inline = inline_escapes

    def _get_inline(self, count: int) -> np.ndarray:
        model = _constriction().stream.model
        out = np.empty(count, dtype=np.int64)
        for i in range(count):
            n = int(self.decoder.decode(model.Uniform(_BITS), 1)[0])
            z, shift = 0, 0
            while shift < n:
                k = min(16, n - shift)
                z |= int(self.decoder.decode(model.Uniform(1 << k), 1)[0]) << shift
                shift += k
            out[i] = _unzigzag(z)
        return out

    def get(self, which: np.ndarray, tables: list[Table]) -> np.ndarray:
        which = np.asarray(which)
        flat = which.reshape(-1)
        out = np.empty(flat.shape, dtype=np.int64)
        for idx, table in _groups(flat, tables):
            sym = np.asarray(self.decoder.decode(table.model, len(idx)), dtype=np.int64)
            v = sym + table.offset
            esc = sym == table.size
            n = int(esc.sum())
            if n and self.inline:
                v[esc] = self._get_inline(n)
            elif n:
                if self.used + n > len(self.escapes):
                    raise CodecError("the file's escape list is shorter than its stream says (corrupt file)")
                v[esc] = self.escapes[self.used : self.used + n]
                self.used += n
            out[idx] = v
        return out.reshape(which.shape)
