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
The Hebbian controller on a robot driven by ros2_control.

``ros2 launch hebb_controller hardware.launch.py [coefficients:=FILE]
[command_topic:=/forward_position_controller/commands]``; ``hebb ros2-control
FILE`` writes the controller_manager's matching controllers file. Only the controller
node starts: it reads ``/joint_states`` (joint_state_broadcaster), the IMU and
foot contacts, and sends position commands to a forward_command_controller
(reliable, as ros2_control's subscription requires). Parameters come from
``config/controller.yaml``; the arguments' defaults from the same file.
"""

import os

from ament_index_python.packages import get_package_share_directory
from hebb_controller.config import load_node_params
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    params = os.path.join(get_package_share_directory('hebb_controller'), 'config',
                          'controller.yaml')
    controller = load_node_params('controller', params)
    return LaunchDescription([
        DeclareLaunchArgument('coefficients', default_value=controller.coefficients,
                              description='coefficient file; empty: the shipped one'),
        DeclareLaunchArgument('device', default_value=controller.device,
                              description='auto, cpu or cuda'),
        DeclareLaunchArgument('command_topic',
                              default_value='/forward_position_controller/commands',
                              description="the forward_command_controller's command topic"),
        DeclareLaunchArgument('joint_states_topic', default_value='/joint_states',
                              description="the joint_state_broadcaster's topic"),
        DeclareLaunchArgument('imu_topic', default_value='/imu/data',
                              description='the IMU topic (ros2_control: '
                                          '/imu_sensor_broadcaster/imu)'),
        DeclareLaunchArgument('contacts_topic', default_value='/foot_contacts',
                              description="the foot contacts' topic (Float64MultiArray)"),
        Node(package='hebb_controller', executable='controller', name='controller',
             output='screen',
             parameters=[params, {'coefficients': LaunchConfiguration('coefficients'),
                                  'device': LaunchConfiguration('device')}],
             remappings=[('joint_commands', LaunchConfiguration('command_topic')),
                         ('joint_states', LaunchConfiguration('joint_states_topic')),
                         ('imu/data', LaunchConfiguration('imu_topic')),
                         ('foot_contacts', LaunchConfiguration('contacts_topic'))]),
    ])
