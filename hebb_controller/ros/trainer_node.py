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
The ``trainer`` node: ``hebb train`` for a robot stack that is run through ROS 2.

A launch file starts it from a parameter file, anything on the ROS graph can
follow it and stop it, and it ends with the coefficient files the
``controller`` node loads. All the work is
:func:`hebb_controller.evolution.train.train`, run in a worker thread so that
the executor keeps serving ``~/stop`` meanwhile; the node only turns train's
hooks into messages and a stop request into its ``should_stop``.

Interface:

- parameters: :class:`hebb_controller.config.TrainerParams` (``config/trainer.yaml``):
  ``config``, ``run_dir``, ``resume``, ``ray_address``, ``workers``.
- ``~/progress`` (diagnostic_msgs/DiagnosticArray, reliable, transient local,
  depth 1, so a late subscriber gets the latest): one status per generation
  with the values :data:`PROGRESS_KEYS`.
- ``~/stop`` (std_srvs/Trigger): stop after the generation in flight, whose
  checkpoint lets ``resume: true`` continue the run.

The node exits when training ends: status 0 when it finished or was stopped,
1 when training failed, 2 when its parameters are unusable (one error line).
"""

import threading
import time
from typing import Any, Optional

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from hebb_controller.config import ConfigError, load_node_params
from hebb_controller.evolution.checkpoint import CheckpointError, LATEST, load_latest
from hebb_controller.evolution.train import BEST_FILE, CENTRE_FILE, resolve_run, train
from hebb_controller.ros.parameters import declare_node_params
from rcl_interfaces.msg import SetParametersResult
import rclpy
from rclpy.duration import Duration
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.task import Future
from std_srvs.srv import Trigger

NODE_NAME = 'trainer'
PROGRESS_KEYS = ('generation', 'fitness_best', 'fitness_mean', 'fitness_std', 'best_so_far',
                 'env_steps_per_s', 'seconds', 'run_dir')
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
EXIT_DONE, EXIT_FAILED, EXIT_BAD_PARAMETERS, EXIT_INTERRUPTED = 0, 1, 2, 130


def _text(value: Any) -> str:
    return str(float(value)) if isinstance(value, float) else str(value)


class TrainerNode(Node):
    """One training run from the node's parameters; ``finished`` gets the exit status."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        try:
            self.params = declare_node_params(self, NODE_NAME, load_node_params(NODE_NAME))
            self.config, self.run_dir = resolve_run(
                self.params.config, self.params.run_dir, self.params.resume,
                seed=None if self.params.seed < 0 else self.params.seed,
                generations=self.params.generations or None)
            # the generation in flight: what a stop request stops after
            self._next_generation = 0
            if self.params.resume:
                self._next_generation = int(load_latest(self.run_dir)[0]['es']['generation'])
        except BaseException:
            self.destroy_node()
            raise
        self._stop_after: Optional[int] = None
        self._lock = threading.Lock()
        self.finished = Future()
        self.progress = self.create_publisher(DiagnosticArray, '~/progress', LATCHED)
        self.create_service(Trigger, '~/stop', self._on_stop)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.get_logger().info(
            f'{"resuming" if self.params.resume else "training"} {self.run_dir} at generation '
            f'{self._next_generation} of {self.config.es.generations}')
        self._worker = threading.Thread(target=self._train, name='train', daemon=True)
        self._worker.start()

    def _train(self) -> None:
        try:
            train(self.config, self.run_dir, resume=self.params.resume,
                  ray_address=self.params.ray_address or None,
                  workers=self.params.workers or None, progress=False,
                  on_generation=self._on_generation, should_stop=self._should_stop)
        except Exception as err:
            if self.context.ok():  # else ROS was shut down under it, and main says so
                message = f'training failed: {type(err).__name__}: {err}'
                self.get_logger().error(message)
                # latched: whoever watches ~/progress, now or later, learns how the run ended
                self._publish(DiagnosticStatus.ERROR, message, [
                    KeyValue(key='run_dir', value=str(self.run_dir))])
                self._deliver_before_exit()
            self.finished.set_result(EXIT_FAILED)
            return
        with self._lock:
            done = self._next_generation
        how = ('finished' if done >= self.config.es.generations else
               f'stopped after generation {done - 1}; resume: true continues it')
        self.get_logger().info(
            f'training {how}; coefficient files for the controller node: '
            f'{self.run_dir / BEST_FILE} (best individual), {self.run_dir / CENTRE_FILE} (centre)')
        self.finished.set_result(EXIT_DONE)

    def _on_generation(self, row: dict) -> None:
        generation = int(row['generation'])
        with self._lock:
            self._next_generation = generation + 1
            stopping = self._stop_after is not None and generation >= self._stop_after
        self._publish(DiagnosticStatus.OK,
                      f'{generation + 1}/{self.config.es.generations} generations done'
                      + ('; stopping as requested' if stopping else ''),
                      [KeyValue(key=key, value=_text(row[key])) for key in PROGRESS_KEYS])
        self.get_logger().info(
            f'generation {generation}: best {row["fitness_best"]:.2f}, mean '
            f'{row["fitness_mean"]:.2f} (std {row["fitness_std"]:.2f}), best so far '
            f'{row["best_so_far"]:.2f}, {row["env_steps_per_s"]:.0f} env steps/s, '
            f'{row["seconds"]:.1f} s')

    def _publish(self, level: bytes, message: str, values: list[KeyValue]) -> None:
        status = DiagnosticStatus(level=level, name=f'{self.get_name()}: training',
                                  message=message, values=values)
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.progress.publish(msg)

    def _deliver_before_exit(self, timeout: float = 3.0) -> None:
        # a run can fail before the graph has found the ones watching ~/progress, and a
        # latched message ends with its node: give them a moment to match and take it
        deadline = time.monotonic() + timeout
        while self.progress.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        left = max(0.0, deadline - time.monotonic())
        self.progress.wait_for_all_acked(Duration(nanoseconds=int(left * 1e9)))

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        names = [p.name for p in parameters if p.name != 'use_sim_time']
        if names:
            return SetParametersResult(
                successful=False, reason=f'{", ".join(names)}: read at start-up; stop the run '
                                         '(~/stop) and start it again with resume: true')
        return SetParametersResult(successful=True)

    def _should_stop(self) -> bool:
        with self._lock:
            return self._stop_after is not None and self._next_generation > self._stop_after

    def _on_stop(self, request: Trigger.Request, response: Trigger.Response
                 ) -> Trigger.Response:
        with self._lock:
            if self.finished.done() or self._next_generation >= self.config.es.generations:
                response.success = False
                response.message = 'training has already ended'
                return response
            if self._stop_after is None:
                self._stop_after = self._next_generation
                self.get_logger().info(f'stop requested: stopping after generation '
                                       f'{self._stop_after}')
            response.success = True
            response.message = (f'stopping after generation {self._stop_after}, with its '
                                f'checkpoint {self.run_dir / LATEST}')
        return response


def main(args: Optional[list[str]] = None) -> int:
    """Run the trainer node until training ends; returns the exit status."""
    rclpy.init(args=args)
    logger = rclpy.logging.get_logger(NODE_NAME)
    node = None
    try:
        node = TrainerNode()
        rclpy.spin_until_future_complete(node, node.finished)
    except (ConfigError, CheckpointError, ParameterException) as err:
        logger.error(f'cannot start: {err}')
        return EXIT_BAD_PARAMETERS
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    if node is None or not node.finished.done():
        logger.warning('interrupted: the generation in flight is lost; resume: true continues '
                       'the run from its last checkpoint')
        return EXIT_INTERRUPTED
    return node.finished.result()
