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
        self._low = np.array(layout.observation_low) if layout.observation_low else None
        self._high = np.array(layout.observation_high) if layout.observation_high else None
        self._offset = self._scale = None
        if layout.observation_scale is not None:
            self._offset = np.array(layout.observation_offset)
            self._scale = np.array(layout.observation_scale)
        self._buffer = np.zeros(self._size)

    def build(self, readings: Readings) -> np.ndarray:
        """Return the network's input as float32; NaN stays NaN, so the caller can refuse it."""
        b = self._buffer
        n = len(self.joint_names)
        b[:n] = readings.joint_positions
        b[n:2 * n] = readings.joint_velocities
        if self.uses_imu:
            at = 2 * n
            for field, size in IMU_FIELDS.items():
                b[at:at + size] = getattr(readings, field)
                at += size
        if self.foot_names:
            b[self._size - len(self.foot_names):] = readings.contacts
        obs = b[self._index]
        if self._low is not None:   # NaN passes through, for the caller to refuse
            np.minimum(np.maximum(obs, self._low, out=obs), self._high, out=obs)
        if self._scale is not None:
            obs -= self._offset
            obs *= self._scale
        return obs.astype(np.float32)
