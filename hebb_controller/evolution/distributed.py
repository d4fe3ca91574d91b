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
Fitness evaluation on Ray: one actor per worker, each holding its envs and networks.

Per generation the driver puts the centre in the object store once and sends
each actor its contiguous slice of the population with a few integers
(sigma, seed, generation); the actor rebuilds its individuals' genomes from
the ES's seeded noise (:func:`es.perturbed`) and evaluates them with its
:class:`rollout.Evaluator`. Nothing but a genome-sized vector and the
fitnesses cross process boundaries, and the result does not depend on how
the population is split.

A local Ray starts without its dashboard. (Ray 2.60's gRPC servers bind
every interface whatever the node address; nothing here opens more.)
"""

import math
import os
from typing import Optional, Sequence

from hebb_controller.config import HebbConfig
from hebb_controller.evolution.es import perturbed
from hebb_controller.evolution.rollout import episode_seeds, Evaluator
import numpy as np
import ray
import torch


def init_ray(address: Optional[str] = None, num_cpus: Optional[int] = None) -> None:
    """Join ``address`` or start a local Ray with no dashboard; no-op when already up."""
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, logging_level='WARNING')
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level='WARNING')


def evaluate_individuals(evaluator: Evaluator, centre: torch.Tensor, sigma: float,
                         generation: int, individuals: Sequence[int]) -> tuple[np.ndarray, int]:
    """
    Fitness of the given individuals of ``generation``, and env steps taken.

    What a worker does with its slice; any process can redo it exactly.
    """
    es = evaluator.config.es
    genomes = perturbed(centre, sigma, es.seed, generation, individuals)
    seeds = episode_seeds(es.seed, generation,
                          [0] * len(individuals) if es.shared_episodes else individuals,
                          es.episodes * len(es.morphologies))
    return evaluator.evaluate(genomes, seeds)


@ray.remote(num_cpus=1)
class RolloutWorker:
    """A Ray actor: envs and networks built once, evaluating slices of a population."""

    def __init__(self, config: dict, slots: int) -> None:
        torch.set_num_threads(1)
        self.config = HebbConfig.model_validate(config)
        self.evaluator = Evaluator(self.config, slots)

    def evaluate(self, centre: torch.Tensor, sigma: float, generation: int,
                 individuals: Sequence[int]) -> tuple[np.ndarray, int]:
        """Fitness of the given individuals of ``generation``, and env steps taken."""
        return evaluate_individuals(self.evaluator, centre, sigma, generation, individuals)

    def ready(self) -> bool:
        return True


class RayEvaluator:
    """The driver's side: a pool of :class:`RolloutWorker` actors sharing each generation."""

    def __init__(self, config: HebbConfig, workers: Optional[int] = None,
                 address: Optional[str] = None) -> None:
        self.config = config
        self.n_workers = int(workers or config.es.workers)
        init_ray(address, num_cpus=max(self.n_workers, os.cpu_count() or 1))
        share = math.ceil(config.es.population / self.n_workers)
        slots = min(config.es.batch_size or share, share)
        payload = config.model_dump(mode='json')
        self.workers = [RolloutWorker.remote(payload, slots) for _ in range(self.n_workers)]
        try:
            ray.get([w.ready.remote() for w in self.workers])
        except BaseException:
            self.close()   # the actors that did start must not outlive a failed start
            raise

    def slices(self) -> list[list[int]]:
        """Contiguous, near-equal slices of the population, one per worker."""
        bounds = np.linspace(0, self.config.es.population, self.n_workers + 1).round()
        return [list(range(int(a), int(b))) for a, b in zip(bounds[:-1], bounds[1:])]

    def evaluate(self, centre: torch.Tensor, sigma: float,
                 generation: int) -> tuple[np.ndarray, int]:
        """Fitness of the whole population of ``generation`` and the env steps it took."""
        centre_ref = ray.put(centre)
        jobs = [(part, w.evaluate.remote(centre_ref, sigma, generation, part))
                for part, w in zip(self.slices(), self.workers) if part]
        fitness = np.zeros(self.config.es.population)
        steps = 0
        for part, job in jobs:
            values, n = ray.get(job)
            fitness[part] = values
            steps += n
        return fitness, steps

    def close(self) -> None:
        """Stop the actors (Ray itself stays up for whoever started it)."""
        for w in self.workers:
            ray.kill(w)
        self.workers = []
