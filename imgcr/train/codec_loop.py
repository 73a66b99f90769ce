"""Training a learned codec: the same loop, data and checkpoints, with a rate-distortion objective.

The step minimises the network's own ``rd_loss`` (``lambda_i * 255^2 * MSE + bpp`` for the
autoencoders; the reconstruction MSE for ComCNN + JPEG + RecCNN, whose rate the JPEG quality sets)
with each image of a batch at its own rate point ``i`` (cycled through the batch, so every rate
point is trained at every step). Validation runs the held-aside crops through the network at every
rate point (``validate``): bpp (the entropy model's bits with real rounding, which the coded file
matches to within its header; real JPEG bytes for ComCNN) and PSNR; the best checkpoint is the one
with the lowest mean loss term. The exported weights carry the integer
coding tables (:meth:`imgcr.learned.nets.LearnedAE.update_tables`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from imgcr.tensors import to_nchw
from imgcr.train.loop import Trainer, save_atomic


class CodecTrainer(Trainer):
    score_name = "objective"  # minus the mean rate-distortion loss term: higher is better

    @property
    def _net(self) -> Any:
        """The network, typed loosely: a learned codec's own methods (rd_loss, validate, rate_points)."""
        return self.model

    def _rate_indexes(self, batch: int):
        import torch

        net: Any = self.model
        return (torch.arange(batch) + self.state.step) % net.rate_points

    def _step(self, x, y, lr: float) -> float:
        import torch

        for group in self.optimiser.param_groups:
            group["lr"] = lr
        idx = self._rate_indexes(x.shape[0]).to(x.device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.startswith("cuda")):
            loss, _ = self._net.rd_loss(y, idx)
        self.optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimiser.step()
        return float(loss.detach())

    def _score(self, identity: bool = False) -> dict[str, Any]:
        import torch

        if identity:
            return {"by_value": {}, "psnr": None, "ssim": None}
        net = self._net
        was_training = net.training
        net.eval()
        per_point: dict[str, dict[str, float]] = {}
        terms = []
        with torch.inference_mode():
            for i in range(net.rate_points):
                psnrs, bpps, losses = [], [], []
                for _, _, _, clean in self.val_pairs:
                    x = to_nchw(clean, self.device)
                    x = x[..., : x.shape[-2] // 64 * 64, : x.shape[-1] // 64 * 64]
                    x_hat, bpp, term = net.validate(x, i)
                    ref = net.reference(x)
                    mse = float(torch.mean(((x_hat.clamp(0, 1) * 255).round() / 255 - ref) ** 2))
                    psnrs.append(10 * np.log10(1 / max(mse, 1e-12)))
                    bpps.append(bpp)
                    losses.append(term)
                per_point[str(i)] = {"psnr": float(np.mean(psnrs)), "bpp": float(np.mean(bpps))}
                terms.append(float(np.mean(losses)))
        net.train(was_training)
        return {"by_value": per_point, "psnr": float(np.mean([v["psnr"] for v in per_point.values()])),
                "bpp": float(np.mean([v["bpp"] for v in per_point.values()])), "objective": -float(np.mean(terms))}

    def export(self) -> Path:
        """The current weights with freshly computed coding tables, float32 (the tables are computed from them)."""

        net: Any = copy.deepcopy(self.model).to("cpu").float()
        net.update_tables()
        state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        return save_atomic(state, self.out.with_suffix(".pt"))
