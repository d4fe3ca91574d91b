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

"""The ES alone: the paper's update by hand, determinism, progress, and EvoTorch's PGPE."""

from evotorch.algorithms import functional
from hebb_controller.evolution import es as es_module
from hebb_controller.evolution.es import (centred_ranks, EvolutionStrategy, noise,
                                          shape_fitness)
import numpy as np
import pytest
import torch


def test_centred_ranks_and_shaping():
    ranks = centred_ranks(np.array([3.0, -1.0, 10.0, 0.0]))
    np.testing.assert_allclose(ranks, [1 / 6, -0.5, 0.5, -1 / 6])
    shaped = shape_fitness(np.array([3.0, -1.0, 10.0, 0.0]))
    assert shaped.mean() == pytest.approx(0.0)
    assert shaped.std() == pytest.approx(1.0)
    np.testing.assert_allclose(shaped, ranks / ranks.std())


def test_ask_gives_antithetic_pairs():
    es = EvolutionStrategy(7, population=6, sigma=0.3, seed=4)
    genomes = es.ask()
    assert genomes.shape == (6, 7)
    torch.testing.assert_close(genomes[0::2] + genomes[1::2], 2 * es.centre.expand(3, 7))
    torch.testing.assert_close(genomes[4], es.centre + 0.3 * noise(4, 0, 2, 7))
    torch.testing.assert_close(es.ask([5, 2]), genomes[[5, 2]])


def test_update_equals_hand_computation():
    """One step of pop 4, G 3, computed here with float64 numpy from the paper's formulas."""
    es = EvolutionStrategy(3, population=4, sigma=0.5, learning_rate=0.2, l2_penalty=0.01,
                           sigma_decay=0.9, sigma_min=0.01, learning_rate_decay=0.5,
                           learning_rate_min=0.15, seed=11)
    centre = es.centre.double().numpy()
    e = [noise(11, 0, j, 3).double().numpy() for j in range(2)]
    genomes = [centre + 0.5 * e[0], centre - 0.5 * e[0], centre + 0.5 * e[1], centre - 0.5 * e[1]]
    fitness = np.array([1.0, 4.0, 2.0, 0.5])
    penalised = fitness - 0.01 * np.array([np.mean(g ** 2) for g in genomes])
    ranks = np.argsort(np.argsort(penalised)) / 3 - 0.5
    shaped = (ranks - ranks.mean()) / ranks.std()
    noises = [e[0], -e[0], e[1], -e[1]]
    expected = centre + 0.2 / (4 * 0.5) * sum(s * n for s, n in zip(shaped, noises))

    stats = es.tell(fitness)
    np.testing.assert_allclose(stats.penalised, penalised)
    np.testing.assert_allclose(es.centre.numpy(), expected, rtol=1e-6)
    assert (stats.learning_rate, stats.sigma) == (0.2, 0.5)
    # Decays after the step; lr stops once at or below its minimum, sigma goes on.
    assert (es.learning_rate, es.sigma) == pytest.approx((0.1, 0.45))
    es.tell(fitness)
    assert (es.learning_rate, es.sigma) == pytest.approx((0.1, 0.405))
    assert es.generation == 2


def test_same_seed_reproduces_exactly_and_another_seed_differs():
    def run(seed):
        es = EvolutionStrategy(50, population=10, seed=seed)
        for _ in range(5):
            es.tell(-(es.ask() - 1.0).square().sum(1).numpy())
        return es.centre

    assert torch.equal(run(3), run(3))
    assert not torch.equal(run(3), run(4))


def test_fitness_rises_on_a_synthetic_task():
    """Maximise -|x - 2|^2 from a standard-normal start; the paper's defaults otherwise."""
    es = EvolutionStrategy(20, population=40, seed=0)

    def fitness(genomes):
        return -(genomes - 2.0).square().sum(1).numpy()

    first = fitness(es.centre[None])[0]
    for _ in range(150):
        es.tell(fitness(es.ask()))
    last = fitness(es.centre[None])[0]
    assert first < -40 and last > 0.1 * first


def test_state_round_trip_continues_identically():
    a = EvolutionStrategy(30, population=8, seed=2)
    a.tell(np.arange(8.0))
    b = EvolutionStrategy(30, population=8, seed=2)
    b.load_state(a.state(), a.centre)
    fitness = np.random.default_rng(0).normal(size=8)
    a.tell(fitness)
    b.tell(fitness)
    assert torch.equal(a.centre, b.centre) and a.state() == b.state()
    with pytest.raises(ValueError, match='seed'):
        EvolutionStrategy(30, population=8, seed=5).load_state(a.state(), a.centre)


def test_step_equals_evotorch_pgpe_with_sgd():
    """Take the same step as EvoTorch PGPE (symmetric, SGD, raw utilities, fixed stdev)."""
    sigma, lr, pop = 0.1, 0.2, 8
    es = EvolutionStrategy(5, population=pop, sigma=sigma, learning_rate=lr, l2_penalty=0.0,
                           seed=1)
    genomes = es.ask().double()
    fitness = np.random.default_rng(1).normal(size=pop)
    state = functional.pgpe(
        center_init=es.centre.double(), center_learning_rate=lr / sigma ** 2,
        stdev_learning_rate=0.0, stdev_init=sigma, objective_sense='max',
        ranking_method='raw', optimizer='sgd', stdev_max_change=None)
    state = functional.pgpe_tell(state, genomes,
                                 torch.as_tensor(shape_fitness(fitness), dtype=torch.float64))
    es.tell(fitness)
    torch.testing.assert_close(es.centre.double(), state.optimizer_state.center,
                               rtol=1e-6, atol=1e-6)


def test_seeds_are_distinct_per_stream():
    seeds = {es_module.derive_seed(0, s, g, i) for s in range(3) for g in range(4)
             for i in range(5)}
    assert len(seeds) == 60
