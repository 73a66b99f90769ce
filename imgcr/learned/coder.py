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


NIBBLE = 16  # inline escapes are coded in 4-bit uniform symbols (CompressAI's bypass precision)


def _bypass_symbols(values: np.ndarray, table: Table) -> list[int]:
    """CompressAI's bypass code for values outside ``table``: the distance past the range's near end (2d below it,
    2d - 1... as its ``raw_val``), its count of 4-bit nibbles (in symbols of 0-15, 15 meaning "15 more"), then the
    nibbles, low first."""
    rel = np.asarray(values, dtype=np.int64) - table.offset
    out: list[int] = []
    for raw in np.where(rel < 0, -2 * rel - 1, 2 * (rel - table.size)).tolist():
        n = 0
        while raw >> (4 * n):
            n += 1
        out += [15] * (n // 15) + [n % 15] + [(raw >> (4 * j)) & 15 for j in range(n)]
    return out


class Writer:
    """Collects coded groups and escapes; :meth:`finish` gives the stream's bytes.

    ``inline_escapes``: code each escaped value inside the stream, right after its group, as CompressAI's bypass
    coding does (so a published model's rate is its published rate even where its tables fall short), instead of
    in the file's escape list (4 bytes each: imgcr's own codecs' format)."""

    def __init__(self, inline_escapes: bool = False):
        self.encoder = _constriction().stream.queue.RangeEncoder()
        self.escapes: list[np.ndarray] = []
        self.inline = inline_escapes

    def _put_inline(self, values: np.ndarray, table: Table) -> None:
        symbols = np.array(_bypass_symbols(values, table), dtype=np.int32)
        self.encoder.encode(symbols, _constriction().stream.model.Uniform(NIBBLE))

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
                    self._put_inline(v[esc], table)
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

    def _get_inline(self, count: int, table: Table) -> np.ndarray:
        uniform = _constriction().stream.model.Uniform(NIBBLE)
        out = np.empty(count, dtype=np.int64)
        for i in range(count):
            part = 15
            n = 0
            while part == 15:
                part = int(self.decoder.decode(uniform, 1)[0])
                n += part
                if n > 16:  # a 64-bit distance at most: anything longer is a damaged stream, not a value
                    raise CodecError("the coded stream is damaged (an escaped value longer than 64 bits)")
            nibbles = self.decoder.decode(uniform, n).tolist() if n else []
            raw = sum(int(b) << (4 * j) for j, b in enumerate(nibbles))
            out[i] = table.offset + (-(raw + 1) // 2 if raw % 2 else raw // 2 + table.size)
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
                v[esc] = self._get_inline(n, table)
            elif n:
                if self.used + n > len(self.escapes):
                    raise CodecError("the file's escape list is shorter than its stream says (corrupt file)")
                v[esc] = self.escapes[self.used : self.used + n]
                self.used += n
            out[idx] = v
        return out.reshape(which.shape)
