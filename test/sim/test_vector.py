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

"""RolloutBatch: K ants side by side, each stopping at its own episode end."""

import gymnasium
from hebb_controller.config import EnvConfig
from hebb_controller.sim import ANT_ID, make_env
from hebb_controller.sim.ant import AntBulletEnv, SETTLE_STEPS
from hebb_controller.sim.vector import RolloutBatch
import numpy as np
import pytest

K = 3
STEPS = 30


def test_batched_observations_equal_separate_envs():
    seeds = [5, 6, 7]
    actions = np.random.default_rng(0).uniform(-1.0, 1.0, (STEPS + 5, K, 8)).astype(np.float32)
    with RolloutBatch(ANT_ID, K, max_episode_steps=SETTLE_STEPS + STEPS) as batch:
        obs = batch.reset(seeds)
        assert obs.shape == (K, 28) and obs.dtype == np.float32
        batched = [obs.copy()]
        for t in range(STEPS):
            obs, rewards, live = batch.step(actions[t])
            batched.append(obs.copy())
        assert batch.done and not live.any()
        assert not batch.terminated.any()              # the time limit is no fall
        returns = batch.returns.copy()
        assert batch.lengths.tolist() == [STEPS] * K
        # Finished envs stay finished: no physics, no reward, frozen observations.
        obs, rewards, live = batch.step(actions[STEPS])
        assert np.array_equal(obs, batched[-1]) and not rewards.any()
        assert np.array_equal(batch.returns, returns)
    for k, seed in enumerate(seeds):
        env = AntBulletEnv(max_episode_steps=SETTLE_STEPS + STEPS)
        try:
            single = [env.reset(seed=seed)[0]]
            total = 0.0
            for t in range(STEPS):
                o, r, *_ = env.step(actions[t, k])
                single.append(o)
                total += r
        finally:
            env.close()
        assert np.array_equal(np.stack(single), np.stack([b[k] for b in batched]))
        assert returns[k] == total


def test_only_live_envs_are_stepped():
    with RolloutBatch(ANT_ID, 2) as batch:
        batch.reset(0)
        batch.live[1] = False          # as if env 1 had ended
        frozen = batch.observations[1].copy()
        for _ in range(5):
            obs, rewards, live = batch.step(np.ones((2, 8)))
        assert live.tolist() == [True, False]
        assert np.array_equal(obs[1], frozen) and rewards[1] == 0.0
        assert batch.lengths.tolist() == [5, 0]
        assert batch.infos[0]['scored_steps'] == 5
        with pytest.raises(ValueError, match='actions for 2 envs'):
            batch.step(np.ones((3, 8)))


class _FallsOnOddSeeds(gymnasium.Env):
    """Falls (terminates) after 3 steps when reset with an odd seed, else runs out at 5."""

    observation_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.falls, self.t = seed % 2 == 1, 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        fell = self.falls and self.t == 3
        return np.zeros(1, np.float32), 1.0, fell, self.t == 5, {}


def test_a_fall_is_told_from_the_time_limit():
    gymnasium.register('test/FallsOnOddSeeds-v0', entry_point=_FallsOnOddSeeds)
    try:
        with RolloutBatch('test/FallsOnOddSeeds-v0', 3) as batch:
            batch.reset([1, 2, 3])
            while not batch.done:
                batch.step(np.zeros((3, 1)))
            assert batch.terminated.tolist() == [True, False, True]
            assert batch.lengths.tolist() == [3, 5, 3]
            batch.reset([2, 2, 2])
            assert not batch.terminated.any()          # a reset forgets the falls
    finally:
        gymnasium.registry.pop('test/FallsOnOddSeeds-v0')


def test_make_env_hands_max_episode_steps_to_the_env():
    kwargs = EnvConfig(max_episode_steps=SETTLE_STEPS + 7).env_kwargs()
    env = make_env(ANT_ID, **kwargs)
    try:
        assert not isinstance(env, gymnasium.wrappers.TimeLimit)
        assert env.unwrapped.max_episode_steps == SETTLE_STEPS + 7
        env.reset(seed=0)
        ends = [env.step(np.zeros(8))[3] for _ in range(7)]
        assert ends == [False] * 6 + [True]
    finally:
        env.close()
