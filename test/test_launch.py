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
The launch files, checked without the ROS 2 ``launch`` packages (not installable here).

Each file is parsed: every executable it starts is a console script of this
package, every parameter file it names exists in ``config/`` and validates,
every parameter it sets is one the node declares (the node's model in
``hebb_controller.config``), every topic it remaps is one the node's module
names, and every launch argument it reads is declared.
Where ``launch_ros`` is importable (a real ROS 2 install), the description is
built for real.
"""

import ast
import importlib.metadata
import importlib.util
from pathlib import Path

from hebb_controller.config import load_node_params, NODE_PARAMS
import pytest

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_FILES = sorted((ROOT / 'launch').glob('*.launch.py'))


def console_scripts():
    entry_points = importlib.metadata.distribution('hebb_controller').entry_points
    return {ep.name for ep in entry_points if ep.group == 'console_scripts'}


def calls(tree, name):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, 'id', getattr(node.func, 'attr', None)) == name]


def keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def node_strings(executable):
    """Every string literal in the node's module: the topic and service names it uses."""
    source = ROOT / 'hebb_controller' / 'ros' / f'{executable}_node.py'
    return {c.value for c in ast.walk(ast.parse(source.read_text()))
            if isinstance(c, ast.Constant) and isinstance(c.value, str)}


def test_the_three_launch_files_exist():
    names = [p.name for p in LAUNCH_FILES]
    assert names == ['hardware.launch.py', 'sim.launch.py', 'train.launch.py']


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_names_real_executables_files_and_parameters(path):
    tree = ast.parse(path.read_text())
    scripts = console_scripts()
    nodes = calls(tree, 'Node')
    assert nodes, 'starts at least one node'
    yaml_files = {c.value for c in ast.walk(tree)
                  if isinstance(c, ast.Constant) and str(c.value).endswith('.yaml')}
    for name in yaml_files:
        assert (ROOT / 'config' / name).is_file(), f'{name} is not in config/'
    for node in nodes:
        executable = keyword(node, 'executable').value
        assert keyword(node, 'package').value == 'hebb_controller'
        assert executable in scripts, f'{executable} is not a console script'
        assert executable in NODE_PARAMS, f'{executable} has no parameter model'
        assert f'{executable}.yaml' in yaml_files, 'the node gets its config/ parameter file'
        load_node_params(executable, ROOT / 'config' / f'{executable}.yaml')
        declared = set(NODE_PARAMS[executable].model_fields)
        for item in keyword(node, 'parameters').elts:
            if isinstance(item, ast.Dict):
                for key in item.keys:
                    assert key.value in declared, \
                        f'{path.name}: {executable} declares no parameter {key.value!r}'
        remappings = keyword(node, 'remappings')
        names = node_strings(executable)
        for pair in remappings.elts if remappings is not None else ():
            source = pair.elts[0].value
            assert source in names, f'{path.name}: {executable} uses no topic {source!r}'
    declared_args = {c.args[0].value for c in calls(tree, 'DeclareLaunchArgument')}
    used_args = {c.args[0].value for c in calls(tree, 'LaunchConfiguration')}
    assert used_args <= declared_args, f'undeclared arguments: {used_args - declared_args}'
    for call in calls(tree, 'DeclareLaunchArgument'):
        assert keyword(call, 'default_value') is not None and keyword(call, 'description')


def test_setup_installs_launch_and_config_files():
    setup = (ROOT / 'setup.py').read_text()
    assert "glob('launch/*.launch.py')" in setup and "glob('config/*.yaml')" in setup


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_description_builds_where_launch_is_installed(path):
    pytest.importorskip('launch_ros', reason='the ROS 2 launch packages are not installed')
    spec = importlib.util.spec_from_file_location(path.stem.replace('.', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    assert description.entities
