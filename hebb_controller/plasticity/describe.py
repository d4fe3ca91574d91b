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
``hebb info COEFFS``: what a coefficient file holds, checked as the controller loads it.

A file handed from a training machine to a robot should say, before it
drives anything, which network it builds, which env and body it was evolved
on, which sensors it reads and which joints it commands, in what order, and
where it came from. A file that would not load prints why and exits 1.
"""

import argparse
from pathlib import Path
import textwrap
from typing import Optional, Sequence, Union

from hebb_controller.plasticity import coefficient_file
from hebb_controller.plasticity.coefficient_file import CoefficientFile
from hebb_controller.plasticity.rules import get_rule

WIDTH = 99
INDENT = ' ' * 12


def _field(label: str, text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=f'{label:<12}', subsequent_indent=INDENT)


def _network(loaded: CoefficientFile) -> str:
    spec = loaded.metadata.network
    text = f'{spec.kind} {"-".join(map(str, spec.layer_sizes))}, output {spec.output_activation}'
    if spec.kind == 'hebbian':
        text += (f', rule {spec.rule} ({get_rule(spec.rule).n_coefficients} coefficients a '
                 f'synapse), weights start uniform(-{spec.init_range:g}, {spec.init_range:g}) '
                 f'each lifetime, weight normalisation {"on" if spec.weight_norm else "off"}')
        if spec.weight_clip is not None:
            text += f', weights clipped to +-{spec.weight_clip:g}'
    return text


def _provenance(provenance: dict) -> str:
    es = provenance.get('config', {}).get('es', {})
    keys = ('source', 'individual', 'generation', 'created')
    parts = [f'{key} {provenance[key]}' for key in keys if key in provenance]
    parts += [f'es.{key} {es[key]}' for key in ('population', 'generations', 'seed')
              if key in es]
    return ', '.join(parts) or 'not recorded'


def describe(path: Union[str, Path]) -> list[str]:
    """Load ``path`` (raising CoefficientFileError as the controller would) and describe it."""
    loaded = coefficient_file.load(path)
    meta, layout = loaded.metadata, loaded.metadata.layout
    genes = sum(t.numel() for t in loaded.tensors.values())
    tensors = ', '.join(f'{name} {"x".join(map(str, t.shape))}'
                        for name, t in sorted(loaded.tensors.items()))
    settings = ', '.join(f'{key} {value}' for key, value in meta.env_settings.items()
                         if value is not None)
    inputs = f'inputs {len(layout.observation_names)}'
    features = meta.network.layer_sizes[0] - len(layout.observation_names)
    lines = [f'{path}: {meta.format} version {meta.format_version}, '
             f'{Path(path).stat().st_size:,} bytes',
             _field('network', _network(loaded)),
             _field('genes', f'{genes:,}: {tensors}')]
    if meta.conv is not None:
        conv = meta.conv
        lines.append(_field('camera', f'{conv.image_size[1]}x{conv.image_size[0]} RGB, conv '
                            f'filters {conv.channels}, kernels {conv.kernel_sizes}, strides '
                            f'{conv.strides}, max-pool {conv.pool}; evolved, fixed in a lifetime'))
    step = 'not recorded' if meta.control_step is None else f'{meta.control_step:g} s'
    lines += [_field('env', f'{meta.env_id}, control step {step}; {settings or "defaults"}'),
              _field('evolved on', f'{", ".join(meta.morphologies)}; seed {meta.seed}, '
                     f'fitness {"not recorded" if meta.fitness is None else f"{meta.fitness:g}"}'),
              _field(inputs, ', '.join(layout.observation_names)
                     + (f" (after the camera's {features} features)" if features else '')),
              _field(f'outputs {len(layout.action_names)}', ', '.join(layout.action_names)
                     + ' (command = scale * output + offset'
                     + (', within joint limits)' if layout.action_low is not None else ')')),
              _field('provenance', _provenance(meta.provenance))]
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb info', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('coefficients', metavar='COEFFS', help='coefficient file')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    print('\n'.join(describe(args.coefficients)))
    return 0
