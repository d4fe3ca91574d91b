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

"""Rollouts and coefficient files: batch independence, seeds, and files that load and run."""

from hebb_controller.config import load_config, validate_config
from hebb_controller.evolution.es import EvolutionStrategy
from hebb_controller.evolution.evaluate import policy_for
from hebb_controller.evolution.layout import (coefficient_metadata, coefficient_tensors,
                                              save_genome, warm_start)
from hebb_controller.evolution.rollout import (episode_seeds, EpisodeResult, Evaluator,
                                               genome_of, GenomeSpec, initial_weights,
                                               input_normalization, make_batch, make_env,
                                               Policy, run_episodes)
from hebb_controller.plasticity import coefficient_file, HebbianNetwork, StaticNetwork
from hebb_controller.sim import ant
import numpy as np
import pytest
import torch


def smoke(**es):
    data = load_config('smoke').model_dump(mode='json')
    data['es'].update(es)
    return validate_config(data)


def test_initial_weights_match_network_reset():
    net = HebbianNetwork((5, 4, 2), population=1, seed=0)
    net.reset(seed=123)
    layers = initial_weights((5, 4, 2), 0.1, [7, 123])
    for drawn, reset in zip(layers, net.weights):
        assert torch.equal(drawn[1:], reset)
        assert drawn.abs().max() <= 0.1


def test_fitness_does_not_depend_on_the_batch():
    """Slots 4, 2 and 1 give identical fitness: what makes 1 and 2 workers agree."""
    config = smoke(morphologies=['whole', 'damaged_right_front'])
    spec = GenomeSpec.from_config(config)
    es = EvolutionStrategy.from_config(config.es, spec.size, spec.network_genes)
    genomes = es.ask()[:4]
    seeds = episode_seeds(0, 0, range(4), 2)
    results = []
    for slots in (4, 2, 1):
        evaluator = Evaluator(config, slots)
        fitness, steps = evaluator.evaluate(genomes, seeds)
        evaluator.close()
        results.append(fitness)
        assert steps == 4 * 2 * (config.env.max_episode_steps - ant.SETTLE_STEPS)
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
    assert len(set(results[0].tolist())) == 4


@pytest.mark.parametrize('genome', ['hebbian', 'static'])
def test_narrowing_to_the_live_rows_changes_no_return(genome):
    """Finished episodes drop out of the network; the rest run exactly as in the full batch."""
    # 300 steps: the ant's stopping rules act from scored step 200, so episodes end apart
    config = smoke(genome=genome, morphologies=['whole'])
    data = config.model_dump(mode='json')
    data['env']['max_episode_steps'] = 300
    config = validate_config(data)
    spec = GenomeSpec.from_config(config)
    genomes = torch.randn(6, spec.size, generator=torch.Generator().manual_seed(0))
    batch = make_batch(config.env, 'whole', 6)
    policy = Policy(spec, 6)
    policy.set_genomes(genomes)
    seeds = list(range(6))
    narrowed = run_episodes(policy, batch, seeds)
    assert policy.width < 6 and len(set(narrowed.steps.tolist())) > 1
    full = run_episodes(policy, batch, seeds, on_step=lambda *_: None)   # a hook: no narrowing
    assert policy.width == 6
    batch.close()
    assert np.array_equal(narrowed.returns, full.returns)
    assert np.array_equal(narrowed.steps, full.steps)


def test_narrow_takes_only_rows_computed_now():
    policy = Policy(GenomeSpec.from_config(smoke()), 4)
    policy.set_genomes(torch.zeros(4, policy.network.genome_size))
    policy.narrow([1, 3])
    for rows in ([0], []):
        with pytest.raises(ValueError, match='computes now'):
            policy.narrow(rows)
    policy.narrow([3])
    assert policy.width == 1 and policy.act(np.zeros((4, 28), np.float32)).shape == (4, 8)


def test_static_genome_evaluates():
    config = smoke(genome='static', morphologies=['whole'])
    spec = GenomeSpec.from_config(config)
    assert spec.size == 28 * 16 + 16 * 8
    evaluator = Evaluator(config, 2)
    fitness, _ = evaluator.evaluate(torch.randn(2, spec.size), episode_seeds(0, 0, [0, 1], 1))
    evaluator.close()
    assert np.isfinite(fitness).all()


def test_coefficient_file_round_trip(tmp_path):
    for kind, network_type in (('hebbian', HebbianNetwork), ('static', StaticNetwork)):
        config = smoke(genome=kind)
        spec = GenomeSpec.from_config(config)
        genome = torch.randn(spec.size)
        metadata = coefficient_metadata(config, spec, 1.5, {'generation': 3})
        path = tmp_path / f'{kind}.safetensors'
        coefficient_file.save(path, metadata, coefficient_tensors(spec, genome))
        loaded = coefficient_file.load(path)
        assert loaded.metadata.layout.observation_names == list(ant.OBS_NAMES)
        assert loaded.metadata.layout.action_names == list(ant.JOINT_NAMES)
        assert loaded.metadata.morphologies == ['whole', 'damaged_right_front']
        assert loaded.metadata.provenance['generation'] == 3
        assert torch.equal(genome_of(loaded.network_layers(), static=kind == 'static'), genome)
        net = loaded.build_network(population=1, device='cpu', seed=0)
        assert isinstance(net, network_type)
        assert net.forward(np.zeros((1, 28), np.float32)).shape == (1, 8)


def test_pixel_task_evolves_conv_filters_with_the_coefficients(tmp_path):
    data = load_config('car_racing').model_dump(mode='json')
    data['env']['max_episode_steps'] = 10
    data['es'].update(population=2)
    config = validate_config(data)
    spec = GenomeSpec.from_config(config)
    assert spec.size - spec.network_genes == 162 + 1200     # the paper's conv filters
    es = EvolutionStrategy.from_config(config.es, spec.size, spec.network_genes)
    assert es.penalty_genes == spec.network_genes
    evaluator = Evaluator(config, 2)
    fitness, steps = evaluator.evaluate(es.ask(), episode_seeds(0, 0, [0, 1], 1))
    evaluator.close()
    assert np.isfinite(fitness).all() and steps == 20
    path = tmp_path / 'car.safetensors'
    coefficient_file.save(path, coefficient_metadata(config, spec, None, {}),
                          coefficient_tensors(spec, es.centre))
    loaded = coefficient_file.load(path)
    assert loaded.metadata.layout.action_names == ['steer', 'gas', 'brake']
    assert torch.equal(genome_of(loaded.network_layers(), loaded.conv_layers()), es.centre)


def test_robot_input_normalisation_travels_in_the_coefficient_file(tmp_path):
    config = load_config('robot_demo')
    path = tmp_path / 'robot.safetensors'
    save_genome(path, config, torch.zeros(GenomeSpec.from_config(config).size))
    env = make_env(config.env)
    offset, scale = input_normalization(env)
    env.close()
    file_offset, file_scale = policy_for(coefficient_file.load(path), 1).normalization
    np.testing.assert_array_equal(file_offset, offset)
    np.testing.assert_array_equal(file_scale, scale)
    assert scale.shape == (38,) and np.all(scale > 0)


def test_seeing_robot_feeds_camera_features_then_proprioception(tmp_path):
    data = load_config('robot_target').model_dump(mode='json')
    data['env']['max_episode_steps'] = 20
    config = validate_config(data)
    spec = GenomeSpec.from_config(config)
    assert spec.conv.image_size == (16, 48) and not spec.car_actions
    assert coefficient_file.conv_features(spec.conv) + 38 == config.network.layer_sizes[0]
    genomes = torch.randn(2, spec.size, generator=torch.Generator().manual_seed(0))
    evaluator = Evaluator(config, 2)
    fitness, steps = evaluator.evaluate(genomes, episode_seeds(0, 0, [0, 1], 1))
    evaluator.close()
    assert np.isfinite(fitness).all() and steps == 40
    path = tmp_path / 'target.safetensors'
    save_genome(path, config, genomes[0])
    loaded = coefficient_file.load(path)
    assert loaded.metadata.conv == spec.conv
    assert len(loaded.metadata.layout.observation_names) == 38
    policy = policy_for(loaded, 1)
    assert torch.equal(policy.conv.weights[0][0], evaluator.policy(2).conv.weights[0][0])


def test_warm_start_copies_the_walking_rules_into_the_seeing_robot(tmp_path):
    walking = load_config('robot_demo')
    path = tmp_path / 'walk.safetensors'
    save_genome(path, walking, torch.randn(GenomeSpec.from_config(walking).size))
    source = coefficient_file.load(path)
    seeing = load_config('robot_target')
    spec = GenomeSpec.from_config(seeing)
    start = torch.randn(spec.size)
    genome, copied = warm_start(seeing, start, source)
    assert copied == GenomeSpec.from_config(walking).size
    tensors, before = coefficient_tensors(spec, genome), coefficient_tensors(spec, start)
    features = coefficient_file.conv_features(spec.conv)
    assert torch.equal(tensors['hebbian.0'][:, features:], source.tensors['hebbian.0'])
    assert not tensors['hebbian.0'][:, :features].any(), 'camera synapses start without rules'
    for name in ('hebbian.1', 'hebbian.2'):
        assert torch.equal(tensors[name], source.tensors[name])
    assert torch.equal(tensors['conv.0'], before['conv.0'])
    with pytest.raises(ValueError, match='cannot start a static'):
        warm_start(validate_config({**seeing.model_dump(mode='json'),
                                    'es': {'genome': 'static'}}), start[:10], source)


def test_reaching_a_target_is_no_fall():
    result = EpisodeResult(np.zeros(3), np.zeros(3), np.ones(3, dtype=np.int64),
                           [{'reached': True}, {'reached': False}, {}],
                           np.array([True, True, False]))
    assert result.fell.tolist() == [False, True, False]
