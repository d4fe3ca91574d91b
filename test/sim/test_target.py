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

"""The seeing robot's env: a target drawn from the seed, seen by the camera, reached for reward."""

import math

from gymnasium.utils.env_checker import check_env
from hebb_controller.sim import make_env, TARGET_ID
from hebb_controller.sim.target import (REACH_BONUS, REACH_RADIUS, RobotTargetEnv,
                                        TARGET_BEARING, TARGET_DISTANCE)
from hebb_controller.sim.vector import RolloutBatch
import numpy as np
import pybullet
import pytest

STRIP = {'camera_width': 48, 'camera_height': 16}


@pytest.fixture
def env():
    env = RobotTargetEnv(**STRIP)
    yield env
    env.close()


def red_columns(image: np.ndarray) -> np.ndarray:
    """Columns of a [3, H, W] image that show the red post."""
    r, g, b = image
    return np.flatnonzero(((r > 0.6) & (g < 0.3) & (b < 0.3)).any(axis=0))


def test_env_checker_passes():
    env = make_env(TARGET_ID, **STRIP)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


def test_targets_are_drawn_from_the_seed_within_the_ranges(env):
    bearings, distances = [], []
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        start = env.base_pose()[0][:2]
        offset = env.target - start
        bearings.append(math.atan2(offset[1], offset[0]))
        distances.append(info['target_distance'])
        assert info['target_distance'] == pytest.approx(np.hypot(*offset))
        assert obs['proprio'].shape == (38,) and obs['image'].shape == (3, 16, 48)
    assert max(np.abs(bearings)) <= TARGET_BEARING
    assert TARGET_DISTANCE[0] <= min(distances) and max(distances) <= TARGET_DISTANCE[1]
    assert np.ptp(bearings) > math.radians(60), 'targets spread to both sides'
    env.reset(seed=7)
    first = env.target
    env.reset(seed=7)
    np.testing.assert_array_equal(env.target, first)


def test_the_camera_sees_the_post_on_the_side_it_stands(env):
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        offset = env.target - env.base_pose()[0][:2]
        columns = red_columns(obs['image'])
        assert columns.size > 0, f'seed {seed}: the post is in view at the start'
        left = offset[1] > 0    # +y is the robot's left: the image's left half
        assert (columns.mean() < 24) == left, f'seed {seed}: post on the wrong side'


def test_reward_is_progress_toward_the_target_and_reaching_ends_the_episode(env):
    env.reset(seed=1)
    pos, orn = env.base_pose()
    direction = (env.target - pos[:2]) / np.hypot(*(env.target - pos[:2]))
    # carry the robot 0.2 m toward the post: the reward is that progress, less small costs
    pybullet.resetBasePositionAndOrientation(
        env._robot, [*(pos[:2] + 0.2 * direction), pos[2]], orn, physicsClientId=env.client_id)
    _, reward, terminated, _, info = env.step(np.zeros(12))
    assert reward == pytest.approx(0.2, abs=0.05) and not terminated
    # then to within reach: the bonus, and the episode ends
    pos, orn = env.base_pose()
    near = env.target - 0.5 * REACH_RADIUS * direction
    pybullet.resetBasePositionAndOrientation(env._robot, [*near, pos[2]], orn,
                                             physicsClientId=env.client_id)
    _, reward, terminated, _, info = env.step(np.zeros(12))
    assert info['reached'] and terminated
    assert reward > REACH_BONUS


def test_a_batch_stacks_dict_observations():
    with RolloutBatch(TARGET_ID, 2, **STRIP) as batch:
        obs = batch.reset([0, 1])
        assert obs['proprio'].shape == (2, 38) and obs['image'].shape == (2, 3, 16, 48)
        assert not np.array_equal(obs['image'][0], obs['image'][1]), 'targets differ by seed'
        obs, rewards, live = batch.step(np.zeros((2, 12), np.float32))
        assert live.all() and obs['image'].dtype == np.float32


def test_a_hidden_target_is_never_in_view():
    env = RobotTargetEnv(target_visible=False, **STRIP)
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        assert red_columns(obs['image']).size == 0
        assert TARGET_DISTANCE[0] <= info['target_distance'] <= TARGET_DISTANCE[1]
    env.close()
