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
``hebb demo``: the simulated robot driven by the Hebbian controller through ROS 2 topics.

The ``sim`` and ``controller`` nodes run composed in one process (one rclpy
executor, the ROS 2 composition idea), talking over real topics exactly as
``ros2 launch hebb_controller sim.launch.py`` runs them in two processes: the
controller sees JointState, Imu and foot contacts and sends joint position
commands; it cannot tell the simulation from the robot. The weights start
random and learn by the evolved rules every control tick. Headless; prints
the distance walked and the control statistics at the end. ``--record``
writes every topic to an MCAP file (``ros2 bag``, Foxglove).
"""

import argparse
from pathlib import Path
import signal
import sys
from typing import Optional

from diagnostic_msgs.msg import DiagnosticArray
from hebb_controller.config import node_param_overrides, package_share
from hebb_controller.errors import InputError
from hebb_controller.ros.controller_node import (ControllerNode, SHIPPED_COEFFICIENTS,
                                                 StartupError)
from hebb_controller.ros.recording import Recorder
from hebb_controller.ros.sim_node import SimNode
from nav_msgs.msg import Odometry
import numpy as np
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.signals import SignalHandlerOptions
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import CameraInfo, Image, Imu, JointState
from std_msgs.msg import Float64MultiArray
import torch


# task -> (the config the sim node simulates, the shipped coefficient file)
TASKS = {'walk': ('robot', SHIPPED_COEFFICIENTS),
         'target': ('robot_target', 'coefficients/robot_target.safetensors')}


def seconds(text: str) -> float:
    """Parse a positive, finite time in s (an argparse type)."""
    value = float(text)
    if not 0 < value < float('inf'):
        raise argparse.ArgumentTypeError(f'{text!r}: give a positive number of seconds')
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb demo', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--task', choices=TASKS, default='walk',
                        help='walk: along +x (config robot); target: walk to a red post seen '
                             'only by the head camera (config robot_target)')
    parser.add_argument('--coefficients', metavar='FILE',
                        help="coefficient file (default: the task's shipped one)")
    parser.add_argument('--morphology', help="simulated body (default: config/sim.yaml's)")
    parser.add_argument('--duration', type=seconds, default=20.0, metavar='SECONDS',
                        help='simulated time to run (default: 20)')
    parser.add_argument('--seed', type=int, default=0, help='initial weights and reset pose')
    parser.add_argument('--fast', action='store_true',
                        help='lock-step instead of real time: the sim waits for each command '
                             'and the controller ticks on each JointState in simulated time, '
                             'so a run is as fast as the CPU allows and repeats exactly')
    parser.add_argument('--record', metavar='FILE.mcap',
                        help="record the robot's and the controller's topics to MCAP")
    parser.add_argument('--report-every', type=seconds, default=2.0, metavar='SECONDS')
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(1)
    context = Context()
    # Ctrl-C and SIGTERM end the run between spins, so it still reports and the recording
    # is finished; rclpy's own handlers would shut the context down in the middle of a spin
    rclpy.init(args=[], context=context, signal_handler_options=SignalHandlerOptions.NO)
    stop: list[int] = []
    handlers = {sig: signal.signal(sig, lambda signum, _: stop.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    executor = SingleThreadedExecutor(context=context)
    nodes, recorder = [], None
    try:
        config, shipped = TASKS[args.task]
        sim_overrides = [Parameter('seed', value=args.seed), Parameter('config', value=config)]
        # what sim.launch.py hands the controller after controller.yaml: tick on joint_states
        beside_sim = node_param_overrides('controller', package_share() / 'config' / 'sim.yaml')
        controller_overrides = [Parameter(k, value=v) for k, v in beside_sim.items()] + [
            Parameter('seed', value=args.seed),
            Parameter('coefficients', value=args.coefficients or str(package_share() / shipped))]
        if args.fast:
            sim_overrides += [Parameter('real_time', value=False),
                              Parameter('publish_clock', value=True),
                              Parameter('lockstep', value=True)]
            controller_overrides += [Parameter('trigger', value='joint_states'),   # lock-step
                                     Parameter('use_sim_time', value=True)]
        if args.morphology:
            sim_overrides.append(Parameter('morphology', value=args.morphology))
        sim = SimNode(context=context, parameter_overrides=sim_overrides)
        nodes.append(sim)
        controller = ControllerNode(context=context, parameter_overrides=controller_overrides)
        nodes.append(controller)
        if args.record:
            recorder = _recorder(context, args.record, sim, args.fast)
            nodes.append(recorder.node)
        for node in nodes:
            executor.add_node(node)
        print(f'sim: {sim.describe()}\ncontroller: {controller.coefficients_path} '
              f'({controller.core.network.device}, {controller.rate:.0f} Hz)')
        print(f'{"sim s":>6} {"distance m":>10} {"mode":>8}  weight norm per layer')
        next_report = args.report_every
        while context.ok() and sim.sim_time < args.duration and not stop:
            executor.spin_once(timeout_sec=0.1)
            if sim.sim_time >= next_report:
                next_report += args.report_every
                norms = ' '.join(f'{n:7.2f}' for n in controller.core.weight_norms())
                print(f'{sim.sim_time:6.1f} {sim.distance:10.3f} '
                      f'{controller.core.mode.value:>8}  {norms}', flush=True)
        if stop:
            print(f'stopped by {signal.Signals(stop[0]).name} after {sim.sim_time:.1f} s of '
                  'simulated time')
        _report(sim, controller)
        if recorder is not None:
            recorder.close()
            counts = ', '.join(f'{t} {n}' for t, n in sorted(recorder.counts.items()))
            print(f'recorded {recorder.path}: {counts}')
        return 128 + stop[0] if stop else 0
    except InputError:
        raise   # the hebb command prints it, with its exit status
    except (StartupError, ValueError) as err:
        print(f'hebb demo: {err}', file=sys.stderr)
        return 1
    finally:
        if recorder is not None:
            recorder.close()
        executor.shutdown()
        for node in nodes:
            node.destroy_node()
        rclpy.try_shutdown(context=context)
        for sig, handler in handlers.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


def _recorder(context: Context, path: str, sim: SimNode, lockstep: bool) -> Recorder:
    """
    Record the demo's topics (the robot's and the controller's) from a node of its own.

    In lock-step its clock is the simulated one, so a player paces the file as
    the robot lived it, not as fast as the CPU ran it.
    """
    node: Node = rclpy.create_node('recorder', context=context, parameter_overrides=[
        Parameter('use_sim_time', value=lockstep)])
    topics = [('joint_states', JointState), ('imu/data', Imu),
              ('foot_contacts', Float64MultiArray), ('odom', Odometry),
              ('joint_commands', Float64MultiArray), ('controller/status', DiagnosticArray)]
    if sim.image_pub is not None:
        topics += [('camera/image_raw', Image), ('camera/camera_info', CameraInfo)]
    if sim.clock_pub is not None:
        topics.append(('/clock', ClockMsg))
    return Recorder(node, Path(path), topics)


def _report(sim: SimNode, controller: ControllerNode) -> None:
    counters = controller.core.counters
    latencies = controller.tick_costs_us()
    print(f'walked {sim.distance:.3f} m along +x in {sim.sim_time:.1f} s of simulated time'
          f'{" (the robot fell)" if sim.fell else ""}; controller {controller.core.mode.value}'
          f' ({controller.core.reason})')
    if 'target_distance' in sim.last_info:
        print(f'target: {sim.start_info["target_distance"]:.2f} m away at the start, '
              f'{sim.last_info["target_distance"]:.2f} m at the end'
              f'{"; reached it" if sim.reached else ""}')
    print(f'control: {counters.ticks} ticks, {counters.commands} commands, '
          f'tick cost median {np.median(latencies):.0f} us, p99 '
          f'{np.percentile(latencies, 99):.0f} us; skipped {counters.skipped_nonfinite}, '
          f'weight resets {counters.weight_resets}, dropped '
          f'{sum(counters.dropped.values())} messages')
