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
The controller node over real rclpy and Fast DDS, driven by a test node playing the robot.

The driver publishes JointState, Imu and foot contacts as a robot does and
listens to the commands; nothing of ROS is mocked.
"""

import os
from pathlib import Path
import subprocess
import sys

from diagnostic_msgs.msg import DiagnosticArray
from hebb_controller.config import NODE_PARAMS
from hebb_controller.control import Mode
from hebb_controller.plasticity import coefficient_file
from hebb_controller.plasticity.coefficient_file import ConvSpec
from hebb_controller.ros.controller_node import ControllerNode, StartupError
import numpy as np
import pytest
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, Imu, JointState
from std_msgs.msg import Bool, Float64MultiArray
from std_srvs.srv import Trigger
import torch
from trajectory_msgs.msg import JointTrajectory

ROOT = Path(__file__).resolve().parents[2]
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


class Robot:
    """A driver node: publishes sensors every spin, records what the controller sends."""

    def __init__(self, context, controller):
        self.node = rclpy.create_node('fake_robot', context=context)
        self.controller = controller
        self.names = list(controller.core.state_joint_names)
        self.positions = np.array(controller.core.safe_pose, dtype=float)
        self.imu_on = True
        self.joints_on = True
        self.commands = []
        self.trajectories = []
        self.status = []
        pub = self.node.create_publisher
        self.joint_pub = pub(JointState, 'joint_states', qos_profile_sensor_data)
        self.imu_pub = pub(Imu, 'imu/data', qos_profile_sensor_data)
        self.contact_pub = pub(Float64MultiArray, 'foot_contacts', qos_profile_sensor_data)
        self.image_pub = pub(Image, 'camera/image_raw', qos_profile_sensor_data)
        sub = self.node.create_subscription
        sub(Float64MultiArray, 'joint_commands', lambda m: self.commands.append(
            np.array(m.data)), RELIABLE)
        sub(JointTrajectory, 'joint_trajectory', self.trajectories.append, RELIABLE)
        sub(DiagnosticArray, 'controller/status', self.status.append, RELIABLE)
        self.node.create_timer(0.01, self.publish)

    def publish(self):
        if self.joints_on:
            msg = JointState(name=self.names, position=self.positions.tolist(),
                             velocity=[0.0] * len(self.names))
            msg.header.stamp = self.node.get_clock().now().to_msg()
            self.joint_pub.publish(msg)
        if self.imu_on:
            imu = Imu()
            imu.orientation.w = 1.0
            imu.linear_acceleration.z = 9.81
            self.imu_pub.publish(imu)
        self.contact_pub.publish(Float64MultiArray(data=[1.0] * 4))

    def call(self, executor, service):
        client = self.node.create_client(Trigger, f'controller/{service}')
        assert client.wait_for_service(timeout_sec=10.0)
        future = client.call_async(Trigger.Request())
        executor.spin_until_future_complete(future, timeout_sec=10.0)
        return future.result()


@pytest.fixture()
def ros(ros_executor):
    context = ros_executor.context

    def start(coefficients, **params):
        overrides = [Parameter('coefficients', value=str(coefficients)),
                     Parameter('startup_ramp_time', value=0.2)]
        overrides += [Parameter(k, value=v) for k, v in params.items()]
        controller = ControllerNode(context=context, parameter_overrides=overrides)
        robot = Robot(context, controller)
        for node in (controller, robot.node):
            ros_executor.add_node(node)
        return controller, robot

    return ros_executor, start


def within_limits(controller, command):
    return np.all(command >= controller.core.limiter.lower - 1e-12) \
        and np.all(command <= controller.core.limiter.upper + 1e-12)


def test_commands_flow_after_the_ramp_and_stay_in_the_limits(ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients)
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING
                               and len(robot.commands) > 30)
    assert all(within_limits(controller, c) for c in robot.commands)
    assert not np.allclose(robot.commands[-1], controller.core.safe_pose), 'the network acts'
    assert set(NODE_PARAMS['controller'].model_fields) <= set(controller._parameters)
    assert executor.spin_until(lambda: robot.status)
    values = {kv.key: kv.value for kv in robot.status[-1].status[0].values}
    assert {'tick_rate_hz', 'tick_latency_p50_us', 'plasticity', 'weight_norms', 'dropped',
            'stale_sensors'} <= set(values)


def test_malformed_messages_never_crash_nor_leave_the_limits(ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients)
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING)
    names, n = robot.names, len(robot.names)
    bad_joints = [
        JointState(name=names, position=[0.0] * (n - 1)),               # wrong length
        JointState(name=['ghost'] * 3, position=[0.0] * 3),             # unknown joints only
        JointState(name=names + ['extra'], position=[0.0] * (n + 1), velocity=[0.0]),
        JointState(),                                                    # empty
        JointState(name=names, position=[float('nan')] * n),             # NaN
        JointState(name=names, position=[float('inf')] * n, velocity=[-float('inf')] * n),
        JointState(name=names[::-1], position=robot.positions[::-1].tolist()),  # reordered: ok
    ]
    stamp = JointState(name=names, position=robot.positions.tolist())
    stamp.header.stamp.sec = 1                                           # from the past
    bad_joints.append(stamp)
    images = [Image(encoding='yuv422', height=2, width=2, step=4, data=bytes(8)),
              Image(encoding='rgb8', height=4, width=4, step=12, data=bytes(5))]
    imu = Imu()
    imu.orientation.x = float('nan')
    for _ in range(5):     # sensor QoS keeps 5 messages: one kind at a time, then spin
        for msg in bad_joints + images + [imu, Float64MultiArray(data=[1.0, float('nan')])]:
            {Image: robot.image_pub, Imu: robot.imu_pub, JointState: robot.joint_pub,
             Float64MultiArray: robot.contact_pub}[type(msg)].publish(msg)
            for _ in range(3):
                executor.spin_once(timeout_sec=0.002)
    sent = len(robot.commands)
    assert executor.spin_until(lambda: len(robot.commands) > sent + 20), 'still commanding'
    assert all(np.all(np.isfinite(c)) and within_limits(controller, c) for c in robot.commands)
    # handled, not survived: a tick that raised would have latched the e-stop
    assert controller.core.mode == Mode.RUNNING, controller.core.reason
    dropped = controller.core.counters.dropped
    assert dropped.get('joint_states', 0) >= 10 and dropped.get('contacts', 0) >= 3
    # a NaN reading that is still the latest when a tick runs: skipped, nothing sent (the
    # subscription's callback and the timer's tick called in turn, without a spin between)
    controller._on_joint_state(JointState(name=names, position=[float('nan')] * n))
    skipped = controller.core.counters.skipped_nonfinite
    controller.tick()
    assert controller.core.counters.skipped_nonfinite == skipped + 1
    executor.spin_until(lambda: False, timeout=0.1)
    assert all(np.all(np.isfinite(c)) for c in robot.commands)


def test_stale_sensor_brings_the_safe_pose_and_fresh_data_resumes(ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients, sensor_timeout=0.06)
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING
                               and len(robot.commands) > 20)
    robot.imu_on = False
    ticks = controller.core.counters.ticks
    assert executor.spin_until(lambda: controller.core.mode == Mode.HOLD)
    periods = round(0.06 / controller.core.control_period)
    assert controller.core.counters.ticks - ticks <= periods + 2 + 1, \
        'hold within two control periods of the timeout'
    assert executor.spin_until(lambda: np.allclose(robot.commands[-1],
                               controller.core.safe_pose))
    assert 'imu' in controller.status().message
    robot.imu_on = True
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING)


def test_ticking_on_joint_states_still_sends_the_safe_pose_when_they_stop(
        ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients, trigger='joint_states', sensor_timeout=0.06)
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING
                               and len(robot.commands) > 20)
    robot.joints_on = False                       # no joint state, so no tick of its own
    assert executor.spin_until(lambda: controller.core.mode == Mode.HOLD)
    assert 'joint_states' in controller.core.reason
    age = controller._tick_times[-1] - controller._joint_state_time
    assert age <= 0.06 + 2 * controller.core.control_period, \
        'hold within two control periods of the timeout'
    assert executor.spin_until(lambda: np.allclose(robot.commands[-1],
                               controller.core.safe_pose))
    robot.joints_on = True
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING)


def test_estop_holds_and_release_resumes(ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients)
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING)
    assert robot.call(executor, 'emergency_stop').success
    assert controller.core.mode == Mode.ESTOP
    assert executor.spin_until(lambda: np.allclose(robot.commands[-1],
                               controller.core.safe_pose))
    assert robot.call(executor, 'release').success
    assert controller.core.mode == Mode.RUNNING and controller.core.plastic
    held = len(robot.commands)
    assert executor.spin_until(lambda: len(robot.commands) > held and not np.allclose(
        robot.commands[-1], controller.core.safe_pose, atol=1e-3)), 'the network drives again'
    estop = robot.node.create_publisher(Bool, 'controller/estop', QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE,
        durability=rclpy.qos.DurabilityPolicy.TRANSIENT_LOCAL))
    estop.publish(Bool(data=True))
    assert executor.spin_until(lambda: controller.core.mode == Mode.ESTOP)
    estop.publish(Bool(data=False))
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING)


def test_reset_gives_new_random_weights_and_ablate_zeroes_half(ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients, plastic=False)
    assert executor.spin_until(lambda: controller.core.mode == Mode.RUNNING
                               and len(robot.commands) > 20)
    before = controller.core.network.weights
    reply = robot.call(executor, 'reset_plasticity')
    assert reply.success
    after = controller.core.network.weights
    # with plasticity off only the reset moves the weights: to the next seed's draw
    fresh = coefficient_file.load(robot_coefficients).build_network(device='cpu', seed=1)
    for old, new, expected in zip(before, after, fresh.weights):
        assert not torch.equal(old, new) and torch.equal(new, expected)
    reply = robot.call(executor, 'ablate')
    assert reply.success and '50%' in reply.message
    zeroed = sum(int((w == 0).sum()) for w in controller.core.network.weights)
    total = sum(w.numel() for w in after)
    assert reply.message.startswith(f'zeroed {zeroed} weights') and 0.45 < zeroed / total < 0.55


def test_trajectory_commands_name_their_joints(ros, robot_coefficients):
    executor, start = ros
    controller, robot = start(robot_coefficients, command_type='trajectory')
    assert executor.spin_until(lambda: len(robot.trajectories) > 5)
    msg = robot.trajectories[-1]
    assert list(msg.joint_names) == controller.core.joint_names
    assert within_limits(controller, np.array(msg.points[0].positions))


def test_a_bad_coefficient_file_fails_start_up_clearly(ros, tmp_path, robot_coefficients):
    executor, start = ros
    bad = tmp_path / 'bad.safetensors'
    bad.write_bytes(robot_coefficients.read_bytes()[:500])
    with pytest.raises(StartupError, match='truncated or corrupt'):
        start(bad)
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    result = subprocess.run(
        [sys.executable, '-m', 'hebb_controller.ros.controller_node', '--ros-args', '-p',
         f'coefficients:={bad}'], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    assert 'cannot start' in result.stderr and 'truncated or corrupt' in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.fixture(scope='module')
def camera_coefficients(tmp_path_factory, robot_coefficients):
    """Write a robot file whose network also sees the head camera through the conv front-end."""
    robot = coefficient_file.load(robot_coefficients)
    conv = ConvSpec(image_size=(32, 32))
    features = coefficient_file.conv_features(conv)
    sizes = (features + robot.metadata.network.layer_sizes[0],
             *robot.metadata.network.layer_sizes[1:])
    metadata = robot.metadata.model_copy(update={
        'conv': conv, 'network': robot.metadata.network.model_copy(
            update={'layer_sizes': sizes})})
    generator = torch.Generator().manual_seed(1)
    tensors = {name: torch.randn(shape, generator=generator) * 0.1
               for name, shape in coefficient_file.expected_shapes(metadata).items()}
    path = tmp_path_factory.mktemp('camera') / 'camera.safetensors'
    coefficient_file.save(path, metadata, tensors)
    return path


def image(encoding, width, height, pad=0):
    channels = {'rgb8': 3, 'bgr8': 3, 'mono8': 1}[encoding]
    step = width * channels + pad
    data = np.random.default_rng(0).integers(0, 255, (height, step), dtype=np.uint8)
    return Image(encoding=encoding, width=width, height=height, step=step,
                 data=data.tobytes())


def test_camera_images_of_every_encoding_feed_the_network(ros, camera_coefficients):
    executor, start = ros
    controller, robot = start(camera_coefficients, sensor_timeout=0.2)
    assert 'camera' in controller.core.required_sensors
    good = [image('rgb8', 32, 32), image('bgr8', 64, 48, pad=4), image('mono8', 40, 30, pad=2)]
    bad = [Image(encoding='yuv422', width=2, height=2, step=4, data=bytes(8)),
           image('rgb8', 32, 32)]
    bad[1].data = bytes(100)                                   # truncated
    received = []
    controller.core.image = lambda now, pixels, store=controller.core.image: (
        received.append(tuple(pixels.shape)), store(now, pixels))

    def dropped():
        return controller.core.counters.dropped.get('camera', 0)

    sent = 0

    def fed_one_more_and_done():
        nonlocal sent
        robot.image_pub.publish((good + bad)[sent % 5])
        sent += 1
        running = controller.core.mode == Mode.RUNNING and len(robot.commands) > 10
        return running and sent >= 30 and dropped() >= 2 and bool(received)

    # By the clock (spin_until), not a count of spins: a spin returns as soon as the image
    # just sent is in, and a tick decodes only the latest image, so a count can end before
    # the 0.2 s ramp has run or before a tick has met both bad images.
    assert executor.spin_until(fed_one_more_and_done), 'running, fed every image'
    assert set(received) == {(3, 32, 32)}, 'every encoding and size reaches the conv input'
    assert dropped() >= 2
    assert all(within_limits(controller, c) for c in robot.commands)
    assert executor.spin_until(lambda: controller.core.mode == Mode.HOLD), \
        'a camera that stops publishing triggers the safe hold'
    assert 'camera' in controller.core.reason
