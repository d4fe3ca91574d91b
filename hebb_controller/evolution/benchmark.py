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
``hebb bench evolution``: seconds per generation and env steps/s on Ray, against the physics.

The ant config (28-128-64-8, ABCD_lr, whole + damaged right front) with the
population and episode length cut to fit a few minutes. For 1 and 2 Ray
workers: seconds per generation and env steps per second (a warm-up
generation first, not timed).

Overhead is measured on the generations themselves. Evaluation is a pure
function of (centre, sigma, generation), so the timed generations are run
once more in this process with PyBullet's stepping and motor calls timed:
that is the pure physics they need (settle steps included), on exactly the
trajectories the workers ran. Overhead = worker time (workers x wall) less
that physics, over the physics: what Ray, the network, observations and
bookkeeping add. The env's raw stepping rate (torques and
``stepSimulation`` from rest, as ``hebb bench sim`` times it) is printed
beside it.
"""

import argparse
import contextlib
import json
import time
from typing import Iterator, Optional, Sequence

from hebb_controller.config import HebbConfig, load_config, validate_config
from hebb_controller.evolution.distributed import evaluate_individuals, RayEvaluator
from hebb_controller.evolution.es import EvolutionStrategy
from hebb_controller.evolution.rollout import Evaluator, GenomeSpec, make_env
import numpy as np
import pybullet
import torch

PHYSICS_CALLS = ('stepSimulation', 'setJointMotorControlArray')
Generation = tuple[torch.Tensor, float, int]   # centre, sigma, generation


def raw_physics_rate(config: HebbConfig, steps: int = 2000) -> float:
    """Control steps per second of the config's env physics alone, from rest, on one core."""
    env = make_env(config.env)
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (steps, env.action_space.shape[0]))
    start = time.perf_counter()
    for action in actions:
        env.unwrapped.raw_step(action)
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


@contextlib.contextmanager
def timed_physics() -> Iterator[list[float]]:
    """Time PyBullet's stepping and motor calls made in this process; yields [seconds]."""
    total = [0.0]
    originals = {name: getattr(pybullet, name) for name in PHYSICS_CALLS}

    def timed(call):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - start
        return wrapper

    for name, call in originals.items():
        setattr(pybullet, name, timed(call))
    try:
        yield total
    finally:
        for name, call in originals.items():
            setattr(pybullet, name, call)


def physics_seconds(config: HebbConfig, generations: Sequence[Generation]) -> float:
    """Seconds of PyBullet physics the given generations need, rerun in this process."""
    everyone = list(range(config.es.population))
    evaluator = Evaluator(config, config.es.batch_size or config.es.population)
    try:
        with timed_physics() as total:
            for centre, sigma, generation in generations:
                evaluate_individuals(evaluator, centre, sigma, generation, everyone)
    finally:
        evaluator.close()
    return total[0]


def time_generations(config: HebbConfig, workers: int,
                     generations: int) -> tuple[dict, list[Generation]]:
    """Time ``generations`` ES generations on Ray; also return what each one evaluated."""
    spec = GenomeSpec.from_config(config)
    es = EvolutionStrategy.from_config(config.es, spec.size, spec.network_genes)
    evaluator = RayEvaluator(config, workers)
    timed: list[Generation] = []
    try:
        evaluator.evaluate(es.centre, es.sigma, 0)     # warm-up: numba, env caches
        seconds, steps = [], 0
        for generation in range(generations):
            timed.append((es.centre.clone(), es.sigma, generation))
            start = time.perf_counter()
            fitness, n = evaluator.evaluate(es.centre, es.sigma, generation)
            seconds.append(time.perf_counter() - start)
            steps += n
            es.tell(fitness)
    finally:
        evaluator.close()
    return {'workers': workers, 's_per_generation': float(np.median(seconds)),
            'env_steps_per_s': steps / sum(seconds), 'seconds': sum(seconds),
            'generations': generations}, timed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb bench evolution', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='ant')
    parser.add_argument('--population', type=int, default=16)
    parser.add_argument('--steps', type=int, default=200, help='control steps per episode')
    parser.add_argument('--generations', type=int, default=5, help='timed generations')
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--json', action='store_true', help='print JSON only')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    data = load_config(args.config).model_dump(mode='json')
    data['es']['population'] = args.population
    data['env']['max_episode_steps'] = args.steps
    config = validate_config(data)
    raw = raw_physics_rate(config)
    results, generations = [], []
    for w in args.workers:
        result, generations = time_generations(config, w, args.generations)
        results.append(result)
    physics = physics_seconds(config, generations)   # the same for every worker count
    for r in results:
        r['physics_seconds'] = physics
        r['overhead_vs_physics'] = r['workers'] * r['seconds'] / physics - 1
    report = {'config': args.config, 'population': args.population, 'steps': args.steps,
              'raw_physics_steps_per_s': raw, 'runs': results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f'{args.config}: population {args.population}, {args.steps}-step episodes, '
          f'{len(config.es.morphologies)} morphologies, {args.generations} timed generations; '
          f'raw physics {raw:.0f} steps/s/core from rest')
    print(f'physics of those generations, rerun here with PyBullet timed: {physics:.2f} s')
    print(f'{"workers":>7} {"s/generation":>13} {"env steps/s":>12} {"worker s":>9} '
          f'{"overhead/physics":>17}')
    for r in results:
        print(f'{r["workers"]:>7} {r["s_per_generation"]:>13.2f} '
              f'{r["env_steps_per_s"]:>12.0f} {r["workers"] * r["seconds"]:>9.2f} '
              f'{r["overhead_vs_physics"]:>17.0%}')
    return 0
