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
The ``controller`` node: evolved Hebbian rules learning on the robot, every control tick.

ROS glue over :class:`hebb_controller.control.HebbianController`: sensor
callbacks convert and store the latest message (a bad one is counted and
dropped, never raised), a tick on a timer (or on each JointState) asks the
controller for commands and publishes them reliably in the ros2_control
controller's joint order. All callbacks share one mutually exclusive group:
torch work never runs on two executor threads at once. Topics and services
are those of DESIGN.md section 6; every name can be remapped.
"""

from collections import deque
from pathlib import Path
import sys
import time
from typing import Any, Optional

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from hebb_controller.config import ConfigError, ControllerParams, load_node_params, \
    package_share
from hebb_controller.control import HebbianController, Mode
from hebb_controller.control.controller import rate_limit_mismatch
from hebb_controller.plasticity import coefficient_file
from hebb_controller.ros.conversions import commands_to_message, image_to_input, \
    JointStateMapper, MessageError
from hebb_controller.ros.node_main import run_node
from hebb_controller.ros.parameters import declare_node_params
import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import (DurabilityPolicy, qos_profile_sensor_data, QoSProfile,
                       ReliabilityPolicy)
from sensor_msgs.msg import Image, Imu, JointState
from std_msgs.msg import Bool, Float64MultiArray
from std_srvs.srv import Trigger
import torch
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

SHIPPED_COEFFICIENTS = 'coefficients/robot.safetensors'
LATENCY_WINDOW = 1000   # ticks kept for the latency percentiles on ~/status


class StartupError(RuntimeError):
    """The node cannot start as configured; the message says why."""


def default_coefficients() -> Path:
    """Locate the coefficient file shipped with the package for the 12-joint robot."""
    return package_share() / SHIPPED_COEFFICIENTS


class ControllerNode(Node):
    """Subscribe to the robot's sensors, run plasticity each tick, publish joint commands."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__('controller', **kwargs)
        try:
            self.params: ControllerParams = declare_node_params(
                self, 'controller', load_node_params('controller'))
            path = Path(self.params.coefficients or default_coefficients())
            loaded = coefficient_file.load(path)
            rate = self.params.control_rate or (1.0 / loaded.metadata.control_step
                                                if loaded.metadata.control_step else 0.0)
            if rate <= 0:
                raise StartupError(f'{path} records no control step; set control_rate')
            self.core = HebbianController(loaded, self.params, 1.0 / rate)
        except (ConfigError, coefficient_file.CoefficientFileError, ValueError) as err:
            raise StartupError(str(err)) from None
        self.coefficients_path = path
        self.rate = rate
        self._sim_time = bool(self.get_parameter('use_sim_time').value)
        self.mapper = JointStateMapper(self.core.state_joint_names)
        self._image: Optional[tuple[float, Image]] = None
        self._joint_state_time: Optional[float] = None
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._tick_times: deque[float] = deque(maxlen=LATENCY_WINDOW)

        group = MutuallyExclusiveCallbackGroup()
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        sensors = qos_profile_sensor_data
        p = self.params
        # one message, its data replaced each tick: cheaper than building one a tick
        self._command_array = commands_to_message(self.core.safe_pose)
        if p.command_type == 'trajectory':
            self.command_pub = self.create_publisher(JointTrajectory, 'joint_trajectory',
                                                     reliable)
        else:
            self.command_pub = self.create_publisher(Float64MultiArray, 'joint_commands',
                                                     reliable)
        self.status_pub = self.create_publisher(DiagnosticArray, '~/status', reliable)
        if 'imu' in self.core.required_sensors:
            self.create_subscription(Imu, 'imu/data', self._on_imu, sensors,
                                     callback_group=group)
        if 'contacts' in self.core.required_sensors:
            self.create_subscription(Float64MultiArray, 'foot_contacts', self._on_contacts,
                                     sensors, callback_group=group)
        if 'camera' in self.core.required_sensors:
            self.create_subscription(Image, 'camera/image_raw', self._on_image, sensors,
                                     callback_group=group)
        # after the other sensors: an executor serves ready subscriptions in creation order, so
        # a tick on joint_states sees the IMU and contacts that came with it
        self.create_subscription(JointState, 'joint_states', self._on_joint_state, sensors,
                                 callback_group=group)
        self.create_subscription(Bool, '~/estop', self._on_estop, latched, callback_group=group)
        for name, handler in (('~/reset_plasticity', self._srv_reset),
                              ('~/emergency_stop', self._srv_estop),
                              ('~/release', self._srv_release), ('~/ablate', self._srv_ablate)):
            self.create_service(Trigger, name, handler, callback_group=group)
        if p.trigger == 'timer':
            self.create_timer(1.0 / rate, self.tick, callback_group=group)
        else:
            # ticks come with joint states; when they stop, this one sends the safe pose
            self.create_timer(1.0 / rate, self._tick_if_joint_states_stale,
                              callback_group=group)
        self.create_timer(p.status_period, self._publish_status, callback_group=group)
        meta = loaded.metadata
        self.get_logger().info(
            f'{path.name}: {meta.network.kind} {"-".join(map(str, meta.network.layer_sizes))} '
            f'{meta.network.rule or ""} on {self.core.network.device}, {rate:.1f} Hz '
            f'({p.trigger}), sensors {", ".join(self.core.required_sensors)}; joints '
            f'{", ".join(self.core.joint_names)}')
        mismatch = rate_limit_mismatch(loaded, p.max_joint_velocity)
        if mismatch:
            self.get_logger().warning(mismatch)

    # -- sensors: convert, store, never raise ------------------------------------------------

    def _now(self) -> float:
        # the watchdog's clock: simulated time under use_sim_time, else a steady clock
        # (immune to wall-clock jumps, and ~15 us cheaper a call than Clock.now())
        if self._sim_time:
            return self.get_clock().now().nanoseconds * 1e-9
        return time.monotonic()

    def _on_joint_state(self, msg: JointState) -> None:
        try:
            positions, velocities = self.mapper.split(msg)
        except MessageError as err:
            self._drop('joint_states', err)
            return
        self._joint_state_time = self._now()
        self.core.joint_state(self._joint_state_time, positions, velocities)
        if self.params.trigger == 'joint_states':
            self.tick()

    def _tick_if_joint_states_stale(self) -> None:
        last = self._joint_state_time
        if last is not None and self._now() - last > self.params.sensor_timeout:
            self.tick()

    def _on_imu(self, msg: Imu) -> None:
        o, w, a = msg.orientation, msg.angular_velocity, msg.linear_acceleration
        self.core.imu(self._now(), np.array([o.x, o.y, o.z, o.w]), np.array([w.x, w.y, w.z]),
                      np.array([a.x, a.y, a.z]))

    def _on_contacts(self, msg: Float64MultiArray) -> None:
        if len(msg.data) != len(self.core.observation.foot_names):
            self._drop('contacts', MessageError(
                f'foot_contacts has {len(msg.data)} values; expected one per foot '
                f'({", ".join(self.core.observation.foot_names)})'))
            return
        self.core.contacts(self._now(), np.asarray(msg.data))

    def _on_image(self, msg: Image) -> None:
        self._image = (self._now(), msg)    # decoded at the next tick, if still the latest

    def _on_estop(self, msg: Bool) -> None:
        if msg.data:
            self.core.emergency_stop('e-stop topic')
            self.get_logger().warning('emergency stop (~/estop): holding the safe pose')
        elif self.core.release():
            self.get_logger().info('e-stop released (~/estop)')

    def _drop(self, sensor: str, err: Exception) -> None:
        self.core.drop(sensor)
        self.get_logger().warning(f'dropped {sensor} message: {err}', throttle_duration_sec=2.0)

    # -- the control tick -------------------------------------------------------------------

    def tick(self) -> None:
        """Run one control step: decode a new image, ask the controller, publish."""
        start = time.perf_counter()
        now = self._now()
        if self._image is not None:
            received, msg = self._image
            self._image = None
            try:
                self.core.image(received, image_to_input(msg, self.core.image_size))
            except MessageError as err:
                self._drop('camera', err)
        before = self.core.mode
        try:
            command = self.core.tick(now)
        except Exception as err:  # noqa: B902 (a robot must not lose its controller)
            self._fail(err)
            return
        if self.core.mode != before:
            change = f'{before.value} -> {self.core.mode.value}: {self.core.reason}'
            # rclpy ties a severity to its call site: one call per severity
            if self.core.mode in (Mode.HOLD, Mode.ESTOP):
                self.get_logger().warning(change)
            else:
                self.get_logger().info(change)
        if command is not None:
            self.command_pub.publish(self._command_message(command))
        self._latencies.append(time.perf_counter() - start)
        self._tick_times.append(now)
        try:
            self.core.learn()   # the Hebbian update, now that the command is out
        except Exception as err:  # noqa: B902
            self._fail(err)

    def _fail(self, err: Exception) -> None:
        # forward_command_controller would hold the last command forever: stop instead
        self.core.emergency_stop(f'controller error: {err!r}')
        self.get_logger().error(f'tick failed, emergency stop: {err!r}',
                                throttle_duration_sec=2.0)

    def _command_message(self, command: np.ndarray) -> Any:
        if self.params.command_type == 'position_array':
            self._command_array.data = command.tolist()
            return self._command_array
        msg = JointTrajectory(joint_names=self.core.joint_names)
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.points = [JointTrajectoryPoint(
            positions=command.tolist(),
            time_from_start=Duration(seconds=1.0 / self.rate).to_msg())]
        return msg

    # -- services ---------------------------------------------------------------------------

    def _srv_reset(self, request: Trigger.Request, response: Trigger.Response
                   ) -> Trigger.Response:
        self.core.reset_plasticity()
        response.success, response.message = True, 'new random weights'
        self.get_logger().info('plasticity reset: new random weights')
        return response

    def _srv_estop(self, request: Trigger.Request, response: Trigger.Response
                   ) -> Trigger.Response:
        self.core.emergency_stop()
        self.get_logger().warning('emergency stop: holding the safe pose')
        response.success, response.message = True, 'holding the safe pose'
        return response

    def _srv_release(self, request: Trigger.Request, response: Trigger.Response
                     ) -> Trigger.Response:
        response.success = self.core.release()
        response.message = f'released: {self.core.mode.value}' if response.success \
            else f'not stopped ({self.core.mode.value})'
        return response

    def _srv_ablate(self, request: Trigger.Request, response: Trigger.Response
                    ) -> Trigger.Response:
        try:
            zeroed = self.core.ablate(self.params.ablation_fraction)
        except ValueError as err:
            response.success, response.message = False, str(err)
            return response
        response.success = True
        response.message = f'zeroed {zeroed} weights ({self.params.ablation_fraction:.0%})'
        self.get_logger().info(response.message)
        return response

    # -- diagnostics ------------------------------------------------------------------------

    def tick_costs_us(self) -> np.ndarray:
        """Return the cost of the last ticks (up to LATENCY_WINDOW), in microseconds."""
        return np.array(self._latencies or [0.0]) * 1e6

    def status(self) -> DiagnosticStatus:
        """Report the controller's health as one DiagnosticStatus (what ~/status publishes)."""
        core, counters = self.core, self.core.counters
        level = {Mode.RUNNING: DiagnosticStatus.OK, Mode.RAMP: DiagnosticStatus.OK,
                 Mode.WAITING: DiagnosticStatus.WARN, Mode.HOLD: DiagnosticStatus.WARN,
                 Mode.ESTOP: DiagnosticStatus.ERROR}[core.mode]
        latencies = self.tick_costs_us()
        span = self._tick_times[-1] - self._tick_times[0] if len(self._tick_times) > 1 else 0.0
        values = {
            'mode': core.mode.value,
            'tick_rate_hz': f'{(len(self._tick_times) - 1) / span:.1f}' if span > 0 else '0',
            'tick_latency_p50_us': f'{np.percentile(latencies, 50):.1f}',
            'tick_latency_p99_us': f'{np.percentile(latencies, 99):.1f}',
            'plasticity': 'on' if core.plastic else 'off',
            'weight_norms': ' '.join(f'{n:.2f}' for n in core.weight_norms()),
            'stale_sensors': ', '.join(core.stale_sensors(self._now())) or 'none',
            'ticks': str(counters.ticks), 'commands': str(counters.commands),
            'skipped_nonfinite': str(counters.skipped_nonfinite),
            'weight_resets': str(counters.weight_resets),
            'dropped': ', '.join(f'{k}: {v}' for k, v in sorted(counters.dropped.items()))
            or 'none',
        }
        return DiagnosticStatus(
            level=level, name=f'{self.get_name()}: hebbian controller', message=core.reason,
            hardware_id=str(self.coefficients_path),
            values=[KeyValue(key=k, value=v) for k, v in values.items()])

    def _publish_status(self) -> None:
        msg = DiagnosticArray(status=[self.status()])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.status_pub.publish(msg)


def main(args: Optional[list[str]] = None) -> int:
    """Run the controller node until shutdown; exit 1 if it cannot start."""
    torch.set_num_threads(1)
    return run_node(ControllerNode, 'controller', args, (StartupError,))


if __name__ == '__main__':
    sys.exit(main())
