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

"""``hebb bench evolution`` runs end to end on Ray and times the physics of its own generations."""

import json

from hebb_controller.evolution.benchmark import main, timed_physics
from hebb_controller.sim import ant
import numpy as np
import pybullet
import pytest


def test_bench_evolution_reports_rates_and_overhead(ray_session, capsys):
    assert main(['--population', '4', '--steps', '60', '--generations', '1', '--workers', '1',
                 '--json']) == 0
    report = json.loads(capsys.readouterr().out)
    (run,) = report['runs']
    assert run['workers'] == 1 and run['s_per_generation'] > 0
    # 4 individuals x 2 morphologies, scored steps up to the 60-step limit (which counts the
    # 40 settle steps)
    assert 0 < run['env_steps_per_s'] * run['seconds'] <= 8 * (60 - 40)
    # the physics is timed in a rerun of the same generations, a separate measurement: on a busy
    # host a 0.2 s generation can time shorter than its rerun's physics, so the test checks how
    # the overhead is derived, not its sign (speed belongs to the benchmark, not to asserts)
    assert run['physics_seconds'] > 0
    assert run['overhead_vs_physics'] == pytest.approx(
        run['workers'] * run['seconds'] / run['physics_seconds'] - 1)
    assert report['raw_physics_steps_per_s'] > 0


def test_timed_physics_counts_its_calls_and_puts_pybullet_back():
    original = pybullet.stepSimulation
    env = ant.AntBulletEnv()
    env.reset(seed=0)
    with timed_physics() as total:
        assert total[0] == 0.0
        env.raw_step(np.zeros(8))
        inside = total[0]
    env.raw_step(np.zeros(8))
    env.close()
    assert inside > 0 and total[0] == inside
    assert pybullet.stepSimulation is original
