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

"""Behaviour of the batched networks: batching, seeding, options, genome order, devices."""

from hebb_controller.config import load_config
from hebb_controller.plasticity import HebbianNetwork, StaticNetwork
from hebb_controller.plasticity.genome import genome_to_layers, layers_to_genome
import numpy as np
import pytest
import torch

SIZES = (28, 128, 64, 8)
BACKENDS = ['numba', 'torch']


def run(net, observations):
    outputs = []
    for obs in observations:
        outputs.append(net.forward(obs))
        net.update()
    return torch.stack(outputs)


def random_obs(population, steps=20, seed=0, n_in=SIZES[0]):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (population, n_in)).astype(np.float32) for _ in range(steps)]


@pytest.mark.parametrize('backend', BACKENDS)
def test_batched_equals_one_by_one(backend):
    population = 4
    genomes = torch.randn(population, HebbianNetwork(SIZES, device='cpu').genome_size) * 0.1
    batched = HebbianNetwork(SIZES, population=population, device='cpu', backend=backend, seed=0)
    batched.set_genome(genomes)
    start = batched.weights
    observations = random_obs(population)
    together = run(batched, observations)
    for p in range(population):
        single = HebbianNetwork(SIZES, device='cpu', backend=backend, seed=99)
        single.set_genome(genomes[p])
        single.set_weights([w[p:p + 1] for w in start])
        alone = run(single, [obs[p:p + 1] for obs in observations])
        assert torch.allclose(alone[:, 0], together[:, p], atol=1e-6)
        for w_single, w_batched in zip(single.weights, batched.weights):
            assert torch.allclose(w_single[0], w_batched[p], atol=1e-6)


@pytest.mark.parametrize('backend', BACKENDS)
def test_same_seed_same_trajectory(backend):
    genome = torch.randn(HebbianNetwork(SIZES, device='cpu').genome_size) * 0.1
    traces = []
    for seed in (7, 7, 8):
        net = HebbianNetwork(SIZES, population=2, device='cpu', backend=backend, seed=seed)
        net.set_genome(genome)
        traces.append(run(net, random_obs(2)))
    assert torch.equal(traces[0], traces[1])
    assert not torch.equal(traces[0], traces[2])


@pytest.mark.parametrize('backend', BACKENDS)
def test_flushing_the_update_early_changes_nothing(backend):
    """flush() then forward gives the fused step's outputs and weights bit for bit."""
    genomes = torch.randn(3, HebbianNetwork(SIZES, device='cpu').genome_size) * 0.1
    fused, flushed = (HebbianNetwork(SIZES, population=3, device='cpu', backend=backend, seed=1)
                      for _ in range(2))
    for net in (fused, flushed):
        net.set_genome(genomes)
    for obs in random_obs(3):
        a = fused.forward(obs)
        fused.update()
        b = flushed.forward(obs)
        flushed.update()
        flushed.flush()
        assert torch.equal(a, b)
    for a, b in zip(fused.weights, flushed.weights):
        assert torch.equal(a, b)


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('kind', ['hebbian', 'static'])
def test_act_is_forward_as_an_array(backend, kind):
    """act() (the controller's numpy path) gives forward()'s outputs and leaves the same state."""
    if kind == 'hebbian':
        nets = [HebbianNetwork(SIZES, population=2, device='cpu', backend=backend, seed=3)
                for _ in range(2)]
    else:
        nets = [StaticNetwork(SIZES, population=2, device='cpu', backend=backend)
                for _ in range(2)]
    genome = torch.randn(nets[0].genome_size) * 0.1
    for net in nets:
        net.set_genome(genome)
    by_tensor, by_array = nets
    for obs in random_obs(2):
        expected = by_tensor.forward(obs).numpy()
        got = by_array.act(obs)
        assert isinstance(got, np.ndarray) and got.shape == (2, SIZES[-1])
        np.testing.assert_array_equal(got, expected)
        got[:] = np.nan   # a copy: the caller may keep or edit it
        for net in nets:
            if kind == 'hebbian':
                net.update()
    for a, b in zip(by_tensor.weights, by_array.weights):
        assert torch.equal(a, b)


def test_reset_draws_fresh_uniform_weights():
    net = HebbianNetwork(SIZES, population=3, device='cpu', seed=0, init_range=0.1)
    first = net.weights
    for w in first:
        assert w.abs().max() <= 0.1 and w.std() > 0.05
    assert not torch.equal(first[0][0], first[0][1]), 'individuals get their own weights'
    net.reset()
    assert not torch.equal(first[0], net.weights[0])
    net.reset(seed=0)
    assert all(torch.equal(a, b) for a, b in zip(first, net.weights))


def test_update_is_applied_once_and_only_when_plastic():
    net = HebbianNetwork((3, 4), 'ABCD', device='cpu', seed=0)
    net.set_genome(torch.ones(net.genome_size) * 0.01)
    before = net.weights[0]
    net.forward(np.ones((1, 3), np.float32))
    assert torch.equal(net.weights[0], before), 'forward alone leaves weights alone'
    net.update()
    after = net.weights[0]
    assert not torch.equal(after, before)
    assert torch.equal(net.weights[0], after), 'reading twice does not apply it twice'
    net.plastic = False
    net.forward(np.ones((1, 3), np.float32))
    net.update()
    assert torch.equal(net.weights[0], after)


@pytest.mark.parametrize('backend', BACKENDS)
def test_weight_norm_and_clip(backend):
    net = HebbianNetwork(SIZES, population=2, device='cpu', backend=backend, weight_norm=True,
                         seed=0)
    net.set_genome(torch.randn(2, net.genome_size))
    run(net, random_obs(2, steps=5))
    for w in net.weights:
        peaks = w.abs().flatten(1).amax(dim=1)
        assert torch.allclose(peaks, torch.ones(2), atol=1e-6)
    net = HebbianNetwork(SIZES, population=2, device='cpu', backend=backend, weight_clip=0.2,
                         seed=0)
    net.set_genome(torch.randn(2, net.genome_size))
    run(net, random_obs(2, steps=5))
    for w in net.weights:
        assert w.abs().max() <= 0.2 + 1e-7
        assert torch.isclose(w.abs(), torch.tensor(0.2)).any(), 'strong rules reach the clip'


def test_ablate_zeroes_the_requested_fraction():
    net = HebbianNetwork(SIZES, device='cpu', seed=0)
    zeroed = net.ablate(0.5, seed=1)
    total = net.n_synapses
    assert 0.45 * total < zeroed < 0.55 * total
    assert sum(int((w == 0).sum()) for w in net.weights) == zeroed
    with pytest.raises(ValueError, match='fraction'):
        net.ablate(1.5)


def test_bad_input_shapes_are_refused():
    net = HebbianNetwork(SIZES, population=2, device='cpu', seed=0)
    with pytest.raises(ValueError, match=r'expected observations of shape \(2, 28\)'):
        net.forward(np.zeros((1, 28), np.float32))
    with pytest.raises(ValueError, match='genome has 10 genes'):
        net.set_genome(torch.zeros(10))
    with pytest.raises(ValueError, match='unknown plasticity rule'):
        HebbianNetwork(SIZES, 'XYZ', device='cpu')


def test_genome_order_is_the_reference_codes():
    sizes, n_coef = (3, 4, 2), 5
    genome = torch.arange(float((3 * 4 + 4 * 2) * n_coef)).unsqueeze(0)
    layers = genome_to_layers(genome, sizes, n_coef)
    # synapse (pre i, post j) of layer 0 starts at (i * n_out + j) * n_coef
    i, j, k = 2, 1, 3
    assert layers[0][0, k, i, j] == (i * 4 + j) * n_coef + k
    offset = 3 * 4 * n_coef
    assert layers[1][0, k, i, j] == offset + (i * 2 + j) * n_coef + k
    assert torch.equal(layers_to_genome(layers), genome)


@pytest.mark.parametrize('backend', BACKENDS)
def test_static_network_is_a_plain_tanh_mlp(backend):
    net = StaticNetwork(SIZES, population=2, device='cpu', backend=backend)
    genome = torch.randn(2, net.genome_size) * 0.3
    net.set_genome(genome)
    obs = torch.rand(2, SIZES[0]) * 2 - 1
    expected = obs
    for w in genome_to_layers(genome, SIZES, 1):
        expected = torch.tanh(torch.bmm(expected.unsqueeze(1), w[:, 0]).squeeze(1))
    assert torch.allclose(net.forward(obs), expected, atol=1e-5)


def test_from_config_uses_the_shipped_settings():
    config = load_config('ant').network
    net = HebbianNetwork.from_config(config, population=2, seed=0)
    assert net.layer_sizes == (28, 128, 64, 8) and net.rule.name == 'ABCD_lr'
    static = StaticNetwork.from_config(config)
    assert static.genome_size == 12_288


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cpu_and_cuda_agree():
    genome = torch.randn(3, HebbianNetwork(SIZES, device='cpu').genome_size) * 0.1
    traces, weights = [], []
    for device in ('cpu', 'cuda'):
        net = HebbianNetwork(SIZES, population=3, device=device, seed=4)
        net.set_genome(genome)
        traces.append(run(net, random_obs(3)).cpu())
        weights.append([w.cpu() for w in net.weights])
    assert torch.allclose(traces[0], traces[1], atol=1e-4)
    for a, b in zip(*weights):
        assert torch.allclose(a, b, atol=1e-4)
