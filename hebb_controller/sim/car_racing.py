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
The paper's pixel task: Gymnasium's ``CarRacing-v3`` seen as 84x84 RGB.

Observation: float32 in [0, 1], shape (3, 84, 84), channels first (C, H, W)
as torch's conv layers take it; channel order R, G, B; row 0 is the top of the
screen. The 96x96 frame is cropped, not resampled: rows 84-95 hold the
dashboard (speed, ABS, steering and gyro bars) and go; columns 0-5 and 90-95
go too, which keeps the car centred (it sits at columns 46-49 of 96) and the
image square, so no interpolation blurs the one- or two-pixel track edges.
The paper's reference code instead resizes the whole 96x96 frame, dashboard
included, to 84x84 and swaps axes 0 and 2, which gives (C, W, H).

Actions are CarRacing's own: steer in [-1, 1], gas in [0, 1], brake in [0, 1].
An episode stops (``truncated``, ``info['early_stop']``) once the reward has
been negative for 20 consecutive steps, as the paper says; the reference code's
``neg_count > 20`` stops one step later.
"""
from typing import Any, Optional, SupportsFloat

import gymnasium
from gymnasium import spaces
import numpy as np

BASE_ID = 'CarRacing-v3'
FRAME_TIME = 0.02          # CarRacing's physics runs at 50 frames a second
CROP_ROWS = slice(0, 84)   # drop the 12-row dashboard at the bottom
CROP_COLS = slice(6, 90)   # 84 centred columns
NEGATIVE_REWARD_PATIENCE = 20


class PixelFrame(gymnasium.ObservationWrapper):
    """Crop the 96x96 uint8 frame to 84x84 and make it float32 (3, H, W) in [0, 1]."""

    def __init__(self, env: gymnasium.Env):
        super().__init__(env)
        height = CROP_ROWS.stop - CROP_ROWS.start
        width = CROP_COLS.stop - CROP_COLS.start
        self.observation_space = spaces.Box(0.0, 1.0, (3, height, width), np.float32)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        """Crop, move channels first, scale to [0, 1]."""
        frame = observation[CROP_ROWS, CROP_COLS].transpose(2, 0, 1).astype(np.float32, order='C')
        frame *= 1.0 / 255.0
        return frame


class NegativeRewardStop(gymnasium.Wrapper):
    """End the episode after ``patience`` consecutive steps of negative reward."""

    def __init__(self, env: gymnasium.Env, patience: int = NEGATIVE_REWARD_PATIENCE):
        super().__init__(env)
        self.patience = patience
        self._negative = 0

    def reset(self, **kwargs) -> tuple[Any, dict[str, Any]]:
        """Reset the count with the episode."""
        self._negative = 0
        return self.env.reset(**kwargs)

    def step(self, action) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step, count negative rewards, truncate when the count reaches ``patience``."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._negative = self._negative + 1 if reward < 0 else 0
        if self._negative >= self.patience and not terminated:
            truncated = True
            info = {**info, 'early_stop': True}
        return obs, reward, terminated, truncated, info


class _Seeded:
    """A generator of its own, re-seeded by ``reset(seed=...)``, so noise is reproducible."""

    _rng: Optional[np.random.Generator] = None
    stream = 0   # one per kind of noise, so two never draw the same numbers from one seed

    def reset(self, *, seed: Optional[int] = None, **kwargs) -> tuple[Any, dict[str, Any]]:
        if seed is not None or self._rng is None:
            self._rng = np.random.default_rng(None if seed is None else [seed, self.stream])
        return super().reset(seed=seed, **kwargs)


class ObservationNoise(_Seeded, gymnasium.ObservationWrapper):
    """Gaussian noise on every pixel, clipped back to the observation bounds."""

    stream = 1

    def __init__(self, env: gymnasium.Env, std: float):
        super().__init__(env)
        self.std = std

    def observation(self, observation: np.ndarray) -> np.ndarray:
        """Add noise, stay inside the space."""
        noisy = observation + self._rng.normal(0.0, self.std, observation.shape)
        space = self.observation_space
        return np.clip(noisy, space.low, space.high).astype(space.dtype)


class ActionNoise(_Seeded, gymnasium.ActionWrapper):
    """Gaussian noise on the actions, clipped back to the action bounds."""

    stream = 2

    def __init__(self, env: gymnasium.Env, std: float):
        super().__init__(env)
        self.std = std

    def action(self, action: np.ndarray) -> np.ndarray:
        """Add noise, stay inside the space."""
        space = self.action_space
        noisy = np.asarray(action) + self._rng.normal(0.0, self.std, space.shape)
        return np.clip(noisy, space.low, space.high).astype(space.dtype)


def make_car_racing_pixels(morphology: str = 'whole', max_episode_steps: int = 1000,
                           control_step: float = FRAME_TIME, obs_noise_std: float = 0.0,
                           action_noise_std: float = 0.0, push_force: float = 0.0,
                           push_interval: int = 0, camera_width: int = 32,
                           camera_height: int = 32, camera_every: int = 1,
                           render_mode: Optional[str] = None) -> gymnasium.Env:
    """
    Make CarRacing with the paper's preprocessing, taking every env's keyword arguments.

    Honoured: ``max_episode_steps``, ``obs_noise_std`` (on the [0, 1] pixels),
    ``action_noise_std`` and ``render_mode``. ``morphology`` must be ``whole``
    and ``control_step`` CarRacing's 0.02 s. The push and camera settings
    belong to the robots and are ignored: the car's image is always 84x84.
    """
    if morphology != 'whole':
        raise ValueError(f'CarRacing has one body: morphology must be whole, got {morphology!r}')
    if not np.isclose(control_step, FRAME_TIME):
        raise ValueError(f'CarRacing runs at a fixed {FRAME_TIME} s a step, got {control_step}')
    env = gymnasium.make(BASE_ID, max_episode_steps=max_episode_steps, render_mode=render_mode)
    env = NegativeRewardStop(env)
    env = PixelFrame(env)
    if obs_noise_std > 0:
        env = ObservationNoise(env, obs_noise_std)
    if action_noise_std > 0:
        env = ActionNoise(env, action_noise_std)
    return env
