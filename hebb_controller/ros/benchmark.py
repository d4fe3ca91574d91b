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
``hebb bench ros``: sensor-to-command latency of the controller node through DDS.

The controller's ``~/status`` reports what a tick costs inside the node; a
robot sees more: the JointState leaving its driver, DDS, the executor waking
up, the tick, the command travelling back. This benchmark plays the driver in
this process and times that round trip, ping-pong style (one JointState, wait
for its command, sleep to the next slot of the rate), against two nodes in
their own processes: the real ``controller`` (``trigger: joint_states``) and
an echo node that answers each JointState with its positions and no compute.
The echo's latency is the floor that DDS and rclpy set on this machine; the
controller's distance above it is what the controller costs a robot.
Targets: controller p50 within 0.1 ms of the echo's, controller p99 under 1 ms.
A second echo (``echo+sensors``) also subscribes to the IMU and the foot
contacts, as the controller does, and gets them before each JointState: its
distance above the plain echo is what rclpy's executor charges for the two
extra messages, before any controller code runs.
"""

import argparse
import json
import math
import os
from pathlib import Path
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, IO, Iterator, Optional, Sequence

from diagnostic_msgs.msg import DiagnosticArray
from hebb_controller.control.observation import ObservationBuilder
from hebb_controller.plasticity import coefficient_file
from hebb_controller.ros.controller_node import default_coefficients, LATENCY_WINDOW
from hebb_controller.ros.conversions import commands_to_message
from hebb_controller.ros.node_main import run_node
import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data, QoSProfile, ReliabilityPolicy
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Float64MultiArray

ECHO_NAMESPACE = '/bench_echo'
SENSOR_ECHO_NAMESPACE = '/bench_echo_sensors'
CONTROLLER_NAMESPACE = '/bench_controller'
WARMUP_MESSAGES = 200       # untimed round trips before each measurement
SETTLED = 50                # ... ending with this many answered in a row
REPLY_TIMEOUT = 0.5         # s without its command: the sample is skipped
START_TIMEOUT = 60.0        # s for a node to start and be discovered
WARMUP_TIMEOUT = 30.0       # s for the warm-up to settle
STATUS_TIMEOUT = 5.0        # s for the controller's next ~/status (published every 1 s)
STOP_TIMEOUT = 10.0         # s for a node to exit on SIGINT before it is killed
P50_MARGIN_MS = 0.1         # target: controller p50 - echo p50
P99_LIMIT_MS = 1.0          # target: controller p99
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


class BenchmarkError(RuntimeError):
    """The benchmark cannot run; the message says why."""


# -- the echo node (its own process) ---------------------------------------------------------

class EchoNode(Node):
    """Answer each JointState with one command of its positions: the transport floor."""

    def __init__(self, sensors: bool = False, **kwargs: Any) -> None:
        super().__init__('echo', **kwargs)
        # the controller's QoS: sensor data in, reliable commands out
        self.command_pub = self.create_publisher(Float64MultiArray, 'joint_commands', RELIABLE)
        self.latest: dict[str, Any] = {}
        if sensors:   # taken and kept, as the controller's callbacks do, and nothing more
            for msg_type, topic in ((Imu, 'imu/data'), (Float64MultiArray, 'foot_contacts')):
                self.create_subscription(msg_type, topic,
                                         lambda msg, topic=topic: self.latest.update({topic: msg}),
                                         qos_profile_sensor_data)
        self.create_subscription(JointState, 'joint_states', self._on_joint_state,
                                 qos_profile_sensor_data)

    def _on_joint_state(self, msg: JointState) -> None:
        self.command_pub.publish(commands_to_message(msg.position))


def echo_main(args: Optional[list[str]] = None, sensors: bool = False) -> int:
    """Run the echo node until shutdown (``python -m hebb_controller.ros.benchmark --echo``)."""
    return run_node(lambda: EchoNode(sensors), 'echo', args)


# -- the driver (this process) ---------------------------------------------------------------

class RobotSensors:
    """The messages a robot driver sends the controller file's layout, built once."""

    def __init__(self, path: Path) -> None:
        layout = coefficient_file.load(path).metadata.layout
        observation = ObservationBuilder(layout)
        names = list(dict.fromkeys(list(layout.action_names) + observation.joint_names))
        nominal = dict(zip(layout.action_names, layout.action_offset))
        self.joint_state = JointState(name=names,
                                      position=[float(nominal.get(n, 0.0)) for n in names],
                                      velocity=[0.0] * len(names))
        self.imu = Imu()
        self.imu.orientation.w = 1.0
        self.imu.linear_acceleration.z = 9.81
        self.contacts = Float64MultiArray(data=[1.0] * len(observation.foot_names))


class Inbox:
    """
    One subscription, read through a wait set of its own instead of an executor.

    A cycle of rclpy's executor costs about 0.3 ms on this machine, which the
    driver would add to every sample; waiting on the subscription alone and
    taking its message here stamps the arrival within microseconds.
    """

    def __init__(self, node: Node, msg_type: Any, topic: str, qos: QoSProfile) -> None:
        self.msg_type = msg_type
        self.subscription = node.create_subscription(msg_type, topic, lambda msg: None, qos)
        # what rclpy.wait_for_message waits on (rclpy has no public wait set)
        self._wait_set = _rclpy.WaitSet(1, 0, 0, 0, 0, 0, node.context.handle)

    def take(self, timeout: float) -> Optional[tuple[int, Any]]:
        """Wait for the next message: (arrival in perf_counter_ns, message); None on timeout."""
        handle = self.subscription.handle
        deadline = time.perf_counter_ns() + round(timeout * 1e9)
        while True:
            remaining = max(deadline - time.perf_counter_ns(), 0)
            self._wait_set.clear_entities()
            self._wait_set.add_subscription(handle)
            self._wait_set.wait(remaining)
            arrival = time.perf_counter_ns()
            taken = handle.take_message(self.msg_type, False)
            if taken is not None:
                return arrival, taken[0]
            if remaining == 0:
                return None

    def drain(self, timeout: float = 0.0) -> None:
        """Drop what has arrived, and what arrives within ``timeout`` s of the last one."""
        while self.take(timeout) is not None:
            pass


class Target:
    """A node under test as the driver sees it: the topics to it, its commands back."""

    def __init__(self, name: str, node: Node, namespace: str, sensors: bool) -> None:
        self.name = name
        self.joint_pub = node.create_publisher(JointState, f'{namespace}/joint_states',
                                               qos_profile_sensor_data)
        self.sensor_pubs = [
            node.create_publisher(msg_type, f'{namespace}/{topic}', qos_profile_sensor_data)
            for msg_type, topic in ((Imu, 'imu/data'), (Float64MultiArray, 'foot_contacts'))
        ] if sensors else []
        self.commands = Inbox(node, Float64MultiArray, f'{namespace}/joint_commands', RELIABLE)

    def connected(self) -> bool:
        """Whether every topic to and from the node is matched."""
        return self.commands.subscription.get_publisher_count() > 0 and all(
            pub.get_subscription_count() > 0 for pub in [self.joint_pub] + self.sensor_pubs)


class Driver:
    """One rclpy node playing the robot's driver: publishes sensors, times the commands."""

    def __init__(self, context: Context, sensors: RobotSensors, rate: float) -> None:
        self.node = rclpy.create_node('bench_driver', context=context)
        self.sensors = sensors
        self.period_ns = round(1e9 / rate)
        self.status = Inbox(self.node, DiagnosticArray,
                            f'{CONTROLLER_NAMESPACE}/controller/status', RELIABLE)

    def close(self) -> None:
        self.node.destroy_node()

    def ping(self, target: Target) -> Optional[float]:
        """Send the sensors, then one JointState; its command's latency in ms (None: none)."""
        for pub, msg in zip(target.sensor_pubs, (self.sensors.imu, self.sensors.contacts)):
            pub.publish(msg)
        joints = self.sensors.joint_state
        joints.header.stamp = self.node.get_clock().now().to_msg()
        start = time.perf_counter_ns()
        target.joint_pub.publish(joints)
        answer = target.commands.take(REPLY_TIMEOUT)
        if answer is None:
            # a late command must not pass for the answer to the next message
            target.commands.drain(REPLY_TIMEOUT)
            return None
        return (answer[0] - start) * 1e-6

    def slots(self, count: Optional[int] = None) -> Iterator[int]:
        """Sleep to each slot of the rate, then yield (after a late answer at once, no burst)."""
        next_slot = time.perf_counter_ns()
        k = 0
        while count is None or k < count:
            delay = next_slot - time.perf_counter_ns()
            if delay > 0:
                time.sleep(delay * 1e-9)
            yield k
            k += 1
            next_slot = max(next_slot + self.period_ns, time.perf_counter_ns())

    def wait_connected(self, target: Target, processes: dict[str, 'NodeProcess']) -> None:
        """Wait until DDS has matched the target's topics; raise if a node has exited."""
        deadline = time.monotonic() + START_TIMEOUT
        while not target.connected():
            for process in processes.values():
                process.check()
            if time.monotonic() > deadline:
                raise BenchmarkError(f'{target.name}: not discovered within {START_TIMEOUT:.0f} s')
            time.sleep(0.05)

    def warm_up(self, target: Target) -> None:
        """Untimed round trips until the node has answered the last SETTLED in a row."""
        deadline = time.monotonic() + WARMUP_TIMEOUT
        answered = 0
        for k in self.slots():
            if k >= WARMUP_MESSAGES and answered >= SETTLED:
                return
            if time.monotonic() > deadline:
                raise BenchmarkError(f'{target.name}: commands do not keep arriving after '
                                     f'{k} messages ({WARMUP_TIMEOUT:.0f} s)')
            answered = answered + 1 if self.ping(target) is not None else 0

    def measure(self, target: Target, messages: int) -> dict:
        """Time ``messages`` round trips at the rate: p50, p99, max (ms) and timeouts."""
        latencies = [latency for latency in (self.ping(target) for _ in self.slots(messages))
                     if latency is not None]
        row: dict[str, Any] = {'messages': messages, 'timeouts': messages - len(latencies)}
        if latencies:
            p50, p99 = np.percentile(latencies, [50, 99])
            row.update(p50_ms=float(p50), p99_ms=float(p99), max_ms=float(max(latencies)))
        else:
            row.update(p50_ms=None, p99_ms=None, max_ms=None)
        return row

    def controller_status(self) -> dict[str, str]:
        """Read the values of the next ``~/status`` the controller publishes ({} if none)."""
        self.status.drain()
        received = self.status.take(STATUS_TIMEOUT)
        if received is None or not received[1].status:
            return {}
        return {kv.key: kv.value for kv in received[1].status[0].values}


class NodeProcess:
    """A node under test in its own process; its output kept for the error message."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.log: IO[bytes] = tempfile.TemporaryFile()
        self.process = subprocess.Popen([sys.executable, '-m'] + args, env=env,
                                        stdin=subprocess.DEVNULL, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def tail(self, lines: int = 15) -> str:
        self.log.seek(0)
        return '\n'.join(self.log.read().decode(errors='replace').splitlines()[-lines:])

    def check(self) -> None:
        """Raise if the node has exited."""
        if self.process.poll() is not None:
            raise BenchmarkError(f'the {self.name} node exited with {self.process.returncode}:\n'
                                 f'{self.tail()}')

    def stop(self) -> None:
        """SIGINT, as ros2 launch stops a node; kill it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start_nodes(coefficients: Path, domain_id: int) -> dict[str, NodeProcess]:
    """Start the echo and the controller node, each in its own process and namespace."""
    env = {**os.environ, 'ROS_DOMAIN_ID': str(domain_id), 'PYTHONUNBUFFERED': '1'}
    commands = {
        'echo': ['hebb_controller.ros.benchmark', '--echo', '--ros-args',
                 '-r', f'__ns:={ECHO_NAMESPACE}'],
        'echo+sensors': ['hebb_controller.ros.benchmark', '--echo', '--echo-sensors',
                         '--ros-args', '-r', f'__ns:={SENSOR_ECHO_NAMESPACE}'],
        'controller': [
            'hebb_controller.ros.controller_node', '--ros-args',
            '-r', f'__ns:={CONTROLLER_NAMESPACE}', '-p', f'coefficients:={coefficients}',
            '-p', 'trigger:=joint_states', '-p', 'startup_ramp_time:=0.0',
            '-p', 'sensor_timeout:=1.0'],
    }
    processes: dict[str, NodeProcess] = {}
    try:
        for name, args in commands.items():
            processes[name] = NodeProcess(name, args, env)
    except BaseException:
        for process in processes.values():
            process.stop()
        raise
    return processes


def run(coefficients: Path, sensors: RobotSensors, messages: int, rate: float,
        domain_id: int) -> dict:
    """Measure the echo, then the controller; the figures ``--json`` writes."""
    context = Context()
    rclpy.init(context=context, domain_id=domain_id,
               signal_handler_options=SignalHandlerOptions.NO)
    driver = None
    processes: dict[str, NodeProcess] = {}
    try:
        processes = start_nodes(coefficients, domain_id)
        driver = Driver(context, sensors, rate)
        targets = {'echo': Target('echo', driver.node, ECHO_NAMESPACE, sensors=False),
                   'echo+sensors': Target('echo+sensors', driver.node, SENSOR_ECHO_NAMESPACE,
                                          sensors=True),
                   'controller': Target('controller', driver.node, CONTROLLER_NAMESPACE,
                                        sensors=True)}
        rows = {}
        for name, target in targets.items():
            driver.wait_connected(target, processes)
            driver.warm_up(target)
            rows[name] = driver.measure(target, messages)
            processes[name].check()
        values = driver.controller_status()
    finally:
        for process in processes.values():
            process.stop()
        if driver is not None:
            driver.close()
        rclpy.try_shutdown(context=context)
    tick = {'p50_us': _number(values.get('tick_latency_p50_us')),
            'p99_us': _number(values.get('tick_latency_p99_us')),
            'mode': values.get('mode'), 'ticks': _number(values.get('ticks'))}
    echo, controller = rows['echo'], rows['controller']
    over = controller['p50_ms'] - echo['p50_ms'] \
        if controller['p50_ms'] is not None and echo['p50_ms'] is not None else None
    sensor_echo = rows['echo+sensors']['p50_ms']
    executor = sensor_echo - echo['p50_ms'] \
        if sensor_echo is not None and echo['p50_ms'] is not None else None
    return {
        'coefficients': str(coefficients), 'rate_hz': rate, 'domain_id': domain_id,
        'targets': rows, 'controller_tick': tick,
        'checks': {
            'p50_over_echo_ms': over,
            'sensor_echo_p50_over_echo_ms': executor,
            'p50_within_margin': over is not None and over <= P50_MARGIN_MS,
            'p99_under_limit': controller['p99_ms'] is not None
            and controller['p99_ms'] < P99_LIMIT_MS,
            'p50_margin_ms': P50_MARGIN_MS, 'p99_limit_ms': P99_LIMIT_MS,
        },
    }


def _number(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _ms(value: Optional[float], unit: str = '') -> str:
    return 'n/a' if value is None or not math.isfinite(value) else f'{value:.3f}{unit}'


def report(result: dict, messages: int) -> None:
    """Print the table, the controller's own tick cost and the targets."""
    print(f'sensor-to-command latency through DDS: {messages} JointState at '
          f'{result["rate_hz"]:g} Hz, ping-pong (ROS_DOMAIN_ID {result["domain_id"]})')
    print(f'{"target":12} {"messages":>8} {"p50 ms":>8} {"p99 ms":>8} {"max ms":>8} '
          f'{"timeouts":>8}')
    for name, row in result['targets'].items():
        print(f'{name:12} {row["messages"]:8d} {_ms(row["p50_ms"]):>8} {_ms(row["p99_ms"]):>8} '
              f'{_ms(row["max_ms"]):>8} {row["timeouts"]:8d}')
    tick = result['controller_tick']
    if tick['p50_us'] is None:
        print('controller tick (~/status): not received')
    else:
        window = min(LATENCY_WINDOW, int(tick['ticks'] or 0))
        print(f'controller tick (its ~/status, last {window} ticks): p50 '
              f'{tick["p50_us"]:.1f} us, p99 {tick["p99_us"]:.1f} us, mode {tick["mode"]}')
    checks = result['checks']
    p99 = result['targets']['controller']['p99_ms']
    print(f'controller p50 - echo p50: {_ms(checks["p50_over_echo_ms"], " ms")} '
          f'(target <= {P50_MARGIN_MS} ms): '
          f'{"met" if checks["p50_within_margin"] else "not met"}')
    print(f'controller p99: {_ms(p99, " ms")} (target < {P99_LIMIT_MS} ms): '
          f'{"met" if checks["p99_under_limit"] else "not met"}')
    print(f'echo+sensors p50 - echo p50: {_ms(checks["sensor_echo_p50_over_echo_ms"], " ms")} '
          '(the executor on the IMU and contacts messages, no controller code)')


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb bench ros', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--coefficients', metavar='FILE', type=Path, default=None,
                        help="the controller's coefficient file; default: the shipped one")
    parser.add_argument('--messages', type=int, default=2000, help='timed round trips per node')
    parser.add_argument('--rate', type=float, default=500.0, help='JointState messages per s')
    parser.add_argument('--domain-id', type=int, default=1 + os.getpid() % 100,
                        help='ROS_DOMAIN_ID of this run (default: from the process id, '
                             '1..100, so that runs side by side do not hear each other)')
    parser.add_argument('--json', metavar='FILE', help='also write the figures as JSON')
    parser.add_argument('--echo', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--echo-sensors', action='store_true', help=argparse.SUPPRESS)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``hebb bench ros`` (or, with ``--echo``, the echo node)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ros_args = argv[argv.index('--ros-args'):] if '--ros-args' in argv else []
    args = build_parser().parse_args(argv[:len(argv) - len(ros_args)])
    if args.echo:
        return echo_main([sys.argv[0]] + ros_args, sensors=args.echo_sensors)
    if args.messages < 1 or args.rate <= 0:
        print('hebb bench ros: --messages and --rate must be positive', file=sys.stderr)
        return 2
    path = (args.coefficients or default_coefficients()).resolve()
    if not path.is_file():
        print(f'hebb bench ros: no coefficient file at {path}'
              f'{"" if args.coefficients else " (the default)"}; pass --coefficients FILE '
              '(one `hebb train` wrote)', file=sys.stderr)
        return 2
    try:
        sensors = RobotSensors(path)
    except coefficient_file.CoefficientFileError as err:   # it names the file
        print(f'hebb bench ros: {err}', file=sys.stderr)
        return 2
    except ValueError as err:
        print(f'hebb bench ros: {path}: {err}', file=sys.stderr)
        return 2
    # SIGTERM too must stop the nodes, not leave them spinning without their driver
    previous = signal.signal(signal.SIGTERM, _interrupt) \
        if threading.current_thread() is threading.main_thread() else None
    try:
        result = run(path, sensors, args.messages, args.rate, args.domain_id)
    except BenchmarkError as err:
        print(f'hebb bench ros: {err}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('hebb bench ros: interrupted', file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    report(result, args.messages)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
