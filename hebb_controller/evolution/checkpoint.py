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
Checkpoints of a run: the ES centre and best genome (safetensors) plus a JSON state.

One file per checkpoint, ``checkpoint.safetensors``: tensors ``centre`` and
``best_genome``, and under the ``hebb_controller.checkpoint`` metadata key a
JSON document with the ES state (generation to run next, lr, sigma, seed),
the best fitness so far, counters, and a SHA-256 of the tensor bytes and the
state (format version 2; version 1 files, whose checksum covers the tensors
only, still load). The
random streams are pure functions of (seed, generation, individual, episode)
(see :mod:`es`), so the generation counter is the whole RNG state.

Written atomically (temporary file, fsync, ``os.replace``); the previous
checkpoint is copied to ``checkpoint.prev.safetensors`` first, so the latest
path always holds a complete checkpoint. :func:`load_latest`
refuses a file that is truncated, altered or not a checkpoint with a
:class:`CheckpointError` naming the problem, and falls back to the previous one.
"""

import json
from pathlib import Path
from typing import Any, Callable, Optional

from hebb_controller.atomic_write import write_atomically
from hebb_controller.errors import InputError
from hebb_controller.plasticity.coefficient_file import tensor_digest
from safetensors import safe_open, SafetensorError
from safetensors.torch import save as save_safetensors
import torch

FORMAT = 'hebb_controller.checkpoint'
FORMAT_VERSION = 2
READS = (1, 2)   # version 1: the same file, its checksum over the tensors alone
LATEST = 'checkpoint.safetensors'
PREVIOUS = 'checkpoint.prev.safetensors'


class CheckpointError(InputError):
    """A checkpoint that must not be resumed from, with the reason."""


def save_checkpoint(run_dir: Path, state: dict[str, Any],
                    tensors: dict[str, torch.Tensor]) -> Path:
    """Write a new checkpoint atomically, keeping the current one as the previous."""
    tensors = {k: v.detach().to('cpu', torch.float32).contiguous() for k, v in tensors.items()}
    document = {'format': FORMAT, 'format_version': FORMAT_VERSION, 'state': state,
                'sha256': tensor_digest(tensors, state)}
    data = save_safetensors(tensors, metadata={FORMAT: json.dumps(document)})
    latest = Path(run_dir) / LATEST
    if latest.exists():
        # Copy, not rename: a reader (or a kill) between the two writes still finds a latest.
        # A latest that does not verify (a resume fell back past it) never replaces the good
        # previous one: that is the checkpoint a kill before the next write would need.
        try:
            load_checkpoint(latest)
        except CheckpointError:
            pass
        else:
            write_atomically(Path(run_dir) / PREVIOUS, latest.read_bytes())
    write_atomically(latest, data)
    return latest


def load_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read and verify one checkpoint; CheckpointError says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f'{path}: no such checkpoint')
    try:
        with safe_open(str(path), framework='pt') as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(f'{path}: not a readable safetensors file (truncated or '
                              f'corrupt): {err}') from None
    if FORMAT not in metadata:
        raise CheckpointError(f'{path}: no {FORMAT!r} metadata: not a checkpoint of hebb train')
    try:
        document = json.loads(metadata[FORMAT])
    except json.JSONDecodeError as err:
        raise CheckpointError(f'{path}: checkpoint metadata is not valid JSON: {err}') from None
    version = document.get('format_version')
    if version not in READS:
        raise CheckpointError(f'{path}: checkpoint format version {version!r}; this build '
                              f'reads {", ".join(map(str, READS))}')
    state = document.get('state')
    if not isinstance(state, dict):
        raise CheckpointError(f'{path}: checkpoint metadata holds no state')
    # version 2 on: an edited generation, sigma or learning rate would resume another run
    if tensor_digest(tensors, state if version >= 2 else None) != document.get('sha256'):
        raise CheckpointError(f'{path}: tensor data or state does not match its SHA-256 '
                              'checksum (the file is corrupt or was edited)')
    return state, tensors


def load_latest(run_dir: Path, warn: Optional[Callable[[str], None]] = None
                ) -> tuple[dict[str, Any], dict[str, torch.Tensor], Path]:
    """Load the newest good checkpoint of a run: the latest, else the previous one."""
    errors = []
    for name in (LATEST, PREVIOUS):
        try:
            state, tensors = load_checkpoint(Path(run_dir) / name)
        except CheckpointError as err:
            errors.append(str(err))
            if warn is not None and (Path(run_dir) / name).exists():
                warn(f'refusing checkpoint: {err}')
            continue
        return state, tensors, Path(run_dir) / name
    raise CheckpointError(f'{run_dir}: no usable checkpoint:\n  ' + '\n  '.join(errors))
