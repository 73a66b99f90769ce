"""The same comparison through the app's server and through the CLI: what does the server path add?

A 10 MP photo (kodim23 enlarged with Lanczos to 4000x2500, PNG), the default codecs at quality 75, the default
metrics, an empty result cache on both sides:

- ``cli``: ``python -m imgcr compare PHOTO --quality 75 --out DIR`` in a fresh process, its whole wall time
  (imports, reading the photo, LPIPS's network loading, every metric, writing the files);
- ``server``: ``python app.py`` started and ready (it loads LPIPS's network before it serves, as a Space does),
  then a ``gradio_client`` submit on ``/compare`` with the photo as an upload, timed from the submit (the upload
  included) to the first update and to the last (the table, the slider's screen-size views, the zoom panel's
  full-size original, the bars, the downloadable files).

Run it on a quiet machine. Usage: python benchmarks/server_speed.py [--kodak DIR] [--size 4000x2500]
[--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_speed import make_photo  # noqa: E402
from docs_block import write_block  # noqa: E402


def _env() -> dict[str, str]:
    env = {**os.environ, "IMGCR_CACHE_DIR": tempfile.mkdtemp(prefix="imgcr-server-speed-"), "IMGCR_CACHE_DISK": "0",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    env.setdefault("IMGCR_WEIGHTS_DIR", str(ROOT.parent / "shared" / "weights"))  # LPIPS's AlexNet trunk
    return env


def time_cli(photo: Path) -> float:
    out = tempfile.mkdtemp(prefix="imgcr-cli-files-")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "imgcr", "compare", str(photo), "--quality", "75", "--out", out, "--json"],
                   cwd=ROOT, env=_env(), check=True, capture_output=True)
    return time.perf_counter() - start


def time_server(photo: Path) -> dict[str, float]:
    from gradio_client import Client, handle_file

    from imgcr.codecs import DEFAULT_CODECS
    from imgcr.metrics import DEFAULT_METRICS
    from tests.conftest import start_app, stop_app

    log = Path(tempfile.mkdtemp(prefix="imgcr-server-log-")) / "app.log"
    proc, url = start_app(_env(), log)
    try:
        client = Client(url, verbose=False)
        start = time.perf_counter()
        job = client.submit(handle_file(str(photo)), None, list(DEFAULT_CODECS), "Same setting (quality 0-100)", 75,
                            0.5, list(DEFAULT_METRICS), "", api_name="/compare")
        first = None
        while not job.done():
            if first is None and job.outputs():
                first = time.perf_counter() - start
            time.sleep(0.05)
        final = job.result()
        total = time.perf_counter() - start
        table = final[1]
        pending = [c for row in table["data"] for c in row if str(c) in ("…", "encoding…")]
        if pending:
            raise SystemExit(f"the server's last update still has pending cells: {pending}")
        return {"first": first if first is not None else total, "all": total}
    finally:
        stop_app(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--size", default="4000x2500")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    folder = Path(tempfile.gettempdir()) / "imgcr-speed-photos"
    folder.mkdir(exist_ok=True)
    photo = make_photo(args.kodak, (w, h), folder)
    cli = time_cli(photo)
    print(f"cli: {cli:.1f} s", flush=True)
    server = time_server(photo)
    print(f"server: first update {server['first']:.1f} s, everything {server['all']:.1f} s", flush=True)
    extra = (server["all"] - cli) / cli * 100
    table = "\n".join([
        "| path | first update | everything | vs the CLI |",
        "|---|---|---|---|",
        f"| CLI, `python -m imgcr compare` (fresh process: imports and LPIPS loading included) | - | {cli:.1f} s | - |",
        f"| server, `gradio_client` submit with the upload (server started and ready) | {server['first']:.1f} s | "
        f"{server['all']:.1f} s | {extra:+.0f} % |",
    ])
    print(table)
    if args.write:
        info = (f"`python benchmarks/server_speed.py` on {platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}: a {w}x{h} photo (kodim23 enlarged, PNG), the default codecs at quality "
                "75, the default metrics, empty caches.")
        write_block(args.write, "server-speed", info, table)


if __name__ == "__main__":
    main()
