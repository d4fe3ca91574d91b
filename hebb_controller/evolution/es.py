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
The paper's evolution strategy (Najarro & Risi 2020; Salimans et al. 2017, Algorithm 2).

One generation: ``population`` individuals in antithetic pairs, individual
``2j`` is ``centre + sigma*e_j`` and ``2j+1`` is ``centre - sigma*e_j`` with
``e_j`` standard normal; each fitness minus ``l2_penalty * mean(genome^2)``;
fitnesses replaced by centred ranks in [-0.5, 0.5], then standardised; a plain
gradient step ``centre += lr / (population*sigma) * sum_k(shaped_k * e_k)``;
then ``lr *= lr_decay`` while ``lr > lr_min`` and ``sigma *= sigma_decay``
while ``sigma > sigma_min`` (the reference code's order: step, then decay).

Why our own code rather than EvoTorch's PGPE: PGPE's step with SGD,
``stdev_learning_rate=0`` and precomputed shaped fitness is the same update
(``test_es.py`` checks one step against ``evotorch``'s functional
``pgpe_tell``), but expressing it there needs a learning rate of
``lr / sigma**2`` re-derived every generation, a rebuilt state for each decay,
a ranking method it lacks (centred *and* standardised) and noise drawn from a
global generator that cannot be regenerated. Here every noise vector is a
pure function of ``(seed, generation, pair)``: Ray workers rebuild their
individuals from the centre and a few integers (no population matrix is
shipped), the update regenerates the same vectors, and a checkpoint needs no
RNG state beyond the generation counter, so a resumed run continues bit for bit.
"""

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch

# Stream tags: every random stream of a run is derive_seed(run_seed, TAG, ...).
INIT_STREAM = 0
NOISE_STREAM = 1
EPISODE_STREAM = 2
EVAL_STREAM = 3
UNEVOLVED_STREAM = 4   # genomes drawn as the ES starts, for hebb eval --unevolved


def derive_seed(*parts: int) -> int:
    """Map non-negative integers to a well-mixed 63-bit seed (numpy's SeedSequence)."""
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, np.uint32)
    return int(state[0]) << 31 ^ int(state[1])


def noise(seed: int, generation: int, pair: int, size: int) -> torch.Tensor:
    """Return the standard-normal direction of one antithetic pair, float32 ``[size]``."""
    generator = torch.Generator().manual_seed(derive_seed(seed, NOISE_STREAM, generation, pair))
    return torch.randn(size, generator=generator)


def perturbed(centre: torch.Tensor, sigma: float, seed: int, generation: int,
              individuals: Sequence[int]) -> torch.Tensor:
    """Return the genomes ``[k, G]`` of the given individuals of a generation."""
    rows = []
    for k in individuals:
        e = noise(seed, generation, k // 2, centre.numel())
        rows.append(centre + sigma * e if k % 2 == 0 else centre - sigma * e)
    return torch.stack(rows)


def centred_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks scaled to [-0.5, 0.5] (ties: first come ranks lower, as a stable sort)."""
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind='stable')] = np.arange(len(values))
    return ranks / (len(values) - 1) - 0.5


def shape_fitness(values: np.ndarray) -> np.ndarray:
    """Centred ranks, then standardised (zero mean, unit std), as the reference code."""
    ranks = centred_ranks(values)
    return (ranks - ranks.mean()) / ranks.std()


@dataclass
class GenerationStats:
    """What :meth:`EvolutionStrategy.tell` saw and did, for the metrics file."""

    generation: int
    fitness: np.ndarray
    penalised: np.ndarray
    learning_rate: float
    sigma: float
    step_norm: float


class EvolutionStrategy:
    """The ES state (centre, lr, sigma, generation) and its ask/tell steps."""

    def __init__(self, genome_size: int, *, population: int = 200, sigma: float = 0.1,
                 sigma_decay: float = 0.999, sigma_min: float = 0.01,
                 learning_rate: float = 0.2, learning_rate_decay: float = 0.995,
                 learning_rate_min: float = 0.001, l2_penalty: float = 0.01,
                 penalty_genes: Optional[int] = None, init_std: float = 1.0,
                 seed: int = 0) -> None:
        if population < 2 or population % 2:
            raise ValueError(f'population must be even and >= 2, got {population}')
        self.genome_size = int(genome_size)
        self.population = int(population)
        self.sigma = float(sigma)
        self.sigma_decay = float(sigma_decay)
        self.sigma_min = float(sigma_min)
        self.learning_rate = float(learning_rate)
        self.learning_rate_decay = float(learning_rate_decay)
        self.learning_rate_min = float(learning_rate_min)
        self.l2_penalty = float(l2_penalty)
        # The penalty covers the Hebbian coefficients (or static weights), not
        # the conv filters appended after them, as in the reference code.
        self.penalty_genes = self.genome_size if penalty_genes is None else int(penalty_genes)
        self.seed = int(seed)
        self.generation = 0
        generator = torch.Generator().manual_seed(derive_seed(seed, INIT_STREAM))
        self.centre = torch.randn(self.genome_size, generator=generator) * init_std

    @classmethod
    def from_config(cls, es, genome_size: int,
                    penalty_genes: Optional[int] = None) -> 'EvolutionStrategy':
        """Build from a :class:`hebb_controller.config.EvolutionConfig`."""
        return cls(genome_size, population=es.population, sigma=es.sigma,
                   sigma_decay=es.sigma_decay, sigma_min=es.sigma_min,
                   learning_rate=es.learning_rate, learning_rate_decay=es.learning_rate_decay,
                   learning_rate_min=es.learning_rate_min, l2_penalty=es.l2_penalty,
                   penalty_genes=penalty_genes, init_std=es.init_std, seed=es.seed)

    def ask(self, individuals: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Return genomes ``[k, G]`` of this generation (all individuals by default)."""
        if individuals is None:
            individuals = range(self.population)
        return perturbed(self.centre, self.sigma, self.seed, self.generation, individuals)

    def tell(self, fitness: Sequence[float]) -> GenerationStats:
        """Update the centre from this generation's raw fitnesses, then decay lr and sigma."""
        fitness = np.asarray(fitness, dtype=np.float64)
        if fitness.shape != (self.population,):
            raise ValueError(f'expected {self.population} fitness values, got {fitness.shape}')
        if not np.isfinite(fitness).all():
            raise ValueError('fitness holds NaN or infinite values')
        centre = self.centre.double()
        part = slice(0, self.penalty_genes)
        directions = [noise(self.seed, self.generation, j, self.genome_size).double()
                      for j in range(self.population // 2)]
        penalty = np.empty(self.population)
        for j, e in enumerate(directions):
            for k, sign in ((2 * j, 1.0), (2 * j + 1, -1.0)):
                genome = centre[part] + sign * self.sigma * e[part]
                penalty[k] = self.l2_penalty * float(genome.square().mean())
        penalised = fitness - penalty
        shaped = shape_fitness(penalised)
        gradient = torch.zeros_like(centre)
        for j, e in enumerate(directions):
            gradient.add_(e, alpha=float(shaped[2 * j] - shaped[2 * j + 1]))
        step = self.learning_rate / (self.population * self.sigma) * gradient
        self.centre = (centre + step).float()
        stats = GenerationStats(self.generation, fitness, penalised, self.learning_rate,
                                self.sigma, float(step.norm()))
        if self.learning_rate > self.learning_rate_min:
            self.learning_rate *= self.learning_rate_decay
        if self.sigma > self.sigma_min:
            self.sigma *= self.sigma_decay
        self.generation += 1
        return stats

    def state(self) -> dict:
        """Return what changes from generation to generation, JSON-safe plus the centre."""
        return {'generation': self.generation, 'learning_rate': self.learning_rate,
                'sigma': self.sigma, 'seed': self.seed}

    def load_state(self, state: dict, centre: torch.Tensor) -> None:
        """Restore :meth:`state` and the centre (from a checkpoint)."""
        if centre.shape != (self.genome_size,):
            raise ValueError(f'centre has shape {tuple(centre.shape)}; the genome '
                             f'has {self.genome_size} genes in this run')
        if int(state['seed']) != self.seed:
            raise ValueError(f'checkpoint seed {state["seed"]} differs from the '
                             f'config seed {self.seed}')
        self.generation = int(state['generation'])
        self.learning_rate = float(state['learning_rate'])
        self.sigma = float(state['sigma'])
        self.centre = centre.float().clone()
