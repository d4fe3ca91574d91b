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
``hebb ros2-control COEFFS``: the ros2_control controllers a robot needs under this controller.

``hardware.launch.py`` starts the controller alone; the robot's
controller_manager must then run a forward_command_controller whose joints
are listed in exactly the order the controller publishes them, or every
command lands on the wrong joint. That order lives in the coefficient file
(or the controller's ``joint_names`` parameter), so the controllers file is
written from them rather than by hand: a joint state broadcaster (the
controller's ``/joint_states``), the command controller on the position
interface, and an IMU broadcaster when the file reads the IMU. Foot contacts
(and a camera) have no ros2_control broadcaster: the header says which
topic, and which order, the robot's drivers must publish them on.
"""

import argparse
from pathlib import Path
import sys
from typing import Optional, Sequence

from hebb_controller.config import load_node_params
from hebb_controller.control.observation import ObservationBuilder
from hebb_controller.errors import InputError
from hebb_controller.plasticity import coefficient_file
from hebb_controller.plasticity.coefficient_file import CoefficientFile
import yaml

COMMAND_CONTROLLER = 'forward_position_controller'
IMU_BROADCASTER = 'imu_sensor_broadcaster'


def controllers(loaded: CoefficientFile, joint_names: Sequence[str] = (),
                update_rate: int = 500, imu_sensor: str = 'imu_sensor',
                imu_frame: str = 'imu_link') -> dict:
    """
    Controller-manager parameters for ``loaded``, joints in the controller's command order.

    ``joint_names`` is the controller's parameter of that name (empty: the
    file's action order). ValueError when it does not name the file's
    actions, or when the file commands no position targets (no joint limits:
    the controller needs limits to command positions).
    """
    layout = loaded.metadata.layout
    actions = list(layout.action_names)
    joints = list(joint_names) or actions
    if sorted(joints) != sorted(actions):
        raise ValueError(f"joint_names {joints} must name the file's actions {actions}")
    if layout.action_low is None:
        raise ValueError('the file has no joint limits: its outputs are not position targets '
                         '(the ant commands torques), so no position controller fits it')
    if update_rate < 1:
        raise ValueError(f'update_rate must be at least 1 Hz, got {update_rate}')
    manager = {'update_rate': update_rate,
               'joint_state_broadcaster': {
                   'type': 'joint_state_broadcaster/JointStateBroadcaster'},
               COMMAND_CONTROLLER: {'type': 'forward_command_controller/ForwardCommandController'}}
    params = {'controller_manager': {'ros__parameters': manager},
              COMMAND_CONTROLLER: {'ros__parameters': {'joints': joints,
                                                       'interface_name': 'position'}}}
    if ObservationBuilder(layout).uses_imu:
        manager[IMU_BROADCASTER] = {'type': 'imu_sensor_broadcaster/IMUSensorBroadcaster'}
        params[IMU_BROADCASTER] = {'ros__parameters': {'sensor_name': imu_sensor,
                                                       'frame_id': imu_frame}}
    return params


def controllers_file(path: str, loaded: CoefficientFile, **kwargs) -> str:
    """:func:`controllers` as a YAML file, with a header that says how to wire the rest."""
    params = controllers(loaded, **kwargs)
    feet = ObservationBuilder(loaded.metadata.layout).foot_names
    lines = [f'# ros2_control controllers for the hebb_controller controller node and {path}',
             '# (written by `hebb ros2-control`). Start the controller with',
             '#   ros2 launch hebb_controller hardware.launch.py coefficients:=' + path]
    if IMU_BROADCASTER in params:
        lines.append(f'#     imu_topic:=/{IMU_BROADCASTER}/imu')
    if feet:
        lines += ['# and publish foot contacts (std_msgs/Float64MultiArray, 1.0 touching, 0.0 '
                  'not) on',
                  f'# foot_contacts in this order: {", ".join(feet)}; no ros2_control '
                  'broadcaster does.']
    if loaded.metadata.conv is not None:
        lines.append('# and a camera on camera/image_raw (sensor_msgs/Image: rgb8, bgr8, mono8).')
    lines.append(f'# {COMMAND_CONTROLLER}: joints in the order the controller sends them.')
    return '\n'.join(lines) + '\n' + yaml.safe_dump(params, sort_keys=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb ros2-control', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('coefficients', metavar='COEFFS', help='coefficient file')
    parser.add_argument('--params', metavar='FILE',
                        help="the controller's parameter file, for joint_names "
                             '(default: config/controller.yaml)')
    parser.add_argument('--update-rate', type=int, default=500,
                        help="controller_manager's update rate, Hz (default 500)")
    parser.add_argument('--imu-sensor', default='imu_sensor',
                        help="the IMU's sensor name in the robot's ros2_control description")
    parser.add_argument('--imu-frame', default='imu_link', help="the IMU's frame id")
    parser.add_argument('--out', type=Path, help='write here instead of standard output')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_node_params('controller', args.params)
        loaded = coefficient_file.load(args.coefficients)
        text = controllers_file(args.coefficients, loaded, joint_names=settings.joint_names,
                                update_rate=args.update_rate, imu_sensor=args.imu_sensor,
                                imu_frame=args.imu_frame)
    except InputError:
        raise   # the hebb command prints it, with its exit status
    except ValueError as err:
        print(f'hebb ros2-control: {err}', file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
        print(f'wrote {args.out}')
    return 0
