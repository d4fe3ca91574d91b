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

"""The coefficient file: round trips, and a clear error for each kind of bad file."""

import json

from hebb_controller import cli
from hebb_controller.plasticity import coefficient_file as cf
from hebb_controller.plasticity import (CoefficientFileError, CoefficientMetadata,
                                        HebbianNetwork, IOLayout, NetworkSpec, StaticNetwork)
from hebb_controller.plasticity.coefficient_file import ConvSpec
import numpy as np
import pytest
from safetensors.torch import save as save_safetensors
import torch

SIZES = (6, 10, 3)


def layout(n_obs=SIZES[0], n_act=SIZES[-1]):
    return IOLayout(observation_names=[f'obs{i}' for i in range(n_obs)],
                    action_names=[f'joint{j}' for j in range(n_act)],
                    action_scale=[1.0] * n_act, action_offset=[0.0] * n_act)


def hebbian_metadata(**network):
    spec = NetworkSpec(kind='hebbian', layer_sizes=SIZES, rule='ABCD_lr', **network)
    return CoefficientMetadata(network=spec, layout=layout(), env_id='test-env', seed=3,
                               fitness=12.5, morphologies=['whole', 'damaged_right_front'])


def hebbian_tensors(seed=0):
    generator = torch.Generator().manual_seed(seed)
    return {f'hebbian.{k}': torch.randn((5, a, b), generator=generator)
            for k, (a, b) in enumerate(zip(SIZES, SIZES[1:]))}


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / 'good.safetensors'
    cf.save(path, hebbian_metadata(), hebbian_tensors())
    return path


def test_hebbian_round_trip_runs_the_same_network(good_file):
    loaded = cf.load(good_file)
    assert loaded.metadata.network.rule == 'ABCD_lr'
    assert loaded.metadata.fitness == 12.5 and loaded.metadata.seed == 3
    assert 'created' in loaded.metadata.provenance
    for name, tensor in hebbian_tensors().items():
        assert torch.equal(loaded.tensors[name], tensor)
    original = HebbianNetwork(SIZES, 'ABCD_lr', device='cpu', seed=11)
    original.set_coefficients(list(hebbian_tensors().values()))
    rebuilt = loaded.build_network(device='cpu', seed=11)
    obs = np.random.default_rng(0).uniform(-1, 1, (8, 1, SIZES[0])).astype(np.float32)
    for x in obs:
        assert torch.equal(original.forward(x), rebuilt.forward(x))
        original.update()
        rebuilt.update()


def test_static_and_conv_round_trip(tmp_path):
    conv = ConvSpec(image_size=(24, 24), channels=(2, 3), kernel_sizes=(3, 3), strides=(1, 1))
    n_features = cf.conv_features(conv)
    sizes = (n_features + 4, 5, 2)
    metadata = CoefficientMetadata(
        network=NetworkSpec(kind='static', layer_sizes=sizes), conv=conv,
        layout=layout(n_obs=4, n_act=2), env_id='pixels')
    tensors = {'weights.0': torch.randn(sizes[0], 5), 'weights.1': torch.randn(5, 2),
               'conv.0': torch.randn(2, 3, 3, 3), 'conv.1': torch.randn(3, 2, 3, 3)}
    cf.save(tmp_path / 's.safetensors', metadata, tensors)
    loaded = cf.load(tmp_path / 's.safetensors')
    net = loaded.build_network(population=2, device='cpu')
    assert isinstance(net, StaticNetwork)
    assert torch.equal(net.weights[1][1], tensors['weights.1'])
    front = loaded.build_conv(population=2, device='cpu')
    assert front.n_features == n_features
    assert torch.equal(front.weights[0][0], tensors['conv.0'])


def test_save_refuses_tensors_that_do_not_match(tmp_path):
    tensors = hebbian_tensors()
    tensors['hebbian.1'] = torch.zeros(4, 10, 3)
    with pytest.raises(CoefficientFileError, match=r'hebbian.1 has shape \(4, 10, 3\)'):
        cf.save(tmp_path / 'x.safetensors', hebbian_metadata(), tensors)
    assert not (tmp_path / 'x.safetensors').exists()


def write_raw(path, tensors, metadata_json):
    path.write_bytes(save_safetensors(tensors, metadata=None if metadata_json is None
                                      else {cf.METADATA_KEY: metadata_json}))


def valid_json(**changes):
    """Return a good file's metadata JSON with ``changes``, its checksum made to match."""
    data = json.loads(hebbian_metadata().model_dump_json())
    data.update(changes)
    try:
        metadata = CoefficientMetadata.model_validate(data)
    except ValueError:
        pass                 # what the change breaks is found before the checksum
    else:
        data['sha256'] = cf.file_digest(hebbian_tensors(), metadata)
    return json.dumps(data)


def test_missing_file(tmp_path):
    with pytest.raises(CoefficientFileError, match='cannot read'):
        cf.load(tmp_path / 'nope.safetensors')


@pytest.mark.parametrize('cut', [0, 5, 100, -7])
def test_truncated_file(good_file, cut):
    data = good_file.read_bytes()
    good_file.write_bytes(data[:cut] if cut >= 0 else data[:cut])
    with pytest.raises(CoefficientFileError, match='truncated or corrupt'):
        cf.load(good_file)


def test_random_bytes(tmp_path):
    path = tmp_path / 'noise.safetensors'
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(CoefficientFileError, match='truncated or corrupt'):
        cf.load(path)


def test_flipped_data_byte_fails_the_checksum(good_file):
    data = bytearray(good_file.read_bytes())
    data[-10] ^= 0x40
    good_file.write_bytes(bytes(data))
    with pytest.raises(CoefficientFileError, match='SHA-256'):
        cf.load(good_file)


def test_safetensors_without_our_metadata(tmp_path):
    path = tmp_path / 'plain.safetensors'
    write_raw(path, hebbian_tensors(), None)
    with pytest.raises(CoefficientFileError, match='not a hebb_controller coefficient file'):
        cf.load(path)


def test_metadata_not_json(tmp_path):
    path = tmp_path / 'bad.safetensors'
    write_raw(path, hebbian_tensors(), '{not json')
    with pytest.raises(CoefficientFileError, match='not valid JSON'):
        cf.load(path)


@pytest.mark.parametrize('changes, message', [
    ({'format_version': 99}, 'format version 99 is newer'),
    ({'format': 'something.else'}, 'format'),
    ({'env_id': None}, 'env_id'),
    ({'network': {'kind': 'hebbian', 'layer_sizes': [6, 10, 3], 'rule': 'XYZ'}}, 'known rule'),
    ({'network': {'kind': 'hebbian', 'layer_sizes': [6, 10, 4], 'rule': 'ABCD_lr'}},
     'action names'),
    ({'layout': {'observation_names': ['a'], 'action_names': ['x', 'y', 'z'],
                 'action_scale': [1, 1, 1], 'action_offset': [0, 0, 0]}}, 'observation names'),
    ({'unexpected_field': 1}, 'unexpected_field'),
])
def test_invalid_metadata_names_the_problem(tmp_path, changes, message):
    path = tmp_path / 'bad.safetensors'
    write_raw(path, hebbian_tensors(), valid_json(**changes))
    with pytest.raises(CoefficientFileError, match=message):
        cf.load(path)


@pytest.mark.parametrize('edit, message', [
    (lambda t: t.pop('hebbian.1'), r"missing \['hebbian.1'\]"),
    (lambda t: t.update({'extra': torch.zeros(1)}), r"unexpected \['extra'\]"),
    (lambda t: t.update({'hebbian.0': torch.zeros(5, 6, 9)}), 'has shape'),
    (lambda t: t.update({'hebbian.0': torch.zeros(5, 6, 10, dtype=torch.float64)}), 'dtype'),
    (lambda t: t['hebbian.0'].__setitem__((0, 0, 0), float('nan')), 'NaN'),
])
def test_bad_tensors_are_refused(tmp_path, edit, message):
    tensors = hebbian_tensors()
    edit(tensors)
    path = tmp_path / 'bad.safetensors'
    write_raw(path, tensors, valid_json())
    with pytest.raises(CoefficientFileError, match=message):
        cf.load(path)


def test_edited_metadata_is_refused_and_version_2_files_still_load(good_file, tmp_path):
    data = good_file.read_bytes()
    tensors = dict(cf.load(good_file).tensors)
    raw = json.loads(cf._read_header_metadata(data)[cf.METADATA_KEY])
    assert raw['format_version'] == cf.FORMAT_VERSION == 3
    raw['layout']['action_scale'][0] *= 2            # valid, and another robot's command
    edited = tmp_path / 'edited.safetensors'
    write_raw(edited, tensors, json.dumps(raw))
    with pytest.raises(CoefficientFileError, match='tensor data or metadata does not match'):
        cf.load(edited)
    old = tmp_path / 'v2.safetensors'                # what the shipped files are
    write_raw(old, hebbian_tensors(), valid_json(format_version=2))
    assert cf.load(old).metadata.format_version == 2


def test_a_version_1_file_without_input_normalisation_still_loads(tmp_path):
    path = tmp_path / 'v1.safetensors'
    write_raw(path, hebbian_tensors(), valid_json(format_version=1))
    layout = cf.load(path).metadata.layout
    assert layout.observation_offset is None and layout.observation_scale is None


@pytest.mark.parametrize('normalisation, message', [
    ({'observation_offset': [0.0] * 6}, 'come together'),
    ({'observation_offset': [0.0] * 5, 'observation_scale': [1.0] * 5},
     'observation_offset has 5'),
    ({'observation_offset': [0.0] * 6, 'observation_scale': [1.0] * 5 + [float('inf')]},
     'should be a finite number'),
    # what would become a NaN command
    ({'action_low': [float('nan')] * 2, 'action_high': [1.0] * 2}, 'should be a finite number'),
    ({'action_offset': [float('inf'), 0.0]}, 'should be a finite number'),
])
def test_bad_input_normalisation_or_bounds_are_refused(tmp_path, normalisation, message):
    layout = {**json.loads(valid_json())['layout'], **normalisation}
    path = tmp_path / 'bad.safetensors'
    write_raw(path, hebbian_tensors(), valid_json(layout=layout))
    with pytest.raises(CoefficientFileError, match=message):
        cf.load(path)


@pytest.mark.parametrize('version, message', [
    ('3', 'should be a valid integer'), (2.0, 'should be a valid integer'),
    (0, 'greater than or equal to 1'), (None, 'has no format_version')])
def test_a_format_version_is_an_integer_this_build_reads(tmp_path, version, message):
    raw = json.loads(valid_json())
    if version is None:
        del raw['format_version']
    else:
        raw['format_version'] = version
    path = tmp_path / 'bad.safetensors'
    write_raw(path, hebbian_tensors(), json.dumps(raw))
    with pytest.raises(CoefficientFileError, match=message):
        cf.load(path)


@pytest.mark.parametrize('conv, message', [
    ({'strides': [0, 2]}, 'must be positive'),
    ({'channels': [], 'kernel_sizes': [], 'strides': []}, 'one entry per layer'),
    ({'image_size': [4, 4]}, 'too small'),
])
def test_a_conv_front_end_that_cannot_be_is_refused_without_building_it(conv, message):
    with pytest.raises(ValueError, match=message):
        ConvSpec(**conv)


def test_conv_features_are_counted_not_built():
    # a file's huge front-end is checked against the network by arithmetic, not by weights
    assert cf.conv_features(ConvSpec(channels=(100000, 100000))) == 100000 * 9 * 9


def test_info_describes_a_file_and_refuses_a_corrupt_one(good_file, tmp_path, capsys):
    assert cli.main(['info', str(good_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'{good_file}: hebb_controller.coefficients version ')
    assert 'hebbian 6-10-3, output tanh, rule ABCD_lr (5 coefficients a synapse)' in out
    assert 'inputs 6    obs0, obs1, obs2, obs3, obs4, obs5' in out
    assert 'outputs 3   joint0, joint1, joint2 (command = scale * output + offset)' in out
    assert 'evolved on  whole, damaged_right_front; seed 3, fitness 12.5' in out
    bad = tmp_path / 'cut.safetensors'
    bad.write_bytes(good_file.read_bytes()[:200])
    assert cli.main(['info', str(bad)]) == 1
    assert 'truncated or corrupt' in capsys.readouterr().err
