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
``hebb bench plasticity``: forward+update latency and synapse-update throughput.

Per-core figures: torch runs on one thread (numba kernels are single-threaded).
Each row sits beside a memory-bandwidth bound measured in the same run: a
synapse-update moves 24 bytes (four canonical coefficients and the weight read,
the weight written), so a copy rate of R bytes/s bounds it at R/24 updates/s.
"""

import argparse
import json
import time
from typing import Optional

from hebb_controller.config import load_config
from hebb_controller.plasticity.network import HebbianNetwork
import numpy as np
import torch

BYTES_PER_UPDATE = 24


def copy_bandwidth(device: torch.device, megabytes: int = 256) -> float:
    """Bytes per second (read + write) of a large tensor copy on ``device``."""
    src = torch.ones(megabytes * 2**20 // 4, device=device)
    dst = torch.empty_like(src)
    best = float('inf')
    for _ in range(5):
        _sync(device)
        start = time.perf_counter()
        dst.copy_(src)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * src.numel() * 4 / best


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def measure(layer_sizes, rule: str, population: int, device: str, backend: str,
            min_seconds: float, max_steps: int, seed: int = 0) -> dict:
    """Time forward+update steps of one network; median, p99 and throughput."""
    net = HebbianNetwork(layer_sizes, rule, population=population, device=device,
                         backend=backend, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    net.set_genome(torch.randn(population, net.genome_size, generator=generator) * 0.01)
    obs = torch.rand(population, net.n_inputs, generator=generator).to(net.device)
    for _ in range(20):
        net.forward(obs)
        net.update()
    times = []
    deadline = time.perf_counter() + min_seconds
    while len(times) < max_steps and (time.perf_counter() < deadline or len(times) < 20):
        _sync(net.device)
        start = time.perf_counter()
        net.forward(obs)
        net.update()
        _sync(net.device)
        times.append(time.perf_counter() - start)
    # the update of the last step lands with the next forward; count it in
    _sync(net.device)
    start = time.perf_counter()
    net.weight_norms()
    _sync(net.device)
    times[-1] += time.perf_counter() - start
    times = np.array(times)
    median = float(np.median(times))
    return {
        'device': str(net.device), 'backend': net.backend, 'population': population,
        'steps': len(times), 'median_us': median * 1e6,
        'p99_us': float(np.percentile(times, 99)) * 1e6,
        'synapse_updates_per_s': population * net.n_synapses / median,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb bench plasticity', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='ant', help='config whose network is timed')
    parser.add_argument('--populations', type=int, nargs='+', default=[1, 64, 256, 1024])
    parser.add_argument('--devices', nargs='+', default=None,
                        help='default: cpu, and cuda when present')
    parser.add_argument('--backends', nargs='+', default=['numba', 'torch'],
                        help='numba (CPU fused kernels) and/or torch (eager tensor ops)')
    parser.add_argument('--seconds', type=float, default=2.0, help='time per row, at least')
    parser.add_argument('--max-steps', type=int, default=20000)
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    parser.add_argument('--json', metavar='FILE', help='also write the figures as JSON')
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    network = load_config(args.config).network
    devices = args.devices or (['cpu', 'cuda'] if torch.cuda.is_available() else ['cpu'])
    bounds = {device: copy_bandwidth(torch.device(device)) / BYTES_PER_UPDATE
              for device in devices}
    rows = []
    print(f'network {"-".join(map(str, network.layer_sizes))} {network.rule}, '
          f'torch threads {args.threads}')
    print(f'{"device":7} {"backend":7} {"P":>5} {"median us":>10} {"p99 us":>9} '
          f'{"G upd/s":>8} {"bound G/s":>9} {"of bound":>8}')
    for device in devices:
        for backend in args.backends:
            if backend == 'numba' and device != 'cpu':
                continue
            for population in args.populations:
                row = measure(network.layer_sizes, network.rule, population, device, backend,
                              args.seconds, args.max_steps)
                row['bandwidth_bound_updates_per_s'] = bounds[device]
                rows.append(row)
                print(f'{device:7} {backend:7} {population:5d} {row["median_us"]:10.1f} '
                      f'{row["p99_us"]:9.1f} {row["synapse_updates_per_s"] / 1e9:8.2f} '
                      f'{bounds[device] / 1e9:9.2f} '
                      f'{row["synapse_updates_per_s"] / bounds[device]:8.0%}', flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'network': network.model_dump(), 'threads': args.threads,
                       'rows': rows}, f, indent=2)
    return 0
