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

"""Every shipped YAML file validates: training configs as configs, node files as parameters."""

from hebb_controller.config import load_config, load_node_params, package_share
import pytest

NODE_FILES = ('controller', 'sim', 'trainer')
TRAINING = sorted(p.stem for p in (package_share() / 'config').glob('*.yaml')
                  if p.stem not in NODE_FILES)


def test_the_config_folder_holds_the_expected_files():
    assert {'ant', 'ant_static', 'robot', 'smoke'} <= set(TRAINING)


@pytest.mark.parametrize('name', TRAINING)
def test_every_training_config_validates(name):
    config = load_config(name)
    assert config.es.generations > 0 and config.es.population > 0


@pytest.mark.parametrize('node', NODE_FILES)
def test_every_node_parameter_file_validates(node):
    assert load_node_params(node) is not None
