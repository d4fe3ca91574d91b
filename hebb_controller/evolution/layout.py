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
From a genome to a coefficient file: tensors, and metadata named after the env.

The observation and action names come from the env (for the ant its 28
``calc_state`` values and 8 joints). For a robot with position targets the
action scale and offset are the env's (``target = nominal + scale * y``) and
the action bounds its joint limits, so a controller turns the network's
output into the same joint commands; otherwise the output is the env's action
(scale 1, offset 0). Finite observation bounds are the env's clipping range;
an env's ``observation_offset/scale`` is the network's input normalisation.
The provenance records the run.
"""

from pathlib import Path
from typing import Any, Optional

import gymnasium
from hebb_controller.config import HebbConfig
from hebb_controller.evolution.rollout import genome_of, GenomeSpec, make_env
from hebb_controller.plasticity import coefficient_file
from hebb_controller.plasticity.coefficient_file import (CoefficientMetadata, IOLayout,
                                                         NetworkSpec)
from hebb_controller.plasticity.genome import genome_to_layers
import numpy as np
import torch


def _robot_observation_names(env: gymnasium.Env) -> list[str]:
    """Expand a robot's ``observation_layout`` with its joint and foot names."""
    names = []
    for kind, size in env.observation_layout:
        if kind.startswith('joint_') and size == len(env.joint_names):
            names += [f'{joint}.{kind[len("joint_"):]}' for joint in env.joint_names]
        elif kind.startswith('foot_') and size == len(env.foot_names):
            names += [f'{foot}.{kind[len("foot_"):]}' for foot in env.foot_names]
        else:
            names += [f'{kind}.{i}' for i in range(size)]
    return names


def io_layout(env: gymnasium.Env, pixel: bool) -> IOLayout:
    """Name every non-image input and every action of ``env``."""
    base = env.unwrapped
    n_act = env.action_space.shape[0]
    commands = {'action_scale': [1.0] * n_act, 'action_offset': [0.0] * n_act}
    space = env.observation_space
    pixels_only = pixel and not isinstance(space, gymnasium.spaces.Dict)
    if isinstance(space, gymnasium.spaces.Dict):   # camera and proprioception
        space = space['proprio']
    bounds = {}
    if not pixels_only and np.isfinite(space.low).all() and np.isfinite(space.high).all():
        bounds = {'observation_low': space.low.tolist(),
                  'observation_high': space.high.tolist()}
    if hasattr(base, 'observation_layout'):
        observations, actions = _robot_observation_names(base), list(base.joint_names)
        low, high = base.joint_limits
        commands = {'action_scale': base.action_scale.tolist(),
                    'action_offset': base.nominal_pose.tolist(),
                    'action_low': low.tolist(), 'action_high': high.tolist()}
        if hasattr(base, 'observation_scale'):
            commands['observation_offset'] = base.observation_offset.tolist()
            commands['observation_scale'] = base.observation_scale.tolist()
    elif pixel:
        observations, actions = [], ['steer', 'gas', 'brake'][:n_act]
    else:
        from hebb_controller.sim import ant
        if type(base).__name__ == 'AntBulletEnv':
            observations, actions = list(ant.OBS_NAMES), list(ant.JOINT_NAMES)
        else:
            observations = [f'obs.{i}' for i in range(env.observation_space.shape[0])]
            actions = [f'action.{i}' for i in range(n_act)]
    return IOLayout(observation_names=observations, action_names=actions, **commands, **bounds)


def coefficient_metadata(config: HebbConfig, spec: GenomeSpec, fitness: Optional[float],
                         provenance: dict[str, Any]) -> CoefficientMetadata:
    """Metadata of a coefficient file evolved under ``config``."""
    env = make_env(config.env)
    try:
        layout = io_layout(env, spec.conv is not None)
        control_step = getattr(env.unwrapped, 'control_step', None)
    finally:
        env.close()
    net = config.network
    return CoefficientMetadata(
        network=NetworkSpec(kind=spec.kind, layer_sizes=net.layer_sizes,
                            rule=net.rule if spec.kind == 'hebbian' else None,
                            output_activation=net.output_activation,
                            init_range=net.init_range, weight_norm=net.weight_norm,
                            weight_clip=net.weight_clip),
        conv=spec.conv, layout=layout, env_id=config.env.env_id,
        env_settings=config.env.model_dump(mode='json', exclude={'env_id', 'morphology'}),
        control_step=control_step,
        morphologies=list(config.es.morphologies), seed=config.es.seed, fitness=fitness,
        provenance=provenance)


def coefficient_tensors(spec: GenomeSpec, genome: torch.Tensor) -> dict[str, torch.Tensor]:
    """Split a flat genome into the coefficient file's named tensors."""
    net, conv = spec.build(1)
    n = net.genome_size
    per_synapse = net.rule.n_coefficients if spec.kind == 'hebbian' else 1
    layers = genome_to_layers(genome[:n].unsqueeze(0), net.layer_sizes, per_synapse)
    if spec.kind == 'hebbian':
        tensors = {f'hebbian.{k}': t[0].clone() for k, t in enumerate(layers)}
    else:
        tensors = {f'weights.{k}': t[0, 0].clone() for k, t in enumerate(layers)}
    if conv is not None:
        offset = n
        for k, w in enumerate(conv.weights):
            size = w[0].numel()
            tensors[f'conv.{k}'] = genome[offset:offset + size].reshape(w.shape[1:]).clone()
            offset += size
    return tensors


def save_genome(path: Path, config: HebbConfig, genome: torch.Tensor,
                fitness: Optional[float] = None,
                provenance: Optional[dict[str, Any]] = None) -> CoefficientMetadata:
    """Write a flat genome evolved under ``config`` as a coefficient file."""
    spec = GenomeSpec.from_config(config)
    metadata = coefficient_metadata(config, spec, fitness, provenance or {})
    return coefficient_file.save(path, metadata, coefficient_tensors(spec, genome))


def warm_start(config: HebbConfig, genome: torch.Tensor,
               source: coefficient_file.CoefficientFile) -> tuple[torch.Tensor, int]:
    """
    Copy into ``genome`` the genes of an evolved file that mean the same thing here.

    A tensor of the same name and shape is copied whole. A first layer with
    other inputs (the seeing robot's camera features before the walking
    robot's 38 sensors) gets the rows of the inputs both files name, and
    zeros for its other rows, so the copied behaviour starts intact: those
    synapses keep their small random initial weights until evolution gives
    them rules. The conv filters keep their values. Returns the new genome
    and the genes copied.
    """
    spec = GenomeSpec.from_config(config)
    source_kind = source.metadata.network.kind
    if source_kind != spec.kind or (spec.kind == 'hebbian'
                                    and source.metadata.network.rule != config.network.rule):
        raise ValueError(f'cannot start a {spec.kind} {config.network.rule} genome from a '
                         f'{source_kind} {source.metadata.network.rule} file')
    target = coefficient_tensors(spec, genome)
    names = coefficient_metadata(config, spec, None, {}).layout.observation_names
    features = config.network.layer_sizes[0] - len(names)   # conv features come first
    copied = 0
    for name, tensor in source.tensors.items():
        if name not in target:
            continue
        mine = target[name]
        if mine.shape == tensor.shape:
            mine.copy_(tensor)
            copied += tensor.numel()
        elif name.endswith('.0') and not name.startswith('conv') and source.metadata.conv is None \
                and mine.shape[-1] == tensor.shape[-1]:
            rows = {n: i for i, n in enumerate(source.metadata.layout.observation_names)}
            mine.zero_()
            for i, input_name in enumerate(names):
                if input_name in rows:
                    mine[..., features + i, :] = tensor[..., rows[input_name], :]
                    copied += tensor[..., rows[input_name], :].numel()
    layers = [target[f'{"hebbian" if spec.kind == "hebbian" else "weights"}.{k}']
              for k in range(len(config.network.layer_sizes) - 1)]
    conv = [target[f'conv.{k}'] for k in range(len(spec.conv.channels))] if spec.conv else []
    return genome_of(layers, conv, static=spec.kind == 'static'), copied
