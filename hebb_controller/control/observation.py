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
The network's input, built from sensor readings exactly as the env built it in training.

A coefficient file names every input (``IOLayout.observation_names``): for a
robot ``<joint>.position``, ``<joint>.velocity``, ``imu_orientation.<i>``
(x, y, z, w), ``imu_angular_velocity.<i>``, ``imu_linear_acceleration.<i>``
and ``<foot>.contact``. This module turns those names into index arrays once,
so a tick only concatenates the latest readings and gathers them; a file whose
inputs no robot sensor provides (the ant's hand-made features) is refused with
the names it cannot feed. Readings are clipped to the file's observation
bounds, then normalised with its ``observation_offset/scale`` when it has them,
as the trainer's policy did.
"""

from dataclasses import dataclass
from typing import Optional

from hebb_controller.plasticity.coefficient_file import IOLayout
import numba
import numpy as np

IMU_FIELDS = {'imu_orientation': 4, 'imu_angular_velocity': 3, 'imu_linear_acceleration': 3}


@dataclass
class Readings:
    """The latest sensor values, each in the order :class:`ObservationBuilder` asks for."""

    joint_positions: np.ndarray
    joint_velocities: np.ndarray
    imu_orientation: Optional[np.ndarray] = None        # x, y, z, w
    imu_angular_velocity: Optional[np.ndarray] = None   # rad/s, body frame
    imu_linear_acceleration: Optional[np.ndarray] = None  # m/s^2, specific force
    contacts: Optional[np.ndarray] = None               # 1.0 when the foot touches


class ObservationBuilder:
    """
    Gather readings into the layout's order, clip them to the training bounds, normalise.

    Attributes say which sensors the layout needs: ``joint_names`` (the joints
    whose state it reads), ``uses_imu``, ``foot_names``.
    """

    def __init__(self, layout: IOLayout) -> None:
        joints: list[str] = []
        feet: list[str] = []
        slots: list[tuple[str, str, int]] = []   # (source, name or field, index)
        unknown = []
        for name in layout.observation_names:
            base, _, part = name.rpartition('.')
            if part in ('position', 'velocity'):
                if base not in joints:
                    joints.append(base)
                slots.append((part, base, 0))
            elif part == 'contact':
                if base not in feet:
                    feet.append(base)
                slots.append(('contact', base, 0))
            elif base in IMU_FIELDS and part.isdigit() and int(part) < IMU_FIELDS[base]:
                slots.append(('imu', base, int(part)))
            else:
                unknown.append(name)
        if unknown:
            raise ValueError(f'no robot sensor provides the inputs {unknown[:6]}'
                             f'{" ..." if len(unknown) > 6 else ""}: this coefficient file was '
                             'not evolved for joint, IMU and contact sensors')
        self.joint_names = joints
        self.foot_names = feet
        self.uses_imu = any(source == 'imu' for source, _, _ in slots)
        # readings are concatenated as [q, qd, quat, gyro, accel, contacts]
        offsets = {'position': 0, 'velocity': len(joints)}
        imu_offset = 2 * len(joints)
        for field, size in IMU_FIELDS.items():
            offsets[field] = imu_offset
            imu_offset += size
        offsets['contact'] = imu_offset
        self._size = imu_offset + len(feet)
        index = []
        for source, name, k in slots:
            if source in ('position', 'velocity'):
                index.append(offsets[source] + joints.index(name))
            elif source == 'contact':
                index.append(offsets['contact'] + feet.index(name))
            else:
                index.append(offsets[name] + k)
        self._index = np.array(index, dtype=np.intp)
        count = len(index)
        # no bounds or normalisation: the kernel's neutral values, exact in float64
        self._low = np.array(layout.observation_low) if layout.observation_low \
            else np.full(count, -np.inf)
        self._high = np.array(layout.observation_high) if layout.observation_high \
            else np.full(count, np.inf)
        self._offset, self._scale = np.zeros(count), np.ones(count)
        if layout.observation_scale is not None:
            self._offset = np.array(layout.observation_offset, dtype=np.float64)
            self._scale = np.array(layout.observation_scale, dtype=np.float64)
        self._buffer = np.zeros(self._size)
        self._none = np.zeros(0)
        imu = list(IMU_FIELDS.values()) if self.uses_imu else [0, 0, 0]
        self._sizes = np.array([len(joints), len(joints), *imu, len(feet)], dtype=np.intp)

    def build(self, readings: Readings) -> Optional[np.ndarray]:
        """Return the network's input as float32, or None when a reading it uses is not finite."""
        parts = (readings.joint_positions, readings.joint_velocities)
        if self.uses_imu:
            parts += (readings.imu_orientation, readings.imu_angular_velocity,
                      readings.imu_linear_acceleration)
        else:
            parts += (self._none, self._none, self._none)
        parts += (readings.contacts if self.foot_names else self._none,)
        obs = np.empty(len(self._index), dtype=np.float32)
        parts = tuple(np.ascontiguousarray(part, dtype=np.float64) for part in parts)
        finite = _gather(parts, self._sizes, self._buffer, self._index, self._low, self._high,
                         self._offset, self._scale, obs)
        return obs if finite else None


@numba.njit(nogil=True, cache=True, error_model='numpy')
def _gather(parts, sizes, buffer, index, low, high, offset, scale, out):
    """
    Concatenate ``parts`` into ``buffer``, gather, clip, normalise into ``out``.

    One compiled call instead of a dozen numpy calls on arrays of a few values:
    on a robot's computer the tick runs with cold caches, where each costs
    several microseconds. The arithmetic is numpy's, in the same order (clip in
    float64, subtract, multiply, round to float32), so the result is the same.
    Returns False, with ``out`` partly written, when a gathered value is not finite.
    """
    for i, part in enumerate(parts):
        if part.shape[0] != sizes[i]:
            raise ValueError('a reading has the wrong number of values')
    at = 0
    for part in parts:
        for k in range(part.shape[0]):
            buffer[at + k] = part[k]
        at += part.shape[0]
    for k in range(index.shape[0]):
        value = buffer[index[k]]
        if not np.isfinite(value):
            return False
        value = min(max(value, low[k]), high[k])
        out[k] = (value - offset[k]) * scale[k]
    return True
