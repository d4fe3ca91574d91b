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
Message <-> numpy conversion for the nodes, strict about what arrives.

Sensors on a robot send whatever their drivers send: joints in any order,
extra joints, empty velocity arrays, padded image rows, another encoding.
Each converter either returns arrays in the network's order or raises
:class:`MessageError` saying what is wrong, so a node can count and skip a bad
message instead of crashing or guessing.
"""

from typing import Optional, Sequence

import numpy as np
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64MultiArray, MultiArrayDimension
import torch
import torch.nn.functional as F

IMAGE_CHANNELS = {'rgb8': 3, 'bgr8': 3, 'mono8': 1, 'rgba8': 4, 'bgra8': 4}


class MessageError(ValueError):
    """A message that cannot be used as it is."""


class JointStateMapper:
    """
    Map JointState messages onto a fixed joint order, by name, never by position.

    Joints the controller does not drive are ignored (and remembered in
    :attr:`unknown`); a missing joint is an error. The name -> index lookup is
    cached per name tuple: drivers send the same order every time.
    """

    def __init__(self, joint_names: Sequence[str]) -> None:
        if len(set(joint_names)) != len(joint_names):
            raise ValueError(f'joint names must be unique, got {list(joint_names)}')
        self.joint_names = list(joint_names)
        self.unknown: set[str] = set()
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def _indices(self, names: tuple[str, ...]) -> np.ndarray:
        indices = self._cache.get(names)
        if indices is None:
            where = {name: k for k, name in enumerate(names)}
            if len(where) != len(names):
                raise MessageError('JointState lists a joint name twice')
            missing = [n for n in self.joint_names if n not in where]
            if missing:
                raise MessageError(f'JointState lacks joints {missing}')
            self.unknown |= set(names) - set(self.joint_names)
            indices = np.array([where[n] for n in self.joint_names], dtype=np.intp)
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[names] = indices
        return indices

    def split(self, msg: JointState) -> tuple[np.ndarray, np.ndarray]:
        """Split into (positions, velocities) in the controller's order; velocities may be NaN."""
        names = tuple(msg.name)
        n = len(names)
        if len(msg.position) != n:
            raise MessageError(f'JointState has {n} names but {len(msg.position)} positions')
        if len(msg.velocity) not in (0, n):
            raise MessageError(f'JointState has {n} names but {len(msg.velocity)} velocities')
        indices = self._indices(names)
        positions = np.asarray(msg.position, dtype=np.float64)[indices]
        if len(msg.velocity):
            velocities = np.asarray(msg.velocity, dtype=np.float64)[indices]
        else:
            velocities = np.full(len(indices), np.nan)
        return positions, velocities


def image_to_array(msg: Image) -> np.ndarray:
    """Decode an 8-bit Image to ``[H, W, 3]`` RGB uint8, honouring ``step`` and encoding."""
    channels = IMAGE_CHANNELS.get(msg.encoding)
    if channels is None:
        raise MessageError(f'image encoding {msg.encoding!r} is not supported; use one of '
                           f'{", ".join(IMAGE_CHANNELS)}')
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height < 1 or width < 1:
        raise MessageError(f'image is empty ({width}x{height})')
    if step < width * channels:
        raise MessageError(f'image step {step} is shorter than a row of {width} {msg.encoding} '
                           f'pixels ({width * channels} bytes)')
    data = np.frombuffer(msg.data, dtype=np.uint8)
    if data.size < step * height:
        raise MessageError(f'image data has {data.size} bytes; {height} rows of {step} need '
                           f'{step * height}')
    pixels = data[:step * height].reshape(height, step)[:, :width * channels]
    pixels = pixels.reshape(height, width, channels)
    if msg.encoding == 'mono8':
        return np.repeat(pixels, 3, axis=2)
    if msg.encoding.startswith('bgr'):
        return pixels[:, :, 2::-1]
    return pixels[:, :, :3]


def image_to_input(msg: Image, size: tuple[int, int]) -> torch.Tensor:
    """Decode and resize to ``size`` (H, W) by area averaging: ``[3, H, W]`` float in [0, 1]."""
    pixels = torch.from_numpy(np.ascontiguousarray(image_to_array(msg)))
    x = pixels.permute(2, 0, 1).unsqueeze(0).float() / 255.0
    if tuple(x.shape[2:]) != tuple(size):
        x = F.interpolate(x, size=tuple(size), mode='area')
    return x[0]


def array_to_image(pixels: np.ndarray, encoding: str = 'rgb8',
                   frame_id: str = '') -> Image:
    """Pack ``[H, W, 3]`` RGB uint8 pixels into an Image (``rgb8`` or ``bgr8``)."""
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(f'expected [H, W, 3] uint8 pixels, got {pixels.shape} {pixels.dtype}')
    if encoding not in ('rgb8', 'bgr8'):
        raise ValueError(f'encoding must be rgb8 or bgr8, got {encoding!r}')
    if encoding == 'bgr8':
        pixels = pixels[:, :, ::-1]
    msg = Image(height=pixels.shape[0], width=pixels.shape[1], encoding=encoding,
                is_bigendian=0, step=pixels.shape[1] * 3)
    msg.header.frame_id = frame_id
    msg.data = np.ascontiguousarray(pixels).tobytes()
    return msg


def commands_to_message(values: np.ndarray, label: Optional[str] = 'joints'
                        ) -> Float64MultiArray:
    """Joint commands as ros2_control's forward_command_controller expects them."""
    msg = Float64MultiArray()
    if label:
        msg.layout.dim = [MultiArrayDimension(label=label, size=len(values), stride=len(values))]
    msg.data = np.asarray(values, dtype=np.float64).tolist()
    return msg
