"""Graph layers, one operator per module, each with its equation in the docstring.

Lifting (X: batch x joints x channels): :class:`GraphConv` (Kipf & Welling),
:class:`DecoupledGraphConv` (Liu et al.), :class:`SemGraphConv` (SemGCN, scalar and
channel-wise), :class:`GlobalNodeConv` (Liu, Zou & Tang), :class:`ModulatedGraphConv`
(Zou & Tang), :class:`NonLocalBlock`, :class:`MDNHead` (GraphMDN) and
:class:`JointFeaturePool` (SemGCN's perceptual features).

Forecasting (X: batch x channels x frames x joints): :class:`SpaceTimeGraphConv` (STS-GCN,
with the separable variant of SeS-GCN), :class:`DepthwiseSeparableConv`,
:class:`TemporalConvDecoder`.
"""

from .decoupled_conv import DecoupledGraphConv
from .feature_pool import JointFeaturePool
from .global_node_conv import GlobalNodeConv
from .graph_conv import GraphConv
from .mdn_head import MDNHead
from .modulated_conv import ModulatedGraphConv
from .non_local import NonLocalBlock
from .semantic_conv import SemGraphConv
from .separable_conv import DepthwiseSeparableConv
from .space_time_conv import SpaceTimeGraphConv
from .temporal_decoder import TemporalConvDecoder

__all__ = ["DecoupledGraphConv", "JointFeaturePool", "GlobalNodeConv", "GraphConv", "MDNHead",
           "ModulatedGraphConv", "NonLocalBlock", "SemGraphConv", "DepthwiseSeparableConv",
           "SpaceTimeGraphConv", "TemporalConvDecoder"]
