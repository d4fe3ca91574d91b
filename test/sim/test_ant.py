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

"""The paper's ant env: spaces, episode rules, reward, morphologies, camera."""

import gymnasium
from gymnasium.utils.env_checker import check_env
from gymnasium.utils.passive_env_checker import env_render_passive_checker
from hebb_controller.config import EnvConfig
from hebb_controller.sim import ANT_ID, make_env
from hebb_controller.sim.ant import (AntBulletEnv, JOINT_NAMES, MIN_TORSO_Z, OBS_NAMES,
                                     SETTLE_STEPS, STOP_CHECKS_AFTER)
from hebb_controller.sim.morphology import ANT_LEGS, MORPHOLOGIES
import numpy as np
import pybullet
import pytest

GAIT_STEPS = 300
# Ankle direction that presses each foot down, in joint order 1..4.
ANKLE_DOWN = np.array([1.0, -1.0, -1.0, 1.0])
LEG_PHASE = np.array([0.0, 0.0, np.pi, 0.0])


def gait(t: int) -> np.ndarray:
    """Open-loop sinusoidal trot that carries the whole ant ~1.4 m along +x in 300 steps."""
    w = 2.0 * np.pi * t / 15.0 + LEG_PHASE
    action = np.empty(8)
    action[0::2] = np.sin(w)
    action[1::2] = ANKLE_DOWN * (0.3 + 0.7 * np.sin(w + np.pi))
    return action


def walk(env, steps=GAIT_STEPS, seed=0):
    """Run the gait; return the summed reward, the last info and the step count."""
    env.reset(seed=seed)
    total = 0.0
    for t in range(steps):
        _, reward, terminated, truncated, info = env.step(gait(t))
        total += reward
        if terminated or truncated:
            break
    return total, info, t + 1


@pytest.fixture
def env():
    e = AntBulletEnv()
    yield e
    e.close()


def parts_mean_xy(e):
    """pybullet_envs' body position: the torso and all 20 links, averaged."""
    cid, ant = e._client, e._ant
    pos = pybullet.getBasePositionAndOrientation(ant, physicsClientId=cid)[0]
    n = pybullet.getNumJoints(ant, physicsClientId=cid)
    links = pybullet.getLinkStates(ant, list(range(n)), physicsClientId=cid)
    xyz = np.array([pos] + [s[0] for s in links])
    return xyz[:, :2].mean(axis=0)


def test_spaces_and_bounds(env):
    assert env.observation_space == gymnasium.spaces.Box(-5.0, 5.0, (28,), np.float32)
    assert env.action_space == gymnasium.spaces.Box(-1.0, 1.0, (8,), np.float32)
    assert len(OBS_NAMES) == 28
    obs, info = env.reset(seed=3)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)
    rng = np.random.default_rng(0)
    for _ in range(50):   # actions far outside [-1, 1] are clipped, obs stay in bounds
        obs, reward, *_ = env.step(rng.uniform(-3.0, 3.0, 8))
        assert env.observation_space.contains(obs)
        assert np.isfinite(reward)


def test_same_seed_same_actions_same_observations_bit_for_bit():
    actions = np.random.default_rng(1).uniform(-1.0, 1.0, (120, 8))
    a, b = AntBulletEnv(), AntBulletEnv()
    try:
        runs = []
        for e in (a, b, a):   # two instances, and a second episode of the first
            obs = [e.reset(seed=7)[0]]
            obs += [e.step(act)[0] for act in actions]
            runs.append(np.stack(obs))
        assert np.array_equal(runs[0], runs[1])
        assert np.array_equal(runs[0], runs[2])
        other = a.reset(seed=8)[0]
        assert not np.array_equal(other, runs[0][0])
    finally:
        a.close()
        b.close()


def test_settle_leaves_the_ant_resting_upright(env):
    obs, info = env.reset(seed=0)
    assert info['step'] == SETTLE_STEPS and info['scored_steps'] == 0
    # Without torque the legs cannot carry the torso: it rests on its sphere.
    assert 0.24 < info['torso_z'] < 0.30
    assert np.all(np.abs(obs[3:6]) < 0.05)                 # body velocity ~0: settled
    assert np.all(np.abs(obs[6:8]) < 0.1)                  # roll, pitch ~0: upright
    assert obs[24:28].tolist() == [1.0, 1.0, 1.0, 1.0]     # all four feet on the floor
    # The joints are driven: the gait lifts the torso off the floor.
    heights = [env.step(gait(t))[4]['torso_z'] for t in range(60)]
    assert max(heights) > 0.33                              # resting is 0.25 m


def test_reward_is_forward_progress_per_control_step():
    for control_step in (0.0165, 0.01):
        e = AntBulletEnv(control_step=control_step)
        try:
            e.reset(seed=0)
            x0 = parts_mean_xy(e)[0]
            total = 0.0
            for t in range(GAIT_STEPS):
                total += e.step(gait(t))[1]
            moved = parts_mean_xy(e)[0] - x0
            torso_moved = e._info()['distance_walked']
        finally:
            e.close()
        assert moved > 0.05
        # 1/control_step x metres of the parts' mean along x (the target is 1 km away).
        assert total == pytest.approx(moved / control_step, rel=1e-3)
        assert total == pytest.approx(torso_moved / control_step, abs=0.1 / control_step)


def test_info_gives_the_torso_position_in_the_ground_plane(env):
    env.reset(seed=4)
    for t in range(30):
        info = env.step(gait(t))[-1]
        pos, _ = pybullet.getBasePositionAndOrientation(env._ant, physicsClientId=env._client)
        assert (info['x_position'], info['y_position'], info['torso_z']) == pos


def test_ten_link_body_position_equals_the_mean_of_all_parts():
    for name in ('whole', 'damaged_left_front', 'lost_lower_leg_right_front'):
        e = AntBulletEnv(morphology=name)
        try:
            e.reset(seed=2)
            for t in range(60):
                e.step(gait(t))
                state = e._observe()   # the angle to target comes from the body position
                x, y = parts_mean_xy(e)
                angle = np.arctan2(-y, 1e3 - x) - pybullet.getEulerFromQuaternion(
                    pybullet.getBasePositionAndOrientation(
                        e._ant, physicsClientId=e._client)[1])[2]
                assert state[1] == pytest.approx(np.sin(angle), abs=1e-12)
                assert state[2] == pytest.approx(np.cos(angle), abs=1e-12)
        finally:
            e.close()


def test_torso_drop_terminates_only_after_step_200(env):
    env.reset(seed=0)
    zero = np.zeros(8)
    for t in range(STOP_CHECKS_AFTER + 1):   # scored step indices 0..200: no checks
        _, _, terminated, truncated, info = env.step(zero)
        assert not (terminated or truncated)
    assert info['torso_z'] <= MIN_TORSO_Z   # resting on the torso all along
    _, _, terminated, truncated, info = env.step(zero)
    assert terminated and not truncated
    assert info['scored_steps'] == STOP_CHECKS_AFTER + 2


def test_negative_progress_run_truncates(env):
    # Walk backwards (the gait mirrored in time): progress < 0 almost every step.
    env.reset(seed=0)
    for t in range(600):
        _, reward, terminated, truncated, info = env.step(gait(-t))
        if terminated or truncated:
            break
    assert truncated and not terminated
    assert info['torso_z'] > MIN_TORSO_Z
    assert STOP_CHECKS_AFTER + 31 < info['scored_steps'] < 600


def test_step_limit_truncates_and_counts_the_settle_steps():
    e = AntBulletEnv(max_episode_steps=SETTLE_STEPS + 20)
    try:
        e.reset(seed=0)
        for t in range(20):
            _, _, terminated, truncated, info = e.step(gait(t))
            assert not terminated and truncated == (t == 19)
        assert info['step'] == SETTLE_STEPS + 20 and info['scored_steps'] == 20
    finally:
        e.close()
    with pytest.raises(ValueError, match='settle'):
        AntBulletEnv(max_episode_steps=SETTLE_STEPS)


def test_raw_step_is_exactly_the_physics_of_step():
    a, b = AntBulletEnv(), AntBulletEnv()
    try:
        a.reset(seed=4)
        b.reset(seed=4)
        for t in range(50):
            a.step(gait(t))
            b.raw_step(gait(t))
        pose = [pybullet.getBasePositionAndOrientation(e._ant, physicsClientId=e._client)
                for e in (a, b)]
        assert pose[0] == pose[1]
    finally:
        a.close()
        b.close()


def test_check_env_passes_unwrapped_and_through_make():
    e = AntBulletEnv()
    try:
        check_env(e, skip_render_check=True)   # render_mode None: nothing to render
    finally:
        e.close()
    # check_env's render check would open every render mode, the GUI included.
    made = gymnasium.make(ANT_ID, render_mode='rgb_array')
    try:
        check_env(made.unwrapped, skip_render_check=True)
        made.reset(seed=0)
        env_render_passive_checker(made.unwrapped)
    finally:
        made.close()


def test_config_kwargs_are_accepted_and_disturbances_change_the_run():
    kwargs = EnvConfig().env_kwargs()
    runs = {}
    for name, extra in (('plain', {}), ('obs', {'obs_noise_std': 0.1}),
                        ('act', {'action_noise_std': 0.3}),
                        ('push', {'push_force': 20000.0, 'push_interval': 10})):
        e = make_env(ANT_ID, **{**kwargs, **extra})
        try:
            obs = [e.reset(seed=0)[0]] + [e.step(gait(t))[0] for t in range(40)]
            info = e.step(gait(40))[4]
        finally:
            e.close()
        runs[name] = (np.stack(obs), info['x_position'])
    plain_obs, plain_x = runs['plain']
    noisy_obs, noisy_x = runs['obs']
    assert noisy_x == plain_x                      # noise on what it sees, not on the body
    assert 0.05 < np.std(noisy_obs - plain_obs) < 0.15
    assert not np.array_equal(runs['act'][0], plain_obs)
    assert abs(runs['act'][1] - plain_x) > 1e-3
    assert abs(runs['push'][1] - plain_x) > 1e-2


def test_camera_image_has_the_configured_size_and_follows_the_motion():
    e = AntBulletEnv(render_mode='rgb_array', camera_width=40, camera_height=24, camera_every=5)
    try:
        e.reset(seed=0)
        first = e.render()
        assert first.shape == (24, 40, 3) and first.dtype == np.uint8
        assert first.std() > 0                     # not a blank frame
        for t in range(3):
            e.step(gait(t))
        assert np.array_equal(e.render(), first)   # cached: rendered every 5 steps
        for t in range(3, 40):
            e.step(gait(t))
        assert not np.array_equal(e.render(), first)
    finally:
        e.close()


def test_close_disconnects_the_physics_client():
    e = AntBulletEnv()
    e.reset(seed=0)
    cid = e._client
    assert pybullet.getConnectionInfo(physicsClientId=cid)['isConnected']
    e.close()
    assert not pybullet.getConnectionInfo(physicsClientId=cid)['isConnected']
    e.close()   # twice is fine


def test_unknown_morphology_lists_the_known_ones():
    with pytest.raises(ValueError, match='damaged_left_front'):
        AntBulletEnv(morphology='three_legged')


@pytest.fixture(scope='module')
def whole_walk():
    e = AntBulletEnv()
    try:
        return walk(e)
    finally:
        e.close()


# FOOT_NAMES in ant.xml order: the legs at (+x, +y), (-x, +y), (-x, -y), (+x, -y)
FOOT_OF_LEG = {'left_front': 0, 'left_hind': 1, 'right_hind': 2, 'right_front': 3}


@pytest.mark.parametrize('name', [n for n in MORPHOLOGIES if n != 'whole'])
def test_each_damage_changes_body_and_gait(name, whole_walk):
    morph = MORPHOLOGIES[name]
    e = AntBulletEnv(morphology=name)
    whole = AntBulletEnv()
    try:
        total, info, steps = walk(e)
        assert abs(info['distance_walked'] - whole_walk[1]['distance_walked']) > 0.05
        assert abs(total - whole_walk[0]) > 3.0
        leg = ANT_LEGS[morph.leg]
        if morph.kind in ('shorten_lower_leg', 'lose_lower_leg'):
            whole.reset(seed=0)
            e.reset(seed=0)
            foot = whole._feet[FOOT_OF_LEG[morph.leg]]
            shapes = [{s[1]: s[3][0] for s in pybullet.getVisualShapeData(
                x._ant, physicsClientId=x._client)} for x in (whole, e)]
            assert shapes[0][foot] == pytest.approx(0.4 * np.sqrt(2), rel=1e-6)
            assert shapes[1][foot] == pytest.approx(0.4 * np.sqrt(2) * morph.factor, rel=1e-5)
            # The damaged foot is on the side the name says (front = +x, left = +y).
            x, y = pybullet.getLinkState(e._ant, foot, physicsClientId=e._client)[0][:2]
            assert (x > 0) == morph.leg.endswith('front')
            assert (y > 0) == morph.leg.startswith('left')
        if morph.kind == 'locked_joint':
            e.reset(seed=0)
            i = JOINT_NAMES.index(getattr(leg, morph.joint))
            positions = [e.step(gait(t))[0][8 + 2 * i] for t in range(100)]
            assert np.max(np.abs(positions)) < 0.05   # held at mid-range (scaled 0)
    finally:
        e.close()
        whole.close()
