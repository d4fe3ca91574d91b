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

"""The ros2_control controllers file lists the joints in the order the controller commands."""

from pathlib import Path

from hebb_controller import cli
from hebb_controller.config import ControllerParams
from hebb_controller.control import HebbianController
from hebb_controller.control.ros2_control import controllers, main
from hebb_controller.plasticity import coefficient_file
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def command_joints(params):
    return params['forward_position_controller']['ros__parameters']['joints']


def test_the_robots_controllers_follow_the_controllers_command_order(robot_coefficients):
    loaded = coefficient_file.load(robot_coefficients)
    params = controllers(loaded)
    core = HebbianController(loaded, ControllerParams(), 0.02)
    assert command_joints(params) == core.joint_names == loaded.metadata.layout.action_names
    manager = params['controller_manager']['ros__parameters']
    assert manager['forward_position_controller']['type'] == \
        'forward_command_controller/ForwardCommandController'
    assert manager['joint_state_broadcaster']['type'] == \
        'joint_state_broadcaster/JointStateBroadcaster'
    assert params['forward_position_controller']['ros__parameters']['interface_name'] == \
        'position'
    # the robot's file reads the IMU, so its broadcaster is there
    assert manager['imu_sensor_broadcaster']['type'] == \
        'imu_sensor_broadcaster/IMUSensorBroadcaster'

    reordered = list(reversed(core.joint_names))
    core = HebbianController(loaded, ControllerParams(joint_names=reordered), 0.02)
    assert command_joints(controllers(loaded, joint_names=reordered)) == core.joint_names \
        == reordered
    with pytest.raises(ValueError, match='must name'):
        controllers(loaded, joint_names=reordered[1:])


def test_the_command_writes_a_controller_manager_file(robot_coefficients, tmp_path):
    reordered = list(reversed(coefficient_file.load(robot_coefficients).metadata.layout
                              .action_names))
    node_params = tmp_path / 'controller.yaml'
    node_params.write_text(yaml.safe_dump(
        {'controller': {'ros__parameters': {'joint_names': reordered}}}))
    out = tmp_path / 'a1_controllers.yaml'
    assert main([str(robot_coefficients), '--params', str(node_params), '--out', str(out),
                 '--update-rate', '1000']) == 0
    text = out.read_text()
    assert 'FR_toe, FL_toe, RR_toe, RL_toe' in text   # the contacts' order, in the header
    params = yaml.safe_load(text)
    assert command_joints(params) == reordered
    assert params['controller_manager']['ros__parameters']['update_rate'] == 1000


def test_a_torque_file_and_a_bad_file_get_one_clear_line(tmp_path, capsys):
    assert cli.main(['ros2-control', str(ROOT / 'coefficients' / 'ant.safetensors')]) == 1
    assert 'no joint limits' in capsys.readouterr().err
    bad = tmp_path / 'bad.safetensors'
    bad.write_bytes(b'not a coefficient file')
    assert cli.main(['ros2-control', str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('hebb ros2-control: ') and err.count('\n') == 1
    bad_params = tmp_path / 'controller.yaml'
    bad_params.write_text('controller:\n  ros__parameters:\n    control_rate: fast\n')
    assert cli.main(['ros2-control', str(ROOT / 'coefficients' / 'robot.safetensors'),
                     '--params', str(bad_params)]) == 2      # a bad setting
    assert capsys.readouterr().err.startswith('hebb ros2-control: ')
