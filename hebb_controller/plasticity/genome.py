# Copyright 2026 The hebb_controller Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Flat genome <-> per-layer tensors, in the reference code's order.

Layer by layer; inside a layer synapse (pre i, post j) is entry ``i*n_out + j``;
a synapse's coefficients are contiguous in the rule's order (see
:mod:`rules`). So a layer's block reshapes to ``[n_in, n_out, n_coef]``, and
Hebbian genomes evolved by the reference code load unchanged. Static weights
use the same synapse order with one value per synapse (ours: not checked
against the reference's static networks, which keep torch's ``[out, in]``).
"""

from typing import Sequence, Union

import numpy as np
import torch


def layer_shapes(layer_sizes: Sequence[int]) -> list[tuple[int, int]]:
    """(n_in, n_out) of each weight matrix."""
    return list(zip(layer_sizes[:-1], layer_sizes[1:]))


def n_synapses(layer_sizes: Sequence[int]) -> int:
    return sum(n_in * n_out for n_in, n_out in layer_shapes(layer_sizes))


def genome_size(layer_sizes: Sequence[int], per_synapse: int) -> int:
    return n_synapses(layer_sizes) * per_synapse


def as_genomes(genome: Union[np.ndarray, torch.Tensor]) -> torch.Tensor:
    """Return genomes as float32 ``[P, G]``: a flat ``[G]`` becomes one row, shared by all."""
    genome = torch.as_tensor(genome, dtype=torch.float32)
    return genome.unsqueeze(0) if genome.dim() == 1 else genome


def genome_to_layers(genome: torch.Tensor, layer_sizes: Sequence[int],
                     per_synapse: int) -> list[torch.Tensor]:
    """
    Split genomes ``[P, G]`` into per-layer tensors ``[P, per_synapse, n_in, n_out]``.

    The results are views where possible; callers copy what they keep.
    """
    if genome.dim() != 2:
        raise ValueError(f'genome must be [population, genes], got shape {tuple(genome.shape)}')
    expected = genome_size(layer_sizes, per_synapse)
    if genome.shape[1] != expected:
        raise ValueError(f'genome has {genome.shape[1]} genes; layers {tuple(layer_sizes)} '
                         f'with {per_synapse} per synapse need {expected}')
    layers, offset = [], 0
    for n_in, n_out in layer_shapes(layer_sizes):
        size = n_in * n_out * per_synapse
        block = genome[:, offset:offset + size].reshape(-1, n_in, n_out, per_synapse)
        layers.append(block.permute(0, 3, 1, 2))
        offset += size
    return layers


def layers_to_genome(layers: Sequence[torch.Tensor]) -> torch.Tensor:
    """Inverse of :func:`genome_to_layers`: ``[P, per_synapse, n_in, n_out]`` -> ``[P, G]``."""
    return torch.cat([t.permute(0, 2, 3, 1).reshape(t.shape[0], -1) for t in layers], dim=1)
