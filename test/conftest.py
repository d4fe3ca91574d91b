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
Fixtures shared by the test folders.

One local Ray session for every test that trains (ray.init costs about 2 s),
and a coefficient file for the 12-joint robot as ``hebb train`` writes one.
"""

from hebb_controller.config import load_config
from hebb_controller.evolution.layout import save_genome
from hebb_controller.evolution.rollout import GenomeSpec
import pytest
import ray
import torch


@pytest.fixture(scope='session')
def ray_session():
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, logging_level='WARNING')
    yield ray
    ray.shutdown()


@pytest.fixture(scope='session')
def robot_coefficients(tmp_path_factory):
    """Write an unevolved robot file: rules drawn normal(0, 0.1), so weights stay moderate."""
    path = tmp_path_factory.mktemp('coefficients') / 'robot.safetensors'
    config = load_config('robot')
    size = GenomeSpec.from_config(config).size
    genome = torch.randn(size, generator=torch.Generator().manual_seed(0)) * 0.1
    save_genome(path, config, genome, provenance={'source': 'test fixture'})
    return path
