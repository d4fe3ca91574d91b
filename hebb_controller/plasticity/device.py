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

"""Run-time device choice: the same code runs on a robot's CPU or GPU."""

import torch


def resolve_device(device: str = 'auto') -> torch.device:
    """Map ``auto | cpu | cuda[:N]`` to a torch device; ``auto`` picks CUDA when present."""
    if device == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    resolved = torch.device(device)
    if resolved.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError(f'device {device!r} requested but CUDA is not available here')
    if resolved.type not in ('cpu', 'cuda'):
        raise ValueError(f'unsupported device {device!r}; use auto, cpu or cuda')
    return resolved
