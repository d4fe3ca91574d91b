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

"""The A1 quadruped env: layout, control within limits, damage, camera, episode rules."""

import itertools

import gymnasium
from gymnasium.utils.env_checker import check_env
from hebb_controller.config import EnvConfig
from hebb_controller.sim import ROBOT_ID
from hebb_controller.sim.robot import RobotQuadrupedEnv
from hebb_controller.sim.robot_damage import HIND_LEGS, LEGS, MORPHOLOGIES
import numpy as np
import pybullet
import pytest

GAIT_STEPS = 100


def trot(step: int) -> np.ndarray:
    """Open-loop trot that walks the whole A1 forward about 0.3 m/s."""
    phase = -2 * np.pi * 2.0 * step * 0.02 + np.pi * np.array([0, 1, 1, 0])
    action = np.zeros(12, np.float32)
    action[1::3] = 0.8 * np.sin(phase)                    # thigh +-0.2 rad
    action[2::3] = -np.maximum(0.0, np.cos(phase))        # knee up to 0.25 rad
    return action


def walk(env: RobotQuadrupedEnv, steps: int = GAIT_STEPS, seed: int = 0):
    obs, info = env.reset(seed=seed)
    observations = [obs]
    for i in range(steps):
        obs, _, terminated, _, info = env.step(trot(i))
        observations.append(obs)
        if terminated:
            break
    return np.array(observations), info


def sections(env, obs):
    out, start = {}, 0
    for name, size in env.observation_layout:
        out[name] = obs[..., start:start + size]
        start += size
    return out


@pytest.fixture
def env():
    env = RobotQuadrupedEnv()
    yield env
    env.close()


@pytest.fixture(scope='module')
def whole_walk():
    env = RobotQuadrupedEnv()
    result = walk(env)
    env.close()
    return result


def test_spaces_and_layout(env):
    obs, info = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape == (38,)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)
    assert env.action_space.shape == (12,)
    assert sum(size for _, size in env.observation_layout) == obs.size
    assert [name for name, _ in env.observation_layout][:2] == [
        'joint_position', 'joint_velocity']
    assert len(set(env.joint_names)) == 12
    cid = env.client_id
    urdf_names = {pybullet.getJointInfo(env._robot, j, physicsClientId=cid)[1].decode()
                  for j in range(pybullet.getNumJoints(env._robot, physicsClientId=cid))}
    assert set(env.joint_names) <= urdf_names
    lower, upper = env.joint_limits
    assert np.all(lower < upper)
    assert np.all((lower <= env.nominal_pose) & (env.nominal_pose <= upper))
    assert env.action_scale.shape == (12,) and np.all(env.action_scale > 0)
    assert info['steps'] == 0 and info['distance_walked'] == 0.0


def test_reset_is_deterministic_under_a_seed():
    first, second = RobotQuadrupedEnv(), RobotQuadrupedEnv()
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (30, 12)).astype(np.float32)
    runs = []
    for env in (first, second, first):
        obs, _ = env.reset(seed=7)
        trajectory = [obs] + [env.step(a)[0] for a in actions]
        runs.append(np.array(trajectory))
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    other, _ = first.reset(seed=8)
    assert not np.array_equal(other, runs[0][0])
    first.close()
    second.close()


def test_targets_stay_inside_joint_limits(env):
    lower, upper = env.joint_limits
    for signs in itertools.product((-1.0, 1.0), repeat=3):
        targets = env.action_to_targets(np.tile(signs, 4) * 5.0)
        assert np.all((lower <= targets) & (targets <= upper))
    env.reset(seed=0)
    rng = np.random.default_rng(1)
    positions = []
    for step in range(200):   # extreme targets, each held 5 steps; falls restart
        if step % 5 == 0:
            action = rng.choice([-1.0, 1.0], 12).astype(np.float32)
        obs, _, terminated, _, _ = env.step(action)
        positions.append(sections(env, obs)['joint_position'])
        if terminated:
            env.reset()
    positions = np.array(positions)
    # the limit holds against the motors exactly; only the impact of a fall
    # pushes a hip past it, by under 0.09 rad in this run
    assert np.all(positions >= lower - 0.1) and np.all(positions <= upper + 0.1)
    for extreme in (-1.0, 1.0):   # every joint reaches both extreme targets
        targets = env.action_to_targets(np.full(12, extreme))
        assert np.all(np.abs(positions - targets).min(axis=0) < 0.1)


def test_standing_still_stays_upright(env):
    obs, _ = env.reset(seed=0)
    height = env._height0
    assert 0.24 < height < 0.30
    for _ in range(150):
        obs, reward, terminated, truncated, info = env.step(np.zeros(12, np.float32))
        assert not terminated and not truncated
    parts = sections(env, obs)
    quat = parts['imu_orientation']
    roll, pitch, _ = pybullet.getEulerFromQuaternion(quat.tolist())
    assert abs(roll) < 0.05 and abs(pitch) < 0.05
    assert np.all(parts['foot_contact'] == 1.0)
    assert abs(info['distance_walked']) < 0.01
    np.testing.assert_allclose(parts['imu_linear_acceleration'], [0, 0, 9.81], atol=0.3)
    np.testing.assert_allclose(parts['imu_angular_velocity'], 0.0, atol=0.05)
    np.testing.assert_allclose(parts['joint_position'], env.nominal_pose, atol=0.05)


def test_open_loop_gait_walks_forward(whole_walk):
    observations, info = whole_walk
    assert info['steps'] == GAIT_STEPS
    assert info['distance_walked'] > 0.3
    assert abs(info['x_position'] - info['distance_walked']) < 0.05   # started near the origin


def test_info_gives_the_base_position_in_the_ground_plane(env):
    env.reset(seed=4)
    for i in range(30):
        info = env.step(trot(i) + np.float32(0.3))[-1]    # a lopsided trot, off +x
        pos, _ = pybullet.getBasePositionAndOrientation(env._robot,
                                                        physicsClientId=env.client_id)
        assert (info['x_position'], info['y_position']) == (pos[0], pos[1])


def test_raw_step_is_the_physics_of_step():
    stepped, raw = RobotQuadrupedEnv(), RobotQuadrupedEnv()
    stepped.reset(seed=3)
    raw.reset(seed=3)
    for i in range(40):
        obs, *_ = stepped.step(trot(i))
        raw.raw_step(trot(i))
    raw_states = pybullet.getJointStates(raw._robot, raw._joints, physicsClientId=raw.client_id)
    np.testing.assert_array_equal(obs[:12], np.float32([s[0] for s in raw_states]))
    stepped.close()
    raw.close()


def test_step_targets_is_step_of_the_action_targets():
    rng = np.random.default_rng(2)
    actions = rng.uniform(-1, 1, (30, 12)).astype(np.float32)
    for morphology in ('whole', 'locked_joint_left_front_hip'):
        env = RobotQuadrupedEnv(morphology=morphology, obs_noise_std=0.01, push_force=20.0,
                                push_interval=5)
        runs = []
        for by_targets in (False, True):
            obs, _ = env.reset(seed=5)
            trajectory = [obs]
            for a in actions:
                obs, reward, terminated, truncated, info = \
                    env.step_targets(env.action_to_targets(a)) if by_targets else env.step(a)
                trajectory.append(np.append(obs, [reward, terminated, info['distance_walked']]))
            runs.append(np.array(trajectory[1:]))
        np.testing.assert_array_equal(runs[0], runs[1])
        # targets beyond the limits are clipped to them; a locked joint stays at nominal
        lower, upper = env.joint_limits
        clipped = upper.copy()
        clipped[env._locked] = env.nominal_pose[env._locked]
        assert np.any(env._locked) == (morphology != 'whole')
        outcomes = []
        for targets in (np.full(12, 10.0), clipped):
            env.reset(seed=5)
            outcomes.append(env.step_targets(targets)[0])
        np.testing.assert_array_equal(outcomes[0], outcomes[1])
        for bad in (np.zeros(11), np.full(12, np.nan)):
            with pytest.raises(ValueError, match='12 finite joint targets'):
                env.step_targets(bad)
        env.close()


def test_state_accessors_report_the_robot_standing(env):
    obs, _ = env.reset(seed=0)
    for _ in range(20):
        obs, *_ = env.step_targets(env.nominal_pose)
    parts = env.split_observation(obs)
    assert list(parts) == [name for name, _ in env.observation_layout]
    for name, size in env.observation_layout:
        np.testing.assert_array_equal(parts[name], sections(env, obs)[name])
        assert parts[name].shape == (size,)
    position, orientation = env.base_pose()
    assert 0.2 < position[2] < 0.3
    np.testing.assert_allclose(orientation, parts['imu_orientation'], atol=1e-6)
    linear, angular = env.base_velocity()
    np.testing.assert_allclose(linear, 0.0, atol=0.05)
    np.testing.assert_allclose(angular, parts['imu_angular_velocity'], atol=1e-5)
    torques = env.joint_torques()
    assert torques.shape == (12,) and np.all(np.abs(torques) <= env.joint_forces + 1e-9)
    knees = [env.joint_names.index(f'{leg}_lower_joint') for leg in ('FR', 'FL', 'RR', 'RL')]
    assert np.all(np.abs(torques[knees]) > 0.5)   # the knees carry the body


def test_morphology_names_match_the_ant():
    from hebb_controller.sim.morphology import MORPHOLOGIES as ANT_MORPHOLOGIES
    assert set(MORPHOLOGIES) == set(ANT_MORPHOLOGIES)


@pytest.mark.parametrize('morphology', [m for m in MORPHOLOGIES if m != 'whole'])
def test_each_damage_changes_the_dynamics(morphology, whole_walk):
    env = RobotQuadrupedEnv(morphology=morphology)
    observations, info = walk(env)
    whole_obs, whole_info = whole_walk
    n = min(len(observations), len(whole_obs))
    assert np.abs(observations[:n] - whole_obs[:n]).max() > 0.05
    cid, robot = env.client_id, env._robot
    prefix = next(prefix for side, prefix in {**LEGS, **HIND_LEGS}.items()
                  if side in morphology)
    knee = env._joints[env.joint_names.index(f'{prefix}_lower_joint')]
    role = morphology.rsplit('_', 1)[-1]
    parts = ('hip', 'upper') if role == 'hip' else ('lower',)
    damaged = [env.joint_names.index(f'{prefix}_{part}_joint') for part in parts]
    if morphology.startswith('damaged_'):
        box = pybullet.getCollisionShapeData(robot, knee, physicsClientId=cid)[0][3]
        assert box[0] == pytest.approx(0.05)   # the calf box, 0.2 m whole
    elif morphology.startswith('lost_lower_leg_'):
        assert pybullet.getCollisionShapeData(robot, knee, physicsClientId=cid) == ()
    elif morphology.startswith('weak_motor_'):
        forces = [pybullet.getJointInfo(robot, env._joints[i], physicsClientId=cid)[10]
                  for i in damaged]
        whole_forces = {'hip': 20.0, 'upper': 55.0, 'lower': 55.0}
        np.testing.assert_allclose(forces, [whole_forces[p] / 4 for p in parts])
    else:
        assert morphology.startswith('locked_joint_')
        assert np.ptp(observations[:, damaged], axis=0).max() < 0.02
        assert np.ptp(whole_obs[:, damaged], axis=0).max() > 0.2
    env.close()


def test_unknown_morphology_lists_the_known_ones():
    with pytest.raises(ValueError, match='damaged_left_front'):
        RobotQuadrupedEnv(morphology='three_legs')


def test_camera_size_and_motion():
    env = RobotQuadrupedEnv(camera_width=24, camera_height=16, render_mode='rgb_array')
    env.reset(seed=0)
    first = env.render()
    assert first.shape == (16, 24, 3) and first.dtype == np.uint8
    assert np.array_equal(first, env.camera_image())
    assert first.std() > 0   # sky and a checkered floor, not a blank frame
    for i in range(GAIT_STEPS):
        env.step(trot(i))
    assert np.abs(env.camera_image().astype(int) - first.astype(int)).mean() > 1.0
    env.close()


def test_camera_every_holds_frames():
    env = RobotQuadrupedEnv(camera_every=3)
    env.reset(seed=0)
    frames = [env.camera_image()]
    for i in range(6):
        env.step(trot(i))
        frames.append(env.camera_image())
    assert frames[1] is frames[0] and frames[2] is frames[0]
    assert frames[3] is not frames[0]
    assert frames[4] is frames[3] and frames[5] is frames[3] and frames[6] is not frames[3]
    env.close()


def test_falling_terminates():
    env = RobotQuadrupedEnv(push_force=600.0, push_interval=1)
    env.reset(seed=0)
    for _ in range(100):
        _, _, terminated, truncated, info = env.step(np.zeros(12, np.float32))
        if terminated:
            break
    assert terminated and not truncated and info['steps'] < 100
    env.close()


def test_episode_limit_truncates():
    env = RobotQuadrupedEnv(max_episode_steps=5, control_step=0.01)
    assert env.substeps == 2
    env.reset(seed=0)
    results = [env.step(np.zeros(12, np.float32)) for _ in range(5)]
    assert [r[3] for r in results] == [False] * 4 + [True]
    env.close()


def test_gui_without_a_display_fails_instead_of_hanging(monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    with pytest.raises(RuntimeError, match='display'):
        RobotQuadrupedEnv(render_mode='human')


def test_close_frees_the_client():
    env = RobotQuadrupedEnv()
    client = env.client_id
    assert pybullet.isConnected(physicsClientId=client)
    env.close()
    assert not pybullet.isConnected(physicsClientId=client)
    env.close()


def test_passes_check_env_through_the_registry():
    kwargs = EnvConfig(env_id=ROBOT_ID, obs_noise_std=0.01, action_noise_std=0.05,
                       push_force=20.0, push_interval=10).env_kwargs()
    env = gymnasium.make(ROBOT_ID, **kwargs)
    # the render check would open every render mode, the GUI included: not headless
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


def commanded_targets(limit, actions, seed=0):
    """Targets the env sends PyBullet under ``max_joint_velocity=limit``, and the observations."""
    env = RobotQuadrupedEnv(max_joint_velocity=limit)
    sent = []
    command = env._command
    env._command = lambda targets: (sent.append(targets.copy()), command(targets))
    observations = [env.reset(seed=seed)[0]]
    observations += [env.step(a)[0] for a in actions]
    env.close()
    return np.array(sent), np.array(observations)


def test_a_rate_limit_keeps_each_target_within_reach_of_the_last():
    actions = [np.full(12, 1.0 if i % 2 else -1.0, np.float32) for i in range(20)]
    free, free_obs = commanded_targets(None, actions)
    limited, limited_obs = commanded_targets(6.0, actions)
    loose, loose_obs = commanded_targets(1e9, actions)
    reach = 6.0 * 0.02
    assert np.abs(np.diff(free, axis=0)).max() == pytest.approx(0.5)   # the whole range a step
    assert np.abs(np.diff(limited, axis=0)).max() <= reach + 1e-12
    assert np.abs(np.diff(limited, axis=0)).max() == pytest.approx(reach)
    assert not np.allclose(limited_obs, free_obs)                      # the body moves otherwise
    np.testing.assert_array_equal(loose_obs, free_obs)                # a limit never reached
    with pytest.raises(ValueError, match='positive'):
        RobotQuadrupedEnv(max_joint_velocity=0.0)


def test_only_position_controlled_envs_take_a_rate_limit():
    assert EnvConfig(env_id=ROBOT_ID, max_joint_velocity=6.0).env_kwargs()[
        'max_joint_velocity'] == 6.0
    assert 'max_joint_velocity' not in EnvConfig(env_id=ROBOT_ID).env_kwargs()
    with pytest.raises(ValueError, match='takes none'):
        EnvConfig(max_joint_velocity=6.0)   # the ant: torques
