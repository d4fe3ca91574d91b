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
The last word on every joint command: limits, rate, and the tilt that means a fall.

Deployed learned controllers never send the network's output straight to the
motors: each command is clamped to the joint limits and moves at most
``max_velocity * dt`` from the previous one, whatever produced it (the
network, the start-up ramp, the safe pose).
"""

import math
from typing import Optional

import numba
import numpy as np


class CommandLimiter:
    """Clamp to joint limits and limit the rate of change; remembers the last command."""

    def __init__(self, lower: np.ndarray, upper: np.ndarray, max_velocity: float) -> None:
        lower, upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
        if lower.shape != upper.shape or not np.all(lower <= upper):
            raise ValueError('joint limits need one lower <= upper pair per joint')
        if not np.all(np.isfinite(lower)) or not np.all(np.isfinite(upper)):
            raise ValueError('joint limits must be finite')
        if max_velocity <= 0:
            raise ValueError(f'max_velocity must be > 0, got {max_velocity}')
        self.lower, self.upper = lower, upper
        self.max_velocity = float(max_velocity)
        self.last: Optional[np.ndarray] = None
        self._none = np.zeros(0)

    def start_from(self, positions: np.ndarray) -> None:
        """Rate-limit the next command from the measured pose (clamped into the limits)."""
        self.last = np.clip(np.asarray(positions, dtype=np.float64), self.lower, self.upper)

    def __call__(self, target: np.ndarray, dt: float) -> Optional[np.ndarray]:
        """
        Return the command for ``target``: inside the limits, within the rate of the last.

        None, and nothing remembered, when a target value is NaN or infinite.
        """
        command = np.empty_like(self.lower)
        last = self._none if self.last is None else self.last
        step = self.max_velocity * max(float(dt), 0.0)
        if not _limit(np.ascontiguousarray(target, dtype=np.float64), self.lower, self.upper,
                      last, step, command):
            return None
        self.last = command
        return command.copy()


@numba.njit(nogil=True, cache=True, error_model='numpy')
def _limit(target, lower, upper, last, step, out):
    """
    Clamp into the limits, then within ``step`` of ``last`` (if any) and the limits again.

    One compiled call, not a dozen numpy calls on a dozen values: the tick runs
    with cold caches, where each numpy call costs microseconds.
    """
    if target.shape[0] != out.shape[0]:
        raise ValueError('the target has the wrong number of joints')
    for k in range(target.shape[0]):
        if not np.isfinite(target[k]):
            return False
    for k in range(target.shape[0]):
        value = min(max(target[k], lower[k]), upper[k])
        if last.shape[0] > 0:
            value = min(max(value, last[k] - step), last[k] + step)
            value = min(max(value, lower[k]), upper[k])
        out[k] = value
    return True


def roll_pitch(quaternion: np.ndarray) -> tuple[float, float]:
    """Roll and pitch (rad) of an orientation quaternion (x, y, z, w)."""
    x, y, z, w = np.asarray(quaternion, dtype=np.float64).tolist()
    roll = math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    return roll, pitch
