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
Lifetime plasticity on a robot, one control tick at a time, with the safety around it.

:class:`HebbianController` is everything the controller node does except
ROS: it takes sensor readings with their arrival times and, every tick,
returns the joint commands to send (or ``None``: send nothing). Keeping it
free of rclpy lets the whole safety logic be tested with plain numbers.

Modes, in the order a robot meets them:

- ``waiting``: no joint state yet; nothing is sent.
- ``ramp``: from the first measured pose to the nominal pose in
  ``startup_ramp_time``; the network is not run.
- ``running``: each tick builds the observation as the env did, runs the
  forward pass and the Hebbian update, maps outputs to joint targets
  (``offset + scale * y``) in the command order.
- ``hold``: a required sensor is stale: plasticity stops, the nominal (safe)
  pose is commanded; fresh data resumes where it left off.
- ``estop``: latched by :meth:`emergency_stop` or a fall (roll or pitch past
  ``fall_tilt``); the safe pose is held until :meth:`release`.

Before the ramp has reached the nominal pose, ``hold`` and ``estop`` keep the
joints where they are instead of moving them.

Every command goes through :class:`CommandLimiter` (joint limits, rate).
Non-finite inputs skip the tick (counted, nothing sent); non-finite outputs or
a layer's weight norm past ``max_weight_norm`` reset the weights to random
(counted).
"""

from dataclasses import dataclass, field
import enum
import math
from typing import Optional, Union

from hebb_controller.config import ControllerParams
from hebb_controller.control.observation import ObservationBuilder, Readings
from hebb_controller.control.safety import CommandLimiter, roll_pitch
from hebb_controller.plasticity.coefficient_file import CoefficientFile
from hebb_controller.plasticity.network import HebbianNetwork, StaticNetwork
import numpy as np
import torch

# weight norms are checked in learn(), after the command is out, once per this many ticks
WEIGHT_CHECK_EVERY = 25


class Mode(str, enum.Enum):
    """What the controller is doing; see the module docstring."""

    WAITING = 'waiting'
    RAMP = 'ramp'
    RUNNING = 'running'
    HOLD = 'hold'
    ESTOP = 'estop'


@dataclass
class Counters:
    """What went wrong, and how often: the node reports these on ~/status."""

    ticks: int = 0
    commands: int = 0
    skipped_nonfinite: int = 0
    weight_resets: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def rate_limit_mismatch(coefficients: CoefficientFile, max_joint_velocity: float
                        ) -> Optional[str]:
    """
    Say how this controller's command rate limit differs from the one the file evolved under.

    The node limits how fast commands move; a gait evolved without that limit
    (or with another) meets different commands on the robot than in training,
    and a fast one walks differently (README, Results). None when they agree.
    """
    trained = coefficients.metadata.env_settings.get('max_joint_velocity')
    if trained is not None and math.isclose(trained, max_joint_velocity):
        return None
    evolved = ('without a command rate limit' if trained is None
               else f'with commands limited to {trained:g} rad/s')
    return (f'the coefficients were evolved {evolved}; this controller limits commands to '
            f'{max_joint_velocity:g} rad/s (max_joint_velocity), so the gait may differ from '
            'training')


class HebbianController:
    """
    The controller node's logic: readings in, safe joint commands out.

    ``settings`` are the node's parameters (their defaults are
    ``config/controller.yaml``'s); ``control_period`` is the tick period.
    """

    def __init__(self, coefficients: CoefficientFile, settings: ControllerParams,
                 control_period: float) -> None:
        meta = coefficients.metadata
        layout = meta.layout
        self.settings = settings
        self.control_period = float(control_period)
        self.observation = ObservationBuilder(layout)
        actions = list(layout.action_names)
        names = list(settings.joint_names) or actions
        if sorted(names) != sorted(actions):
            raise ValueError(f"joint_names {names} must name the file's actions {actions} "
                             '(in any order)')
        self.joint_names = names
        self._order = np.array([actions.index(n) for n in names], dtype=np.intp)
        self._scale = np.asarray(layout.action_scale)[self._order]
        self._offset = np.asarray(layout.action_offset)[self._order]
        if settings.joint_lower_limits and settings.joint_upper_limits:
            lower = np.asarray(settings.joint_lower_limits)
            upper = np.asarray(settings.joint_upper_limits)
        elif layout.action_low is not None:
            lower = np.asarray(layout.action_low)[self._order]
            upper = np.asarray(layout.action_high)[self._order]
        else:
            raise ValueError('no joint limits: the coefficient file has none, so set '
                             'joint_lower_limits and joint_upper_limits')
        self.limiter = CommandLimiter(lower, upper, settings.max_joint_velocity)
        self.safe_pose = np.clip(self._offset, lower, upper)
        # every joint whose state is read: the commanded ones, then any the observation adds
        self.state_joint_names = names + [n for n in self.observation.joint_names
                                          if n not in names]
        columns = [self.state_joint_names.index(n) for n in self.observation.joint_names]
        # None: the observation reads the state columns as they are (no gather per tick)
        self._obs_columns = None if columns == list(range(len(self.state_joint_names))) \
            else np.array(columns, dtype=np.intp)
        self.required_sensors = ['joint_states']
        if self.observation.uses_imu:
            self.required_sensors.append('imu')
        if self.observation.foot_names:
            self.required_sensors.append('contacts')
        self.network: Union[HebbianNetwork, StaticNetwork] = coefficients.build_network(
            device=settings.device, seed=settings.seed)
        self._hebbian = isinstance(self.network, HebbianNetwork)
        self._check_due = False
        if self._hebbian:
            self.network.plastic = settings.plastic
        self.conv = coefficients.build_conv(device=settings.device)
        self.image_size = tuple(meta.conv.image_size) if meta.conv is not None else None
        if self.conv is not None:
            self.required_sensors.append('camera')
        self.counters = Counters()
        self.mode = Mode.WAITING
        self.reason = 'no joint state yet'
        self._resets = 0
        self._ramp_done = False
        self._ramp_start: Optional[tuple[float, np.ndarray]] = None
        self._last_tick: Optional[float] = None
        self._seen: dict[str, float] = {}
        self._readings: dict[str, object] = {}
        self._warm_up()

    # -- sensors --------------------------------------------------------------------------

    def joint_state(self, now: float, positions: np.ndarray, velocities: np.ndarray) -> None:
        """Store positions and velocities in ``state_joint_names`` order (NaN: unknown)."""
        self._store('joint_states', now, (np.asarray(positions, dtype=np.float64),
                                          np.asarray(velocities, dtype=np.float64)))

    def imu(self, now: float, orientation: np.ndarray, angular_velocity: np.ndarray,
            linear_acceleration: np.ndarray) -> None:
        """Store an IMU reading: quaternion (x, y, z, w), rad/s and m/s^2 in the body frame."""
        self._store('imu', now, tuple(np.asarray(v, dtype=np.float64) for v in
                                      (orientation, angular_velocity, linear_acceleration)))

    def contacts(self, now: float, values: np.ndarray) -> None:
        """Store foot contacts in ``observation.foot_names`` order."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(self.observation.foot_names),):
            self.drop('contacts')
            return
        self._store('contacts', now, values)

    def image(self, now: float, pixels: torch.Tensor) -> None:
        """Store a camera image ``[3, H, W]`` in [0, 1] at the front-end's size."""
        self._store('camera', now, pixels)

    def drop(self, sensor: str) -> None:
        """Count a message that could not be used."""
        self.counters.dropped[sensor] = self.counters.dropped.get(sensor, 0) + 1

    def _store(self, sensor: str, now: float, value: object) -> None:
        self._seen[sensor] = now
        self._readings[sensor] = value

    def stale_sensors(self, now: float) -> list[str]:
        """List the required sensors with no message within ``sensor_timeout``."""
        timeout = self.settings.sensor_timeout
        return [s for s in self.required_sensors
                if s not in self._seen or now - self._seen[s] > timeout]

    # -- commands -------------------------------------------------------------------------

    def emergency_stop(self, reason: str = 'emergency stop requested') -> None:
        """Latch the safe pose; plasticity stops until :meth:`release`."""
        if self.mode != Mode.ESTOP:
            self.mode, self.reason = Mode.ESTOP, reason

    def release(self) -> bool:
        """Leave the e-stop: ramp again (or go on running); False if not stopped."""
        if self.mode != Mode.ESTOP:
            return False
        self._ramp_start = None
        self.mode = Mode.RUNNING if self._ramp_done else Mode.RAMP
        self.reason = 'released'
        return True

    def reset_plasticity(self) -> None:
        """Start a new lifetime: fresh random weights from the next seed."""
        self._resets += 1
        if isinstance(self.network, HebbianNetwork):
            self.network.reset(seed=self.settings.seed + self._resets)

    def ablate(self, fraction: float) -> int:
        """Zero a fraction of the weights now (the paper's ablation); returns how many."""
        if not isinstance(self.network, HebbianNetwork):
            raise ValueError('a static network has no plastic weights to ablate')
        return self.network.ablate(fraction, seed=self.settings.seed + self._resets)

    def weight_norms(self) -> list[float]:
        """Frobenius norm of each layer's weights."""
        if isinstance(self.network, HebbianNetwork):
            return self.network.weight_norms()[0].tolist()
        return [float(w.norm()) for w in self.network.weights]

    @property
    def plastic(self) -> bool:
        """Whether the Hebbian update runs this tick."""
        return isinstance(self.network, HebbianNetwork) and self.network.plastic \
            and self.mode == Mode.RUNNING

    def tick(self, now: float) -> Optional[np.ndarray]:
        """Commands for this tick in ``joint_names`` order, or None to send nothing."""
        self.counters.ticks += 1
        period = self.control_period
        dt = period if self._last_tick is None else min(max(now - self._last_tick, 0.0),
                                                        2 * period)
        self._last_tick = now
        if 'joint_states' not in self._readings:
            return None
        self._check_sensors(now)
        # the commanded joints come first in state_joint_names
        positions = self._readings['joint_states'][0][:len(self.joint_names)]
        if self.mode == Mode.ESTOP or self.mode == Mode.HOLD:
            return self._send(self._hold_target(positions), dt, positions)
        if self.mode == Mode.RAMP:
            return self._send(self._ramp_target(now, positions), dt, positions)
        target = self._network_target()
        return None if target is None else self._send(target, dt, positions)

    def _check_sensors(self, now: float) -> None:
        if self.mode == Mode.WAITING:
            self.mode, self.reason = Mode.RAMP, 'ramping to the nominal pose'
        if self.mode == Mode.ESTOP:
            return
        imu = self._readings.get('imu')
        if imu is not None and np.isfinite(imu[0]).all():
            roll, pitch = roll_pitch(imu[0])
            if max(abs(roll), abs(pitch)) > self.settings.fall_tilt:
                self.emergency_stop(f'fall: roll {roll:.2f} rad, pitch {pitch:.2f} rad')
                return
        stale = self.stale_sensors(now)
        if stale:
            self.mode, self.reason = Mode.HOLD, f'stale sensors: {", ".join(stale)}'
        elif self.mode == Mode.HOLD:
            self._ramp_start = None
            self.mode = Mode.RUNNING if self._ramp_done else Mode.RAMP
            self.reason = 'sensors fresh again'

    def _hold_target(self, positions: np.ndarray) -> np.ndarray:
        """Hold the safe pose once the start-up ramp has reached it; before that, stay put."""
        if self._ramp_done:
            return self.safe_pose
        return self.limiter.last if self.limiter.last is not None else positions

    def _ramp_target(self, now: float, positions: np.ndarray) -> np.ndarray:
        if self._ramp_start is None:
            if not np.isfinite(positions).all():
                return positions   # refused by _send: nothing to ramp from
            self._ramp_start = (now, positions.copy())
        start_time, start = self._ramp_start
        duration = self.settings.startup_ramp_time
        progress = 1.0 if duration <= 0 else min(1.0, (now - start_time) / duration)
        if progress >= 1.0:
            self._ramp_done = True
            self.mode, self.reason = Mode.RUNNING, 'running'
        return start + (self.safe_pose - start) * progress

    def _network_target(self) -> Optional[np.ndarray]:
        positions, velocities = self._readings['joint_states']
        imu = self._readings.get('imu') or (None, None, None)
        if self._obs_columns is not None:
            positions, velocities = positions[self._obs_columns], velocities[self._obs_columns]
        obs = self.observation.build(Readings(positions, velocities, imu[0], imu[1], imu[2],
                                              self._readings.get('contacts')))
        if obs is None:
            self.counters.skipped_nonfinite += 1
            return None
        x = obs[None]
        if self.conv is not None:
            pixels = self._readings['camera']
            if not torch.isfinite(pixels).all():
                self.counters.skipped_nonfinite += 1
                return None
            features = self.conv.forward(pixels[None].to(self.conv.device))
            x = torch.cat([features.cpu(), torch.from_numpy(x)], dim=1).numpy()
        if self._check_due:   # learn() was not called after the last check's tick
            self.learn()
        y = self.network.act(x)[0]
        finite = np.isfinite(y).all()
        if self._hebbian:
            if not finite:
                self._reset_diverged()
                return None
            self.network.update()
            self._check_due = self.counters.ticks % WEIGHT_CHECK_EVERY == 0
        if not finite:
            self.counters.skipped_nonfinite += 1
            return None
        return self._offset + self._scale * y[self._order]

    def learn(self) -> None:
        """
        Apply this tick's Hebbian update now; call it once the command is sent.

        :meth:`tick` leaves the update pending, and without this call it lands
        with the next tick's forward pass, on the sensor-to-command path. The
        weights are checked for divergence here too, every WEIGHT_CHECK_EVERY
        ticks, and reset to random ones when they have diverged.
        """
        if not self._hebbian:
            return
        self.network.flush()
        if self._check_due:
            self._check_due = False
            if self._weights_diverged():
                self._reset_diverged()

    def _reset_diverged(self) -> None:
        self.counters.weight_resets += 1
        self.reset_plasticity()

    def _weights_diverged(self) -> bool:
        norms = self.network.weight_norms()
        return bool(not torch.isfinite(norms).all()
                    or norms.max() > self.settings.max_weight_norm)

    def _send(self, target: np.ndarray, dt: float, positions: np.ndarray
              ) -> Optional[np.ndarray]:
        if self.limiter.last is None:
            if not (np.isfinite(target).all() and np.isfinite(positions).all()):
                self.counters.skipped_nonfinite += 1
                return None
            self.limiter.start_from(positions)
        command = self.limiter(target, dt)
        if command is None:
            self.counters.skipped_nonfinite += 1
            return None
        self.counters.commands += 1
        return command

    def _warm_up(self) -> None:
        """
        Run each step of a tick once, so the first real tick pays no first-call costs.

        The observation and the limits are compiled on their first call (0.3 s
        from numba's cache, over 1 s without): not on a robot's first tick.
        """
        joints, feet = len(self.observation.joint_names), len(self.observation.foot_names)
        self.observation.build(Readings(np.zeros(joints), np.zeros(joints),
                                        np.array([0.0, 0.0, 0.0, 1.0]), np.zeros(3),
                                        np.zeros(3), np.zeros(feet)))
        self.limiter(self.safe_pose, 0.0)
        self.limiter.last = None
        x = np.zeros((1, self.network.n_inputs), dtype=np.float32)
        if self.conv is not None:
            self.conv.forward(torch.zeros(1, 3, *self.image_size, device=self.conv.device))
        self.network.act(x)
        if isinstance(self.network, HebbianNetwork):
            self.network.update()
            self.network.act(x)
            self.network.update()
            self.network.flush()
            self.network.reset(seed=self.settings.seed)
