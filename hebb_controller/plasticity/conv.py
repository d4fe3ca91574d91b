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
The paper's pixel front-end: two evolved conv layers feeding the Hebbian layers.

84x84 RGB -> conv 6@3x3 s1, tanh, max-pool 2 -> conv 8@5x5 s2, tanh, max-pool 2
-> 648 features. No biases; the weights are evolved and fixed during a
lifetime. Each individual has its own filters, so the population runs as one
grouped convolution (groups = P) instead of a Python loop.
"""

from typing import Optional, Sequence, Union

from hebb_controller.plasticity.device import resolve_device
from hebb_controller.plasticity.genome import as_genomes
import numpy as np
import torch
import torch.nn.functional as F

ArrayLike = Union[np.ndarray, torch.Tensor]


def conv_feature_shape(in_channels: int, image_size: tuple[int, int],
                       channels: Sequence[int], kernel_sizes: Sequence[int],
                       strides: Sequence[int], pool: int) -> tuple[int, int, int]:
    """Return (channels, height, width) of the features; ValueError for layers that cannot be."""
    if not len(channels) == len(kernel_sizes) == len(strides) >= 1:
        raise ValueError('channels, kernel_sizes and strides need one entry per layer')
    if min(in_channels, pool, *image_size, *channels, *kernel_sizes, *strides) < 1:
        raise ValueError('conv sizes, strides and the pool must be positive')
    height, width = image_size
    for k, stride in zip(kernel_sizes, strides):
        height = ((height - k) // stride + 1) // pool
        width = ((width - k) // stride + 1) // pool
        if height < 1 or width < 1:
            raise ValueError(f'image size {tuple(image_size)} is too small for these layers')
    return int(channels[-1]), int(height), int(width)


class ConvFrontEnd:
    """Batched conv feature extractor; genome order is layer by layer, torch weight layout."""

    def __init__(self, population: int = 1, in_channels: int = 3,
                 image_size: tuple[int, int] = (84, 84),
                 channels: Sequence[int] = (6, 8), kernel_sizes: Sequence[int] = (3, 5),
                 strides: Sequence[int] = (1, 2), pool: int = 2, device: str = 'auto',
                 seed: Optional[int] = None) -> None:
        self.feature_shape = conv_feature_shape(in_channels, image_size, channels,
                                                kernel_sizes, strides, pool)
        self.population = int(population)
        self.in_channels = int(in_channels)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.strides = tuple(int(s) for s in strides)
        self.pool = int(pool)
        self.device = resolve_device(device)
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
        self._weights = []
        previous = self.in_channels
        for out_channels, k in zip(channels, kernel_sizes):
            shape = (self.population, int(out_channels), previous, int(k), int(k))
            self._weights.append(torch.randn(shape, generator=generator).to(self.device))
            previous = int(out_channels)

    @property
    def n_features(self) -> int:
        """Length of the feature vector per individual (648 for the paper's 84x84 input)."""
        channels, height, width = self.feature_shape
        return channels * height * width

    @property
    def genome_size(self) -> int:
        return sum(w[0].numel() for w in self._weights)

    @property
    def weights(self) -> list[torch.Tensor]:
        """Return the filters per layer, ``[P, out, in, k, k]`` (copies)."""
        return [w.clone() for w in self._weights]

    @torch.no_grad()
    def set_genome(self, genome: ArrayLike) -> None:
        """Set filters from flat genomes ``[P, G]`` (or ``[G]``, shared by all)."""
        genome = as_genomes(genome)
        if genome.dim() != 2 or genome.shape[1] != self.genome_size:
            raise ValueError(f'conv genome needs shape [P, {self.genome_size}], '
                             f'got {tuple(genome.shape)}')
        offset = 0
        for w in self._weights:
            size = w[0].numel()
            block = genome[:, offset:offset + size].reshape(-1, *w.shape[1:])
            w.copy_(block.to(self.device).expand_as(w))
            offset += size

    @torch.no_grad()
    def forward(self, images: ArrayLike) -> torch.Tensor:
        """Images ``[P, C, H, W]`` in [0, 1] (one per individual) -> features ``[P, n]``."""
        images = torch.as_tensor(images, dtype=torch.float32, device=self.device)
        expected = (self.population, self.in_channels, *self.image_size)
        if tuple(images.shape) != expected:
            raise ValueError(f'expected images of shape {expected}, got {tuple(images.shape)}')
        x = images.reshape(1, self.population * self.in_channels, *self.image_size)
        for w, stride in zip(self._weights, self.strides):
            kernel = w.reshape(-1, *w.shape[2:])
            x = torch.tanh(F.conv2d(x, kernel, stride=stride, groups=self.population))
            x = F.max_pool2d(x, self.pool)
        return x.reshape(self.population, -1)
