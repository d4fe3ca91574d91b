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

"""Side views of a walker for figures and clips, drawn by PyBullet's CPU renderer."""

from typing import Sequence

import numpy as np
import pybullet


def side_view(client: int, target: Sequence[float], distance: float, width: int = 320,
              height: int = 240) -> np.ndarray:
    """
    Render ``target`` from the walker's right, slightly above: (height, width, 3) uint8 RGB.

    Walkers go along +x: the camera stands on their right (-y) and looks
    along +y, so they walk left to right across the frame, followed when
    the caller passes the body's position.
    """
    view = pybullet.computeViewMatrixFromYawPitchRoll(
        list(target), distance, yaw=0.0, pitch=-15.0, roll=0.0, upAxisIndex=2,
        physicsClientId=client)
    projection = pybullet.computeProjectionMatrixFOV(50.0, width / height, 0.05, 20.0,
                                                     physicsClientId=client)
    _, _, rgba, _, _ = pybullet.getCameraImage(
        width, height, view, projection, renderer=pybullet.ER_TINY_RENDERER,
        flags=pybullet.ER_NO_SEGMENTATION_MASK, physicsClientId=client)
    rgba = np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)
    return np.ascontiguousarray(rgba[:, :, :3])
