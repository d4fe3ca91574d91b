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

"""``hebb bench evolution`` runs end to end on Ray and counts the settle steps as physics."""

import json

from hebb_controller.evolution.benchmark import main


def test_bench_evolution_reports_rates_and_overhead(ray_session, capsys):
    assert main(['--population', '4', '--steps', '60', '--generations', '1', '--workers', '1',
                 '--json']) == 0
    report = json.loads(capsys.readouterr().out)
    assert report['settle_steps_per_episode'] == 40, "the ant's unscored steps"
    (run,) = report['runs']
    assert run['workers'] == 1 and run['s_per_generation'] > 0
    # 4 individuals x 2 morphologies: 8 episodes of 40 settle steps, then scored steps up to
    # the 60-step limit (which counts the settle steps)
    settling = 40 * 8 / run['seconds']
    assert abs(run['physics_steps_per_s'] - run['env_steps_per_s'] - settling) < 1e-6
    assert run['env_steps_per_s'] * run['seconds'] <= 8 * (60 - 40)
    assert run['overhead_vs_physics'] < 1
