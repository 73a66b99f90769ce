"""The contract every learned codec network keeps: what the training loop and the codec adapter rely on.

CompressAI's habit (one base contract, the loss outside the model): the training loop
(:mod:`imgcr.train.codec_loop`) calls ``rd_loss``, ``validate``, ``reference`` and ``rate_points``; export calls
``update_tables``; the registry's codec (:mod:`imgcr.codecs.learned`) calls ``from_state_dict``, ``tables``,
``compress`` and ``decompress``. The autoencoders (:mod:`imgcr.learned.nets`) and ComCNN + JPEG + RecCNN
(:mod:`imgcr.learned.comcnn`) both satisfy it (checked by mypy through :data:`imgcr.learned.archs.ARCHS`, and
by a test).

Tensor contract: float32 ``(N, C, H, W)`` in [0, 1].
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class LearnedNet(Protocol):
    arch_name: str
    multiple: int  # compress pads the image to a multiple of this
    table_names: tuple[str, ...]  # the integer coding tables it carries (empty: its stream codes itself, e.g. JPEG)

    @property
    def rate_points(self) -> int:
        """How many trained rate points (lambdas, or JPEG qualities) the network covers."""
        ...

    def rd_loss(self, x: Any, rate_idx: Any) -> tuple[Any, dict[str, float]]:
        """The training objective for a batch, each image at its own rate point; with its ``bpp`` and ``mse``."""
        ...

    def validate(self, x: Any, i: int) -> tuple[Any, float, float]:
        """(reconstruction, bpp, the objective's term) at rate point ``i``, as the real file would code it."""
        ...

    def reference(self, x: Any) -> Any:
        """What the reconstruction is compared with: the input, or its luma for a gray network."""
        ...

    def update_tables(self) -> None:
        """Compute the integer coding tables from the current weights (at export)."""
        ...

    def tables(self, name: str) -> list:
        ...

    def compress(self, x: Any, quality: float, refine: int = 0) -> tuple[bytes, np.ndarray]:
        """The coded stream and its escapes for one image (1, C, H, W) at quality 0-100."""
        ...

    def decompress(self, stream: bytes, escapes: np.ndarray, height: int, width: int, quality: float) -> Any:
        """The reconstruction (1, 3, height, width) of a stream."""
        ...

    def eval(self) -> Any:  # torch.nn.Module's
        ...

    def parameters(self) -> Any:  # torch.nn.Module's
        ...

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> LearnedNet:
        """Rebuild from a state dict, its sizes read off the tensor shapes."""
        ...
