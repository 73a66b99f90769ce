"""Parity fixtures for imgcr's port of CompressAI's published codecs, made with CompressAI itself.

Run it in a throwaway virtual environment, never imgcr's (CompressAI pins numpy < 2 and pulls in torch-geometric):

    python3 -m venv /tmp/cai && /tmp/cai/bin/pip install compressai==1.2.8 torch==2.14.1 torchvision==0.29.1
    /tmp/cai/bin/python benchmarks/compressai_fixtures.py --kodak ../shared/datasets/Kodak24

For each architecture it builds the model at small widths with CompressAI's own initialisation, trains it a few
hundred steps on 64x64 crops of a few Kodak photos (freshly initialised, the two hyperprior models code a 256x256
crop into 188 bytes: the fixtures would test almost nothing), calls ``update(force=True)`` so its CDF tables exist, and saves into
``tests/fixtures/compressai/NAME.pt.gz``: the state dict, two fixed inputs (64x64, 128x128) and CompressAI's outputs
on them (the evaluation forward's reconstruction and likelihoods, the compressed strings' lengths, the decompressed
reconstruction), and a 256x256 input for the rate alone (its length, and a digest of its decoding). imgcr's tests
load each state dict into imgcr's port and require the same numbers. Small widths keep the fixtures at about 1 MB
each (gzip); the published widths (N, M = 128, 192 and up) would be 12-120 MB per model in float32.

One more fixture checks one design at its published widths (``--published bmshj2018-factorized:1``, written to
``NAME-published-qQ.pt.gz``): built with the widths CompressAI's zoo gives that quality, trained the same way,
then every weight rounded to 8 bits (an integer times a power of two per tensor, so it is stored exactly as int8
and a scale) before ``update(force=True)``: the model CompressAI runs is exactly the one imgcr's test rebuilds, at
a quarter of the float32 size.
The defaults are the run that made the committed fixtures: 600 steps, lambda 0.1, Adam at 1e-3 (the published-
width fixture: 300 steps).
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "compressai"
WIDTHS = {"bmshj2018-factorized": (16, 24), "bmshj2018-hyperprior": (16, 24), "mbt2018-mean": (16, 24), "mbt2018": (16, 24),
          "cheng2020-anchor": (16, None), "cheng2020-attn": (16, None)}  # Cheng's designs have N = M


def crops(kodak: Path, n: int, size: int, rng: np.random.Generator) -> torch.Tensor:
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(kodak.glob("*.png"))[:6]]
    out = []
    for _ in range(n):
        img = images[rng.integers(len(images))]
        y, x = rng.integers(img.shape[0] - size), rng.integers(img.shape[1] - size)
        out.append(img[y : y + size, x : x + size])
    # contiguous: a backward pass through cheng2020 on the permuted (non-contiguous) view segfaults (torch 2.14.1, CPU)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous().float() / 255


def train(net, kodak: Path, steps: int, lam: float, seed: int, lr: float) -> None:
    rng = np.random.default_rng(seed)
    params = [p for n, p in net.named_parameters() if not n.endswith(".quantiles")]
    aux = [p for n, p in net.named_parameters() if n.endswith(".quantiles")]
    opt, aux_opt = torch.optim.Adam(params, lr=lr), torch.optim.Adam(aux, lr=1e-2)
    net.train()
    for _ in range(steps):
        x = crops(kodak, 8, 64, rng)
        out = net(x)
        bpp = sum(torch.log(lik).sum() for lik in out["likelihoods"].values()) / (-np.log(2) * 8 * 64 * 64)
        loss = lam * 255**2 * torch.mean((out["x_hat"] - x) ** 2) + bpp
        opt.zero_grad()
        aux_opt.zero_grad()
        loss.backward()
        net.aux_loss().backward()
        opt.step()
        aux_opt.step()
    net.eval()


def quantise_(net) -> dict[str, tuple[torch.Tensor, float]]:
    """Round every float parameter to an int8 multiple of a power of two, in place; returns (int8, scale) by name."""
    out = {}
    with torch.no_grad():
        for name, p in net.named_parameters():
            peak = float(p.abs().max())
            scale = 2.0 ** np.ceil(np.log2(peak / 127)) if peak > 0 else 1.0
            q = torch.round(p / scale).clamp(-127, 127).to(torch.int8)
            p.copy_(q.float() * scale)
            out[name] = (q, scale)
    return out


def cases_of(net, inputs: list[torch.Tensor], big: torch.Tensor) -> tuple[list[dict], dict]:
    """CompressAI's outputs on the fixed inputs, and the rate case (a bigger crop: its length and a digest)."""
    cases = []
    with torch.no_grad():
        for x in inputs:
            fwd = net(x)
            enc = net.compress(x)
            dec = net.decompress(enc["strings"], enc["shape"])
            cases.append({"x": x, "x_hat": fwd["x_hat"], "likelihoods": fwd["likelihoods"],
                          "bytes": sum(len(s[0]) for s in enc["strings"]), "decoded": dec["x_hat"]})
        enc = net.compress(big)
        dec = net.decompress(enc["strings"], enc["shape"])["x_hat"]
    rate = {"x_u8": (big * 255).round().to(torch.uint8), "bytes": sum(len(s[0]) for s in enc["strings"]),
            "decoded_sum": float(dec.double().sum()), "decoded_sample": dec.flatten()[::4099].clone()}
    return cases, rate


def save(path: Path, record: dict) -> None:
    buf = io.BytesIO()
    torch.save(record, buf)
    path.write_bytes(gzip.compress(buf.getvalue(), 9, mtime=0))  # the CDF tables shrink well


def published_fixture(spec: str, args, inputs: list[torch.Tensor], big: torch.Tensor) -> None:
    from compressai.zoo.image import cfgs, model_architectures

    name, quality = spec.split(":")
    widths = cfgs[name][int(quality)]
    net = model_architectures[name](*widths)
    train(net, args.kodak, args.published_steps, args.lam, seed=1, lr=args.lr)
    quantised = quantise_(net)
    net.update(force=True)
    cases, rate = cases_of(net, inputs, big)
    state = net.state_dict()
    rest = {k: v for k, v in state.items() if k not in quantised}  # buffers: CDF tables, GDN's pedestals, masks
    save(OUT / f"{name}-published-q{quality}.pt.gz",
         {"name": name, "quality": int(quality), "widths": widths, "int8": quantised, "buffers": rest, "cases": cases,
          "rate_case": rate, "compressai": "1.2.8", "steps": args.published_steps, "lambda": args.lam, "lr": args.lr})
    print(name, "published widths", widths, [c["bytes"] for c in cases], rate["bytes"], flush=True)


def main() -> None:
    from compressai.zoo.image import model_architectures

    ap = argparse.ArgumentParser()
    ap.add_argument("--kodak", type=Path, default=ROOT.parent / "shared" / "datasets" / "Kodak24")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lam", type=float, default=0.1, help="rate-distortion trade-off (high: files of a few KB)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--only", help="comma-separated architectures (default: all; 'none' for the published one alone)")
    ap.add_argument("--published", default="bmshj2018-factorized:1", help="NAME:QUALITY at its published widths")
    ap.add_argument("--published-steps", type=int, default=300)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    inputs = [crops(args.kodak, 1, 64, np.random.default_rng(7)), crops(args.kodak, 1, 128, np.random.default_rng(8))]
    big = crops(args.kodak, 1, 256, np.random.default_rng(9))  # a bigger input for the rate alone
    for name, (n, m) in WIDTHS.items():
        if args.only and name not in args.only.split(","):
            continue
        net = model_architectures[name](N=n) if m is None else model_architectures[name](N=n, M=m)
        train(net, args.kodak, args.steps, args.lam, seed=1, lr=args.lr)
        net.update(force=True)
        cases, rate = cases_of(net, inputs, big)
        save(OUT / f"{name}.pt.gz", {"name": name, "n": n, "m": m, "state_dict": net.state_dict(), "cases": cases,
                                     "rate_case": rate, "compressai": "1.2.8", "steps": args.steps, "lambda": args.lam,
                                     "lr": args.lr})
        psnr = [float(-10 * torch.log10(torch.mean((c["decoded"] - c["x"]) ** 2))) for c in cases]
        print(name, [c["bytes"] for c in cases], rate["bytes"], [round(p, 2) for p in psnr], flush=True)
    if args.published:
        torch.manual_seed(0)
        published_fixture(args.published, args, inputs, big)


if __name__ == "__main__":
    main()
