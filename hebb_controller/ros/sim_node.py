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
The ``sim`` node: the PyBullet A1 behind the same topics as the real robot.

Why a node and not an env inside the controller: the controller must not be
able to tell simulation from hardware (DESIGN.md section 1), so the simulated
robot speaks only what a robot driver speaks. It publishes JointState, Imu,
foot contacts, odometry and the head camera with the sensor-data QoS, and
takes position commands as ros2_control's forward_command_controller does
(std_msgs/Float64MultiArray in joint order, reliable) or as a
JointTrajectory; like that controller it holds the last good command forever
and the nominal pose until the first one. ROS glue only: the physics, limits,
noise and pushes are :class:`hebb_controller.sim.robot.RobotQuadrupedEnv`'s,
stepped with :meth:`~hebb_controller.sim.robot.RobotQuadrupedEnv.step_targets`.
With ``publish_clock`` the node is the clock of the system (``/clock``,
simulated time), as Gazebo is; ``real_time: false`` runs as fast as the CPU
allows, for tests and the headless demo. A ``config`` whose env is the
seeing robot (``RobotTarget-v0``) adds its red target post to the world; the
camera shows it, and the robot's topics are unchanged.
"""

import math
import sys
import time
from typing import Any, Optional, Union

from builtin_interfaces.msg import Time
from hebb_controller.config import ConfigError, load_config, load_node_params, SimParams
from hebb_controller.ros.conversions import array_to_image, commands_to_message
from hebb_controller.ros.node_main import run_node
from hebb_controller.ros.parameters import declare_node_params
from hebb_controller.sim import ended_in_fall, make_env, ROBOT_ID, TARGET_ID
from hebb_controller.sim.robot import CAMERA_FOV, RobotQuadrupedEnv
from hebb_controller.sim.robot_damage import damage_for
from nav_msgs.msg import Odometry
import numpy as np
from rcl_interfaces.msg import SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, Imu, JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

# env ids whose env has the 12-joint robot interface (step_targets, joint_torques, base_pose)
SUPPORTED_ENV_IDS = (ROBOT_ID, TARGET_ID)
CAMERA_FRAME = 'camera_optical'   # the head camera's optical frame (z ahead, x right, y down)
# lockstep: a controller silent this long (s, wall clock) no longer holds the physics back
LOCKSTEP_TIMEOUT = 1.0


class SimNode(Node):
    """
    The simulated robot over ROS 2; what a demo or a test reads of it.

    ``env`` (the Gymnasium env) and ``robot`` (its unwrapped
    :class:`RobotQuadrupedEnv`), ``steps`` (control steps simulated since
    start), :attr:`sim_time`, ``distance`` (metres along +x since the last
    reset), ``fell`` (the env reported a fall since the last reset),
    ``start_info`` and ``last_info`` (the env's info at the last reset and
    step: the seeing robot's ``target_distance`` among it), ``reached`` (the
    seeing robot came within reach of its target since the last reset),
    :attr:`targets` (the joint targets held), ``commands`` and ``dropped``
    (command messages used and rejected), ``resets``; :meth:`step` advances
    and publishes one control step (the timer calls it), :meth:`reset` starts
    a new episode.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('sim', **kwargs)
        self.env: Any = None
        self.params: SimParams = declare_node_params(self, 'sim', load_node_params('sim'))
        self.env_config = load_config(self.params.config).env
        if self.env_config.env_id not in SUPPORTED_ENV_IDS:
            raise ConfigError(
                f'config {self.params.config!r} simulates {self.env_config.env_id}; the sim node '
                f'needs a 12-joint robot env ({", ".join(SUPPORTED_ENV_IDS)})')
        if self.get_parameter('use_sim_time').value and not self.params.publish_clock:
            raise ConfigError('use_sim_time needs a /clock, and the simulation is its source: '
                              'set publish_clock: true (the messages are then stamped in '
                              'simulated time)')
        self.steps = 0
        self.resets = 0
        self.commands = 0
        self.dropped = 0
        self.distance = 0.0
        self.fell = False
        self._targets: Optional[np.ndarray] = None
        self._frame_index = -1   # frame k is due at k camera periods; frame 0 with the first state
        self._awaiting_command, self._published_at = False, 0.0   # lockstep
        try:
            self._build(self.params.morphology or self.env_config.morphology)
        except ValueError as err:
            raise ConfigError(str(err)) from None
        self._step_ns = round(self.robot.control_step * 1e9)

        sensors = qos_profile_sensor_data
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.joint_pub = self.create_publisher(JointState, 'joint_states', sensors)
        self.imu_pub = self.create_publisher(Imu, 'imu/data', sensors)
        self.contact_pub = self.create_publisher(Float64MultiArray, 'foot_contacts', sensors)
        self.odom_pub = self.create_publisher(Odometry, 'odom', reliable)
        self.clock_pub = self.create_publisher(ClockMsg, '/clock', reliable) \
            if self.params.publish_clock else None
        self.image_pub = self.info_pub = None
        if self.params.camera_rate > 0:
            self.image_pub = self.create_publisher(Image, 'camera/image_raw', sensors)
            self.info_pub = self.create_publisher(CameraInfo, 'camera/camera_info', sensors)
        self.create_subscription(Float64MultiArray, 'joint_commands', self._on_commands,
                                 reliable)
        self.create_subscription(JointTrajectory, 'joint_trajectory', self._on_trajectory,
                                 reliable)
        self.create_service(Trigger, '~/reset', self._srv_reset)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        # a steady clock: the node's own clock may be the simulated time this timer makes
        period = self.robot.control_step if self.params.real_time else 0.0
        self.timer = self.create_timer(period, self.step,
                                       clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.get_logger().info(self.describe())

    # -- the robot ------------------------------------------------------------------------------

    def _build(self, morphology: str) -> None:
        damage_for(morphology)   # ValueError naming the known bodies, before any loading
        env = make_env(self.env_config.env_id,
                       **{**self.env_config.env_kwargs(), 'morphology': morphology})
        old = self.env, getattr(self, 'robot', None)
        self.env = env
        self.robot: RobotQuadrupedEnv = env.unwrapped
        try:
            self.reset()
        except BaseException:
            env.close()   # the body that worked stays
            self.env, self.robot = old
            raise
        if old[0] is not None:
            old[0].close()

    def reset(self) -> None:
        """Start a new episode with the next seed; hold the nominal pose until a command."""
        _, self.last_info = self.env.reset(seed=self.params.seed + self.resets)
        self.start_info = self.last_info
        self.reached = False
        self.resets += 1
        self._targets = None
        self.distance = 0.0
        self.fell = False

    @property
    def sim_time(self) -> float:
        """Seconds simulated since start (every episode; what ``/clock`` publishes)."""
        return self.steps * self._step_ns * 1e-9

    @property
    def targets(self) -> np.ndarray:
        """
        Joint position targets now held (rad, ``joint_names`` order).

        The nominal pose until the first command after a reset, then the last good command.
        """
        return (self.robot.nominal_pose if self._targets is None else self._targets).copy()

    @property
    def morphology(self) -> str:
        """Body simulated now: a name of ``hebb_controller.sim.robot_damage.MORPHOLOGIES``."""
        return self.robot.morphology

    def describe(self) -> str:
        """Say in one line what is simulated and how."""
        p, robot = self.params, self.robot
        camera = f'camera {robot.camera_width}x{robot.camera_height} at {p.camera_rate:g} Hz' \
            if p.camera_rate > 0 else 'no camera'
        pace = 'real time' if p.real_time else 'as fast as possible'
        return (f'{self.env_config.env_id} {robot.morphology!r}, '
                f'{1.0 / robot.control_step:.0f} Hz {pace}'
                f'{", /clock" if p.publish_clock else ""}, {camera}, seed {p.seed}')

    def step(self) -> None:
        """Advance the physics one control step toward the held targets and publish the state."""
        if self.params.lockstep and self._awaiting_command \
                and time.monotonic() - self._published_at < LOCKSTEP_TIMEOUT:
            return
        obs, _, terminated, _, info = self.robot.step_targets(self.targets)
        self.steps += 1
        self.last_info = info
        self.distance = float(info['distance_walked'])
        if info.get('reached') and not self.reached:
            self.reached = True
            self.get_logger().info(f'the robot reached the target after {info["steps"]} steps')
        if not self.fell and ended_in_fall(terminated, info):
            self.fell = True
            self.get_logger().warning(
                f'the robot fell after {info["steps"]} steps, {self.distance:.2f} m; still '
                'publishing (call ~/reset to stand it up)')
        self._publish(obs)
        self._awaiting_command, self._published_at = True, time.monotonic()

    # -- publishing -----------------------------------------------------------------------------

    def _stamp(self) -> Time:
        if self.params.publish_clock:
            ns = self.steps * self._step_ns
            return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)
        return self.get_clock().now().to_msg()

    def _publish(self, obs: Union[np.ndarray, dict]) -> None:
        stamp = self._stamp()
        if self.clock_pub is not None:
            self.clock_pub.publish(ClockMsg(clock=stamp))
        if isinstance(obs, dict):   # the seeing robot's: the camera goes out on its own topic
            obs = obs['proprio']
        parts = self.robot.split_observation(obs.astype(np.float64))
        base = self.params.base_frame

        imu = Imu()
        imu.header.stamp, imu.header.frame_id = stamp, base
        o, w, a = (parts[k] for k in ('imu_orientation', 'imu_angular_velocity',
                                      'imu_linear_acceleration'))
        imu.orientation.x, imu.orientation.y, imu.orientation.z, imu.orientation.w = o
        imu.angular_velocity.x, imu.angular_velocity.y, imu.angular_velocity.z = w
        imu.linear_acceleration.x, imu.linear_acceleration.y, imu.linear_acceleration.z = a
        self.imu_pub.publish(imu)

        self.contact_pub.publish(commands_to_message(parts['foot_contact'], label='feet'))

        position, orientation = self.robot.base_pose()
        linear, angular = self.robot.base_velocity()
        odom = Odometry(child_frame_id=base)
        odom.header.stamp, odom.header.frame_id = stamp, self.params.odom_frame
        pose, twist = odom.pose.pose, odom.twist.twist
        pose.position.x, pose.position.y, pose.position.z = position
        pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = \
            orientation
        twist.linear.x, twist.linear.y, twist.linear.z = linear
        twist.angular.x, twist.angular.y, twist.angular.z = angular
        self.odom_pub.publish(odom)

        if self.image_pub is not None:
            frame = self.steps * self._step_ns // round(1e9 / self.params.camera_rate)
            if frame != self._frame_index:
                self._frame_index = frame
                self._publish_camera(stamp)

        # last: a controller that ticks on joint_states then has this step's IMU and contacts
        joints = JointState(name=list(self.robot.joint_names),
                            position=parts['joint_position'].tolist(),
                            velocity=parts['joint_velocity'].tolist(),
                            effort=self.robot.joint_torques().tolist())
        joints.header.stamp = stamp
        self.joint_pub.publish(joints)

    def _publish_camera(self, stamp: Time) -> None:
        image = array_to_image(self.robot.camera_image(), 'rgb8', CAMERA_FRAME)
        image.header.stamp = stamp
        self.image_pub.publish(image)
        self.info_pub.publish(camera_info(image.width, image.height, stamp))

    # -- commands: validate, hold the last good one, never raise --------------------------------

    def _on_commands(self, msg: Float64MultiArray) -> None:
        names = self.robot.joint_names
        if len(msg.data) != len(names):
            self._drop('joint_commands', f'{len(msg.data)} values; expected one per joint '
                       f'({", ".join(names)})')
            return
        self._accept('joint_commands', np.asarray(msg.data, dtype=np.float64))

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        names = list(msg.joint_names)
        if not msg.points or len(msg.points[0].positions) != len(names):
            self._drop('joint_trajectory', f'needs a first point with one position per joint '
                       f'name ({len(names)} names)')
            return
        where = {name: k for k, name in enumerate(names)}
        unknown = sorted(set(names) - set(self.robot.joint_names))
        missing = [n for n in self.robot.joint_names if n not in where]
        if unknown or missing or len(where) != len(names):
            self._drop('joint_trajectory', f'joint_names must name every joint once; unknown '
                       f'{unknown}, missing {missing}')
            return
        positions = np.asarray(msg.points[0].positions, dtype=np.float64)
        self._accept('joint_trajectory', positions[[where[n] for n in self.robot.joint_names]])

    def _accept(self, topic: str, targets: np.ndarray) -> None:
        if not np.all(np.isfinite(targets)):
            self._drop(topic, 'non-finite targets')
            return
        self._targets = targets
        self.commands += 1
        self._awaiting_command = False

    def _drop(self, topic: str, reason: str) -> None:
        self.dropped += 1
        self.get_logger().warning(f'dropped {topic} message ({self.dropped} so far): {reason}; '
                                  'holding the last good targets', throttle_duration_sec=2.0)

    # -- services and parameters ----------------------------------------------------------------

    def _srv_reset(self, request: Trigger.Request, response: Trigger.Response
                   ) -> Trigger.Response:
        self.reset()
        response.success = True
        response.message = f'reset with seed {self.params.seed + self.resets - 1}; holding ' \
            'the nominal pose until a command'
        self.get_logger().info(response.message)
        return response

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        morphology = None
        for parameter in parameters:
            if parameter.name == 'morphology':
                morphology = parameter.value or self.env_config.morphology
                try:
                    damage_for(morphology)
                except ValueError as err:
                    return SetParametersResult(successful=False, reason=str(err))
            elif parameter.name in SimParams.model_fields:
                return SetParametersResult(
                    successful=False,
                    reason=f'{parameter.name} is read at start-up; restart the node to change it')
        if morphology is not None:
            try:
                self._build(morphology)
            except Exception as err:  # noqa: B902 (a bad parameter must not kill the robot)
                return SetParametersResult(successful=False, reason=f'cannot load: {err!r}')
            self.get_logger().info(f'morphology {morphology!r}: env rebuilt and reset')
        return SetParametersResult(successful=True)

    def destroy_node(self) -> None:
        """Close the env (its physics client), then destroy the node."""
        if self.env is not None:
            self.env.close()
            self.env = None
        super().destroy_node()


def camera_info(width: int, height: int, stamp: Time) -> CameraInfo:
    """Pinhole calibration of the head camera: square pixels, its vertical field of view."""
    f = 0.5 * height / math.tan(math.radians(CAMERA_FOV) / 2)
    cx, cy = (width - 1) / 2, (height - 1) / 2   # the optical axis through the image centre
    info = CameraInfo(width=width, height=height, distortion_model='plumb_bob', d=[0.0] * 5,
                      k=[f, 0.0, cx, 0.0, f, cy, 0.0, 0.0, 1.0],
                      r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                      p=[f, 0.0, cx, 0.0, 0.0, f, cy, 0.0, 0.0, 0.0, 1.0, 0.0])
    info.header.stamp, info.header.frame_id = stamp, CAMERA_FRAME
    return info


def main(args: Optional[list[str]] = None) -> int:
    """Run the sim node until shutdown; exit 1 if it cannot start."""
    return run_node(SimNode, 'sim', args, (ConfigError,))


if __name__ == '__main__':
    sys.exit(main())
