"""The learned codecs' architectures by name: one table, kept apart from the restoration networks'
(:data:`imgcr.models.archs.ARCHS`). Each class keeps :class:`~imgcr.learned.contract.LearnedNet`."""

from __future__ import annotations

from imgcr.learned.comcnn import ComCNNJpeg
from imgcr.learned.contract import LearnedNet
from imgcr.learned.nets import FactorizedAE, HyperpriorAE, MultiResAE

ARCHS: dict[str, type[LearnedNet]] = {c.arch_name: c for c in (FactorizedAE, HyperpriorAE, MultiResAE, ComCNNJpeg)}
