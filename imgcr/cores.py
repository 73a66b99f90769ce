"""Sharing the machine's cores between the steps of one job, and handing freed memory back to the system.

A comparison's slow metrics are of two kinds: LPIPS runs its network on every core itself, MS-SSIM and
SSIMULACRA2 on one. :class:`Cores` lets two one-core metrics run side by side while a whole-machine one runs
alone, so neither kind waits on an idle core nor oversubscribes a busy one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


class Cores:
    """A count of cores that steps take and give back; a step asking for more than there are takes them all."""

    def __init__(self, total: int):
        self.total = max(1, total)
        self._free = self.total
        self._changed = threading.Condition()

    @contextmanager
    def take(self, n: int) -> Iterator[None]:
        n = min(max(1, n), self.total)
        with self._changed:
            self._changed.wait_for(lambda: self._free >= n)
            self._free -= n
        try:
            yield
        finally:
            with self._changed:
                self._free += n
                self._changed.notify_all()


@cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name) if name else None
        return lib if lib is not None and hasattr(lib, "malloc_trim") else None
    except OSError:
        return None


def release_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    A 10 MP comparison frees hundreds of MB of metric working arrays from several threads; glibc keeps them in
    its per-thread arenas, so the process's resident size (what a Space is billed and killed for) stays at the
    high-water mark of every arena together. Measured: 2.46 -> 2.23 GB peak on the 10 MP comparison."""
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)
