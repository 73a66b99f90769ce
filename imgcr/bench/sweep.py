"""Sweeps over codecs x settings x images, run locally, on a process pool, or on Dask.

A job is one image x one codec over its sweep; it calls the same cached
:func:`imgcr.pipeline.compare` as the app, so a re-run (or a resumed run) only does
the work that is missing. The results document keeps one record per image x codec x
setting, never only averages, and says what produced every number.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import logging
import os
import platform
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgcr import __version__, metrics
from imgcr.codecs import get_codec
from imgcr.errors import ImgcrError, UnknownNameError
from imgcr.images import expand_paths

log = logging.getLogger(__name__)

RECORD_FIELDS = ("image", "codec", "quality", "bytes", "bpp", "ratio", *metrics.METRICS, "encode_ms", "decode_ms",
                 "lossless", "params")
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Job:
    """One image through one codec's sweep."""

    image_path: str
    image_name: str
    codec: str
    qualities: tuple[float, ...]
    options: dict[str, Any] = field(default_factory=dict)
    metric_ids: tuple[str, ...] = ("psnr", "ssim")
    repeats: int = 1


@dataclass(frozen=True)
class Sweep:
    """What a benchmark measures: codecs, settings (None: each codec's own sweep), metrics, codec options, repeats."""

    codecs: tuple[str, ...]
    qualities: tuple[float, ...] | None = None
    metric_ids: tuple[str, ...] = ("psnr", "ssim")
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    repeats: int = 1

    @classmethod
    def of(cls, codecs: Sequence[str], qualities: Sequence[float] | None = None,
           metric_ids: Sequence[str] = ("psnr", "ssim"), options: dict[str, dict[str, Any]] | None = None,
           repeats: int = 1) -> Sweep:
        return cls(tuple(codecs), tuple(float(q) for q in qualities) if qualities else None, tuple(metric_ids),
                   dict(options or {}), repeats)


def plan(paths: Sequence[str | Path], sweep: Sweep, names: Sequence[str] | None = None) -> list[Job]:
    """The jobs for a sweep; each codec uses its own default sweep unless the sweep names settings."""
    for m in sweep.metric_ids:
        metrics.get_metric(m)
    for cid in (*sweep.codecs, *sweep.options):
        get_codec(cid, require_available=False)
    files = expand_paths(paths)
    names = list(names) if names else _unique_names(files)
    jobs = []
    for path, name in zip(files, names, strict=True):
        for cid in sweep.codecs:
            codec = get_codec(cid, require_available=False)
            settings = codec.resolve(None, sweep.options.get(cid))
            grid = sweep.qualities or codec.sweep
            qs = grid if codec.searchable(settings) else (grid[len(grid) // 2],)  # lossless: one point
            jobs.append(Job(str(path), name, cid, tuple(float(q) for q in qs), dict(sweep.options.get(cid, {})),
                            sweep.metric_ids, sweep.repeats))
    return jobs


def _unique_names(files: list[Path]) -> list[str]:
    names = [f.name for f in files]
    if len(set(names)) == len(names):
        return names
    return [str(f) for f in files]


def run_job(job: Job) -> dict[str, Any]:
    """Run one job (in this process or a worker); returns the image info and its records."""
    from imgcr.cache import default_cache
    from imgcr.images import load_image
    from imgcr.pipeline import compare

    image = load_image(job.image_path, name=job.image_name)
    codec = get_codec(job.codec, require_available=False)
    records, error = [], None
    for q in job.qualities:
        result = compare(image, [job.codec], quality=q, options={job.codec: job.options} if job.options else None,
                         metric_ids=job.metric_ids, repeats=job.repeats, cache=default_cache())[0]
        if not result.ok:
            error = result.error
            break
        rec = {"image": job.image_name, "codec": job.codec, "quality": None if result.lossless else q}
        doc = result.to_json()
        rec.update({k: doc[k] for k in RECORD_FIELDS if k in doc and k not in rec})
        rec["cached"] = result.cached  # served from the content-keyed cache (a resumed run)
        records.append(rec)
    return {
        "image": {"name": job.image_name, "path": job.image_path, "width": image.width, "height": image.height,
                  "digest": image.digest, "notes": list(image.notes)},
        "codec": job.codec,
        "library": codec.library_version() if codec.available else None,
        "effective": records[0]["params"] if records else None,
        "error": error,
        "records": records,
    }


def execute(jobs: Sequence[Job], workers: int = 1, scheduler: str | Any | None = None,
            progress: Progress | None = None) -> list[dict[str, Any]]:
    """Run jobs and return their outputs in job order.

    Args:
        workers: local processes (1 runs in this process).
        scheduler: a Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``.
        progress: called with (done, total, last job label) as jobs finish.
    """
    total = len(jobs)
    outputs: list[dict | None] = [None] * total

    def done(i: int, out: dict, n: int) -> None:
        outputs[i] = out
        if progress:
            progress(n, total, f"{jobs[i].image_name} / {jobs[i].codec}")

    if scheduler is not None:
        _run_dask(jobs, scheduler, done)
    elif workers > 1:
        _run_pool(jobs, workers, done)
    else:
        for i, job in enumerate(jobs):
            done(i, run_job(job), i + 1)
    return outputs  # type: ignore[return-value]


MAX_ATTEMPTS = 3
_MALLOC_TUNED = False


def tune_malloc() -> bool:
    """Keep big numpy temporaries in glibc's heap instead of fresh mmaps (once per process; glibc only).

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting that fixes glibc's mmap
    threshold at 128 kB, so every image-sized array is a new mmap, page-faulted in and unmapped: encode,
    decode and SSIM ran 1.7-4x slower in Dask workers than in a plain process (benchmarks/bench_scaling.py,
    docs/benchmarks.md). A 64 MB mmap threshold and a 128 MB trim threshold restore the speed (and help
    plain worker processes too). Returns whether the settings were applied."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(-3, 64 << 20) == 1 and libc.mallopt(-1, 128 << 20) == 1  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to tune
        return False
    _MALLOC_TUNED = ok
    return ok


def worker_job(job: Job) -> dict[str, Any]:
    """:func:`run_job` in a worker process (local pool or Dask), with the allocator tuned first."""
    tune_malloc()
    return run_job(job)


def _run_pool(jobs: Sequence[Job], workers: int, done) -> None:
    """Local worker processes. A worker that dies (killed, out of memory, a crashing library) breaks the pool:
    the jobs it left unfinished run again in a fresh pool; a job that keeps dying is reported, the rest finish."""
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    pending = list(range(len(jobs)))
    attempts = dict.fromkeys(pending, 0)
    n = 0
    while pending:
        broken = []
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(worker_job, jobs[i]): i for i in pending}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    out = fut.result()
                except BrokenProcessPool:
                    broken.append(i)
                    continue
                n += 1
                done(i, out, n)
        pending = []
        for i in broken:
            attempts[i] += 1
            if attempts[i] < MAX_ATTEMPTS:
                pending.append(i)
            else:
                n += 1
                done(i, failed_output(jobs[i], f"a worker process died {MAX_ATTEMPTS} times while running this job "
                                               "(killed or crashed)"), n)
        if broken:
            log.warning("bench: a worker process died; %d unfinished job(s) run again in a fresh pool", len(pending))


def failed_output(job: Job, error: str) -> dict[str, Any]:
    """The output of a job that produced nothing: its error, no records."""
    return {"image": {"name": job.image_name, "path": job.image_path}, "codec": job.codec, "library": None,
            "effective": None, "error": error, "records": []}


def local_cluster(n_workers: int):
    """A Dask ``LocalCluster`` set up for imgcr's CPU-bound jobs (one thread per worker process).

    Dask's defaults cost these jobs time: its nanny's ``MALLOC_TRIM_THRESHOLD_`` (undone in every job by
    :func:`tune_malloc`, which also covers workers started elsewhere) and the workers' statistical profiler,
    which samples every task's stack every 10 ms (off here)."""
    import dask
    from distributed import LocalCluster

    quiet = {"distributed.worker.profile.enabled": False,
             # the workers' and nannies' own polling (system monitor, memory monitor) shares the cores with the work
             "distributed.admin.system-monitor.interval": "5s", "distributed.worker.memory.monitor-interval": "2s"}
    with dask.config.set(quiet):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _run_dask(jobs, scheduler, done) -> None:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise ImgcrError(f"--scheduler needs dask distributed ({exc})") from None
    cluster = None
    if isinstance(scheduler, str) and scheduler.startswith("local"):  # "local" or "local:N": a cluster on this machine
        n = int(scheduler.split(":", 1)[1]) if ":" in scheduler else (os.cpu_count() or 1)
        cluster = local_cluster(n)
        client = Client(cluster)
    else:
        client = scheduler if not isinstance(scheduler, str) else Client(scheduler)
    try:
        futures = client.map(worker_job, list(jobs), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for n, fut in enumerate(dask_completed(futures), 1):
            done(index[fut.key], fut.result(), n)
    finally:
        if isinstance(scheduler, str):
            client.close()
        if cluster is not None:
            cluster.close()


def bench(paths: Sequence[str | Path], sweep: Sweep, workers: int = 1, scheduler: str | Any | None = None,
          names: Sequence[str] | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Plan and run a sweep; returns the results document (see :func:`save_json`)."""
    jobs = plan(paths, sweep, names)
    outputs = execute(jobs, workers, scheduler, progress)
    images: dict[str, dict] = {}
    libraries: dict[str, str] = {}
    effective: dict[str, Any] = {}
    errors: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    for out in outputs:
        name = out["image"]["name"]
        if name not in images or "width" not in images[name]:  # a failed job knows only the image's name
            images[name] = out["image"]
        if out["library"]:
            libraries[out["codec"]] = out["library"]
        if out["effective"] is not None:
            effective.setdefault(out["codec"], out["effective"])
        if out["error"]:
            errors.setdefault(out["codec"], out["error"])
        records += out["records"]
    return {
        "imgcr": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "run": {"workers": workers, "scheduler": None if scheduler is None else str(scheduler), "repeats": sweep.repeats,
                "timing_note": "wall clock per encode/decode, median of `repeats`, while other workers ran"},
        "codecs": list(sweep.codecs),
        "metrics": list(sweep.metric_ids),
        "qualities": {j.codec: list(j.qualities) for j in jobs},
        "libraries": libraries,
        "effective_options": effective,
        "errors": errors,
        "images": list(images.values()),
        "records": records,
    }


def save_json(doc: dict[str, Any], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=1))


def save_csv(doc: dict[str, Any], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(RECORD_FIELDS))
        writer.writeheader()
        for rec in doc["records"]:
            row = {k: rec.get(k) for k in RECORD_FIELDS}
            row["params"] = json.dumps(rec.get("params"), sort_keys=True)
            writer.writerow(row)


def load_results(path: str | Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ImgcrError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ImgcrError(f"{path} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise ImgcrError(f"{path} is not an imgcr results file (no 'records' list)")
    return doc


def parse_qualities(text: str | None) -> list[float] | None:
    if not text:
        return None
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise UnknownNameError(f"qualities {text!r}: expected numbers like 10,30,50,75") from None
    if any(not 0 <= v <= 100 for v in values):
        raise UnknownNameError("qualities must lie in 0-100")
    return values
