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
``hebb bench ros`` end to end: real processes, real DDS, no timing thresholds.

The benchmark is a command, not a timed test (this machine is shared), so
the test checks that both nodes answer and that the figures are sane.
"""

import json
import math

from hebb_controller import cli
from hebb_controller.ros import benchmark


def test_both_targets_are_measured_and_the_tick_cost_is_read(robot_coefficients, tmp_path,
                                                             capsys):
    out = tmp_path / 'ros.json'
    assert benchmark.main(['--coefficients', str(robot_coefficients), '--messages', '100',
                           '--json', str(out)]) == 0
    result = json.loads(out.read_text())
    for name in ('echo', 'echo+sensors', 'controller'):
        row = result['targets'][name]
        assert row['messages'] == 100
        assert row['timeouts'] <= 3, f'{name}: {row["timeouts"]} of 100 unanswered'
        p50, p99, worst = row['p50_ms'], row['p99_ms'], row['max_ms']
        assert all(math.isfinite(v) and v > 0 for v in (p50, p99, worst))
        assert p50 <= p99 <= worst
    tick = result['controller_tick']
    assert tick['mode'] == 'running'
    assert 0 < tick['p50_us'] <= tick['p99_us']
    assert math.isclose(result['checks']['p50_over_echo_ms'],
                        result['targets']['controller']['p50_ms']
                        - result['targets']['echo']['p50_ms'])
    assert math.isclose(result['checks']['sensor_echo_p50_over_echo_ms'],
                        result['targets']['echo+sensors']['p50_ms']
                        - result['targets']['echo']['p50_ms'])
    printed = capsys.readouterr().out
    assert 'echo' in printed and 'controller p50 - echo p50' in printed
    assert cli.BENCHMARKS['ros'] == benchmark.__name__


def test_a_missing_default_coefficient_file_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(benchmark, 'default_coefficients', lambda: tmp_path / 'none.safetensors')
    assert benchmark.main([]) == 2
    err = capsys.readouterr().err
    assert 'no coefficient file' in err and '--coefficients' in err
    assert 'Traceback' not in err
