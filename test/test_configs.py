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
import fnmatch
from pathlib import Path

from hebb_controller.config import ConfigError, load_config, load_node_params, \
    node_param_overrides, package_share, validate_config
from hebb_controller.evolution.checkpoint import load_checkpoint
from hebb_controller.evolution.train import METRICS
from hebb_controller.plasticity import coefficient_file
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


@pytest.mark.parametrize('name', [n for n in TRAINING if load_config(n).es.init_from])
def test_every_warm_start_names_a_kept_file_for_the_same_env(name):
    # the start of a kept run must stay where its config says, or the run cannot be redrawn
    config = load_config(name)
    path = package_share() / config.es.init_from
    assert path.is_file(), f'{name}: es.init_from {config.es.init_from} is missing'
    # setup.py installs the kept centres, so an installed package finds this start too
    assert fnmatch.fnmatch(config.es.init_from, 'docs/results/training/*/centre.safetensors')
    assert "glob('docs/results/training/*/centre.safetensors')" in \
        (Path(__file__).resolve().parents[1] / 'setup.py').read_text()
    source = coefficient_file.load(path).metadata
    assert source.network.kind == config.es.genome
    assert source.env_id == config.env.env_id or config.env.env_id.endswith('RobotTarget-v0')


@pytest.mark.parametrize('variant, section, key, ours, base_value', [
    ('ant_static', 'es', 'genome', 'static', 'hebbian'),
    ('ant_weight_norm', 'network', 'weight_norm', True, False),
    ('ant_weight_clip', 'network', 'weight_clip', 1.0, None),
])
def test_a_variant_differs_from_the_papers_ant_only_where_it_says(
        variant, section, key, ours, base_value):
    paper, config = load_config('ant'), load_config(variant)
    assert getattr(getattr(config, section), key) == ours
    assert getattr(getattr(paper, section), key) == base_value
    assert config.model_copy(update={section: getattr(config, section).model_copy(
        update={key: base_value})}) == paper


def test_a_base_merges_section_by_section_and_the_file_wins(tmp_path):
    (tmp_path / 'child.yaml').write_text(
        'base: ant\nes: {population: 8, morphologies: [whole]}\nnetwork: {rule: AD}\n')
    config = load_config(tmp_path / 'child.yaml')
    ant = load_config('ant')
    assert (config.es.population, config.es.morphologies, config.network.rule) == \
        (8, ('whole',), 'AD')
    assert (config.es.sigma, config.network.layer_sizes, config.env) == \
        (ant.es.sigma, ant.network.layer_sizes, ant.env)


def test_a_base_is_found_next_to_the_file_and_its_own_base_applies(tmp_path):
    (tmp_path / 'mid.yaml').write_text('base: ant\nes: {population: 8}\n')
    (tmp_path / 'leaf.yaml').write_text('base: mid.yaml\nes: {seed: 3}\n')
    config = load_config(tmp_path / 'leaf.yaml')
    assert (config.es.population, config.es.seed, config.es.generations) == (8, 3, 300)


@pytest.mark.parametrize('text, reason', [
    ('base: itself.yaml\n', 'leads back to itself'),
    ('base: no_such_config\n', "'no_such_config' not found"),
    ('base: [ant]\n', 'expected a config name or path'),
    ('base: ant\nes: {populaton: 8}\n', 'es.populaton'),
])
def test_a_bad_base_is_refused_with_its_reason(tmp_path, text, reason):
    (tmp_path / 'itself.yaml').write_text(text)
    with pytest.raises(ConfigError, match=reason):
        load_config(tmp_path / 'itself.yaml')


@pytest.mark.parametrize('node', NODE_FILES)
def test_every_node_parameter_file_validates(node):
    assert load_node_params(node) is not None


def test_the_controller_beside_the_sim_ticks_on_joint_states_and_only_that_is_layered():
    sim_yaml = package_share() / 'config' / 'sim.yaml'
    assert node_param_overrides('controller', sim_yaml) == {'trigger': 'joint_states'}
    assert load_node_params('controller').trigger == 'timer'    # hardware keeps its timer
    with pytest.raises(ConfigError, match='expected "trainer: ros__parameters'):
        node_param_overrides('trainer', sim_yaml)


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


@pytest.mark.parametrize('run', sorted(p.parent.name for p in
                                       KEPT_RUNS.glob('*/checkpoint.safetensors')))
def test_every_kept_checkpoint_resumes_where_its_metrics_end(run):
    # a copied folder must go on with `hebb train --resume`: a good file, its own seed,
    # and a metrics row for every generation it has finished (a resume drops later rows)
    folder = KEPT_RUNS / run
    state, tensors = load_checkpoint(folder / 'checkpoint.safetensors')
    config = validate_config(yaml.safe_load((folder / 'config.yaml').read_text()))
    with (folder / 'metrics.csv').open() as f:
        rows = sum(1 for _ in csv.DictReader(f))
    assert state['es']['seed'] == config.es.seed
    assert 0 < state['es']['generation'] <= rows
    assert tensors['centre'].shape == tensors['best_genome'].shape
