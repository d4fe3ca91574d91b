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

"""Only ``hebb_controller/ros/`` imports ROS: every other module loads without it."""

from pathlib import Path
import subprocess
import sys

PACKAGE = Path(__file__).resolve().parents[1] / 'hebb_controller'
ROS_MODULES = ('rclpy', 'rosidl_runtime_py', 'sensor_msgs', 'std_msgs', 'std_srvs',
               'trajectory_msgs', 'diagnostic_msgs', 'nav_msgs', 'rosgraph_msgs')


def pure_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob('*.py')):
        parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
        if parts[1] == 'ros':
            continue
        names.append('.'.join(parts[:-1] if parts[-1] == '__init__' else parts))
    return names


def test_no_module_outside_ros_imports_ros():
    modules = pure_modules()
    assert 'hebb_controller.control.controller' in modules and len(modules) > 30
    # a fresh interpreter, so what earlier tests imported does not count
    script = (f'import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n'
              f'print(sorted({{m.split(".")[0] for m in sys.modules}} & set({ROS_MODULES!r})))')
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                         check=True, timeout=300).stdout
    assert out.strip().splitlines()[-1] == '[]'
