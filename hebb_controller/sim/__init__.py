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
Gymnasium environments on PyBullet: quadrupeds, morphologies, the pixel task.

Importing this package registers the envs; entry points are strings, so no
physics engine loads until an env is made. Make them with :func:`make_env`.
"""

import dataclasses
from typing import Any

import gymnasium

ANT_ID = 'hebb_controller/AntBullet-v0'
ROBOT_ID = 'hebb_controller/RobotQuadruped-v0'
CAR_RACING_ID = 'hebb_controller/CarRacingPixels-v0'
TARGET_ID = 'hebb_controller/RobotTarget-v0'

_ENTRY_POINTS = {
    ANT_ID: 'hebb_controller.sim.ant:AntBulletEnv',
    ROBOT_ID: 'hebb_controller.sim.robot:RobotQuadrupedEnv',
    CAR_RACING_ID: 'hebb_controller.sim.car_racing:make_car_racing_pixels',
    TARGET_ID: 'hebb_controller.sim.target:RobotTargetEnv',
}

for _env_id, _entry_point in _ENTRY_POINTS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(id=_env_id, entry_point=_entry_point)

ENV_IDS: tuple[str, ...] = tuple(_ENTRY_POINTS)


def ended_in_fall(terminated: bool, info: dict[str, Any]) -> bool:
    """Tell a fall from the other terminal state: the seeing robot reaching its target."""
    return bool(terminated) and not info.get('reached')


def make_env(env_id: str, **kwargs: Any) -> gymnasium.Env:
    """
    Make a registered env with every keyword, ``max_episode_steps`` included, reaching it.

    ``gymnasium.make`` keeps ``max_episode_steps`` for its own TimeLimit wrapper,
    which counts only the steps it sees; these envs keep the limit themselves
    because the paper's unscored settle steps count toward it.
    """
    spec = gymnasium.spec(env_id)
    spec = dataclasses.replace(spec, kwargs={**spec.kwargs, **kwargs}, max_episode_steps=None)
    return gymnasium.make(spec)
