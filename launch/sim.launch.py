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
Simulated robot under the Hebbian controller: the ``sim`` and ``controller`` nodes.

``ros2 launch hebb_controller sim.launch.py [coefficients:=FILE] [morphology:=NAME]``;
the seeing robot: ``config:=robot_target`` and
``coefficients:=<share>/coefficients/robot_target.safetensors``.
Parameters come from ``config/sim.yaml`` and ``config/controller.yaml``; the
arguments' defaults are read from the same files. The controller gets
``controller.yaml`` and then the ``controller`` section of ``sim.yaml``, which
makes it tick on each ``joint_states`` the sim publishes, once per control step.
"""

import os

from ament_index_python.packages import get_package_share_directory
from hebb_controller.config import load_node_params
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    config = os.path.join(get_package_share_directory('hebb_controller'), 'config')
    sim_params = os.path.join(config, 'sim.yaml')
    controller_params = os.path.join(config, 'controller.yaml')
    sim = load_node_params('sim', sim_params)
    controller = load_node_params('controller', controller_params)
    return LaunchDescription([
        DeclareLaunchArgument('coefficients', default_value=controller.coefficients,
                              description='coefficient file; empty: the shipped one'),
        DeclareLaunchArgument('config', default_value=sim.config,
                              description='training config whose env is simulated: robot, '
                                          'or robot_target (the seeing robot and its post)'),
        DeclareLaunchArgument('morphology', default_value=sim.morphology,
                              description="simulated body; empty: the sim config's"),
        DeclareLaunchArgument('device', default_value=controller.device,
                              description='auto, cpu or cuda'),
        Node(package='hebb_controller', executable='sim', name='sim', output='screen',
             parameters=[sim_params, {'config': LaunchConfiguration('config'),
                                      'morphology': LaunchConfiguration('morphology')}]),
        # sim.yaml's controller section after controller.yaml: tick on each joint_states
        Node(package='hebb_controller', executable='controller', name='controller',
             output='screen',
             parameters=[controller_params, sim_params,
                         {'coefficients': LaunchConfiguration('coefficients'),
                          'device': LaunchConfiguration('device')}]),
    ])
