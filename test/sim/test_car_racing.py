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

"""The pixel task: CarRacing cropped to 84x84, channels first, with the paper's early stop."""

import gymnasium
from gymnasium.utils.env_checker import check_env
from hebb_controller.config import EnvConfig
from hebb_controller.sim import CAR_RACING_ID
from hebb_controller.sim.car_racing import make_car_racing_pixels
import numpy as np
import pytest

GAS = np.array([0.0, 0.5, 0.0], np.float32)
IDLE = np.zeros(3, np.float32)


@pytest.fixture(scope='module')
def env():
    env = gymnasium.make(CAR_RACING_ID, **EnvConfig(env_id=CAR_RACING_ID).env_kwargs())
    yield env
    env.close()


def test_observation_is_the_cropped_frame_channels_first(env):
    obs, _ = env.reset(seed=0)
    for _ in range(10):
        obs, *_ = env.step(GAS)
    assert obs.shape == (3, 84, 84) == env.observation_space.shape
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)
    assert 0.0 <= obs.min() and obs.max() <= 1.0 and obs.std() > 0.05
    assert obs.flags['C_CONTIGUOUS']   # ready for torch.from_numpy without a copy
    frame = env.unwrapped.state   # CarRacing's last 96x96x3 uint8 frame
    np.testing.assert_allclose(obs, frame[:84, 6:90].transpose(2, 0, 1) / 255.0, atol=1e-6)
    assert frame[84:].mean() < 40   # what was cropped is the dark dashboard
    assert env.action_space.shape == (3,)
    np.testing.assert_array_equal(env.action_space.low, [-1, 0, 0])
    np.testing.assert_array_equal(env.action_space.high, [1, 1, 1])


def test_reset_and_steps_are_deterministic_under_a_seed(env):
    runs = []
    for _ in range(2):
        obs, _ = env.reset(seed=3)
        steps = [env.step(GAS) for _ in range(5)]
        runs.append((obs, [s[0] for s in steps], [s[1] for s in steps]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][2] == runs[1][2]
    other, _ = env.reset(seed=4)   # another seed, another track
    assert not np.array_equal(other, runs[0][0])


def test_early_stop_after_20_negative_rewards(env):
    env.reset(seed=0)
    rewards, info, truncated = [], {}, False
    while not truncated and len(rewards) < 100:
        _, reward, terminated, truncated, info = env.step(IDLE)
        assert not terminated
        rewards.append(reward)
    assert truncated and info.get('early_stop')
    rewards = np.array(rewards)
    assert np.all(rewards[-20:] < 0)
    # the stop came at the first run of 20 negatives, not later
    runs = np.convolve(rewards < 0, np.ones(20), 'valid')
    assert np.argmax(runs == 20) == len(rewards) - 20


def test_episode_limit_is_honoured():
    env = make_car_racing_pixels(max_episode_steps=5)
    env.reset(seed=0)
    ends = [env.step(GAS)[2:4] for _ in range(5)]
    assert ends == [(False, False)] * 4 + [(False, True)]
    env.close()


def test_passes_check_env(env):
    check_env(env.unwrapped, skip_render_check=True)
    check_env(env, skip_render_check=True)


def test_noise_is_seeded_and_stays_in_bounds():
    env = make_car_racing_pixels(obs_noise_std=0.1, action_noise_std=0.2)
    first, _ = env.reset(seed=1)
    second, _ = env.reset(seed=1)
    np.testing.assert_array_equal(first, second)
    assert env.observation_space.contains(first)
    clean = make_car_racing_pixels()
    assert not np.array_equal(first, clean.reset(seed=1)[0])
    env.close()
    clean.close()


def test_the_two_noises_draw_apart_from_one_seed():
    from hebb_controller.sim.car_racing import ActionNoise, ObservationNoise
    draws = []
    for wrapper in (ObservationNoise, ActionNoise):
        noisy = wrapper(gymnasium.make('CarRacing-v3'), std=0.1)
        try:
            noisy.reset(seed=4)
            draws.append(noisy._rng.standard_normal(8))
        finally:
            noisy.close()
    assert not np.allclose(draws[0], draws[1])


@pytest.mark.parametrize('kwargs', [{'morphology': 'damaged_left_front'},
                                    {'control_step': 0.05}])
def test_settings_the_car_cannot_honour_are_errors(kwargs):
    with pytest.raises(ValueError):
        make_car_racing_pixels(**kwargs)
