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
The sim node over real rclpy and Fast DDS, seen by a test node as a controller sees a robot.

The sim runs free (``real_time: false``), so every test waits on conditions
(messages received, steps simulated), never on wall time; the timeouts only
end a test that would otherwise hang.
"""

from collections import defaultdict
import math

from hebb_controller.config import ConfigError, NODE_PARAMS
from hebb_controller.ros import sim_node
from hebb_controller.ros.sim_node import CAMERA_FRAME, SimNode
from hebb_controller.sim.robot import CAMERA_FOV, RobotQuadrupedEnv
from nav_msgs.msg import Odometry
import numpy as np
import pybullet
import pytest
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image, Imu, JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
STEP_NS = 20_000_000   # the robot env's control step, 0.02 s
SENSOR_TOPICS = {'joint_states': JointState, 'imu/data': Imu, 'foot_contacts': Float64MultiArray,
                 'camera/image_raw': Image, 'camera/camera_info': CameraInfo}


class Listener:
    """A controller's side of the robot: records every topic of the sim, sends commands."""

    def __init__(self, context):
        self.node = rclpy.create_node('listener', context=context)
        self.received = defaultdict(list)
        sub = self.node.create_subscription
        for topic, kind in SENSOR_TOPICS.items():
            sub(kind, topic, self.received[topic].append, qos_profile_sensor_data)
        sub(Odometry, 'odom', self.received['odom'].append, RELIABLE)
        # every /clock message is kept: the test checks each tick
        sub(Clock, '/clock', self.received['clock'].append,
            QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE))
        self.command_pub = self.node.create_publisher(Float64MultiArray, 'joint_commands',
                                                      RELIABLE)
        self.trajectory_pub = self.node.create_publisher(JointTrajectory, 'joint_trajectory',
                                                         RELIABLE)

    def error(self, targets):
        """Largest distance of the last reported joint positions to the targets (rad)."""
        if not self.received['joint_states']:
            return math.inf
        return np.abs(np.array(self.received['joint_states'][-1].position) - targets).max()

    def call(self, executor, kind, service, request):
        client = self.node.create_client(kind, service)
        assert client.wait_for_service(timeout_sec=10.0)
        future = client.call_async(request)
        executor.spin_until_future_complete(future, timeout_sec=20.0)
        assert future.done()
        return future.result()


@pytest.fixture()
def ros(ros_executor):
    def start(**params):
        params = {'real_time': False, 'camera_rate': 0.0, **params}
        sim = SimNode(context=ros_executor.context,
                      parameter_overrides=[Parameter(k, value=v) for k, v in params.items()])
        listener = Listener(ros_executor.context)
        for node in (sim, listener.node):
            ros_executor.add_node(node)
        return sim, listener

    return ros_executor, start


def send_until(executor, publisher, msg, condition):
    """Publish until the condition holds: the first messages may precede discovery."""
    for _ in range(100):
        publisher.publish(msg)
        if executor.spin_until(condition, timeout=0.3):
            return True
    return False


def write_config(tmp_path, **env):
    lines = ['env:', '  env_id: hebb_controller/RobotQuadruped-v0']
    lines += [f'  {key}: {value}' for key, value in env.items()]
    path = tmp_path / 'sim_test.yaml'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def stamp_ns(msg):
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


def test_publishes_the_robot_state_holding_the_nominal_pose(ros):
    executor, start = ros
    sim, listener = start()
    topics = ('joint_states', 'imu/data', 'foot_contacts', 'odom')
    assert executor.spin_until(lambda: all(len(listener.received[t]) >= 3 for t in topics)
                               and sim.steps >= 25)
    assert set(NODE_PARAMS['sim'].model_fields) <= set(sim._parameters)
    robot = sim.robot
    joints = listener.received['joint_states'][-1]
    assert list(joints.name) == list(robot.joint_names)
    assert len(joints.position) == len(joints.velocity) == len(joints.effort) == 12
    assert np.all(np.isfinite(joints.effort)) and np.any(np.abs(joints.effort) > 0.5)
    assert stamp_ns(joints) > 0
    np.testing.assert_array_equal(sim.targets, robot.nominal_pose)
    np.testing.assert_allclose(joints.position, robot.nominal_pose, atol=0.1)
    imu = listener.received['imu/data'][-1]
    assert imu.header.frame_id == 'base'
    o = imu.orientation
    assert math.isclose(math.sqrt(o.x ** 2 + o.y ** 2 + o.z ** 2 + o.w ** 2), 1.0, abs_tol=1e-3)
    assert imu.linear_acceleration.z == pytest.approx(9.81, abs=1.5)
    contacts = listener.received['foot_contacts'][-1]
    assert len(contacts.data) == len(robot.foot_names) == 4
    assert contacts.layout.dim[0].label == 'feet' and set(contacts.data) <= {0.0, 1.0}
    odom = listener.received['odom'][-1]
    assert (odom.header.frame_id, odom.child_frame_id) == ('odom', 'base')
    assert 0.2 < odom.pose.pose.position.z < 0.35
    assert abs(odom.twist.twist.linear.x) < 0.2
    assert not listener.received['camera/image_raw'] and sim.image_pub is None
    assert not sim.fell and sim.dropped == 0 and sim.commands == 0


def test_commands_move_the_joints_and_malformed_ones_are_dropped(ros):
    executor, start = ros
    sim, listener = start()
    names = list(sim.robot.joint_names)
    targets = sim.robot.nominal_pose + np.tile([0.1, -0.2, 0.3], 4)   # a lower crouch
    assert send_until(executor, listener.command_pub, Float64MultiArray(data=targets.tolist()),
                      lambda: sim.commands == 1)
    np.testing.assert_array_equal(sim.targets, targets)
    assert executor.spin_until(lambda: listener.error(targets) < 0.05)

    def trajectory(joint_names, positions, points=1):
        return JointTrajectory(joint_names=joint_names, points=[
            JointTrajectoryPoint(positions=list(positions))] * points)

    bad = [(listener.command_pub, Float64MultiArray(data=targets[:11].tolist())),
           (listener.command_pub, Float64MultiArray(data=[math.nan] + targets[1:].tolist())),
           (listener.command_pub, Float64MultiArray(data=[math.inf] * 12)),
           (listener.trajectory_pub, trajectory(names[:11] + ['ghost_joint'], targets)),
           (listener.trajectory_pub, trajectory(names, targets[:6])),
           (listener.trajectory_pub, trajectory(names, [math.nan] * 12)),
           (listener.trajectory_pub, trajectory(names, targets, points=0))]
    for count, (publisher, msg) in enumerate(bad, start=1):
        publisher.publish(msg)    # matched already: reliable delivery, nothing is lost
        assert executor.spin_until(lambda: sim.dropped == count), msg
    assert sim.commands == 1
    np.testing.assert_array_equal(sim.targets, targets)
    steps = sim.steps
    assert executor.spin_until(lambda: sim.steps > steps + 10)
    assert listener.error(targets) < 0.05, 'the last good targets held'

    # a trajectory is mapped by joint name, in any order
    second = sim.robot.nominal_pose + np.tile([-0.1, 0.1, -0.1], 4)
    listener.trajectory_pub.publish(trajectory(names[::-1], second[::-1]))
    assert executor.spin_until(lambda: sim.commands == 2)
    np.testing.assert_array_equal(sim.targets, second)
    assert executor.spin_until(lambda: listener.error(second) < 0.05)


def test_free_running_sim_publishes_its_clock_every_step(ros):
    executor, start = ros
    sim, listener = start(publish_clock=True)
    clocks = listener.received['clock']
    assert executor.spin_until(lambda: len(clocks) >= 30)
    ticks = np.array([c.clock.sec * 1_000_000_000 + c.clock.nanosec for c in clocks])
    assert np.all(ticks % STEP_NS == 0)
    assert np.all(np.diff(ticks) == STEP_NS), 'one tick of control_step per step'
    assert ticks[-1] <= round(sim.sim_time * 1e9)
    assert sim.sim_time == pytest.approx(sim.steps * 0.02)
    assert executor.spin_until(lambda: listener.received['joint_states'])
    joint_stamps = [stamp_ns(m) for m in listener.received['joint_states']]
    assert all(s % STEP_NS == 0 and 0 < s <= sim.sim_time * 1e9 + 1 for s in joint_stamps), \
        'stamped with the simulated time'


def test_camera_publishes_rgb8_frames_and_calibration(ros, tmp_path):
    executor, start = ros
    config = write_config(tmp_path, camera_width=24, camera_height=16)
    sim, listener = start(config=config, camera_rate=25.0, publish_clock=True)
    images, infos = listener.received['camera/image_raw'], listener.received['camera/camera_info']
    assert executor.spin_until(lambda: len(images) >= 3 and len(infos) >= 3)
    image, info = images[-1], infos[-1]
    assert (image.encoding, image.width, image.height, image.step) == ('rgb8', 24, 16, 72)
    pixels = np.frombuffer(image.data, np.uint8).reshape(16, 24, 3)
    assert pixels.std() > 0
    assert image.header.frame_id == info.header.frame_id == CAMERA_FRAME
    # the first frame goes with the first state, the next on the camera period's grid
    assert all(stamp_ns(m) % (2 * STEP_NS) == 0 for m in images[1:]), 'a frame every 2nd step'
    assert (info.width, info.height) == (24, 16)
    f = 8 / math.tan(math.radians(CAMERA_FOV) / 2)
    np.testing.assert_allclose(info.k, [f, 0, 11.5, 0, f, 7.5, 0, 0, 1])
    np.testing.assert_allclose(np.reshape(info.p, (3, 4))[:, :3], np.reshape(info.k, (3, 3)))


def test_reset_service_restarts_the_episode_at_the_nominal_pose(ros):
    executor, start = ros
    sim, listener = start()
    targets = sim.robot.nominal_pose + np.tile([0.0, -0.2, 0.3], 4)
    assert send_until(executor, listener.command_pub, Float64MultiArray(data=targets.tolist()),
                      lambda: sim.commands == 1 and sim.steps > 20)
    steps = sim.steps
    reply = listener.call(executor, Trigger, 'sim/reset', Trigger.Request())
    assert reply.success and 'seed 1' in reply.message
    assert sim.resets == 2 and not sim.fell
    np.testing.assert_array_equal(sim.targets, sim.robot.nominal_pose)
    assert executor.spin_until(lambda: sim.steps > steps + 10)
    assert abs(sim.distance) < 0.05


def test_morphology_parameter_rebuilds_the_body_and_rejects_unknown_names(ros):
    executor, start = ros
    sim, listener = start()
    assert executor.spin_until(lambda: sim.steps > 5)

    def set_parameter(name, value):
        request = SetParameters.Request(
            parameters=[Parameter(name, value=value).to_parameter_msg()])
        return listener.call(executor, SetParameters, 'sim/set_parameters',
                             request).results[0]

    old_client = sim.robot.client_id
    result = set_parameter('morphology', 'three_legs')
    assert not result.successful and 'unknown morphology' in result.reason
    assert 'damaged_left_front' in result.reason and sim.morphology == 'whole'
    result = set_parameter('seed', 5)
    assert not result.successful and 'start-up' in result.reason

    result = set_parameter('morphology', 'damaged_left_front')
    assert result.successful
    assert sim.morphology == 'damaged_left_front' and sim.resets == 2
    assert sim.get_parameter('morphology').value == 'damaged_left_front'
    assert not pybullet.isConnected(physicsClientId=old_client), 'the old env is closed'
    steps, received = sim.steps, len(listener.received['joint_states'])
    assert executor.spin_until(lambda: sim.steps > steps + 10
                               and len(listener.received['joint_states']) > received)


def test_a_body_that_fails_to_load_leaves_the_old_one_running(ros, monkeypatch):
    executor, start = ros
    sim, listener = start()
    assert executor.spin_until(lambda: sim.steps > 5)
    old_client, resets = sim.robot.client_id, sim.resets

    def fail(*args, **kwargs):
        raise RuntimeError('the new body would not reset')
    with monkeypatch.context() as patch:
        patch.setattr(RobotQuadrupedEnv, 'reset', fail)
        request = SetParameters.Request(
            parameters=[Parameter('morphology', value='damaged_left_front').to_parameter_msg()])
        result = listener.call(executor, SetParameters, 'sim/set_parameters', request).results[0]
    assert not result.successful and 'would not reset' in result.reason
    assert sim.morphology == 'whole' and sim.robot.client_id == old_client
    assert pybullet.isConnected(physicsClientId=old_client) and sim.resets == resets
    steps = sim.steps
    assert executor.spin_until(lambda: sim.steps > steps + 10), 'the old body goes on'


def test_a_fall_is_reported_and_the_state_still_published(ros, tmp_path):
    executor, start = ros
    sim, listener = start(config=write_config(tmp_path, push_force=600.0, push_interval=1))
    assert executor.spin_until(lambda: sim.fell)
    steps, received = sim.steps, len(listener.received['joint_states'])
    assert executor.spin_until(lambda: sim.steps > steps + 10
                               and len(listener.received['joint_states']) > received)
    assert sim.fell and sim.resets == 1, 'no automatic reset'


def test_start_up_errors_are_clear(ros):
    executor, start = ros
    with pytest.raises(ConfigError, match='12-joint robot'):
        start(config='ant')
    with pytest.raises(ConfigError, match='unknown morphology'):
        start(morphology='three_legs')
    with pytest.raises(ConfigError, match='set publish_clock: true'):
        start(use_sim_time=True)
    assert sim_node.main(['--ros-args', '-p', 'morphology:=three_legs']) == 1
    assert not rclpy.ok()
