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
Batched feed-forward networks: Hebbian (plastic) and static (the paper's baseline).

Every tensor has a leading population axis P, so one call serves one robot
(P=1) or a whole ES population. Fully connected, tanh, no bias, weights
``[P, n_in, n_out]`` (pre-synaptic index major, as the genome).

The Hebbian update is lazy: :meth:`HebbianNetwork.update` marks the update of
the last forward pass as pending, and the next :meth:`forward` applies it in
the same sweep over the weights (see :mod:`kernels`). The result is exactly
forward -> update -> forward; reading :attr:`weights` applies it first.
"""

from typing import Optional, Sequence, Union

from hebb_controller.plasticity import kernels
from hebb_controller.plasticity.device import resolve_device
from hebb_controller.plasticity.genome import as_genomes, genome_size, genome_to_layers, \
    layer_shapes
from hebb_controller.plasticity.rules import get_rule
import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor]
BACKENDS = ('auto', 'numba', 'torch')


class FeedForward:
    """Shared machinery: sizes, device, activation buffers, input checks, forward pass."""

    def __init__(self, layer_sizes: Sequence[int], population: int = 1,
                 output_activation: str = 'tanh', device: str = 'auto',
                 backend: str = 'auto') -> None:
        if len(layer_sizes) < 2 or any(int(s) < 1 for s in layer_sizes):
            raise ValueError(f'layer_sizes needs two or more positive sizes, got {layer_sizes}')
        if population < 1:
            raise ValueError(f'population must be >= 1, got {population}')
        if output_activation not in ('tanh', 'none'):
            raise ValueError(f"output_activation must be 'tanh' or 'none', got "
                             f'{output_activation!r}')
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.population = int(population)
        self.output_activation = output_activation
        self.device = resolve_device(device)
        if backend == 'auto':
            backend = 'numba' if self.device.type == 'cpu' else 'torch'
        if backend == 'numba' and self.device.type != 'cpu':
            raise ValueError('the numba backend runs on the CPU only')
        self.backend = backend
        self._weights = [torch.zeros(self.population, n_in, n_out, device=self.device)
                         for n_in, n_out in layer_shapes(self.layer_sizes)]
        # Two activation buffers: the last step's (for the pending update) and the next.
        self._acts = [[torch.zeros(self.population, n, device=self.device)
                       for n in self.layer_sizes] for _ in range(2)]
        self._current = 0
        if self.backend == 'numba':
            self._np_weights = tuple(w.numpy() for w in self._weights)
            self._np_acts = [tuple(a.numpy() for a in acts) for acts in self._acts]

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def _load_input(self, obs: ArrayLike) -> None:
        """Copy ``obs [P, n_in]`` into the next activation buffer, checking its shape."""
        shape = tuple(obs.shape)
        if shape != (self.population, self.n_inputs):
            raise ValueError(f'expected observations of shape ({self.population}, '
                             f'{self.n_inputs}), got {shape}')
        if isinstance(obs, np.ndarray):
            if self.backend == 'numba':   # the same memory, without two torch calls a step
                np.copyto(self._np_acts[1 - self._current][0], obs)
                return
            obs = torch.from_numpy(obs)
        self._acts[1 - self._current][0].copy_(obs)

    @torch.no_grad()
    def forward(self, obs: ArrayLike) -> torch.Tensor:
        """Map ``obs [P, n_in]`` to outputs ``[P, n_out]`` (a copy)."""
        self._advance(obs)
        return self._acts[self._current][-1].clone()

    def act(self, obs: np.ndarray) -> np.ndarray:
        """
        Do what :meth:`forward` does, for a caller that lives in numpy: outputs as an array.

        A robot's tick calls this: on the numba backend it makes no torch call,
        whose dispatch costs tens of microseconds when the caches are cold.
        """
        if self.backend == 'numba':
            self._advance(obs)
            return self._np_acts[self._current][-1].copy()
        return self.forward(obs).cpu().numpy()

    def _advance(self, obs: ArrayLike) -> None:
        """Load ``obs`` and compute the next activations (a subclass's step)."""
        raise NotImplementedError

    def _forward_only(self) -> None:
        """Forward pass with the weights as they are (static network, plasticity off)."""
        new = 1 - self._current
        if self.backend == 'numba':
            kernels.network_forward(self._np_weights, self._np_acts[new],
                                    self.output_activation == 'tanh')
        else:
            self._torch_forward(self._acts[new])
        self._current = new

    def _torch_forward(self, acts: list[torch.Tensor]) -> None:
        last = len(self._weights) - 1
        for layer, w in enumerate(self._weights):
            y = torch.bmm(acts[layer].unsqueeze(1), w).squeeze(1)
            if layer < last or self.output_activation == 'tanh':
                y = torch.tanh(y)
            acts[layer + 1].copy_(y)

    @torch.no_grad()
    def set_weights(self, layers: Sequence[ArrayLike]) -> None:
        """Overwrite the weights with ``[P, n_in, n_out]`` (or ``[n_in, n_out]``) per layer."""
        if len(layers) != len(self._weights):
            raise ValueError(f'expected {len(self._weights)} weight layers, got {len(layers)}')
        for index, (target, values) in enumerate(zip(self._weights, layers)):
            values = torch.as_tensor(values, dtype=torch.float32)
            if tuple(values.shape) not in (tuple(target.shape), tuple(target.shape[1:])):
                raise ValueError(f'weight layer {index}: expected {tuple(target.shape)}, '
                                 f'got {tuple(values.shape)}')
            target.copy_(values.to(self.device).expand_as(target))

    @torch.no_grad()
    def activations(self) -> list[torch.Tensor]:
        """Activations of the last forward pass, input first (copies)."""
        return [a.clone() for a in self._acts[self._current]]


class StaticNetwork(FeedForward):
    """
    The paper's baseline: the same architecture with evolved, fixed weights.

    Its genome is one value per synapse, in the Hebbian genome's synapse order.
    """

    @classmethod
    def from_config(cls, config, population: int = 1,
                    backend: str = 'auto') -> 'StaticNetwork':
        """Build from a :class:`hebb_controller.config.NetworkConfig` (plasticity ignored)."""
        return cls(config.layer_sizes, population, config.output_activation, config.device,
                   backend)

    @property
    def genome_size(self) -> int:
        return genome_size(self.layer_sizes, 1)

    @property
    def weights(self) -> list[torch.Tensor]:
        """Weights ``[P, n_in, n_out]`` per layer (copies)."""
        return [w.clone() for w in self._weights]

    @torch.no_grad()
    def set_genome(self, genome: ArrayLike) -> None:
        """Set weights from flat genomes ``[P, G]`` (or ``[G]``, shared by all)."""
        genome = as_genomes(genome)
        layers = genome_to_layers(genome, self.layer_sizes, 1)
        self.set_weights([t[:, 0] if t.shape[0] > 1 else t[0, 0] for t in layers])

    def _advance(self, obs: ArrayLike) -> None:
        self._load_input(obs)
        self._forward_only()


class HebbianNetwork(FeedForward):
    """
    Random weights that self-organise under evolved per-synapse Hebbian rules.

    Coefficients are per individual ``[P, n_coef, n_in, n_out]`` in the rule's
    order; they start at zero (no plasticity) until set from a genome or a file.
    """

    def __init__(self, layer_sizes: Sequence[int], rule: str = 'ABCD_lr', *,
                 population: int = 1, output_activation: str = 'tanh',
                 init_range: float = 0.1, weight_norm: bool = False,
                 weight_clip: Optional[float] = None, plastic: bool = True,
                 device: str = 'auto', backend: str = 'auto',
                 seed: Optional[int] = None) -> None:
        super().__init__(layer_sizes, population, output_activation, device, backend)
        if init_range <= 0:
            raise ValueError(f'init_range must be > 0, got {init_range}')
        if weight_clip is not None and weight_clip <= 0:
            raise ValueError(f'weight_clip must be > 0 or None, got {weight_clip}')
        self.rule = get_rule(rule)
        self.init_range = float(init_range)
        self.weight_norm = bool(weight_norm)
        self.weight_clip = weight_clip
        self.plastic = bool(plastic)
        self._generator = torch.Generator()
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(int(seed))
        self._raw = [torch.zeros(self.population, self.rule.n_coefficients, n_in, n_out,
                                 device=self.device)
                     for n_in, n_out in layer_shapes(self.layer_sizes)]
        self._canonical = [torch.zeros(self.population, n_in, 4, n_out, device=self.device)
                           for n_in, n_out in layer_shapes(self.layer_sizes)]
        if self.backend == 'numba':
            self._np_canonical = tuple(c.numpy() for c in self._canonical)
        self._pending = False
        self.reset()

    @classmethod
    def from_config(cls, config, population: int = 1, seed: Optional[int] = None,
                    backend: str = 'auto') -> 'HebbianNetwork':
        """Build from a :class:`hebb_controller.config.NetworkConfig`."""
        return cls(config.layer_sizes, config.rule, population=population,
                   output_activation=config.output_activation, init_range=config.init_range,
                   weight_norm=config.weight_norm, weight_clip=config.weight_clip,
                   plastic=config.plastic, device=config.device, backend=backend, seed=seed)

    # -- coefficients ----------------------------------------------------------------------

    @property
    def n_synapses(self) -> int:
        """Synapses of one individual."""
        return sum(w[0].numel() for w in self._weights)

    @property
    def genome_size(self) -> int:
        """Coefficients of one individual (61,440 for ABCD_lr on 28-128-64-8)."""
        return genome_size(self.layer_sizes, self.rule.n_coefficients)

    @property
    def coefficients(self) -> list[torch.Tensor]:
        """Per-layer coefficients ``[P, n_coef, n_in, n_out]`` (copies)."""
        return [c.clone() for c in self._raw]

    @torch.no_grad()
    def set_coefficients(self, layers: Sequence[ArrayLike]) -> None:
        """Set per-layer coefficients, ``[n_coef, n_in, n_out]`` (shared) or with P first."""
        if len(layers) != len(self._raw):
            raise ValueError(f'expected {len(self._raw)} coefficient layers, got {len(layers)}')
        for index, (target, values) in enumerate(zip(self._raw, layers)):
            values = torch.as_tensor(values, dtype=torch.float32)
            if tuple(values.shape) not in (tuple(target.shape), tuple(target.shape[1:])):
                raise ValueError(f'coefficient layer {index}: expected shape '
                                 f'{tuple(target.shape[1:])} or {tuple(target.shape)}, '
                                 f'got {tuple(values.shape)}')
            target.copy_(values.to(self.device).expand_as(target))
        self._refresh_canonical()

    def set_genome(self, genome: ArrayLike) -> None:
        """Set coefficients from flat genomes ``[P, G]`` (or ``[G]``, shared by all)."""
        genome = as_genomes(genome)
        self.set_coefficients([t.expand(self.population, *t.shape[1:]) if t.shape[0] == 1
                               else t for t in genome_to_layers(
                                   genome, self.layer_sizes, self.rule.n_coefficients)])

    def _refresh_canonical(self) -> None:
        """Fold eta into (a, b, c, d) once per coefficient change, not every step."""
        for raw, canonical in zip(self._raw, self._canonical):
            terms = {name: raw[:, k] for k, name in enumerate(self.rule.coefficients)}
            for k, value in enumerate(self.rule.effective(terms).values()):
                if value is None:
                    canonical[:, :, k].zero_()
                else:
                    canonical[:, :, k].copy_(value)

    # -- lifetime --------------------------------------------------------------------------

    @torch.no_grad()
    def reset(self, seed: Optional[int] = None) -> None:
        """Start a lifetime: fresh uniform weights in [-r, r], no pending update."""
        if seed is not None:
            self._generator.manual_seed(int(seed))
        for w in self._weights:
            fresh = torch.rand(w.shape, generator=self._generator) * (2 * self.init_range)
            w.copy_(fresh - self.init_range)
        for acts in self._acts:
            for a in acts:
                a.zero_()
        self._pending = False

    def _advance(self, obs: ArrayLike) -> None:
        """Apply any pending update, then run the forward pass on ``obs``."""
        self._load_input(obs)
        if not self._pending:
            self._forward_only()
            return
        old, new = self._acts[self._current], self._acts[1 - self._current]
        if self.backend == 'numba':
            kernels.network_step(
                self._np_weights, self._np_canonical, self._np_acts[self._current],
                self._np_acts[1 - self._current], self._clip_value(),
                self.weight_norm, self.output_activation == 'tanh')
        else:
            self._torch_update(old)
            self._torch_forward(new)
        self._pending = False
        self._current = 1 - self._current

    def update(self) -> None:
        """Mark the Hebbian update of the last forward pass; it lands before the next read."""
        if self.plastic:
            self._pending = True

    @property
    def weights(self) -> list[torch.Tensor]:
        """Return the weights ``[P, n_in, n_out]`` per layer (copies, pending update applied)."""
        self.flush()
        return [w.clone() for w in self._weights]

    def set_weights(self, layers: Sequence[ArrayLike]) -> None:
        """Overwrite the weights (tests, experiments); drops a pending update."""
        super().set_weights(layers)
        self._pending = False

    @torch.no_grad()
    def weight_norms(self) -> torch.Tensor:
        """Frobenius norm of each layer per individual, ``[P, n_layers]``."""
        self.flush()
        return torch.stack([w.flatten(1).norm(dim=1) for w in self._weights], dim=1)

    @torch.no_grad()
    def ablate(self, fraction: float, seed: Optional[int] = None) -> int:
        """Zero a random ``fraction`` of every layer's weights now; returns how many."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f'fraction must be in [0, 1], got {fraction}')
        self.flush()
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
        zeroed = 0
        for w in self._weights:
            mask = torch.rand(w.shape, generator=generator) < fraction
            w.masked_fill_(mask.to(self.device), 0.0)
            zeroed += int(mask.sum())
        return zeroed

    def _clip_value(self) -> float:
        return float(self.weight_clip) if self.weight_clip is not None else 0.0

    @torch.no_grad()
    def flush(self) -> None:
        """
        Apply the pending update now rather than with the next forward pass.

        A controller calls this after its command is out: the update then runs
        between ticks, and the next tick's forward pass only reads the weights.
        """
        if not self._pending:
            return
        acts = self._acts[self._current]
        if self.backend == 'numba':
            kernels.network_update(self._np_weights, self._np_canonical,
                                   self._np_acts[self._current], self._clip_value(),
                                   self.weight_norm)
        else:
            self._torch_update(acts)
        self._pending = False

    def _torch_update(self, acts: list[torch.Tensor]) -> None:
        """Apply the update as in-place tensor ops: the CUDA path, and a CPU cross-check."""
        for layer, (w, coef) in enumerate(zip(self._weights, self._canonical)):
            pre = acts[layer].unsqueeze(2)
            post = acts[layer + 1].unsqueeze(1)
            a, b, c, d = coef.unbind(2)
            w.addcmul_(torch.addcmul(c, a, pre), post)
            w.addcmul_(b, pre)
            w.add_(d)
            if self.weight_clip is not None:
                w.clamp_(-self.weight_clip, self.weight_clip)
            if self.weight_norm:
                peak = w.abs().amax(dim=(1, 2), keepdim=True)
                w.div_(torch.where(peak > 0, peak, torch.ones_like(peak)))
