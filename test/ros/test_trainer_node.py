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
The trainer node over real ROS 2 (Fast DDS): progress, ``~/stop``, outputs, start-up errors.

The node's ``main`` runs in the test's main thread, as ``ros2 run`` would run
it; an operator node in its own context (as if in another process) watches
``~/progress`` and calls ``~/stop``. Training uses the session's Ray.
"""

import re
import threading

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from hebb_controller.config import load_config
from hebb_controller.evolution import checkpoint
from hebb_controller.evolution import train as train_module
from hebb_controller.plasticity import coefficient_file
from hebb_controller.ros.trainer_node import (EXIT_BAD_PARAMETERS, EXIT_DONE, EXIT_FAILED,
                                              LATCHED, main, PROGRESS_KEYS)
import pytest
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from std_srvs.srv import Trigger
import yaml

TIMEOUT = 60.0


class Operator:
    """Someone else on the ROS graph: subscribes to the progress, calls stop after two."""

    def __init__(self, stop_after_messages: int = 2) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node('operator', context=self.context)
        self.progress: list[DiagnosticArray] = []
        self.received = threading.Condition()
        self.stop_after_messages = stop_after_messages
        self.reply = self.parameter_reply = None
        self.client = self.node.create_client(Trigger, '/trainer/stop')
        self.parameters = self.node.create_client(SetParameters, '/trainer/set_parameters')
        self.node.create_subscription(DiagnosticArray, '/trainer/progress', self._on_progress,
                                      LATCHED)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _on_progress(self, msg: DiagnosticArray) -> None:
        with self.received:
            self.progress.append(msg)
            self.received.notify_all()
        if len(self.progress) == 1:           # a change while it trains: refused
            self.parameter_reply = self.parameters.call_async(SetParameters.Request(
                parameters=[Parameter('generations', value=1000).to_parameter_msg()]))
        if len(self.progress) == self.stop_after_messages:
            self.reply = self.client.call_async(Trigger.Request())

    def wait_for(self, condition, timeout: float = TIMEOUT) -> bool:
        with self.received:
            return self.received.wait_for(condition, timeout)

    def close(self) -> None:
        self.executor.shutdown()
        self.thread.join(TIMEOUT)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)


@pytest.fixture
def operator():
    operator = Operator()
    yield operator
    operator.close()


@pytest.fixture
def tiny_config(tmp_path):
    """Write the smoke config shrunk to a fraction of a second per generation, and long."""
    data = load_config('smoke').model_dump(mode='json')
    data['env']['max_episode_steps'] = 45
    data['es'].update(generations=500, population=2, morphologies=['whole'])
    path = tmp_path / 'tiny.yaml'
    path.write_text(yaml.safe_dump(data))
    return path


def values(msg: DiagnosticArray) -> dict[str, str]:
    (status,) = msg.status
    return {kv.key: kv.value for kv in status.values}


def test_trains_publishes_progress_and_stops_with_a_checkpoint(ray_session, operator,
                                                               tiny_config, tmp_path):
    run = tmp_path / 'run'
    status = main(['--ros-args', '-p', f'config:={tiny_config}', '-p', f'run_dir:={run}',
                   '-p', 'seed:=3', '-p', 'generations:=400'])
    assert status == EXIT_DONE
    saved = yaml.safe_load((run / 'config.yaml').read_text())['es']
    assert (saved['seed'], saved['generations']) == (3, 400)

    assert operator.reply is not None, 'the stop service was never called'
    reply = operator.reply.result()
    assert reply.success, reply.message
    last = int(re.search(r'after generation (\d+)', reply.message).group(1))
    assert last >= operator.stop_after_messages - 1
    state, _ = checkpoint.load_checkpoint(run / checkpoint.LATEST)
    assert state['es']['generation'] == last + 1, 'stopped after that generation, checkpointed'
    assert state['es']['generation'] < 400

    # the stopped-after generation's message was published before the node exited
    assert operator.wait_for(lambda: values(operator.progress[-1])['generation'] == str(last))
    generations = [int(values(msg)['generation']) for msg in operator.progress]
    assert generations == list(range(last + 1)), 'one message per generation, in order'
    for msg in operator.progress:
        (status,) = msg.status
        assert status.level == DiagnosticStatus.OK
        assert tuple(values(msg)) == PROGRESS_KEYS
        assert values(msg)['run_dir'] == str(run)
        assert float(values(msg)['env_steps_per_s']) > 0
    assert 'stopping' in operator.progress[-1].status[0].message

    for name in ('best.safetensors', 'centre.safetensors'):
        loaded = coefficient_file.load(run / name)
        assert loaded.metadata.provenance['config']['es']['population'] == 2
    (refused,) = operator.parameter_reply.result().results
    assert not refused.successful and 'generations: read at start-up' in refused.reason


def test_a_failed_run_says_so_on_progress_and_exits_1(ray_session, tiny_config, tmp_path):
    operator = Operator(stop_after_messages=-1)
    run = tmp_path / 'run'
    run.mkdir()
    try:
        with train_module.run_lock(run):      # as another process's trainer would hold it
            assert main(['--ros-args', '-p', f'config:={tiny_config}', '-p',
                         f'run_dir:={run}']) == EXIT_FAILED
        assert operator.wait_for(lambda: operator.progress)
        (status,) = operator.progress[-1].status
        assert status.level == DiagnosticStatus.ERROR
        assert 'training failed' in status.message and 'another process' in status.message
        assert values(operator.progress[-1]) == {'run_dir': str(run)}
    finally:
        operator.close()


@pytest.mark.parametrize('args, message', [
    (['-p', 'config:=no_such_config'], "config 'no_such_config' not found"),
    (['-p', 'resume:=true'], 'resuming needs run_dir'),
    (['-p', 'workers:=-1'], 'out of range'),
    (['-p', 'resume:=true', '-p', 'run_dir:=runs/x', '-p', 'seed:=1'], 'keeps the seed'),
])
def test_bad_parameters_fail_start_up_with_one_error_line(args, message, capfd):
    assert main(['--ros-args'] + args) == EXIT_BAD_PARAMETERS
    err = capfd.readouterr().err
    errors = [line for line in err.splitlines() if '[ERROR]' in line]
    assert len(errors) == 1 and message in errors[0] and '[trainer]' in errors[0], err
    assert 'Traceback' not in err


def test_a_new_run_in_a_run_directory_fails_start_up(tmp_path, capfd):
    (tmp_path / checkpoint.LATEST).write_bytes(b'')   # what a new run there would overwrite
    assert main(['--ros-args', '-p', f'run_dir:={tmp_path}']) == EXIT_BAD_PARAMETERS
    assert 'holds a run already' in capfd.readouterr().err
