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

"""The controller's logic without ROS: observation, modes, limits, plasticity per tick."""

import dataclasses
import subprocess
import sys

from hebb_controller.config import ControllerParams, load_config
from hebb_controller.control import HebbianController, Mode
from hebb_controller.control.controller import rate_limit_mismatch
from hebb_controller.control.observation import ObservationBuilder, Readings
from hebb_controller.control.safety import CommandLimiter
from hebb_controller.evolution.layout import save_genome
from hebb_controller.evolution.rollout import GenomeSpec, input_normalization
from hebb_controller.plasticity import coefficient_file
from hebb_controller.sim import make_env, ROBOT_ID
import numpy as np
import pytest
import torch

DT = 0.02


@pytest.fixture()
def loaded(robot_coefficients):
    return coefficient_file.load(robot_coefficients)


def controller(loaded, **params):
    return HebbianController(loaded, ControllerParams(**params), DT)


def feed(core, t, q, qd=None, quaternion=(0.0, 0.0, 0.0, 1.0)):
    core.joint_state(t, q, np.zeros(len(q)) if qd is None else qd)
    core.imu(t, np.array(quaternion), np.zeros(3), np.array([0.0, 0.0, 9.81]))
    core.contacts(t, np.ones(4))


def run(core, q, steps, start=0.0, learn=False):
    commands = []
    for k in range(steps):
        t = start + k * DT
        feed(core, t, q)
        commands.append(core.tick(t))
        if learn:
            core.learn()
    return commands


def test_observation_is_built_exactly_as_the_env_built_it(loaded):
    env = make_env(ROBOT_ID)
    builder = ObservationBuilder(loaded.metadata.layout)
    offset, scale = input_normalization(env)   # what the trainer's policy fed the network
    obs, _ = env.reset(seed=3)
    for _ in range(30):
        parts = env.unwrapped.split_observation(obs)
        readings = Readings(parts['joint_position'], parts['joint_velocity'],
                            parts['imu_orientation'], parts['imu_angular_velocity'],
                            parts['imu_linear_acceleration'], parts['foot_contact'])
        np.testing.assert_allclose(builder.build(readings), (obs - offset) * scale,
                                   rtol=1e-6, atol=1e-6)
        obs, *_ = env.step(env.action_space.sample())
    env.close()
    assert builder.joint_names == list(env.unwrapped.joint_names)
    assert builder.foot_names == list(env.unwrapped.foot_names) and builder.uses_imu


def test_observation_refuses_non_finite_and_misshapen_readings(loaded):
    builder = ObservationBuilder(loaded.metadata.layout)
    n, feet = len(builder.joint_names), len(builder.foot_names)

    def readings(**change):
        values = {'joint_positions': np.zeros(n), 'joint_velocities': np.zeros(n),
                  'imu_orientation': np.array([0.0, 0.0, 0.0, 1.0]),
                  'imu_angular_velocity': np.zeros(3),
                  'imu_linear_acceleration': np.array([0.0, 0.0, 9.8]), 'contacts': np.ones(feet)}
        return Readings(**{**values, **change})

    assert builder.build(readings()).dtype == np.float32
    for field, size in (('joint_velocities', n), ('imu_orientation', 4), ('contacts', feet)):
        for bad in (np.nan, np.inf):
            value = np.ones(size)
            value[-1] = bad
            assert builder.build(readings(**{field: value})) is None, (field, bad)
        with pytest.raises(ValueError, match='wrong number of values'):
            builder.build(readings(**{field: np.ones(size + 1)}))


def test_a_file_whose_inputs_no_sensor_gives_is_refused(tmp_path):
    config = load_config('ant')
    path = tmp_path / 'ant.safetensors'
    save_genome(path, config, torch.zeros(GenomeSpec.from_config(config).size))
    with pytest.raises(ValueError, match='no robot sensor provides the inputs'):
        controller(coefficient_file.load(path))


def test_ramps_from_the_measured_pose_to_nominal_then_runs_the_network(loaded):
    core = controller(loaded, startup_ramp_time=0.5)
    assert core.tick(0.0) is None and core.mode == Mode.WAITING, 'no joint state: send nothing'
    nominal = np.array(loaded.metadata.layout.action_offset)
    measured = nominal + 0.05
    commands = run(core, measured, 40)
    np.testing.assert_allclose(commands[0], measured)
    distance = np.abs(np.array(commands[:26]) - nominal).max(axis=1)
    assert np.all(np.diff(distance) < 0), 'the ramp approaches the nominal pose steadily'
    np.testing.assert_allclose(commands[25], nominal, atol=1e-9)
    assert core.mode == Mode.RUNNING and core.plastic
    assert not np.allclose(commands[-1], nominal), 'the network moves the joints'
    before = core.weight_norms()
    run(core, measured, 10, start=1.0)
    assert core.weight_norms() != before, 'weights change every tick'


def test_the_controller_compiles_its_tick_when_built_not_on_the_first_tick(robot_coefficients):
    # a fresh process: in this one, other tests may have compiled the kernels already
    script = (
        'import sys\n'
        'from hebb_controller.config import ControllerParams\n'
        'from hebb_controller.control import HebbianController, observation, safety\n'
        'from hebb_controller.plasticity import coefficient_file\n'
        'kernels = (observation._gather, safety._limit)\n'
        'assert not any(k.signatures for k in kernels)\n'
        'core = HebbianController(coefficient_file.load(sys.argv[1]), ControllerParams(), 0.02)\n'
        'assert all(k.signatures for k in kernels)\n'
        'assert core.limiter.last is None, "the warm-up leaves no command behind"\n')
    done = subprocess.run([sys.executable, '-c', script, str(robot_coefficients)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_command_respects_limits_and_rate_whatever_the_input(loaded):
    core = controller(loaded, startup_ramp_time=0.1, max_joint_velocity=3.0)
    low, high = core.limiter.lower, core.limiter.upper
    rng = np.random.default_rng(0)
    last = None
    for k in range(400):
        t = k * DT
        q = rng.normal(0, 5, 12)
        q[rng.random(12) < 0.05] = rng.choice([np.nan, np.inf, -np.inf])
        feed(core, t, q, rng.normal(0, 100, 12), rng.normal(0, 1, 4))
        if k % 50 == 10:
            core.release()
        command = core.tick(t)
        if command is None:
            continue
        assert np.all(np.isfinite(command)) and np.all(command >= low) and np.all(command <= high)
        if last is not None:
            assert np.all(np.abs(command - last) <= 3.0 * 2 * DT + 1e-9)
        last = command
    assert core.counters.skipped_nonfinite > 0


def test_nonfinite_input_skips_the_tick(loaded):
    core = controller(loaded, startup_ramp_time=0.0)
    nominal = np.array(loaded.metadata.layout.action_offset)
    run(core, nominal, 3)
    assert core.mode == Mode.RUNNING
    q = nominal.copy()
    q[4] = np.nan
    feed(core, 1.0, q)
    assert core.tick(1.0) is None and core.counters.skipped_nonfinite == 1


def test_stale_sensor_holds_the_safe_pose_and_fresh_data_resumes(loaded):
    core = controller(loaded, startup_ramp_time=0.0, sensor_timeout=0.05)
    nominal = np.array(loaded.metadata.layout.action_offset)
    run(core, nominal, 20)
    assert core.mode == Mode.RUNNING
    t = 20 * DT
    core.joint_state(t, nominal, np.zeros(12))
    core.contacts(t, np.ones(4))      # the IMU goes silent after its reading at t - DT
    commands, modes = [], []
    for k in range(1, 30):
        commands.append(core.tick(t + k * DT))
        modes.append(core.mode)
    first = modes.index(Mode.HOLD)
    # the IMU's last reading was at t - DT: hold within two control periods of the timeout
    assert (first + 2) * DT <= 0.05 + 2 * DT + 1e-9
    assert all(m == Mode.HOLD for m in modes[first:])
    assert core.mode == Mode.HOLD and 'imu' in core.reason and not core.plastic
    # from there the commands head for the safe pose at the rate limit
    step = core.settings.max_joint_velocity * DT
    distance = [np.abs(c - core.safe_pose).max() for c in commands[first - 1:]]
    assert all(b <= max(a - step, 0.0) + 1e-9 for a, b in zip(distance, distance[1:]))
    np.testing.assert_allclose(commands[-1], core.safe_pose)
    run(core, nominal, 2, start=t + 30 * DT)
    assert core.mode == Mode.RUNNING


def test_estop_latches_and_release_resumes(loaded):
    core = controller(loaded, startup_ramp_time=0.0)
    nominal = np.array(loaded.metadata.layout.action_offset)
    run(core, nominal, 5)
    core.emergency_stop()
    commands = run(core, nominal, 100, start=1.0)
    assert core.mode == Mode.ESTOP and not core.plastic
    np.testing.assert_allclose(commands[-1], core.safe_pose)
    assert core.release() and core.mode == Mode.RUNNING
    assert not core.release(), 'nothing to release twice'


def test_a_fall_triggers_the_estop(loaded):
    core = controller(loaded, startup_ramp_time=0.0, fall_tilt=0.8)
    nominal = np.array(loaded.metadata.layout.action_offset)
    run(core, nominal, 5)
    roll = 1.0   # rad, about x
    feed(core, 1.0, nominal, quaternion=(np.sin(roll / 2), 0.0, 0.0, np.cos(roll / 2)))
    core.tick(1.0)
    assert core.mode == Mode.ESTOP and 'fall' in core.reason


def test_reset_gives_new_random_weights_and_ablate_zeroes_some(loaded):
    core = controller(loaded)
    before = [w.clone() for w in core.network.weights]
    core.reset_plasticity()
    after = core.network.weights
    assert all(not torch.equal(a, b) for a, b in zip(before, after))
    assert all(w.abs().max() <= 0.1 for w in after), 'fresh uniform [-0.1, 0.1] weights'
    zeroed = core.ablate(0.5)
    total = sum(w.numel() for w in after)
    assert 0.4 * total < zeroed < 0.6 * total


def test_learning_after_the_command_changes_no_command(loaded):
    # a node calls learn() once it has published: the update leaves the sensor-to-command path
    eager, lazy = controller(loaded, startup_ramp_time=0.0), controller(loaded,
                                                                        startup_ramp_time=0.0)
    nominal = np.array(loaded.metadata.layout.action_offset)
    rng = np.random.default_rng(0)
    for k in range(60):
        q = nominal + 0.05 * rng.standard_normal(len(nominal))
        for core in (eager, lazy):
            feed(core, k * DT, q)
        commands = eager.tick(k * DT), lazy.tick(k * DT)
        eager.learn()
        np.testing.assert_array_equal(*commands)
    assert eager.mode == Mode.RUNNING and eager.counters.commands == 60
    for a, b in zip(eager.network.weights, lazy.network.weights):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize('learn', [False, True], ids=['in tick', 'in learn'])
def test_diverging_weights_are_reset(loaded, learn):
    # without weight normalisation nothing bounds the weights but this check
    network = loaded.metadata.network.model_copy(update={'weight_norm': False})
    unnormalised = dataclasses.replace(
        loaded, metadata=loaded.metadata.model_copy(update={'network': network}))
    core = controller(unnormalised, startup_ramp_time=0.0, max_weight_norm=50.0)
    nominal = np.array(loaded.metadata.layout.action_offset)
    run(core, nominal, 2, learn=learn)
    core.network.set_weights([w * 1e4 for w in core.network.weights])
    run(core, nominal, 30, start=1.0, learn=learn)
    assert core.counters.weight_resets >= 1
    assert max(core.weight_norms()) < 50.0


def test_limits_are_the_robots_own_in_the_command_order_or_the_parameters(loaded):
    env = make_env(ROBOT_ID).unwrapped
    low, high = env.joint_limits
    order = list(env.joint_names)[::-1]
    rows = [list(env.joint_names).index(n) for n in order]
    env.close()
    core = controller(loaded, joint_names=order)
    np.testing.assert_array_equal(core.limiter.lower, low[rows])   # the URDF's, reordered
    np.testing.assert_array_equal(core.limiter.upper, high[rows])
    narrow = controller(loaded, joint_names=order, startup_ramp_time=0.0,
                        joint_lower_limits=(low[rows] + 0.2).tolist(),
                        joint_upper_limits=(high[rows] - 0.2).tolist())
    np.testing.assert_allclose(narrow.limiter.lower, low[rows] + 0.2)
    rng = np.random.default_rng(1)
    for k in range(50):
        feed(narrow, k * DT, rng.normal(0, 2, 12))
        command = narrow.tick(k * DT)
        if command is not None:
            assert np.all(command >= low[rows] + 0.2 - 1e-12)
            assert np.all(command <= high[rows] - 0.2 + 1e-12)
    with pytest.raises(ValueError, match='set both joint_lower_limits and joint_upper_limits'):
        ControllerParams(joint_names=order, joint_lower_limits=low[rows].tolist())
    with pytest.raises(ValueError, match='joint_lower_limits exceed joint_upper_limits'):
        ControllerParams(joint_names=order, joint_lower_limits=high[rows].tolist(),
                         joint_upper_limits=low[rows].tolist())


def test_commands_follow_the_requested_joint_order(loaded):
    actions = list(loaded.metadata.layout.action_names)
    order = actions[::-1]
    plain = controller(loaded, startup_ramp_time=0.0)
    reordered = controller(loaded, startup_ramp_time=0.0, joint_names=order)
    nominal = np.array(loaded.metadata.layout.action_offset)
    a = run(plain, nominal, 10)[-1]
    b = run(reordered, nominal[::-1], 10)[-1]
    np.testing.assert_allclose(b, a[::-1])
    with pytest.raises(ValueError, match='must name'):
        controller(loaded, joint_names=actions[:-1] + ['other'])


def test_a_static_network_runs_without_plasticity(tmp_path):
    config = load_config('robot')
    config = config.model_copy(update={'es': config.es.model_copy(update={'genome': 'static'})})
    path = tmp_path / 'static.safetensors'
    save_genome(path, config, torch.randn(GenomeSpec.from_config(config).size) * 0.1)
    core = controller(coefficient_file.load(path), startup_ramp_time=0.0)
    nominal = np.array(core.safe_pose)
    commands = run(core, nominal, 5)
    assert core.mode == Mode.RUNNING and not core.plastic and commands[-1] is not None
    with pytest.raises(ValueError, match='static'):
        core.ablate(0.5)


def test_limiter_clamps_rate_limits_and_refuses_non_finite_targets():
    limiter = CommandLimiter(np.array([-1.0, -0.5]), np.array([1.0, 0.5]), max_velocity=2.0)
    np.testing.assert_array_equal(limiter(np.array([3.0, -3.0]), 0.1), [1.0, -0.5])
    # within 2 rad/s x 0.1 s of the last command, and inside the limits again
    np.testing.assert_allclose(limiter(np.array([-1.0, 0.5]), 0.1), [0.8, -0.3])
    for bad in (np.nan, np.inf, -np.inf):
        assert limiter(np.array([0.0, bad]), 0.1) is None
    np.testing.assert_allclose(limiter.last, [0.8, -0.3])   # a refused target: not remembered
    with pytest.raises(ValueError, match='wrong number of joints'):
        limiter(np.zeros(3), 0.1)


def test_the_env_limits_targets_as_the_controllers_limiter_does():
    # training under max_joint_velocity meets the commands the node would send
    env = make_env(ROBOT_ID, max_joint_velocity=6.0).unwrapped
    sent = []
    command = env._command
    env._command = lambda targets: (sent.append(targets.copy()), command(targets))
    env.reset(seed=0)
    limiter = CommandLimiter(*env.joint_limits, max_velocity=6.0)
    limiter.start_from(sent[0])
    rng = np.random.default_rng(0)
    for _ in range(30):
        action = rng.uniform(-1.5, 1.5, 12)
        env.step(action)
        expected = limiter(env.action_to_targets(action), env.control_step)
        np.testing.assert_allclose(sent[-1], expected, rtol=0, atol=1e-12)
    env.close()


def test_a_rate_limit_other_than_trainings_is_reported(robot_coefficients, tmp_path):
    untrained = coefficient_file.load(robot_coefficients)   # evolved without a limit
    assert 'without a command rate limit' in rate_limit_mismatch(untrained, 6.0)
    config = load_config('robot')
    config = config.model_copy(
        update={'env': config.env.model_copy(update={'max_joint_velocity': 6.0})})
    path = tmp_path / 'limited.safetensors'
    save_genome(path, config, torch.zeros(GenomeSpec.from_config(config).size))
    limited = coefficient_file.load(path)
    assert rate_limit_mismatch(limited, 6.0) is None
    message = rate_limit_mismatch(limited, 3.0)
    assert 'limited to 6 rad/s' in message and 'limits commands to 3 rad/s' in message
