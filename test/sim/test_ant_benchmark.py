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

"""``hebb bench sim`` runs end to end on the ant and writes its JSON."""

import json

from hebb_controller.sim import ANT_ID
from hebb_controller.sim.benchmark import main


def test_bench_sim_reports_the_ant(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    assert main(['--steps', '200', '--frames', '2', '--envs', ANT_ID, '--json', str(out)]) == 0
    (row,) = json.loads(out.read_text())['results']
    assert row['env_id'] == ANT_ID and row['baseline'] == 'raw_step'
    assert row['env_steps_per_s'] > 0 and row['baseline_steps_per_s'] > 0
    assert 0 < row['floor_ratio'] < 1.5               # the reads cost something; noise aside
    assert row['camera_32x32_ms'] > 0 and row['camera_84x84_ms'] > 0
    assert ANT_ID in capsys.readouterr().out


def test_an_env_that_ignores_the_camera_size_gets_no_camera_figure():
    from hebb_controller.sim import CAR_RACING_ID
    from hebb_controller.sim.benchmark import measure_camera
    assert measure_camera(CAR_RACING_ID, 32, 32, frames=1) is None   # it renders 96x96 frames
