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
The plasticity core: batched Hebbian and static networks, rules, genomes, files.

Pure PyTorch/numba; no ROS. CPU or CUDA, chosen at run time.
"""

from hebb_controller.plasticity.coefficient_file import (
    CoefficientFile, CoefficientFileError, CoefficientMetadata, IOLayout, NetworkSpec)
from hebb_controller.plasticity.conv import ConvFrontEnd
from hebb_controller.plasticity.network import HebbianNetwork, StaticNetwork
from hebb_controller.plasticity.rules import get_rule, Rule, RULE_NAMES, RULES

__all__ = [
    'CoefficientFile', 'CoefficientFileError', 'CoefficientMetadata', 'ConvFrontEnd',
    'HebbianNetwork', 'IOLayout', 'NetworkSpec', 'Rule', 'RULE_NAMES', 'RULES',
    'StaticNetwork', 'get_rule',
]
