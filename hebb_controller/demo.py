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
``hebb demo``: a simulated quadruped driven by a plastic network for one lifetime.

Weights start random and change by their Hebbian rules every control step.
With ``--coefficients FILE`` the rules are evolved ones from a coefficient
file; without, they are a fresh standard-normal draw (the ES's starting
point), which plasticity runs but which was never selected to walk.
"""

import argparse
import time
from typing import Optional

from hebb_controller.config import load_config
from hebb_controller.plasticity import coefficient_file
from hebb_controller.plasticity.network import HebbianNetwork
from hebb_controller.sim import make_env
import numpy as np
import torch


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb demo', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='ant', help='config name or path (default: ant)')
    parser.add_argument('--coefficients', metavar='FILE', help='evolved coefficient file')
    parser.add_argument('--morphology', help="override the config's morphology")
    parser.add_argument('--steps', type=int, help='control steps (default: the episode limit)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--report-every', type=int, default=100, metavar='N')
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    config = load_config(args.config)
    env_kwargs = config.env.env_kwargs()
    if args.morphology:
        env_kwargs['morphology'] = args.morphology
    if args.steps:
        env_kwargs['max_episode_steps'] = args.steps
    torch.set_num_threads(1)
    if args.coefficients:
        loaded = coefficient_file.load(args.coefficients)
        net = loaded.build_network(seed=args.seed)
        source = f'evolved rules from {args.coefficients}'
    else:
        net = HebbianNetwork.from_config(config.network, seed=args.seed)
        draw = torch.Generator().manual_seed(args.seed)
        net.set_genome(torch.randn(net.genome_size, generator=draw))
        source = 'unevolved rules (a standard-normal draw; no evolved file given)'
    env = make_env(config.env.env_id, **env_kwargs)
    print(f'{config.env.env_id} ({env_kwargs["morphology"]}), network '
          f'{"-".join(map(str, net.layer_sizes))} {net.rule.name}, {source}, '
          f'device {net.device}')
    obs, info = env.reset(seed=args.seed)
    net.reset(seed=args.seed)
    fitness, ticks, step = 0.0, [], 0
    print(f'{"step":>5} {"distance m":>10} {"fitness":>9}  weight norm per layer')
    while True:
        start = time.perf_counter()
        action = net.forward(obs[None].astype(np.float32))[0].numpy()
        net.update()
        ticks.append(time.perf_counter() - start)
        obs, reward, terminated, truncated, info = env.step(action)
        fitness += float(reward)
        step += 1
        if step % args.report_every == 0 or terminated or truncated:
            norms = ' '.join(f'{n:7.2f}' for n in net.weight_norms()[0].tolist())
            print(f'{step:5d} {info["distance_walked"]:10.3f} {fitness:9.1f}  {norms}')
        if terminated or truncated:
            break
    env.close()
    ticks = np.array(ticks) * 1e6
    print(f'lifetime over after {step} control steps '
          f'({"fell" if terminated else "time limit or no progress"}): walked '
          f'{info["distance_walked"]:.3f} m along +x, fitness {fitness:.1f}')
    print(f'network forward+update per control tick: median {np.median(ticks):.1f} us, '
          f'p99 {np.percentile(ticks, 99):.1f} us')
    return 0
