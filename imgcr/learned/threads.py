"""A fixed torch thread count while a learned codec codes, so files do not depend on the caller's setting.

A convolution's floating-point result depends on how its sums are split between threads: the same
weights and latents decoded at 1 and at 2 torch threads differ by one level in a few pixels of a Kodak
image, and the hyperprior's choice of coding table could differ the same way (measured: 17 of 1.2 M
values). Coding always at :data:`CODING_THREADS` threads makes encode and decode bit-exact across
processes and whatever thread count the process runs at (tested), at the cost of not using more cores
where a machine has them. The caller's count is restored afterwards; the lock keeps two codings in
different threads from interleaving their settings.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

CODING_THREADS = 2

_lock = threading.RLock()


@contextmanager
def coding_threads() -> Iterator[None]:
    """Run the body at :data:`CODING_THREADS` torch threads, restoring the caller's count afterwards."""
    import torch

    with _lock:
        old = torch.get_num_threads()
        torch.set_num_threads(CODING_THREADS)
        try:
            yield
        finally:
            torch.set_num_threads(old)
