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
K envs of one id stepped side by side, for evaluating a population at once.

Observations come back as one (K, obs_dim) float32 array (a dict of such
arrays, one per key, for a dict observation space), so a batched network
(population axis first) computes all K actions in one op.

Why a small class and not Gymnasium's ``SyncVectorEnv``: an ES rollout needs
each env to run until its own episode ends and then stay finished, its return
frozen, while the others go on. ``SyncVectorEnv`` steps every sub-env on every
call; with ``AutoresetMode.DISABLED`` it asserts that a finished env was reset
before the next step, and in the other modes it resets it. Episodes of a
population end at very different times (the ant's early stop), so stepping
only the live envs also saves the physics of the finished ones.

The envs are made with ``hebb_controller.sim.make_env``, so
``max_episode_steps`` reaches the env instead of a ``TimeLimit`` wrapper.
"""
from typing import Any, Optional, Sequence, Union

from gymnasium import spaces
from hebb_controller.sim import make_env
import numpy as np

Observations = Union[np.ndarray, dict[str, np.ndarray]]


class RolloutBatch:
    """
    K envs made with ``make_env(env_id, **env_kwargs)``, no autoreset.

    After ``reset``, ``step`` advances only the live envs; a finished env keeps
    its last observation, gets reward 0 and stays finished until the next
    ``reset``. ``returns``, ``lengths``, ``live``, ``terminated`` and
    ``infos`` hold per-env accumulated return, scored steps, the live mask,
    whether the episode reached a terminal state (a fall, not the time limit)
    and the latest info.
    """

    def __init__(self, env_id: str, num_envs: int, **env_kwargs: Any) -> None:
        if num_envs < 1:
            raise ValueError(f'num_envs must be at least 1, got {num_envs}')
        self.envs = [make_env(env_id, **env_kwargs) for _ in range(num_envs)]
        self.num_envs = num_envs
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        space = self.single_observation_space
        if isinstance(space, spaces.Dict):
            self.observations: Observations = {
                key: np.zeros((num_envs, *sub.shape), dtype=np.float32)
                for key, sub in space.spaces.items()}
        else:
            self.observations = np.zeros((num_envs, *space.shape), dtype=np.float32)
        self.returns = np.zeros(num_envs)
        self.lengths = np.zeros(num_envs, dtype=np.int64)
        self.live = np.zeros(num_envs, dtype=bool)
        self.terminated = np.zeros(num_envs, dtype=bool)
        self.infos: list[dict[str, Any]] = [{} for _ in range(num_envs)]

    def reset(self, seed: Union[int, Sequence[int], None] = None) -> Observations:
        """
        Reset every env; an int seed s gives env i the seed s + i.

        Returns the (K, obs_dim) observations (a view that later steps update).
        """
        if seed is None or isinstance(seed, (int, np.integer)):
            seeds: list[Optional[int]] = [
                None if seed is None else int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f'expected {self.num_envs} seeds, got {len(seeds)}')
        for i, (env, s) in enumerate(zip(self.envs, seeds)):
            obs, self.infos[i] = env.reset(seed=s)
            self._store(i, obs)
        self.returns[:] = 0.0
        self.lengths[:] = 0
        self.live[:] = True
        self.terminated[:] = False
        return self.observations

    def _store(self, i: int, obs: Observations) -> None:
        if isinstance(self.observations, dict):
            for key, rows in self.observations.items():
                rows[i] = obs[key]
        else:
            self.observations[i] = obs

    def step(self, actions: np.ndarray) -> tuple[Observations, np.ndarray, np.ndarray]:
        """
        Step the live envs with their rows of ``actions`` (K, act_dim).

        Returns observations (K, obs_dim), this step's rewards (K,) and the
        live mask after the step (K,).
        """
        actions = np.asarray(actions)
        if actions.shape[0] != self.num_envs:
            raise ValueError(f'expected actions for {self.num_envs} envs, '
                             f'got shape {actions.shape}')
        rewards = np.zeros(self.num_envs)
        stepped = self.live.copy()
        for i in np.flatnonzero(stepped):
            obs, reward, terminated, truncated, self.infos[i] = self.envs[i].step(actions[i])
            self._store(i, obs)
            rewards[i] = reward
            if terminated or truncated:
                self.live[i] = False
                self.terminated[i] = terminated
        self.returns += rewards
        self.lengths += stepped
        return self.observations, rewards, self.live.copy()

    @property
    def done(self) -> bool:
        """Whether every env has finished its episode."""
        return not self.live.any()

    def close(self) -> None:
        """Close every env."""
        for env in self.envs:
            env.close()

    def __enter__(self) -> 'RolloutBatch':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
