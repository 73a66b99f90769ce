"""What one training run is asked to do, beside its recipe: data, output, resumption, the machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainConfig:
    """One run's settings (``python -m imgcr train``'s flags).

    Attributes:
        data: training folders (``skimage`` for scikit-image's samples).
        out: ``OUT.pt`` / ``OUT.json`` are written (a ``.pt`` / ``.json`` suffix is dropped).
        run_dir: checkpoint and log folder (default ``runs/<out's name>``).
        val: validation folders (default: every 20th training image held aside).
        device: ``auto`` (IMGCR_DEVICE, else a GPU when there is one), ``cpu`` or ``cuda[:N]``.
        threads: torch threads (default: torch's own choice); workers: loader processes (0 = in this process).
        resume: continue ``run_dir``'s checkpoint; total_steps: with ``resume``, end the run there instead.
        init: start from these weights instead of random ones (fine-tuning).
    """

    data: tuple[str, ...]
    out: Path
    run_dir: Path | None = None
    val: tuple[str, ...] | None = None
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    workers: int = 1
    resume: bool = False
    progress: bool = True
    total_steps: int | None = None
    init: Path | None = None

    @classmethod
    def of(cls, data, out, **kwargs) -> TrainConfig:
        """From loose arguments (lists, strings, None for defaults), as the CLI and tests give them."""
        val = kwargs.pop("val", None)
        workers = kwargs.pop("workers", None)
        run_dir, init = kwargs.pop("run_dir", None), kwargs.pop("init", None)
        return cls(tuple(str(d) for d in data), Path(out), Path(run_dir) if run_dir else None,
                   tuple(str(v) for v in val) if val else None, workers=1 if workers is None else workers,
                   init=Path(init) if init else None, **kwargs)

    @property
    def out_stem(self) -> Path:
        return self.out.with_suffix("") if self.out.suffix in (".pt", ".json") else self.out

    @property
    def run_folder(self) -> Path:
        return self.run_dir if self.run_dir else Path("runs") / self.out_stem.name
