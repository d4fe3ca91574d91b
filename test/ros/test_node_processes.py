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
The sim and controller nodes as ``sim.launch.py`` starts them: two processes, real DDS.

Each node runs its own ``main`` (the executor a robot gets), the test only
listens to ``odom`` from a third process, and both nodes must end cleanly
on SIGINT, as ``ros2 launch`` stops them.
"""

import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from nav_msgs.msg import Odometry
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy

ROOT = Path(__file__).resolve().parents[2]
WALK_SECONDS = 15.0
START_TIMEOUT = 60.0


def test_the_launched_nodes_walk_the_robot_and_stop_on_sigint(ros_executor_apart):
    executor = ros_executor_apart
    env = {**os.environ, 'ROS_DOMAIN_ID': str(executor.context.get_domain_id()),
           'PYTHONUNBUFFERED': '1'}
    # the parameter files sim.launch.py hands each node (the controller: sim.yaml's section too)
    params = {'sim': [], 'controller': ['--ros-args', '--params-file', 'config/sim.yaml']}
    nodes = {name: subprocess.Popen([sys.executable, '-m', f'hebb_controller.ros.{name}_node',
                                     *params[name]],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
             for name in ('sim', 'controller')}
    listener = rclpy.create_node('listener', context=executor.context)
    executor.add_node(listener)
    positions = []
    listener.create_subscription(
        Odometry, 'odom', lambda msg: positions.append((time.monotonic(),
                                                        msg.pose.pose.position.x)),
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))

    def walked_long_enough_or_a_node_exited() -> bool:
        return (time.monotonic() >= positions[0][0] + WALK_SECONDS
                or any(p.poll() is not None for p in nodes.values()))

    try:
        assert executor.spin_until(lambda: positions, START_TIMEOUT), \
            'no odometry from the sim node'
        executor.spin_until(walked_long_enough_or_a_node_exited, 2 * WALK_SECONDS)
        assert all(p.poll() is None for p in nodes.values()), 'a node exited'
    finally:
        outputs = {}
        for name, process in nodes.items():
            process.send_signal(signal.SIGINT)
        for name, process in nodes.items():
            try:
                outputs[name] = process.communicate(timeout=20)[0]
            except subprocess.TimeoutExpired:
                process.kill()
                outputs[name] = process.communicate()[0] + '\n(killed: no exit on SIGINT)'
    walked = positions[-1][1] - positions[0][1]
    # measured 5.4 to 8.1 m in these 15 s (10 runs, ticking on joint_states; on a timer 2 of
    # 10 walked under 3 m); the unevolved start's best of 100 lifetimes is 2.95 m in 20 s
    assert walked >= 3.0, f'walked {walked:.2f} m in {WALK_SECONDS:.0f} s'
    assert 'Hz (joint_states)' in outputs['controller'], 'ticks on joint_states, as launched'
    for name, process in nodes.items():
        assert process.returncode == 0, f'{name} exited {process.returncode}:\n{outputs[name]}'
        assert 'Traceback' not in outputs[name], outputs[name]


# A node whose timer meets SIGINT in the middle of its work and fails as rclpy's take
# does when the KeyboardInterrupt lands inside its message conversion (seen once in CI).
INTERRUPTED_TAKE = """
import signal, sys
from hebb_controller.ros.node_main import run_node
from rclpy.node import Node

class Interrupted(Node):
    def __init__(self):
        super().__init__('interrupted')
        self.create_timer(0.01, self.tick)

    def tick(self):
        if SIGINT:
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
        raise RuntimeError("Unable to convert call argument '0' to Python object")

sys.exit(run_node(Interrupted, 'interrupted'))
"""


def run_interrupted_take(sigint: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, 'ROS_DOMAIN_ID': str(101 + (os.getpid() + 50) % 100)}
    return subprocess.run([sys.executable, '-c', f'SIGINT = {sigint}\n{INTERRUPTED_TAKE}'],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_a_take_that_fails_after_sigint_ends_the_node_cleanly():
    done = run_interrupted_take(sigint=True)
    assert done.returncode == 0, done.stderr


def test_a_take_that_fails_without_sigint_is_a_failure():
    done = run_interrupted_take(sigint=False)
    assert done.returncode == 1 and 'Unable to convert call argument' in done.stderr
