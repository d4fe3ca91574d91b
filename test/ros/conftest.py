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

"""One fresh rclpy context per test, with an executor that can wait for a condition."""

import contextlib
import os
import time
from typing import Iterator

import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor


class TestExecutor(SingleThreadedExecutor):
    """A single-threaded executor that destroys the nodes it was given when closed."""

    __test__ = False   # not a test class, whatever pytest makes of its name

    def __init__(self, context: Context) -> None:
        super().__init__(context=context)
        self.nodes = []

    def add_node(self, node) -> bool:
        self.nodes.append(node)
        return super().add_node(node)

    def spin_until(self, condition, timeout: float = 30.0) -> bool:
        """Spin until ``condition()`` holds; False if ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.spin_once(timeout_sec=0.01)
            if condition():
                return True
        return False

    def close(self) -> None:
        self.shutdown()
        for node in self.nodes:
            node.destroy_node()


@contextlib.contextmanager
def fresh_executor(domain_id: int | None = None) -> Iterator[TestExecutor]:
    """Open an executor on a fresh context; its nodes and the context end with the block."""
    context = Context()
    rclpy.init(context=context, domain_id=domain_id)
    executor = TestExecutor(context)
    try:
        yield executor
    finally:
        executor.close()
        rclpy.shutdown(context=context)


@pytest.fixture()
def ros_executor():
    """Yield an executor on a fresh context; its nodes and the context end with the test."""
    with fresh_executor() as executor:
        yield executor


@pytest.fixture()
def ros_executor_apart():
    """
    Yield an executor on a domain apart from other tests' and benchmarks' ones.

    For tests whose nodes run in other processes: they are handed the domain
    (``executor.context.get_domain_id()``) as ROS_DOMAIN_ID.
    """
    with fresh_executor(domain_id=101 + os.getpid() % 100) as executor:
        yield executor
