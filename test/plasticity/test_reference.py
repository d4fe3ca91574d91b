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
Every rule variant against a float64 reference written as plain loops.

The reference follows the paper's table term by term from the raw genome in
the reference code's order; it shares no code with the package, so it checks
the rule folding, the genome order, the kernels and the lazy update together.
"""

import math

from hebb_controller.plasticity import HebbianNetwork, RULE_NAMES
import numpy as np
import pytest
import torch

LAYER_SIZES = [(28, 128, 64, 8), (5, 7, 3), (4, 6)]
STEPS = 4
POPULATION = 3
N_COEF = {'A': 1, 'AD': 2, 'AD_lr': 3, 'ABC': 3, 'ABC_lr': 4, 'ABCD': 4, 'ABCD_lr': 5,
          'ABCD_lr_D_out': 5, 'ABCD_lr_D_in_and_out': 6}


def reference_dw(rule, c, pre, post):
    """Compute dw of one synapse from the paper's table, coefficients in reference order."""
    if rule == 'A':
        return c[0] * pre * post
    if rule == 'AD':
        return c[0] * pre * post + c[1]
    if rule == 'AD_lr':
        return c[2] * (c[0] * pre * post + c[1])
    if rule == 'ABC':
        return c[0] * pre * post + c[1] * pre + c[2] * post
    if rule == 'ABC_lr':
        return c[3] * (c[0] * pre * post + c[1] * pre + c[2] * post)
    if rule == 'ABCD':
        return c[0] * pre * post + c[1] * pre + c[2] * post + c[3]
    if rule == 'ABCD_lr':
        return c[3] * (c[0] * pre * post + c[1] * pre + c[2] * post + c[4])
    if rule == 'ABCD_lr_D_out':
        return c[3] * (c[0] * pre * post + c[1] * pre + c[2] * post) + c[4]
    if rule == 'ABCD_lr_D_in_and_out':
        return c[3] * (c[0] * pre * post + c[1] * pre + c[2] * post + c[4]) + c[5]
    raise AssertionError(rule)


def reference_forward(weights, obs, out_tanh):
    acts = [list(obs)]
    for layer, w in enumerate(weights):
        n_in, n_out = len(w), len(w[0])
        y = []
        for j in range(n_out):
            s = 0.0
            for i in range(n_in):
                s += acts[-1][i] * w[i][j]
            last = layer == len(weights) - 1
            y.append(math.tanh(s) if (not last or out_tanh) else s)
        acts.append(y)
    return acts


def reference_update(weights, genome, rule, acts):
    n_coef, offset = N_COEF[rule], 0
    for layer, w in enumerate(weights):
        n_in, n_out = len(w), len(w[0])
        for i in range(n_in):
            for j in range(n_out):
                idx = offset + (i * n_out + j) * n_coef
                c = genome[idx:idx + n_coef]
                w[i][j] += reference_dw(rule, c, acts[layer][i], acts[layer + 1][j])
        offset += n_in * n_out * n_coef


def rel_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-12))


@pytest.mark.parametrize('backend', ['numba', 'torch'])
@pytest.mark.parametrize('sizes', LAYER_SIZES, ids=lambda s: '-'.join(map(str, s)))
@pytest.mark.parametrize('rule', RULE_NAMES)
def test_rule_matches_float64_reference(rule, sizes, backend):
    rng = np.random.default_rng(abs(hash((rule, sizes))) % 2**32)
    out_tanh = len(sizes) != 2  # the two-layer case checks the raw (car-style) output
    net = HebbianNetwork(sizes, rule, population=POPULATION, device='cpu', backend=backend,
                         output_activation='tanh' if out_tanh else 'none', seed=1)
    assert net.genome_size == N_COEF[rule] * sum(a * b for a, b in zip(sizes, sizes[1:]))
    genomes = rng.normal(0.0, 0.3, (POPULATION, net.genome_size))
    net.set_genome(genomes.astype(np.float32))
    start = [w.double().numpy() for w in net.weights]
    ref = [[start[layer][p].tolist() for layer in range(len(start))] for p in range(POPULATION)]
    genome32 = genomes.astype(np.float32).astype(np.float64)  # the values the net holds
    for _ in range(STEPS):
        obs = rng.uniform(-1, 1, (POPULATION, sizes[0]))
        out = net.forward(obs.astype(np.float32)).numpy()
        net.update()
        obs32 = obs.astype(np.float32).astype(np.float64)
        for p in range(POPULATION):
            acts = reference_forward(ref[p], obs32[p], out_tanh)
            assert rel_error(out[p], acts[-1]) < 1e-5
            reference_update(ref[p], genome32[p], rule, acts)
    for layer, w in enumerate(net.weights):
        for p in range(POPULATION):
            assert rel_error(w[p].numpy(), ref[p][layer]) < 1e-5, (layer, p)


def test_abcd_lr_parameter_count_is_the_papers():
    net = HebbianNetwork((28, 128, 64, 8), 'ABCD_lr', device='cpu', seed=0)
    assert net.n_synapses == 12_288
    assert net.genome_size == 61_440


def test_backends_agree_with_options_on():
    outputs = {}
    for backend in ('numba', 'torch'):
        net = HebbianNetwork((6, 9, 4), 'ABCD_lr', population=2, device='cpu', backend=backend,
                             weight_norm=True, weight_clip=0.5, seed=3)
        net.set_genome(np.random.default_rng(0).normal(0, 1, (2, net.genome_size)))
        obs_rng = np.random.default_rng(1)
        trace = []
        for _ in range(10):
            trace.append(net.forward(obs_rng.uniform(-1, 1, (2, 6)).astype(np.float32)))
            net.update()
        outputs[backend] = (torch.stack(trace), net.weights)
    assert torch.allclose(outputs['numba'][0], outputs['torch'][0], atol=1e-5)
    for a, b in zip(outputs['numba'][1], outputs['torch'][1]):
        assert torch.allclose(a, b, atol=1e-5)
