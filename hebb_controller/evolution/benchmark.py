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
``hebb bench evolution``: seconds per generation and env steps/s on Ray, against raw physics.

The ant config (28-128-64-8, ABCD_lr, whole + damaged right front) with the
population and episode length cut to fit a few minutes. For 1 and 2 Ray
workers: seconds per generation and env steps per second (a warm-up
generation first, not timed). The baseline is the env's raw physics
(``raw_step``: torques and ``stepSimulation`` only, no observation, no
network) on one core. The physics a generation needs is its env steps plus
the settle steps each reset runs (the ant's 40 unscored zero-action steps:
physics, not overhead); overhead = 1 - physics steps per second / (workers x
raw rate), the share of the time that goes to Ray, network, observations and
bookkeeping.
"""

import argparse
import json
import time
from typing import Optional, Sequence

from hebb_controller.config import load_config, validate_config
from hebb_controller.evolution.distributed import RayEvaluator
from hebb_controller.evolution.es import EvolutionStrategy
from hebb_controller.evolution.rollout import GenomeSpec, make_env
import numpy as np


def physics_baseline(config, steps: int = 2000) -> tuple[float, int]:
    """
    Time the config's env physics alone, on one core.

    Returns its control steps per second and the control steps of physics
    each reset runs before an episode (``settle_steps``; 0 when it has none).
    """
    env = make_env(config.env)
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (steps, env.action_space.shape[0]))
    start = time.perf_counter()
    for action in actions:
        env.unwrapped.raw_step(action)
    elapsed = time.perf_counter() - start
    settle = int(getattr(env.unwrapped, 'settle_steps', 0))
    env.close()
    return steps / elapsed, settle


def time_generations(config, workers: int, generations: int) -> dict:
    spec = GenomeSpec.from_config(config)
    es = EvolutionStrategy.from_config(config.es, spec.size, spec.network_genes)
    evaluator = RayEvaluator(config, workers)
    try:
        evaluator.evaluate(es.centre, es.sigma, 0)     # warm-up: numba, env caches
        seconds, steps = [], 0
        for generation in range(generations):
            start = time.perf_counter()
            fitness, n = evaluator.evaluate(es.centre, es.sigma, generation)
            seconds.append(time.perf_counter() - start)
            steps += n
            es.tell(fitness)
    finally:
        evaluator.close()
    return {'workers': workers, 's_per_generation': float(np.median(seconds)),
            'env_steps_per_s': steps / sum(seconds), 'seconds': sum(seconds),
            'generations': generations}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb bench evolution', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='ant')
    parser.add_argument('--population', type=int, default=16)
    parser.add_argument('--steps', type=int, default=200, help='control steps per episode')
    parser.add_argument('--generations', type=int, default=3, help='timed generations')
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--json', action='store_true', help='print JSON only')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    data = load_config(args.config).model_dump(mode='json')
    data['es']['population'] = args.population
    data['env']['max_episode_steps'] = args.steps
    config = validate_config(data)
    raw, settle = physics_baseline(config)
    episodes = args.population * len(config.es.morphologies) * config.es.episodes
    results = [time_generations(config, w, args.generations) for w in args.workers]
    for r in results:
        settling = settle * episodes * r['generations'] / r['seconds']
        r['physics_steps_per_s'] = r['env_steps_per_s'] + settling
        r['overhead_vs_physics'] = 1 - r['physics_steps_per_s'] / (r['workers'] * raw)
    report = {'config': args.config, 'population': args.population, 'steps': args.steps,
              'settle_steps_per_episode': settle, 'raw_physics_steps_per_s': raw,
              'runs': results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f'{args.config}: population {args.population}, {args.steps}-step episodes '
          f'(+{settle} settle steps), {len(config.es.morphologies)} morphologies; raw physics '
          f'{raw:.0f} steps/s/core')
    print(f'{"workers":>7} {"s/generation":>13} {"env steps/s":>12} {"physics steps/s":>16} '
          f'{"overhead":>9}')
    for r in results:
        print(f'{r["workers"]:>7} {r["s_per_generation"]:>13.2f} '
              f'{r["env_steps_per_s"]:>12.0f} {r["physics_steps_per_s"]:>16.0f} '
              f'{r["overhead_vs_physics"]:>9.0%}')
    return 0
