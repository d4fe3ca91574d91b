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
Our ant against the paper's env itself: pybullet_envs' AntBulletEnv-v0.

pybullet_envs ships in the pybullet wheel but is written for the old ``gym``
(installed for this test) and imports ``pkg_resources``, which setuptools
no longer has; its package ``__init__`` registers with a registry API that
gym 0.26 dropped. The fixture imports the env module past those three.
"""

import importlib.util
import sys
import types

import gymnasium
from hebb_controller.sim import ANT_ID
from hebb_controller.sim.ant import SETTLE_STEPS
import numpy as np
from packaging.version import parse as parse_version
import pybullet
import pytest

FLOOR_FACTOR = 22 / 21   # pybullet_envs averages the floor into the body's x, y; we do not


@pytest.fixture
def reference_ant(monkeypatch):
    spec = importlib.util.find_spec('pybullet_envs')
    package = types.ModuleType('pybullet_envs')
    package.__path__ = list(spec.submodule_search_locations)
    monkeypatch.setitem(sys.modules, 'pybullet_envs', package)
    monkeypatch.setitem(sys.modules, 'pkg_resources',
                        types.SimpleNamespace(parse_version=parse_version))
    from pybullet_envs.gym_locomotion_envs import AntBulletEnv
    env = AntBulletEnv()
    yield env
    env.close()


def test_the_ant_moves_as_antbulletenv_and_scores_its_progress(reference_ant):
    """Same seed, settle and actions: the same body to 1e-6 m, observations and progress."""
    reference_ant.seed(0)
    reference_ant.reset()
    for _ in range(SETTLE_STEPS):        # the paper's settle, which our reset does itself
        ref_obs = reference_ant.step(np.zeros(8))[0]
    ours = gymnasium.make(ANT_ID).unwrapped
    try:
        obs, _ = ours.reset(seed=0)
        np.testing.assert_allclose(obs, ref_obs, atol=1e-6)
        actions = np.random.default_rng(1).uniform(-1, 1, (150, 8)).astype(np.float32)
        for action in actions:
            ref_obs = reference_ant.step(action.astype(np.float64))[0]
            obs, progress, terminated, truncated, _ = ours.step(action)
            assert not (terminated or truncated)
            torso = pybullet.getBasePositionAndOrientation(ours._ant,
                                                           physicsClientId=ours._client)[0]
            np.testing.assert_allclose(torso, reference_ant.robot.body_real_xyz, atol=1e-6)
            np.testing.assert_allclose(obs, ref_obs, atol=1e-5)
            assert progress == pytest.approx(FLOOR_FACTOR * reference_ant.rewards[1], abs=1e-6)
    finally:
        ours.close()
