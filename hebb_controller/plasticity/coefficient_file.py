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
The coefficient file: evolved tensors plus everything needed to run them.

A file that reaches a robot may come from anywhere, so loading executes no code
(safetensors, never pickle) and checks every field, name, shape, dtype and
value, plus a SHA-256 of the tensor data and, since format 3, of the metadata
too (safetensors itself has no checksum): an edited joint limit or scale is
refused like a flipped bit.
Any problem raises one :class:`CoefficientFileError` that names it.

Tensors: ``hebbian.<l>`` ``[n_coef, n_in, n_out]`` (rule order) for a Hebbian
network or ``weights.<l>`` ``[n_in, n_out]`` for a static one, and ``conv.<k>``
``[out, in, k, k]`` when a pixel front-end is present. Metadata: one JSON
document under the ``hebb_controller`` key (:class:`CoefficientMetadata`).
"""

from dataclasses import dataclass
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Optional, Union

from hebb_controller.atomic_write import write_atomically
from hebb_controller.errors import InputError
from hebb_controller.plasticity.conv import conv_feature_shape, ConvFrontEnd
from hebb_controller.plasticity.genome import layer_shapes
from hebb_controller.plasticity.network import HebbianNetwork, StaticNetwork
from hebb_controller.plasticity.rules import get_rule, RULE_NAMES
from pydantic import BaseModel, ConfigDict, Field, model_validator, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors, save as save_safetensors
import torch

FORMAT = 'hebb_controller.coefficients'
FORMAT_VERSION = 3
METADATA_KEY = 'hebb_controller'


class CoefficientFileError(InputError):
    """A coefficient file that must not be used, with the reason."""


class _Strict(BaseModel):
    # NaN or infinity in a layout would become a NaN command: refused, like any other typo
    model_config = ConfigDict(extra='forbid', frozen=True, allow_inf_nan=False)


class NetworkSpec(_Strict):
    """Architecture and lifetime options the tensors were evolved with."""

    kind: Literal['hebbian', 'static']
    layer_sizes: tuple[int, ...] = Field(min_length=2)
    rule: Optional[str] = None
    activation: Literal['tanh'] = 'tanh'
    output_activation: Literal['tanh', 'none'] = 'tanh'
    init_range: float = Field(0.1, gt=0)
    weight_norm: bool = False
    weight_clip: Optional[float] = Field(None, gt=0)

    @model_validator(mode='after')
    def _check(self) -> 'NetworkSpec':
        if any(size < 1 for size in self.layer_sizes):
            raise ValueError(f'layer sizes must be positive, got {self.layer_sizes}')
        if self.kind == 'hebbian' and self.rule not in RULE_NAMES:
            raise ValueError(f'a hebbian network needs a known rule ({", ".join(RULE_NAMES)}), '
                             f'got {self.rule!r}')
        return self


class ConvSpec(_Strict):
    """The pixel front-end; its features come first in the network's input."""

    in_channels: int = Field(3, ge=1)
    image_size: tuple[int, int] = (84, 84)
    channels: tuple[int, ...] = (6, 8)
    kernel_sizes: tuple[int, ...] = (3, 5)
    strides: tuple[int, ...] = (1, 2)
    pool: int = Field(2, ge=1)

    @model_validator(mode='after')
    def _check(self) -> 'ConvSpec':
        conv_feature_shape(self.in_channels, self.image_size, self.channels, self.kernel_sizes,
                           self.strides, self.pool)   # ValueError for layers that cannot be
        return self


class IOLayout(_Strict):
    """
    What each input means and how outputs become joint commands (``scale*y + offset``).

    Optional bounds: the env clipped observations to ``observation_low/high``
    in training, and its commands stayed inside ``action_low/high`` (the
    joint limits, in command units); a controller does the same. Optional
    input normalisation (format version 2): the network saw
    ``(observation - observation_offset) * observation_scale``, so sensors
    can be read in their own units (rad, m/s^2) and still reach the network
    near [-1, 1].
    """

    observation_names: list[str]
    action_names: list[str]
    action_scale: list[float]
    action_offset: list[float]
    observation_low: Optional[list[float]] = None
    observation_high: Optional[list[float]] = None
    action_low: Optional[list[float]] = None
    action_high: Optional[list[float]] = None
    observation_offset: Optional[list[float]] = None
    observation_scale: Optional[list[float]] = None

    @model_validator(mode='after')
    def _check(self) -> 'IOLayout':
        n = len(self.action_names)
        for name in ('action_scale', 'action_offset', 'action_low', 'action_high'):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f'{name} has {len(values)} entries; there are {n} actions')
        for name in ('observation_low', 'observation_high', 'observation_offset',
                     'observation_scale'):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.observation_names):
                raise ValueError(f'{name} has {len(values)} entries; there are '
                                 f'{len(self.observation_names)} observations')
        for low, high in ((self.observation_low, self.observation_high),
                          (self.action_low, self.action_high)):
            if (low is None) != (high is None):
                raise ValueError('a lower bound needs its upper bound and the reverse')
            if low is not None and any(lo > hi for lo, hi in zip(low, high)):
                raise ValueError('a lower bound lies above its upper bound')
        if (self.observation_offset is None) != (self.observation_scale is None):
            raise ValueError('observation_offset and observation_scale come together')
        return self


class CoefficientMetadata(_Strict):
    """The JSON document stored beside the tensors."""

    format: Literal['hebb_controller.coefficients'] = FORMAT  # noqa: A003 (the JSON key)
    format_version: int = Field(FORMAT_VERSION, strict=True, ge=1, le=FORMAT_VERSION)
    network: NetworkSpec
    conv: Optional[ConvSpec] = None
    layout: IOLayout
    env_id: str
    env_settings: dict[str, Any] = Field(
        {}, description="the training env's keyword arguments besides the body (episode "
                        'length, camera size and rate, noise): evaluations rebuild that env')
    control_step: Optional[float] = Field(
        None, gt=0, description='seconds between control steps (and updates) in training')
    morphologies: list[str] = ['whole']
    seed: Optional[int] = None
    fitness: Optional[float] = None
    provenance: dict[str, Any] = {}
    sha256: str = ''

    @model_validator(mode='after')
    def _check(self) -> 'CoefficientMetadata':
        proprio = self.network.layer_sizes[0] - (conv_features(self.conv) if self.conv else 0)
        if len(self.layout.observation_names) != proprio:
            raise ValueError(f'layout has {len(self.layout.observation_names)} observation '
                             f'names but the network takes {proprio} non-image inputs')
        if len(self.layout.action_names) != self.network.layer_sizes[-1]:
            raise ValueError(f'layout has {len(self.layout.action_names)} action names but '
                             f'the network has {self.network.layer_sizes[-1]} outputs')
        return self


@dataclass
class CoefficientFile:
    """A loaded, validated file: metadata and named tensors (CPU, float32)."""

    metadata: CoefficientMetadata
    tensors: dict[str, torch.Tensor]

    def network_layers(self) -> list[torch.Tensor]:
        prefix = 'hebbian' if self.metadata.network.kind == 'hebbian' else 'weights'
        return [self.tensors[f'{prefix}.{k}']
                for k in range(len(self.metadata.network.layer_sizes) - 1)]

    def conv_layers(self) -> list[torch.Tensor]:
        return [self.tensors[f'conv.{k}'] for k in range(len(self.metadata.conv.channels))
                ] if self.metadata.conv else []

    def build_network(self, population: int = 1, device: str = 'auto',
                      seed: Optional[int] = None) -> Union[HebbianNetwork, StaticNetwork]:
        """Build the network these tensors describe, coefficients or weights set."""
        spec = self.metadata.network
        if spec.kind == 'static':
            net = StaticNetwork(spec.layer_sizes, population, spec.output_activation, device)
            net.set_weights(self.network_layers())
            return net
        net = HebbianNetwork(spec.layer_sizes, spec.rule, population=population,
                             output_activation=spec.output_activation,
                             init_range=spec.init_range, weight_norm=spec.weight_norm,
                             weight_clip=spec.weight_clip, device=device, seed=seed)
        net.set_coefficients(self.network_layers())
        return net

    def build_conv(self, population: int = 1, device: str = 'auto') -> Optional[ConvFrontEnd]:
        """Build the pixel front-end, or return None when the network takes no images."""
        spec = self.metadata.conv
        if spec is None:
            return None
        conv = ConvFrontEnd(population, spec.in_channels, spec.image_size, spec.channels,
                            spec.kernel_sizes, spec.strides, spec.pool, device)
        conv.set_genome(torch.cat([w.reshape(-1) for w in self.conv_layers()]))
        return conv


def conv_features(spec: ConvSpec) -> int:
    """Count the features the front-end ``spec`` produces (arithmetic only: no weights)."""
    channels, height, width = conv_feature_shape(spec.in_channels, spec.image_size,
                                                 spec.channels, spec.kernel_sizes, spec.strides,
                                                 spec.pool)
    return channels * height * width


def expected_shapes(metadata: CoefficientMetadata) -> dict[str, tuple[int, ...]]:
    """Every tensor the metadata calls for, with its shape."""
    spec = metadata.network
    shapes = {}
    for k, (n_in, n_out) in enumerate(layer_shapes(spec.layer_sizes)):
        if spec.kind == 'hebbian':
            shapes[f'hebbian.{k}'] = (get_rule(spec.rule).n_coefficients, n_in, n_out)
        else:
            shapes[f'weights.{k}'] = (n_in, n_out)
    if metadata.conv is not None:
        previous = metadata.conv.in_channels
        for k, (out, size) in enumerate(zip(metadata.conv.channels, metadata.conv.kernel_sizes)):
            shapes[f'conv.{k}'] = (out, previous, size, size)
            previous = out
    return shapes


def tensor_digest(tensors: dict[str, torch.Tensor],
                  document: Optional[dict[str, Any]] = None) -> str:
    """
    SHA-256 over names, dtypes, shapes and bytes, in name order.

    With ``document`` (JSON-able), over its canonical JSON (sorted keys) too:
    what a file says about its tensors is then as tamper-evident as they are.
    """
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().to('cpu').contiguous()
        digest.update(f'{name}|{t.dtype}|{tuple(t.shape)}|'.encode())
        digest.update(t.numpy().tobytes())
    if document is None:
        return digest.hexdigest()
    text = json.dumps(document, sort_keys=True)
    return hashlib.sha256(f'{digest.hexdigest()}|{text}'.encode()).hexdigest()


def file_digest(tensors: dict[str, torch.Tensor], metadata: CoefficientMetadata) -> str:
    """
    SHA-256 a file of ``metadata``'s format version carries in ``sha256``.

    Format 3: the tensors' digest and the metadata's canonical JSON (sorted
    keys, without the checksum itself); formats 1 and 2: the tensors alone.
    """
    if metadata.format_version < 3:
        return tensor_digest(tensors)
    return tensor_digest(tensors, metadata.model_dump(mode='json', exclude={'sha256'}))


def _check_tensors(metadata: CoefficientMetadata, tensors: dict[str, torch.Tensor]) -> None:
    expected = expected_shapes(metadata)
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise CoefficientFileError(f'tensor names do not match the metadata: missing {missing}, '
                                   f'unexpected {extra}')
    for name, shape in expected.items():
        t = tensors[name]
        if t.dtype != torch.float32:
            raise CoefficientFileError(f'tensor {name} has dtype {t.dtype}; expected float32')
        if tuple(t.shape) != shape:
            raise CoefficientFileError(f'tensor {name} has shape {tuple(t.shape)}; the metadata '
                                       f'({metadata.network.kind}, layers '
                                       f'{metadata.network.layer_sizes}) needs {shape}')
        if not torch.isfinite(t).all():
            raise CoefficientFileError(f'tensor {name} holds NaN or infinite values')


def save(path: Union[str, Path], metadata: CoefficientMetadata,
         tensors: dict[str, torch.Tensor]) -> CoefficientMetadata:
    """
    Validate, stamp (checksum, creation time) and write atomically; returns what was written.

    Write-then-rename: a crash mid-write never leaves a half file under ``path``.
    """
    tensors = {name: t.detach().to('cpu', torch.float32).contiguous()
               for name, t in tensors.items()}
    _check_tensors(metadata, tensors)
    provenance = dict(metadata.provenance)
    provenance.setdefault('created', datetime.datetime.now(datetime.timezone.utc).isoformat())
    stamped = metadata.model_copy(update={'format_version': FORMAT_VERSION, 'sha256': '',
                                          'provenance': provenance})
    stamped = stamped.model_copy(update={'sha256': file_digest(tensors, stamped)})
    data = save_safetensors(tensors, metadata={METADATA_KEY: stamped.model_dump_json()})
    write_atomically(Path(path), data)
    return stamped


def _read_header_metadata(data: bytes) -> Optional[dict]:
    """Read the header's ``__metadata__`` (safetensors has no getter for bytes)."""
    size = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + size])
    return header.get('__metadata__')


def load(path: Union[str, Path]) -> CoefficientFile:
    """Read and fully validate a coefficient file; CoefficientFileError if anything is off."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CoefficientFileError(f'{path}: cannot read: {err.strerror or err}') from None
    try:
        tensors = load_safetensors(data)
        header = _read_header_metadata(data)
    except (SafetensorError, ValueError, UnicodeDecodeError) as err:
        raise CoefficientFileError(f'{path}: not a valid safetensors file (truncated or '
                                   f'corrupt): {err}') from None
    if not header or METADATA_KEY not in header:
        raise CoefficientFileError(f'{path}: no {METADATA_KEY!r} metadata: not a hebb_controller '
                                   'coefficient file')
    try:
        raw = json.loads(header[METADATA_KEY])
    except json.JSONDecodeError as err:
        raise CoefficientFileError(f'{path}: metadata is not valid JSON: {err}') from None
    if isinstance(raw, dict) and 'format_version' not in raw:
        raise CoefficientFileError(f'{path}: metadata has no format_version')
    if isinstance(raw, dict) and isinstance(raw.get('format_version'), int) \
            and raw['format_version'] > FORMAT_VERSION:
        raise CoefficientFileError(f'{path}: format version {raw["format_version"]} is newer '
                                   f'than this build reads ({FORMAT_VERSION}); upgrade '
                                   'hebb_controller')
    try:
        metadata = CoefficientMetadata.model_validate(raw)
    except ValidationError as err:
        problems = '; '.join(f'{".".join(str(p) for p in e["loc"]) or "metadata"}: {e["msg"]}'
                             for e in err.errors())
        raise CoefficientFileError(f'{path}: invalid metadata: {problems}') from None
    try:
        _check_tensors(metadata, tensors)
    except CoefficientFileError as err:
        raise CoefficientFileError(f'{path}: {err}') from None
    if file_digest(tensors, metadata) != metadata.sha256:
        what = 'tensor data' if metadata.format_version < 3 else 'tensor data or metadata'
        raise CoefficientFileError(f'{path}: {what} does not match its SHA-256 checksum '
                                   '(the file is corrupt or was edited)')
    return CoefficientFile(metadata, tensors)
