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
Offline evolution as a ROS 2 node: ``ros2 launch hebb_controller train.launch.py config:=robot``.

The ``trainer`` node runs ``hebb train`` with the parameters of
``config/trainer.yaml`` (the arguments' defaults come from that file),
publishes progress on ``/trainer/progress`` and stops cleanly, with a
checkpoint, on ``ros2 service call /trainer/stop std_srvs/srv/Trigger``.
"""

import os

from ament_index_python.packages import get_package_share_directory
from hebb_controller.config import load_node_params
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    params = os.path.join(get_package_share_directory('hebb_controller'), 'config',
                          'trainer.yaml')
    trainer = load_node_params('trainer', params)
    return LaunchDescription([
        DeclareLaunchArgument('config', default_value=trainer.config,
                              description='training config name or path'),
        DeclareLaunchArgument('run_dir', default_value=trainer.run_dir,
                              description='run directory; empty: runs/<config>-<time>'),
        DeclareLaunchArgument('resume', default_value=str(trainer.resume).lower(),
                              description='continue the run in run_dir'),
        DeclareLaunchArgument('ray_address', default_value=trainer.ray_address,
                              description='Ray cluster to join; empty: a local Ray'),
        DeclareLaunchArgument('seed', default_value=str(trainer.seed),
                              description="es.seed of a new run; -1: the config's"),
        DeclareLaunchArgument('generations', default_value=str(trainer.generations),
                              description='es.generations (with resume: extends the run); '
                                          "0: the config's"),
        Node(package='hebb_controller', executable='trainer', name='trainer', output='screen',
             parameters=[params, {
                 'config': LaunchConfiguration('config'),
                 'run_dir': LaunchConfiguration('run_dir'),
                 'resume': ParameterValue(LaunchConfiguration('resume'), value_type=bool),
                 'ray_address': LaunchConfiguration('ray_address'),
                 'seed': ParameterValue(LaunchConfiguration('seed'), value_type=int),
                 'generations': ParameterValue(LaunchConfiguration('generations'),
                                               value_type=int)}]),
    ])
