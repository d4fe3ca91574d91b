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

"""The pixel front-end: the paper's sizes, batching, and agreement with plain conv layers."""

from hebb_controller.plasticity import ConvFrontEnd
import torch
import torch.nn.functional as F


def test_papers_sizes():
    front = ConvFrontEnd(device='cpu', seed=0)
    assert front.n_features == 648
    assert front.genome_size == 162 + 1200


def test_batched_equals_plain_conv_per_individual():
    population = 3
    front = ConvFrontEnd(population, image_size=(84, 84), device='cpu', seed=0)
    genome = torch.randn(population, front.genome_size)
    front.set_genome(genome)
    images = torch.rand(population, 3, 84, 84)
    features = front.forward(images)
    assert features.shape == (population, 648)
    for p in range(population):
        w1 = genome[p, :162].reshape(6, 3, 3, 3)
        w2 = genome[p, 162:].reshape(8, 6, 5, 5)
        x = F.max_pool2d(torch.tanh(F.conv2d(images[p:p + 1], w1)), 2)
        x = F.max_pool2d(torch.tanh(F.conv2d(x, w2, stride=2)), 2)
        assert torch.allclose(features[p], x.flatten(), atol=1e-5)


def test_small_images_for_the_camera():
    front = ConvFrontEnd(image_size=(32, 32), device='cpu', seed=0)
    assert front.forward(torch.rand(1, 3, 32, 32)).shape == (1, front.n_features)
