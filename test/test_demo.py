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

"""The README's main job: the simulated robot under the controller, through ROS 2 topics."""

import os
from pathlib import Path
import signal
import subprocess
import sys

from hebb_controller import cli
from hebb_controller.config import load_config, package_share
from hebb_controller.evolution.evaluate import evaluate_file
from hebb_controller.evolution.layout import save_genome
from hebb_controller.evolution.rollout import GenomeSpec
from hebb_controller.plasticity import coefficient_file
from mcap_ros2.reader import read_ros2_messages
import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def line_of(out: str, prefix: str) -> str:
    """Return the demo's output line that starts with ``prefix``."""
    return next(line for line in out.splitlines() if line.startswith(prefix))


def control_counts(out: str) -> tuple[int, int]:
    """Ticks and commands from the demo's ``control:`` line."""
    ticks, commands = line_of(out, 'control:').split('control: ')[1].split(' commands')[0] \
        .split(' ticks, ')
    return int(ticks), int(commands)


def target_distances(out: str) -> tuple[float, float]:
    """Distances to the target at the start and the end, from the ``target:`` line."""
    start, end = line_of(out, 'target:').split(': ')[1].split(', ')[:2]
    return float(start.split()[0]), float(end.split()[0])


def test_demo_drives_the_robot_through_topics_and_records(capsys, tmp_path, robot_coefficients):
    record = tmp_path / 'demo.mcap'
    code = cli.main(['demo', '--coefficients', str(robot_coefficients), '--duration', '3',
                     '--report-every', '1', '--record', str(record)])
    assert code == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [float(r[0]) for r in rows][:3] == [1.0, 2.0, 3.0]
    assert 'walked' in out and 'control:' in out
    _, commands = control_counts(out)
    assert commands > 50, 'the controller commanded the simulated robot'
    topics = {}
    for item in read_ros2_messages(str(record)):
        topics.setdefault(item.channel.topic, []).append(item.ros_msg)
    assert {'/joint_states', '/imu/data', '/joint_commands', '/odom'} <= set(topics)
    names = list(topics['/joint_states'][-1].name)
    assert len(names) == 12 and len(topics['/joint_commands'][-1].data) == 12
    positions = np.array([m.position for m in topics['/joint_states']])
    assert np.ptp(positions, axis=0).max() > 0.05, 'the joints moved'


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
def test_a_stopped_demo_reports_and_leaves_a_finished_recording(tmp_path, sig):
    record = tmp_path / 'stopped.mcap'
    command = [sys.executable, '-m', 'hebb_controller.cli', 'demo', '--fast', '--duration',
               '600', '--report-every', '1', '--record', str(record)]
    demo = subprocess.Popen(command, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    try:
        for line in demo.stdout:              # the first report: running, and recording
            if line.split()[:1] == ['2.0']:
                break
        demo.send_signal(sig)
        out, _ = demo.communicate(timeout=120)
    finally:
        demo.kill()
    assert demo.returncode == 128 + sig, out
    assert f'stopped by {sig.name} after' in out and 'walked' in out and 'Traceback' not in out
    topics = {}
    for item in read_ros2_messages(str(record)):   # a footer and summary: a finished file
        topics.setdefault(item.channel.topic, []).append(item.log_time_ns)
    assert {'/joint_states', '/joint_commands', '/clock', '/camera/image_raw'} <= set(topics)
    # stamped in simulated time, not the wall clock's ~1.8e18 ns since 1970
    assert 1.5e9 <= max(topics['/joint_states']) < 600e9


def test_demo_never_records_over_an_existing_file(capsys, tmp_path, robot_coefficients):
    kept = tmp_path / 'yesterday.mcap'
    kept.write_bytes(b'a recording worth keeping')
    assert cli.main(['demo', '--fast', '--coefficients', str(robot_coefficients),
                     '--duration', '0.2', '--record', str(kept)]) == 1
    assert 'yesterday.mcap exists: record to a new file' in capsys.readouterr().err
    assert kept.read_bytes() == b'a recording worth keeping'


@pytest.mark.parametrize('option, value', [('--duration', '0'), ('--duration', 'nan'),
                                           ('--report-every', '-1')])
def test_demo_refuses_a_time_that_is_not_positive(capsys, option, value):
    with pytest.raises(SystemExit) as exit_:
        cli.main(['demo', option, value])
    assert exit_.value.code == 2 and 'give a positive number of seconds' in \
        capsys.readouterr().err


def test_demo_refuses_a_missing_coefficient_file(capsys, tmp_path):
    assert cli.main(['demo', '--coefficients', str(tmp_path / 'none.safetensors')]) == 1
    assert 'cannot read' in capsys.readouterr().err


def test_fast_demo_is_lock_step_and_repeats_exactly(capsys, robot_coefficients):
    outcomes = []
    for _ in range(2):
        assert cli.main(['demo', '--fast', '--coefficients', str(robot_coefficients),
                         '--duration', '2', '--report-every', '1']) == 0
        out = capsys.readouterr().out
        walked = line_of(out, 'walked')
        ticks, commands = control_counts(out)
        assert ticks == commands >= 95, 'one command for (nearly) every one of the 100 steps'
        outcomes.append(walked)
    assert outcomes[0] == outcomes[1], 'the same seed gives the same walk, through ROS 2'


def test_target_task_runs_the_vision_model_on_the_sim_camera(capsys, tmp_path):
    config = load_config('robot_target')
    path = tmp_path / 'target.safetensors'
    genome = torch.randn(GenomeSpec.from_config(config).size,
                         generator=torch.Generator().manual_seed(0)) * 0.1
    save_genome(path, config, genome)
    assert cli.main(['demo', '--task', 'target', '--fast', '--coefficients', str(path),
                     '--duration', '2', '--report-every', '1']) == 0
    out = capsys.readouterr().out
    assert 'RobotTarget-v0' in out and 'camera 48x16' in out
    ticks, commands = control_counts(out)
    assert ticks == commands >= 95, 'the camera arrives with the first state: no hold'
    start, end = target_distances(out)
    assert 1.5 <= start <= 3.0 and end > 0


def test_the_shipped_files_load_with_their_env():
    for name, kind, env_id in (('robot', 'hebbian', 'RobotQuadruped-v0'),
                               ('robot_static', 'static', 'RobotQuadruped-v0'),
                               ('robot_target', 'hebbian', 'RobotTarget-v0'),
                               ('robot_target_static', 'static', 'RobotTarget-v0'),
                               ('ant', 'hebbian', 'AntBullet-v0'),
                               ('ant_static', 'static', 'AntBullet-v0')):
        loaded = coefficient_file.load(package_share() / 'coefficients' / f'{name}.safetensors')
        assert loaded.metadata.env_id == f'hebb_controller/{env_id}'
        assert loaded.metadata.network.kind == kind
        robot = env_id.startswith('Robot')
        assert (loaded.metadata.layout.observation_scale is not None) == robot, \
            'the robot normalises its inputs; the ant, as in the paper, does not'
    ant = coefficient_file.load(package_share() / 'coefficients' / 'ant.safetensors')
    assert ant.metadata.network.layer_sizes == (28, 128, 64, 8)
    assert ant.metadata.network.rule == 'ABCD_lr'
    assert list(ant.metadata.morphologies) == ['whole', 'damaged_right_front']


def test_the_shipped_ant_walks_from_random_weights_on_both_bodies_it_trained_on():
    # 100 lifetimes of 400 steps measured (seed 1 at 600 generations): whole, 4.37 +- 0.67 m
    # (1.45 to 6.48, none fell); damaged right front, 6.19 +- 0.94 (2.75 to 8.04, none fell).
    # 100 unevolved rule sets (normal(0, 1), 10 lifetimes each): 0.55 m the best lifetime.
    ant = coefficient_file.load(package_share() / 'coefficients' / 'ant.safetensors')
    for morphology, bar in (('whole', 2.5), ('damaged_right_front', 1.5)):
        result = evaluate_file(ant, morphology, 5, seed=0, max_steps=400)
        walked = [info['distance_walked'] for info in result.infos]
        assert np.median(walked) >= bar, (morphology, walked)


def test_the_shipped_file_walks_the_robot_forward_through_ros(capsys):
    # the bar: 6 m in 20 s. Seeds 0 to 6 measured 9.73 to 11.95 m through ROS 2 and 100
    # lifetimes in the env 6.39 to 13.39 m; the best of 10 unevolved rule sets averages
    # 5.45 m (README, Results). Lock-step repeats a seed on one machine, but another CPU's
    # float rounding may walk another path: hence the margin.
    assert cli.main(['demo', '--fast', '--duration', '20', '--report-every', '100']) == 0
    out = capsys.readouterr().out
    walked = line_of(out, 'walked')
    assert float(walked.split()[1]) >= 6.0, walked
    assert 'fell' not in walked


def test_the_shipped_seeing_robot_gets_closer_to_its_target_through_ros(capsys):
    # seeds 0 to 5 measured: each ended closer than it started (0.15 of 1.55 m at best,
    # 2.44 of 2.96 at worst); 53 of 100 targets are reached, so the bar is not "reached"
    assert cli.main(['demo', '--task', 'target', '--fast', '--duration', '10',
                     '--report-every', '100']) == 0
    out = capsys.readouterr().out
    start, end = target_distances(out)
    assert end < start, line_of(out, 'target:')


def test_the_shipped_seeing_robot_reaches_targets_it_sees():
    # 100 targets measured: 53 reached in view, 5 with the post hidden (README, Results)
    loaded = coefficient_file.load(package_share() / 'coefficients' / 'robot_target.safetensors')
    reached = {}
    for visible in (True, False):
        result = evaluate_file(loaded, 'whole', 20, seed=1,
                               env_overrides={'target_visible': visible})
        reached[visible] = sum(bool(info['reached']) for info in result.infos)
    assert reached[True] >= 5 and reached[True] > reached[False], reached
