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

"""Every shipped YAML file validates; the kept training runs hold their config and metrics."""

import csv
from pathlib import Path

from hebb_controller.config import load_config, load_node_params, package_share, \
    validate_config
from hebb_controller.evolution.train import METRICS
import pytest
import yaml

NODE_FILES = ('controller', 'sim', 'trainer')
# the configs and metrics of the runs behind the shipped files (docs, not package data)
KEPT_RUNS = Path(__file__).resolve().parents[1] / 'docs' / 'results' / 'training'
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


@pytest.mark.parametrize('run', sorted(p.name for p in KEPT_RUNS.iterdir()))
def test_every_kept_run_holds_its_config_and_each_generation(run):
    folder = KEPT_RUNS / run
    config = validate_config(yaml.safe_load((folder / 'config.yaml').read_text()))
    with (folder / 'metrics.csv').open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert tuple(reader.fieldnames) == METRICS
    assert [int(r['generation']) for r in rows] == list(range(len(rows)))
    assert 0 < len(rows) <= config.es.generations
