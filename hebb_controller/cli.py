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
The ``hebb`` command.

Each subcommand hands its remaining arguments to the ``main(argv)`` of the
module that owns the job, so heavy imports (torch, pybullet, rclpy) happen only
for the job that needs them.
"""

import argparse
import importlib
import sys
from typing import Optional, Sequence

from hebb_controller.errors import InputError

# target -> module whose main(argv) runs `hebb bench <target>`
BENCHMARKS = {
    'plasticity': 'hebb_controller.plasticity.benchmark',
    'sim': 'hebb_controller.sim.benchmark',
    'evolution': 'hebb_controller.evolution.benchmark',
    'ros': 'hebb_controller.ros.benchmark',
}

# command -> (module, help)
COMMANDS = {
    'demo': ('hebb_controller.ros.demo',
             'the main job: the simulated robot under the Hebbian controller, via ROS 2'),
    'train': ('hebb_controller.evolution.train', "evolve coefficients with the paper's ES on Ray"),
    'eval': ('hebb_controller.evolution.evaluate', 'fitness of a coefficient file: mean and std'),
    'info': ('hebb_controller.plasticity.describe',
             'what a coefficient file holds: network, env, sensors, joints, provenance'),
    'ros2-control': ('hebb_controller.control.ros2_control',
                     'the ros2_control controllers file for a robot under the controller node'),
    'experiment': ('hebb_controller.evolution.experiment',
                   "the paper's experiments: damage table, ablation; freezing the weights"),
    'plot': ('hebb_controller.evolution.plots', 'fitness curve, weight trajectories, PCA'),
}


def _run_module(module: str, argv: Sequence[str]) -> int:
    return int(importlib.import_module(module).main(list(argv)) or 0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``hebb`` console script."""
    parser = argparse.ArgumentParser(
        prog='hebb', description='Evolved Hebbian plasticity controllers for legged robots.')
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    bench = sub.add_parser('bench', help='benchmarks: ' + ', '.join(BENCHMARKS), add_help=False)
    bench.add_argument('target', choices=sorted(BENCHMARKS))
    args, rest = parser.parse_known_args(argv)
    module = BENCHMARKS[args.target] if args.command == 'bench' else COMMANDS[args.command][0]
    try:
        return _run_module(module, rest)
    except InputError as err:
        print(f'hebb {args.command}: {err}', file=sys.stderr)
        return err.exit_code
    except OSError as err:
        if err.filename is None:   # not about a file the user named: keep the trace
            raise
        print(f'hebb {args.command}: {err.filename}: {err.strerror}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
