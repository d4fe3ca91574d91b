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

"""The README's main job runs a full lifetime and reports what happened."""

from hebb_controller import cli


def test_demo_runs_a_lifetime_and_reports(capsys):
    assert cli.main(['demo', '--steps', '120', '--report-every', '20']) == 0
    out = capsys.readouterr().out
    assert 'hebb_controller/AntBullet-v0 (whole)' in out
    assert 'lifetime over after 80 control steps' in out  # 120 minus the 40 settle steps
    assert 'network forward+update per control tick' in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [20, 40, 60, 80]
    norms = [float(r[3]) for r in rows]
    assert norms[-1] != norms[0], 'the weights change during the lifetime'
