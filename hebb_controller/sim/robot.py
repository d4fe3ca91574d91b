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
A real-robot quadruped: Unitree A1 from ``pybullet_data/a1/a1.urdf``.

Why the A1 and not the Laikago of ``pybullet_data/laikago/``: the A1 URDF is the
vendor's model, z-up with +x forward, with revolute joints whose limits are the
robot's (hip +-0.80 rad, thigh -1.05..4.19 rad, knee -2.70..-0.92 rad), effort
and velocity limits per motor (20 N m / 52.4 rad/s at the hip, 55 N m /
28.6 rad/s at thigh and knee) and full inertia tensors for every link (trunk
4.71 kg, 12.5 kg in all). No Laikago URDF there has all of that: every one
gives every joint the placeholder effort and velocity 100; ``laikago_toes``
has ``continuous`` joints (no position limits), all-zero inertia tensors and
a y-up frame that needs a rotation at load time; ``laikago_toes_limits`` adds
joint limits but keeps the zero inertias; ``laikago_toes_zup`` is z-up with
diagonal inertias but no limits. The A1 is loaded with
``URDF_USE_INERTIA_FROM_FILE`` so those tensors are used, not ones PyBullet
would guess from the collision boxes; self-collision is off (cheaper; the
action scale keeps the legs apart). Headless, every link is drawn as its
collision shapes: the vendor meshes cost the software renderer about 9 ms a
frame, the primitives well under 1 ms; ``render_mode='human'`` shows the meshes.

Control: 12 actions in [-1, 1] are joint position targets,
``nominal_pose + action_scale * action`` clipped to the URDF limits, with the
nominal standing pose (hip, thigh, knee) = (0, 0.9, -1.8) rad and the scale
0.25 rad on every joint, so every target already lies inside the limits. The
scale is legged_gym's for the A1; at the earlier (0.4, 0.8, 0.8) rad, random
networks tipped the robot over within 10 to 30 control steps, too soon for ES
to tell one from another; at 0.25 they last 40 to 100 and some walk. PyBullet's
POSITION_CONTROL tracks them with position gain 0.3, velocity gain 1.0 and the
URDF effort limit as the force. One control step is 0.02 s (50 Hz) of physics
substeps of about 0.004 s. With ``max_joint_velocity`` (rad/s) a target moves
at most that far per second from the last one, as the controller node's rate
limit lets commands move on a robot; without it (every shipped file) a target
may jump the whole 0.5 rad range in one step, which the node then slows to its
limit.

Observation (``observation_layout``): joint positions (12, rad) and velocities
(12, rad/s) in ``joint_names`` order; IMU orientation as a quaternion (x, y,
z, w: the order of sensor_msgs/Imu), angular velocity (3, rad/s, base frame)
and linear acceleration (3, m/s^2, base frame) as an accelerometer reads it:
the specific force, +9.81 up at rest, from the change of base velocity over one
control step; then 4 foot contacts (1.0 when the toe touches the ground) in
``foot_names`` order.

A controller feeds its network ``(observation - observation_offset) *
observation_scale`` (joint angles from the nominal pose times 2, velocities
times 0.1, angular rates times 0.25, acceleration in g): inputs near [-1, 1]
whatever the sensor's unit. Coefficient files record it.

Head camera: at the front of the trunk (0.23 m ahead of the base origin,
0.04 m up), looking along the body's +x and 8.5 degrees down, 70 degree
vertical field of view, rendered on the CPU by TinyRenderer.

Reward per step: metres moved along +x, minus small costs for energy
(|torque * joint velocity|), body tilt (roll^2 + pitch^2) and height change
from the settled height. The episode ends when the trunk drops below 0.15 m or
tilts past 0.8 rad in roll or pitch.
"""
import math
import os
from pathlib import Path
import sys
import tempfile
from typing import Any, Optional, Union

import gymnasium
from gymnasium import spaces
from hebb_controller.sim import views
from hebb_controller.sim.robot_damage import damage_for, edit_urdf
import numpy as np
import pybullet
import pybullet_data

URDF = 'a1/a1.urdf'
LEG_PREFIXES = ('FR', 'FL', 'RR', 'RL')
JOINT_NAMES = tuple(f'{leg}_{part}_joint' for leg in LEG_PREFIXES
                    for part in ('hip', 'upper', 'lower'))
FOOT_NAMES = tuple(f'{leg}_toe' for leg in LEG_PREFIXES)
NOMINAL_POSE = np.tile([0.0, 0.9, -1.8], 4)
ACTION_SCALE = np.full(12, 0.25)

CONTROL_STEP = 0.02
PHYSICS_STEP = 0.004
POSITION_GAIN = 0.3
VELOCITY_GAIN = 1.0
GRAVITY = 9.81

SPAWN_HEIGHT = 0.28   # trunk height where the feet just touch in the nominal pose
SETTLE_TIME = 0.4     # seconds of holding the nominal pose at reset
RESET_JOINT_NOISE = 0.05  # rad, uniform, drawn from the reset seed

FALL_HEIGHT = 0.15
FALL_TILT = 0.8
ENERGY_COST = 0.0005   # per joule
TILT_COST = 0.5        # per rad^2 s
HEIGHT_COST = 5.0      # per m^2 s

# sensor ranges, also the observation bounds (observations are clipped to them):
# a common IMU's +-2000 deg/s gyro and +-16 g accelerometer; joint readings may
# overshoot the URDF limits by JOINT_MARGIN and its velocity limits twice over
GYRO_RANGE = math.radians(2000.0)
ACCEL_RANGE = 16 * GRAVITY
JOINT_MARGIN = 0.5

# head camera, in the base frame: at the front of the trunk, looking ahead and down a little
CAMERA_OFFSET = np.array([0.23, 0.0, 0.04])
CAMERA_LOOK = np.array([1.0, 0.0, -0.15])
CAMERA_FOV = 70.0
CAMERA_NEAR = 0.02
CAMERA_FAR = 20.0

# What a controller feeds its network: (observation - offset) * scale, so that
# joint angles (as offsets from the nominal pose), velocities, rates and the
# accelerometer all reach it near [-1, 1] while the observation keeps sensor
# units. The quaternion's w and the accelerometer's gravity stay in: upright,
# they give the bias-free network constant inputs near 1.
OBSERVATION_OFFSET = np.concatenate([NOMINAL_POSE, np.zeros(12 + 4 + 3 + 3 + 4)])
OBSERVATION_SCALE = np.concatenate([np.full(12, 2.0), np.full(12, 0.1), np.ones(4),
                                    np.full(3, 0.25), np.full(3, 1 / GRAVITY), np.ones(4)])

OBSERVATION_LAYOUT = (
    ('joint_position', 12),
    ('joint_velocity', 12),
    ('imu_orientation', 4),
    ('imu_angular_velocity', 3),
    ('imu_linear_acceleration', 3),
    ('foot_contact', 4),
)


class RobotQuadrupedEnv(gymnasium.Env):
    """
    The A1 walking along +x under joint position targets, with IMU and head camera.

    Attributes the ROS layer maps messages onto: ``joint_names``,
    ``foot_names``, ``observation_layout``, ``joint_limits``, ``nominal_pose``,
    ``action_scale``, ``action_to_targets`` and the network's input
    normalisation ``observation_offset`` and ``observation_scale``. A robot driver steps it with
    joint position targets (:meth:`step_targets`) and reads what a real robot
    reports beyond the observation through :meth:`joint_torques`,
    :meth:`base_pose` and :meth:`base_velocity`. ``client_id`` is the PyBullet
    client, for callers that query the model directly.
    """

    metadata = {'render_modes': ['human', 'rgb_array'], 'render_fps': round(1 / CONTROL_STEP)}

    def __init__(self, morphology: str = 'whole', max_episode_steps: int = 1000,
                 control_step: float = CONTROL_STEP, obs_noise_std: float = 0.0,
                 action_noise_std: float = 0.0, push_force: float = 0.0,
                 push_interval: int = 0, camera_width: int = 32, camera_height: int = 32,
                 camera_every: int = 1, max_joint_velocity: Optional[float] = None,
                 render_mode: Optional[str] = None):
        if render_mode is not None and render_mode not in self.metadata['render_modes']:
            raise ValueError(f'render_mode must be one of {self.metadata["render_modes"]}')
        if control_step <= 0 or min(max_episode_steps, camera_every,
                                    camera_width, camera_height) < 1:
            raise ValueError('control_step, max_episode_steps, camera_every and the camera '
                             'size must be positive')
        if max_joint_velocity is not None and not max_joint_velocity > 0:
            raise ValueError(f'max_joint_velocity must be positive, got {max_joint_velocity}')
        self.max_joint_velocity = None if max_joint_velocity is None \
            else float(max_joint_velocity)
        self._last_targets = NOMINAL_POSE.copy()   # the rate limit's start; reset sets it
        self.morphology = morphology
        self.damage = damage_for(morphology)
        self.max_episode_steps = int(max_episode_steps)
        self.substeps = max(1, round(control_step / PHYSICS_STEP))
        self.control_step = float(control_step)
        self.obs_noise_std = float(obs_noise_std)
        self.action_noise_std = float(action_noise_std)
        self.push_force = float(push_force)
        self.push_interval = int(push_interval)
        self.camera_width = int(camera_width)
        self.camera_height = int(camera_height)
        self.camera_every = int(camera_every)
        self.render_mode = render_mode
        self.metadata = {**self.metadata, 'render_fps': round(1 / self.control_step)}

        self.joint_names = JOINT_NAMES
        self.foot_names = FOOT_NAMES
        self.observation_layout = OBSERVATION_LAYOUT
        self.nominal_pose = NOMINAL_POSE.copy()
        self.action_scale = ACTION_SCALE.copy()
        self.observation_offset = OBSERVATION_OFFSET.copy()
        self.observation_scale = OBSERVATION_SCALE.copy()
        self.action_space = spaces.Box(-1.0, 1.0, (len(JOINT_NAMES),), np.float32)

        if render_mode == 'human' and sys.platform.startswith('linux') \
                and not (os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
            # PyBullet's GUI blocks forever instead of failing when there is no display
            raise RuntimeError("render_mode='human' needs a display; use 'rgb_array'")
        mode = pybullet.GUI if render_mode == 'human' else pybullet.DIRECT
        self.client_id = pybullet.connect(mode)
        self._load()
        self.observation_space = self._observation_space()
        self._obs_low = self.observation_space.low.astype(np.float64)
        self._obs_high = self.observation_space.high.astype(np.float64)
        self._obs = np.zeros(self.observation_space.shape)
        self._projection = pybullet.computeProjectionMatrixFOV(
            CAMERA_FOV, self.camera_width / self.camera_height, CAMERA_NEAR, CAMERA_FAR,
            physicsClientId=self.client_id)
        self._steps = 0
        self._frame: Optional[np.ndarray] = None
        self._frame_step = 0

    # --- model -------------------------------------------------------------------------

    def _load(self) -> None:
        cid = self.client_id
        pybullet.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=cid)
        pybullet.setGravity(0, 0, -GRAVITY, physicsClientId=cid)
        pybullet.setTimeStep(self.control_step / self.substeps, physicsClientId=cid)
        # without it, contact pairs come in creation order and a restored state
        # replays differently from a fresh one
        pybullet.setPhysicsEngineParameter(deterministicOverlappingPairs=1, physicsClientId=cid)
        self._plane = pybullet.loadURDF('plane.urdf', physicsClientId=cid)
        flags = pybullet.URDF_USE_INERTIA_FROM_FILE
        start = [0, 0, SPAWN_HEIGHT]
        # the GUI shows the vendor meshes; headless, the camera draws collision primitives
        primitive_visuals = self.render_mode != 'human'
        if self.damage.is_whole and not primitive_visuals:
            self._robot = pybullet.loadURDF(URDF, start, flags=flags, physicsClientId=cid)
        else:
            source = Path(pybullet_data.getDataPath()) / URDF
            lock_angles = dict(zip(JOINT_NAMES, NOMINAL_POSE.tolist()))
            text = edit_urdf(source, self.damage, lock_angles, primitive_visuals)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / 'a1.urdf'
                path.write_text(text)
                self._robot = pybullet.loadURDF(str(path), start, flags=flags,
                                                physicsClientId=cid)
        index = {}
        for j in range(pybullet.getNumJoints(self._robot, physicsClientId=cid)):
            info = pybullet.getJointInfo(self._robot, j, physicsClientId=cid)
            index[info[1].decode()] = index[info[12].decode()] = (j, info)
        self._joints = [index[name][0] for name in JOINT_NAMES]
        infos = [index[name][1] for name in JOINT_NAMES]
        self._feet = [index[name][0] for name in FOOT_NAMES]
        self.joint_limits = (np.array([i[8] for i in infos]), np.array([i[9] for i in infos]))
        self.joint_forces = np.array([i[10] for i in infos])
        self.joint_velocity_limits = np.array([i[11] for i in infos])
        self._locked = np.isin(JOINT_NAMES, self.damage.locked)
        self._any_locked = bool(self._locked.any())
        self._zeros = [0.0] * len(JOINT_NAMES)
        self._kp = [POSITION_GAIN] * len(JOINT_NAMES)
        self._kd = [VELOCITY_GAIN] * len(JOINT_NAMES)
        self._forces = self.joint_forces.tolist()
        self._initial_state = pybullet.saveState(physicsClientId=cid)

    def _observation_space(self) -> spaces.Box:
        lower, upper = self.joint_limits
        velocity = 2 * self.joint_velocity_limits
        low = np.concatenate([lower - JOINT_MARGIN, -velocity, -np.ones(4),
                              np.full(3, -GYRO_RANGE), np.full(3, -ACCEL_RANGE), np.zeros(4)])
        high = np.concatenate([upper + JOINT_MARGIN, velocity, np.ones(4),
                               np.full(3, GYRO_RANGE), np.full(3, ACCEL_RANGE), np.ones(4)])
        return spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)

    def action_to_targets(self, action: np.ndarray) -> np.ndarray:
        """Joint position targets (rad) for actions in [-1, 1], inside the joint limits."""
        a = np.minimum(np.maximum(np.asarray(action, dtype=np.float64), -1.0), 1.0)
        a *= ACTION_SCALE
        a += NOMINAL_POSE
        return self._clip_targets(a)

    def _clip_targets(self, targets: np.ndarray) -> np.ndarray:
        # in place (callers pass a fresh array; np.clip costs more on 12 values): inside the
        # joint limits, and a locked joint of a damaged body stays at the nominal pose
        low, high = self.joint_limits
        np.minimum(np.maximum(targets, low, out=targets), high, out=targets)
        if self._any_locked:
            targets[self._locked] = NOMINAL_POSE[self._locked]
        return targets

    def _command(self, targets: np.ndarray) -> None:
        pybullet.setJointMotorControlArray(
            self._robot, self._joints, pybullet.POSITION_CONTROL,
            targetPositions=targets.tolist(), targetVelocities=self._zeros,
            forces=self._forces, positionGains=self._kp, velocityGains=self._kd,
            physicsClientId=self.client_id)

    def raw_step(self, action: np.ndarray) -> None:
        """Physics of one control step only: PD targets, then the substeps."""
        self._command(self.action_to_targets(action))
        for _ in range(self.substeps):
            pybullet.stepSimulation(physicsClientId=self.client_id)

    # --- gymnasium -----------------------------------------------------------------------

    def reset(self, *, seed: Optional[int] = None,
              options: Optional[dict[str, Any]] = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Restore the loaded state, perturb the pose from the seed, settle, observe."""
        super().reset(seed=seed)
        cid = self.client_id
        pybullet.restoreState(self._initial_state, physicsClientId=cid)
        pose = NOMINAL_POSE + self.np_random.uniform(
            -RESET_JOINT_NOISE, RESET_JOINT_NOISE, NOMINAL_POSE.shape)
        pose = np.clip(pose, *self.joint_limits)
        pose[self._locked] = NOMINAL_POSE[self._locked]
        for joint, q in zip(self._joints, pose):
            pybullet.resetJointState(self._robot, joint, q, 0.0, physicsClientId=cid)
        self._last_targets = self.action_to_targets(np.zeros(len(JOINT_NAMES)))
        self._command(self._last_targets)
        for _ in range(round(SETTLE_TIME * self.substeps / self.control_step)):
            pybullet.stepSimulation(physicsClientId=cid)
        pos, _ = pybullet.getBasePositionAndOrientation(self._robot, physicsClientId=cid)
        self._x0 = self._x = pos[0]
        self._y = pos[1]
        self._height0 = pos[2]
        self._lin_vel = pybullet.getBaseVelocity(self._robot, physicsClientId=cid)[0]
        self._steps = 0
        self._frame = None
        obs, _ = self._observe()
        return obs, self._info(0.0, 0.0, 0.0)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Advance one control step; reward is progress along +x minus small costs."""
        return self._step(self.action_to_targets(
            np.asarray(action, dtype=np.float64) + self._action_noise()))

    def step_targets(self, targets: np.ndarray
                     ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """
        Advance one control step tracking joint position targets (rad, ``joint_names`` order).

        What a robot driver does with a position command: the targets are
        clipped to ``joint_limits`` (a locked joint stays at the nominal pose);
        action noise (``action_noise_std`` times ``action_scale``, in rad),
        pushes, reward and termination are those of :meth:`step`, so
        ``step_targets(action_to_targets(a))`` is ``step(a)``. Raises
        ValueError for a wrong number of targets or a non-finite one.
        """
        t = np.asarray(targets, dtype=np.float64)
        if t.shape != NOMINAL_POSE.shape or not np.all(np.isfinite(t)):
            raise ValueError(f'expected {NOMINAL_POSE.size} finite joint targets, got '
                             f'{t.tolist()}')
        return self._step(self._clip_targets(t + ACTION_SCALE * self._action_noise()))

    def _action_noise(self) -> Union[np.ndarray, float]:
        # in action units; draws from np_random only when noise is on, as reset seeds it
        # (off: a scalar 0, no zero array to build and add every step)
        if self.action_noise_std > 0:
            return self.np_random.normal(0.0, self.action_noise_std, NOMINAL_POSE.shape)
        return 0.0

    def _step(self, targets: np.ndarray
              ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.max_joint_velocity is not None:
            # the controller node's rate limit, in its order: within reach of the last
            # target, then inside the limits again
            reach = self.max_joint_velocity * self.control_step
            last = self._last_targets
            np.minimum(np.maximum(targets, last - reach, out=targets), last + reach, out=targets)
            self._last_targets = self._clip_targets(targets).copy()
        self._command(targets)
        self._steps += 1
        cid = self.client_id
        if self.push_force > 0 and self.push_interval > 0 \
                and self._steps % self.push_interval == 0:
            # a push lasts the whole control step: impulse = push_force * control_step
            angle = self.np_random.uniform(0.0, 2 * math.pi)
            force = [self.push_force * math.cos(angle), self.push_force * math.sin(angle), 0.0]
            for _ in range(self.substeps):
                pos, _ = pybullet.getBasePositionAndOrientation(self._robot, physicsClientId=cid)
                pybullet.applyExternalForce(self._robot, -1, force, pos, pybullet.WORLD_FRAME,
                                            physicsClientId=cid)
                pybullet.stepSimulation(physicsClientId=cid)
        else:
            for _ in range(self.substeps):
                pybullet.stepSimulation(physicsClientId=cid)

        obs, (x, self._y, z, roll, pitch, power) = self._observe()
        progress = x - self._x
        self._x = x
        energy = ENERGY_COST * power * self.control_step
        posture = (TILT_COST * (roll * roll + pitch * pitch)
                   + HEIGHT_COST * (z - self._height0) ** 2) * self.control_step
        terminated = z < FALL_HEIGHT or abs(roll) > FALL_TILT or abs(pitch) > FALL_TILT
        truncated = self._steps >= self.max_episode_steps
        return obs, progress - energy - posture, terminated, truncated, \
            self._info(progress, energy, posture)

    def read_physics(self) -> tuple:
        """
        Make the PyBullet reads one observation needs, and nothing else.

        Joint states, base pose and velocity, the floor contacts, as PyBullet
        returns them; ``hebb bench sim`` times them beside the raw physics.
        """
        cid, robot = self.client_id, self._robot
        return (pybullet.getJointStates(robot, self._joints, physicsClientId=cid),
                pybullet.getBasePositionAndOrientation(robot, physicsClientId=cid),
                pybullet.getBaseVelocity(robot, physicsClientId=cid),
                pybullet.getContactPoints(robot, self._plane, physicsClientId=cid))

    def _observe(self) -> tuple[np.ndarray, tuple[float, ...]]:
        # every control step: few numpy calls, one preallocated vector (the env's overhead
        # over raw physics is mostly this function)
        joints, (pos, orn), (lin_vel, ang_vel), contacts = self.read_physics()
        q, qd, _, torque = zip(*joints)
        power = sum(abs(v * t) for v, t in zip(qd, torque))
        m = pybullet.getMatrixFromQuaternion(orn, physicsClientId=self.client_id)   # 3x3 rows
        # world -> body frame (R^T v) on plain floats: cheaper than numpy for 3-vectors
        (vx, vy, vz), (px, py, pz) = lin_vel, self._lin_vel
        inv_dt = 1.0 / self.control_step
        ax, ay, az = (vx - px) * inv_dt, (vy - py) * inv_dt, (vz - pz) * inv_dt + GRAVITY
        self._lin_vel = lin_vel
        wx, wy, wz = ang_vel
        touching = {pt[3] for pt in contacts}
        obs = self._obs
        obs[:12] = q
        obs[12:24] = qd
        obs[24:28] = orn
        obs[28:34] = [m[i] * x + m[3 + i] * y + m[6 + i] * z
                      for x, y, z in ((wx, wy, wz), (ax, ay, az)) for i in range(3)]
        obs[34:] = [f in touching for f in self._feet]
        if self.obs_noise_std > 0:
            obs[:34] += self.np_random.normal(0.0, self.obs_noise_std, 34)
        np.minimum(np.maximum(obs, self._obs_low, out=obs), self._obs_high, out=obs)
        roll = math.atan2(m[7], m[8])
        pitch = -math.asin(max(-1.0, min(1.0, m[6])))
        return obs.astype(np.float32), (pos[0], pos[1], pos[2], roll, pitch, power)

    def _info(self, progress: float, energy: float, posture: float) -> dict[str, Any]:
        return {'x_position': self._x, 'y_position': self._y,
                'distance_walked': self._x - self._x0, 'steps': self._steps,
                'forward_reward': progress, 'energy_cost': energy, 'posture_cost': posture}

    # --- state a robot reports besides the observation -------------------------------------

    def split_observation(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        """Split an observation into its ``observation_layout`` sections, by name (views)."""
        bounds = np.cumsum([0] + [size for _, size in self.observation_layout])
        return {name: obs[..., start:stop] for (name, _), start, stop
                in zip(self.observation_layout, bounds[:-1], bounds[1:])}

    def joint_torques(self) -> np.ndarray:
        """Motor torques (N m) applied in the last physics substep, in ``joint_names`` order."""
        states = pybullet.getJointStates(self._robot, self._joints,
                                         physicsClientId=self.client_id)
        return np.array([s[3] for s in states])

    def base_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Trunk position (m) and orientation quaternion (x, y, z, w) in the world frame."""
        pos, orn = pybullet.getBasePositionAndOrientation(self._robot,
                                                          physicsClientId=self.client_id)
        return np.array(pos), np.array(orn)

    def base_velocity(self) -> tuple[np.ndarray, np.ndarray]:
        """
        Trunk linear (m/s) and angular (rad/s) velocity in the base frame.

        The frame of an odometry twist (nav_msgs/Odometry gives it in the child
        frame) and of the IMU's angular velocity; noise-free, unlike the observation.
        """
        cid = self.client_id
        _, orn = pybullet.getBasePositionAndOrientation(self._robot, physicsClientId=cid)
        lin_vel, ang_vel = pybullet.getBaseVelocity(self._robot, physicsClientId=cid)
        rot = np.array(pybullet.getMatrixFromQuaternion(orn, physicsClientId=cid)).reshape(3, 3)
        return rot.T @ np.array(lin_vel), rot.T @ np.array(ang_vel)

    # --- camera --------------------------------------------------------------------------

    def camera_image(self) -> np.ndarray:
        """
        Head camera frame, (camera_height, camera_width, 3) uint8 RGB.

        A new frame is rendered when the held one is ``camera_every`` or more
        control steps old; in between the last frame is returned again.
        """
        if self._frame is None or self._steps - self._frame_step >= self.camera_every:
            self._frame = self._render_camera()
            self._frame_step = self._steps
        return self._frame

    def _render_camera(self) -> np.ndarray:
        cid = self.client_id
        pos, orn = pybullet.getBasePositionAndOrientation(self._robot, physicsClientId=cid)
        rot = np.array(pybullet.getMatrixFromQuaternion(orn, physicsClientId=cid)).reshape(3, 3)
        eye = np.asarray(pos) + rot @ CAMERA_OFFSET
        view = pybullet.computeViewMatrix(eye.tolist(), (eye + rot @ CAMERA_LOOK).tolist(),
                                          rot[:, 2].tolist(), physicsClientId=cid)
        _, _, rgba, _, _ = pybullet.getCameraImage(
            self.camera_width, self.camera_height, view, self._projection,
            renderer=pybullet.ER_TINY_RENDERER, flags=pybullet.ER_NO_SEGMENTATION_MASK,
            physicsClientId=cid)
        rgba = np.asarray(rgba, dtype=np.uint8).reshape(self.camera_height, self.camera_width, 4)
        return np.ascontiguousarray(rgba[:, :, :3])

    def side_view(self, width: int = 320, height: int = 240,
                  distance: float = 1.2) -> np.ndarray:
        """Render the robot from its right, following the trunk (figures and clips)."""
        cid = self.client_id
        pos, _ = pybullet.getBasePositionAndOrientation(self._robot, physicsClientId=cid)
        return views.side_view(cid, (pos[0], pos[1], 0.2), distance, width, height)

    def render(self) -> Optional[np.ndarray]:
        """Return the head camera frame in rgb_array mode; the GUI draws itself in human mode."""
        if self.render_mode == 'rgb_array':
            return self.camera_image()
        return None

    def close(self) -> None:
        """Disconnect the physics client; safe to call twice."""
        if getattr(self, 'client_id', None) is not None:
            pybullet.disconnect(physicsClientId=self.client_id)
            self.client_id = None
