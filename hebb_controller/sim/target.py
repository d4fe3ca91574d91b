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
The seeing robot: walk the A1 to a bright target it can find only with its head camera.

At every reset a red post (no collision; 0.2 m radius, 0.6 m tall) stands
at a bearing drawn uniform in +-``TARGET_BEARING`` from the robot's heading
(+x) and a distance uniform in ``TARGET_DISTANCE``, from the reset seed. The
observation is a dict: ``proprio``, the 38 values of
:class:`~hebb_controller.sim.robot.RobotQuadrupedEnv` (same layout, same
units), and ``image``, the head camera as ``[3, H, W]`` float32 in [0, 1]
(the front-end's input, and what the controller node makes of an rgb8
``camera/image_raw``), rendered every ``camera_every`` control steps and
held in between. Nothing in ``proprio`` says where the target is.

Reward per step: metres gained toward the target (the previous distance
minus the new one) minus the walking env's energy and posture costs, plus
``REACH_BONUS`` once when the trunk comes within ``REACH_RADIUS`` of the
post, which ends the episode (``info['reached']``). Falling ends it too.
The info also holds ``target_distance``, and the trunk's and the post's
``position`` and ``target`` (x, y) in metres, world frame. With
``target_visible=False`` the post stands under the floor: the task and reward
are the same but the camera never shows it (the control that tells seeing
from a lucky path).
"""

import math
from typing import Any, Optional

from gymnasium import spaces
from hebb_controller.sim.robot import RobotQuadrupedEnv
import numpy as np
import pybullet

TARGET_BEARING = math.radians(60.0)
TARGET_DISTANCE = (1.5, 3.0)   # metres from the trunk at reset
REACH_RADIUS = 0.35            # metres, trunk centre to the post's axis, in the ground plane
REACH_BONUS = 1.0              # as much as a metre of progress
POST_RADIUS = 0.2
POST_HEIGHT = 0.6
POST_COLOUR = (1.0, 0.05, 0.05, 1.0)


class RobotTargetEnv(RobotQuadrupedEnv):
    """The A1 of :class:`RobotQuadrupedEnv` with a target post, a dict observation, its reward."""

    def __init__(self, target_visible: bool = True, **kwargs: Any) -> None:
        self.target_visible = bool(target_visible)   # False: the control of an experiment
        super().__init__(**kwargs)
        self._target = np.zeros(2)
        self._target_distance = 0.0
        image = spaces.Box(0.0, 1.0, (3, self.camera_height, self.camera_width), np.float32)
        self.observation_space = spaces.Dict({'proprio': self.observation_space,
                                              'image': image})

    def _load(self) -> None:
        super()._load()
        cid = self.client_id
        visual = pybullet.createVisualShape(pybullet.GEOM_CYLINDER, radius=POST_RADIUS,
                                            length=POST_HEIGHT, rgbaColor=POST_COLOUR,
                                            physicsClientId=cid)
        self._post = pybullet.createMultiBody(baseMass=0.0, baseCollisionShapeIndex=-1,
                                              baseVisualShapeIndex=visual,
                                              basePosition=[0.0, 0.0, -1.0],
                                              physicsClientId=cid)
        # the state reset restores must hold the post too
        self._initial_state = pybullet.saveState(physicsClientId=cid)

    @property
    def target(self) -> np.ndarray:
        """Return the post's position (x, y) in metres, world frame."""
        return self._target.copy()

    def reset(self, *, seed: Optional[int] = None,
              options: Optional[dict[str, Any]] = None) -> tuple[dict, dict[str, Any]]:
        """Reset the robot, then place the post from the same seed."""
        proprio, info = super().reset(seed=seed, options=options)
        pos, _ = self.base_pose()
        bearing = self.np_random.uniform(-TARGET_BEARING, TARGET_BEARING)
        distance = self.np_random.uniform(*TARGET_DISTANCE)
        self._target = pos[:2] + distance * np.array([math.cos(bearing), math.sin(bearing)])
        height = POST_HEIGHT / 2 if self.target_visible else -POST_HEIGHT   # under the floor
        pybullet.resetBasePositionAndOrientation(
            self._post, [*self._target, height], [0, 0, 0, 1], physicsClientId=self.client_id)
        self._target_distance = self._distance_to_target()
        self._frame = None   # the post moved: render afresh
        return self._observation(proprio), self._target_info(info, False)

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict[str, Any]]:
        """Advance one control step; reward is progress toward the post."""
        return self._target_step(*super().step(action))

    def step_targets(self, targets: np.ndarray) -> tuple[dict, float, bool, bool, dict[str, Any]]:
        """Track joint position targets for one control step, as the walking env does."""
        return self._target_step(*super().step_targets(targets))

    def _target_step(self, proprio: np.ndarray, reward: float, terminated: bool,
                     truncated: bool, info: dict[str, Any]
                     ) -> tuple[dict, float, bool, bool, dict[str, Any]]:
        distance = self._distance_to_target()
        reward += (self._target_distance - distance) - info['forward_reward']
        self._target_distance = distance
        reached = distance < REACH_RADIUS
        if reached:
            reward += REACH_BONUS
        return (self._observation(proprio), reward, terminated or reached, truncated,
                self._target_info(info, reached))

    def _distance_to_target(self) -> float:
        pos, _ = self.base_pose()
        return float(np.hypot(*(self._target - pos[:2])))

    def _observation(self, proprio: np.ndarray) -> dict[str, np.ndarray]:
        image = self.camera_image().transpose(2, 0, 1).astype(np.float32) / 255.0
        return {'proprio': proprio, 'image': image}

    def _target_info(self, info: dict[str, Any], reached: bool) -> dict[str, Any]:
        pos, _ = self.base_pose()
        return {**info, 'target_distance': self._target_distance, 'reached': reached,
                'position': (float(pos[0]), float(pos[1])),
                'target': (float(self._target[0]), float(self._target[1]))}
