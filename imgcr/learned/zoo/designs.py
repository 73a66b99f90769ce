"""Every published design imgcr has ported, by its CompressAI name."""

from __future__ import annotations

from imgcr.learned.zoo.cheng2020 import Cheng2020Anchor, Cheng2020Attention
from imgcr.learned.zoo.models import FactorizedPrior, JointAutoregressive, MeanScaleHyperprior, ScaleHyperprior, ZooModel

MODELS: dict[str, type[ZooModel]] = {
    m.name: m
    for m in (FactorizedPrior, ScaleHyperprior, MeanScaleHyperprior, JointAutoregressive, Cheng2020Anchor, Cheng2020Attention)
}
