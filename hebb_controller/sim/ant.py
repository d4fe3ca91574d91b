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
The paper's quadruped: PyBullet's ``AntBulletEnv-v0`` behind the Gymnasium API.

Reproduces ``pybullet_envs`` (WalkerBaseBulletEnv + Ant) as Najarro & Risi
(2020) used it: ``mjcf/ant.xml`` on the stadium plane, 28 observations
(``WalkerBase.calc_state``), 8 torques of 2.5 x 100 N m at full action, one
``stepSimulation`` of 4 substeps per control step. The reward is the
forward-progress term alone, as the paper's fitness.

Episode, as the paper's rollout loop ran it:

- ``reset`` loads the world, puts the joints at uniform(-0.1, 0.1) rad, then
  runs ``SETTLE_STEPS`` = 40 zero-action control steps unscored. The ant drops
  from z = 0.75 m; with no torque its legs cannot carry its 65 kg torso, so it
  settles resting on the torso sphere (z ~ 0.25 m), legs spread.
- The settle steps count toward ``max_episode_steps`` (``info['step']`` is 40
  after reset), so a 1000-step episode has at most 960 scored steps.
- As in the reference loop, the stopping rules only apply after scored step
  index 200 (0-based): from then on the episode terminates when the torso is
  at or below 0.26 m, and is truncated once progress has been negative for
  more than 30 steps in a row. Before that a fallen or resting ant goes on
  (with zero action it rests at 0.25 m, so an earlier check would end every
  episode at its first step). Truncated as well at the step limit.

One deviation from ``pybullet_envs``, on purpose: its body position (for
the target distance) averages every "part", and by accident the floor plane
is one of them, which scales progress by 21/22. Here the average is over the
robot's 21 parts only, so the reward is 1/control_step (60.6) x metres along
+x, as the paper states; the paper's reported fitnesses are 21/22 of this
for the same gait. Like ``pybullet_envs``, a reset restores the state saved
when the world was built (``restoreState`` brings back the contact caches
too), so a seed and an action sequence give the same observations bit for
bit in any env instance and episode.
"""
import math
import os
import sys
import tempfile
from typing import Any, Optional

import gymnasium
from gymnasium import spaces
from hebb_controller.sim import views
from hebb_controller.sim.morphology import (ant_locked_joints, ant_mjcf, ant_power_scales,
                                            get_morphology)
import numpy as np
import pybullet
import pybullet_data

OBS_DIM = 28
ACT_DIM = 8
# Action order: pybullet_envs' ordered_joints, i.e. the joints in link order.
JOINT_NAMES = ('hip_1', 'ankle_1', 'hip_2', 'ankle_2', 'hip_3', 'ankle_3', 'hip_4', 'ankle_4')
FOOT_NAMES = ('front_left_foot', 'front_right_foot', 'left_back_foot', 'right_back_foot')
# Observation layout of WalkerBase.calc_state: joint position/speed pairs interleave.
OBS_NAMES = (('z_minus_initial_z', 'sin_angle_to_target', 'cos_angle_to_target',
              'body_vx_0.3', 'body_vy_0.3', 'body_vz_0.3', 'roll', 'pitch')
             + tuple(f'{n}_{q}' for n in JOINT_NAMES for q in ('pos_scaled', 'speed_0.1'))
             + tuple(f'{f}_contact' for f in FOOT_NAMES))

SETTLE_STEPS = 40
STOP_CHECKS_AFTER = 200       # scored step index after which stopping rules apply
MAX_NEGATIVE_STEPS = 30       # stop when progress is negative more steps in a row
MIN_TORSO_Z = 0.26            # the torso sphere's radius is 0.25 m
OBS_CLIP = 5.0
POWER = 2.5                   # Ant's power ...
POWER_COEF = 100.0            # ... times XmlBasedRobot's per-joint coefficient (MJCF gear unused)
LOCK_TORQUE = 10 * POWER * POWER_COEF
WALK_TARGET_X = 1e3
SUBSTEPS = 4
GRAVITY = 9.8
SOLVER_ITERATIONS = 5
CONTACT_ERP = 0.9
FLOOR_FRICTION = 0.8
FLOOR_RESTITUTION = 0.5
# Camera following the torso, as pybullet_envs' render() but closer for small images.
CAMERA_DISTANCE = 2.0
CAMERA_YAW = 0.0
CAMERA_PITCH = -30.0
CAMERA_FOV = 60.0


class AntBulletEnv(gymnasium.Env):
    """
    AntBulletEnv-v0 with the paper's reward, morphologies and disturbances.

    Keyword arguments are those of ``EnvConfig.env_kwargs()``. Beyond the
    Gymnasium API, ``raw_step(action)`` does only the physics of a control
    step (the benchmark's baseline).
    """

    metadata = {'render_modes': ['human', 'rgb_array'], 'render_fps': 60}

    def __init__(self, morphology: str = 'whole', max_episode_steps: int = 1000,
                 control_step: float = 0.0165, obs_noise_std: float = 0.0,
                 action_noise_std: float = 0.0, push_force: float = 0.0,
                 push_interval: int = 0, camera_width: int = 32, camera_height: int = 32,
                 camera_every: int = 1, render_mode: Optional[str] = None) -> None:
        self.morphology = get_morphology(morphology)
        if max_episode_steps <= SETTLE_STEPS:
            raise ValueError(f'max_episode_steps must exceed the {SETTLE_STEPS} settle steps, '
                             f'got {max_episode_steps}')
        if control_step <= 0:
            raise ValueError(f'control_step must be positive, got {control_step}')
        if min(obs_noise_std, action_noise_std, push_force, push_interval) < 0:
            raise ValueError('noise, push force and push interval must not be negative')
        if min(camera_width, camera_height, camera_every) < 1:
            raise ValueError('camera size and camera_every must be at least 1')
        if render_mode is not None and render_mode not in self.metadata['render_modes']:
            raise ValueError(f'render_mode must be one of {self.metadata["render_modes"]} '
                             f'or None, got {render_mode!r}')
        self.max_episode_steps = max_episode_steps
        self.control_step = control_step
        self.obs_noise_std = obs_noise_std
        self.action_noise_std = action_noise_std
        self.push_force = push_force
        self.push_interval = push_interval
        self.camera_size = (camera_width, camera_height)
        self.camera_every = camera_every
        self.render_mode = render_mode
        self.metadata = {**self.metadata, 'render_fps': round(1.0 / control_step)}

        self.action_space = spaces.Box(-1.0, 1.0, (ACT_DIM,), np.float32)
        self.observation_space = spaces.Box(-OBS_CLIP, OBS_CLIP, (OBS_DIM,), np.float32)

        self._model_xml = ant_mjcf(self.morphology)
        scales = ant_power_scales(self.morphology)
        self._locked_names = ant_locked_joints(self.morphology)
        self._driven = [i for i, n in enumerate(JOINT_NAMES) if n not in self._locked_names]
        self._torque_scale = [POWER * POWER_COEF * scales.get(JOINT_NAMES[i], 1.0)
                              for i in self._driven]

        if render_mode == 'human' and sys.platform == 'linux' and not os.environ.get('DISPLAY'):
            # PyBullet's GUI would end the whole process without a display.
            raise RuntimeError("render_mode='human' needs a display (DISPLAY is not set)")
        mode = pybullet.GUI if render_mode == 'human' else pybullet.DIRECT
        self._client = pybullet.connect(mode)
        self._ant = -1
        self._floor = -1
        self._torso_pos = (0.0, 0.0, 0.75)
        self._frame = None
        self._frame_step = 0
        self._steps = 0

    # ----------------------------------------------------------------- world
    def _load_world(self) -> None:
        """Build the world once; every reset restores the state saved here."""
        cid = self._client
        pybullet.resetSimulation(physicsClientId=cid)
        pybullet.setPhysicsEngineParameter(deterministicOverlappingPairs=1, physicsClientId=cid)
        pybullet.setGravity(0, 0, -GRAVITY, physicsClientId=cid)
        pybullet.setDefaultContactERP(CONTACT_ERP, physicsClientId=cid)
        pybullet.setPhysicsEngineParameter(
            fixedTimeStep=self.control_step, numSolverIterations=SOLVER_ITERATIONS,
            numSubSteps=SUBSTEPS, physicsClientId=cid)
        self._floor = pybullet.loadSDF(
            os.path.join(pybullet_data.getDataPath(), 'plane_stadium.sdf'), physicsClientId=cid)[0]
        pybullet.changeDynamics(self._floor, -1, lateralFriction=FLOOR_FRICTION,
                                restitution=FLOOR_RESTITUTION, physicsClientId=cid)
        # loadMJCF reads files only: hand it the (possibly damaged) model through one.
        with tempfile.TemporaryDirectory(prefix='hebb_ant_') as tmp:
            path = os.path.join(tmp, 'ant.xml')
            with open(path, 'w') as f:
                f.write(self._model_xml)
            self._ant = pybullet.loadMJCF(
                path, flags=(pybullet.URDF_USE_SELF_COLLISION
                             | pybullet.URDF_USE_SELF_COLLISION_EXCLUDE_ALL_PARENTS
                             | pybullet.URDF_GOOGLEY_UNDEFINED_COLORS),
                physicsClientId=cid)[0]

        n_links = pybullet.getNumJoints(self._ant, physicsClientId=cid)
        links = list(range(n_links))
        infos = [pybullet.getJointInfo(self._ant, j, physicsClientId=cid) for j in links]
        by_joint = {info[1].decode(): info for info in infos}
        by_link = {info[12].decode(): info[0] for info in infos}
        self._joints = [by_joint[n][0] for n in JOINT_NAMES]
        # Plain float tuples: the per-step arithmetic on numpy scalars costs more.
        limits = [by_joint[n][8:10] for n in JOINT_NAMES]
        self._joint_mid = tuple(0.5 * (lo + hi) for lo, hi in limits)
        self._joint_half_range = tuple(0.5 * (hi - lo) for lo, hi in limits)
        self._feet = [by_link[n] for n in FOOT_NAMES]
        self._n_parts = n_links + 1
        # pybullet_envs averages the torso and all 20 links; 10 of them give the
        # same sum (see _observe) for half the cost of the call.
        knees = [self._joints[i] for i in range(1, ACT_DIM, 2)]
        self._centroid_links = ([by_link['front_left_leg'], by_link['left_back_leg']]
                                + knees + self._feet)
        self._driven_ids = [self._joints[i] for i in self._driven]
        # Disable the default velocity motors so the joints are torque driven.
        pybullet.setJointMotorControlArray(
            self._ant, links, pybullet.POSITION_CONTROL, forces=[0.0] * n_links,
            positionGains=[0.1] * n_links, velocityGains=[0.1] * n_links, physicsClientId=cid)
        # pybullet_envs restores a saved state too: 5 ms cheaper a reset than reloading,
        # and as reproducible (restoreState brings back the contact caches as well)
        self._initial_state = pybullet.saveState(physicsClientId=cid)

    def _reset_joints(self) -> None:
        cid = self._client
        for j in self._joints:
            pybullet.resetJointState(self._ant, j, self.np_random.uniform(-0.1, 0.1), 0.0,
                                     physicsClientId=cid)
        for name in self._locked_names:
            i = JOINT_NAMES.index(name)
            pybullet.setJointMotorControl2(
                self._ant, self._joints[i], pybullet.POSITION_CONTROL,
                targetPosition=self._joint_mid[i], targetVelocity=0.0,
                positionGain=1.0, velocityGain=1.0, force=LOCK_TORQUE, physicsClientId=cid)

    # --------------------------------------------------------------- physics
    def raw_step(self, action: np.ndarray) -> None:
        """Apply the torques of one action and advance one control step, nothing else."""
        a = np.asarray(action).tolist()
        forces = [s * (1.0 if a[i] > 1.0 else -1.0 if a[i] < -1.0 else a[i])
                  for i, s in zip(self._driven, self._torque_scale)]
        pybullet.setJointMotorControlArray(
            self._ant, self._driven_ids, pybullet.TORQUE_CONTROL, forces=forces,
            physicsClientId=self._client)
        pybullet.stepSimulation(physicsClientId=self._client)

    def read_physics(self) -> tuple:
        """
        Make the PyBullet reads one observation needs, and nothing else.

        Base pose and velocity, the centroid's links, the joints, the floor
        contacts, as PyBullet returns them. ``hebb bench sim`` times them
        beside the raw physics: the least any env on this API adds.
        """
        cid, ant = self._client, self._ant
        return (pybullet.getBasePositionAndOrientation(ant, physicsClientId=cid),
                pybullet.getBaseVelocity(ant, physicsClientId=cid),
                pybullet.getLinkStates(ant, self._centroid_links, physicsClientId=cid),
                pybullet.getJointStates(ant, self._joints, physicsClientId=cid),
                pybullet.getContactPoints(ant, self._floor, physicsClientId=cid))

    def _observe(self) -> list[float]:
        """
        Compute WalkerBase.calc_state's 28 values (unclipped) and the progress.

        Plain floats, not numpy, because these few dozen numbers cost less so.
        Foot contacts lag one step, as in pybullet_envs (read after the state).

        Body position: the mean of the torso and the 20 links, from 10 links.
        Per leg the upper-leg centre is the midpoint of hip and knee, and the
        fixed links sit symmetrically about the torso, so with F, B the two
        diagonal fixed leg links, K the knees and T the feet:
        sum(links) = 5 (F + B) + 1.5 sum(K) + sum(T). (Link poses lag the base
        by a substep in PyBullet, so the torso itself is not used for them.)
        """
        (pos, orn), (vel, _), links, joints, contacts = self.read_physics()
        roll, pitch, yaw = pybullet.getEulerFromQuaternion(orn)
        (f, _, _, _, _, _), (b, _, _, _, _, _), *rest = links
        k1, k2, k3, k4, t1, t2, t3, t4 = [r[0] for r in rest]
        mean_x = (pos[0] + 5.0 * (f[0] + b[0]) + 1.5 * (k1[0] + k2[0] + k3[0] + k4[0])
                  + t1[0] + t2[0] + t3[0] + t4[0]) / self._n_parts
        mean_y = (pos[1] + 5.0 * (f[1] + b[1]) + 1.5 * (k1[1] + k2[1] + k3[1] + k4[1])
                  + t1[1] + t2[1] + t3[1] + t4[1]) / self._n_parts
        z = pos[2]
        dx, dy = WALK_TARGET_X - mean_x, -mean_y
        angle = math.atan2(dy, dx) - yaw
        c, s = math.cos(yaw), math.sin(yaw)
        state = [z - self._initial_z, math.sin(angle), math.cos(angle),
                 0.3 * (c * vel[0] + s * vel[1]), 0.3 * (c * vel[1] - s * vel[0]),
                 0.3 * vel[2], roll, pitch]
        for js, mid, half in zip(joints, self._joint_mid, self._joint_half_range):
            state.append((js[0] - mid) / half)
            state.append(0.1 * js[1])
        state.extend(self._feet_contact)
        touching = {c[3] for c in contacts}
        self._feet_contact = [1.0 if f in touching else 0.0 for f in self._feet]

        potential = -math.hypot(dx, dy) / self.control_step
        self._progress = potential - self._potential
        self._potential = potential
        self._torso_pos = pos
        return state

    def _obs(self, state: list[float]) -> np.ndarray:
        if self.obs_noise_std > 0:
            obs = np.array(state, dtype=np.float32)
            obs += self.np_random.normal(0.0, self.obs_noise_std, OBS_DIM).astype(np.float32)
            return obs.clip(-OBS_CLIP, OBS_CLIP, out=obs)
        # Clipping plain floats before the one conversion is the cheapest way here.
        return np.array([OBS_CLIP if v > OBS_CLIP else -OBS_CLIP if v < -OBS_CLIP else v
                         for v in state], dtype=np.float32)

    def _info(self) -> dict[str, Any]:
        x, y, z = self._torso_pos
        return {'x_position': x, 'y_position': y, 'distance_walked': x - self._start_x,
                'torso_z': z, 'step': self._steps, 'scored_steps': self._scored}

    def _push(self) -> None:
        """One control step of horizontal force on the torso, in a random direction."""
        heading = self.np_random.uniform(0.0, 2.0 * math.pi)
        force = [self.push_force * math.cos(heading), self.push_force * math.sin(heading), 0.0]
        pybullet.applyExternalForce(self._ant, -1, force, self._torso_pos, pybullet.WORLD_FRAME,
                                    physicsClientId=self._client)

    # ------------------------------------------------------------- gymnasium
    def reset(self, *, seed: Optional[int] = None,
              options: Optional[dict[str, Any]] = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Restore the world as built, randomise the joints, settle 40 zero-action steps."""
        super().reset(seed=seed)
        if self._ant < 0:
            self._load_world()
        else:
            pybullet.restoreState(self._initial_state, physicsClientId=self._client)
        self._reset_joints()
        self._initial_z = pybullet.getBasePositionAndOrientation(
            self._ant, physicsClientId=self._client)[0][2]
        self._feet_contact = [0.0] * len(FOOT_NAMES)
        self._potential = 0.0
        self._observe()   # sets the first potential
        zero = np.zeros(ACT_DIM)
        for _ in range(SETTLE_STEPS):
            self.raw_step(zero)
            state = self._observe()
        self._steps = SETTLE_STEPS
        self._scored = 0
        self._negative_run = 0
        self._start_x = self._torso_pos[0]
        self._frame = None
        return self._obs(state), self._info()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One control step; the reward is the forward progress alone."""
        if self.action_noise_std > 0:
            action = action + self.np_random.normal(0.0, self.action_noise_std, ACT_DIM)
        t = self._scored
        if self.push_force > 0 and self.push_interval > 0 and (t + 1) % self.push_interval == 0:
            self._push()
        self.raw_step(action)
        state = self._observe()
        self._steps += 1
        self._scored += 1
        reward = self._progress

        terminated = not math.isfinite(sum(state))
        truncated = self._steps >= self.max_episode_steps
        if t > STOP_CHECKS_AFTER:
            self._negative_run = self._negative_run + 1 if reward < 0.0 else 0
            terminated = terminated or self._torso_pos[2] <= MIN_TORSO_Z
            truncated = truncated or self._negative_run > MAX_NEGATIVE_STEPS
        if self.render_mode == 'human':
            self.render()
        return self._obs(state), reward, terminated, truncated and not terminated, self._info()

    def render(self) -> Optional[np.ndarray]:
        """
        Return the following camera's RGB image (rgb_array), or move the GUI camera.

        The image is re-rendered at most every ``camera_every`` control steps.
        """
        if self.render_mode == 'human':
            pybullet.resetDebugVisualizerCamera(CAMERA_DISTANCE, CAMERA_YAW, CAMERA_PITCH,
                                                self._torso_pos, physicsClientId=self._client)
            return None
        if self.render_mode != 'rgb_array':
            return None
        if self._frame is None or self._steps - self._frame_step >= self.camera_every:
            self._frame = self._camera_image()
            self._frame_step = self._steps
        return self._frame.copy()

    def side_view(self, width: int = 320, height: int = 240,
                  distance: float = 2.5) -> np.ndarray:
        """Render the ant from its right, following the torso (figures and clips)."""
        pos, _ = pybullet.getBasePositionAndOrientation(self._ant, physicsClientId=self._client)
        return views.side_view(self._client, (pos[0], pos[1], 0.3), distance, width, height)

    def _camera_image(self) -> np.ndarray:
        width, height = self.camera_size
        cid = self._client
        view = pybullet.computeViewMatrixFromYawPitchRoll(
            self._torso_pos, CAMERA_DISTANCE, CAMERA_YAW, CAMERA_PITCH, 0.0, 2,
            physicsClientId=cid)
        proj = pybullet.computeProjectionMatrixFOV(CAMERA_FOV, width / height, 0.1, 100.0,
                                                   physicsClientId=cid)
        _, _, rgba, _, _ = pybullet.getCameraImage(
            width, height, view, proj, renderer=pybullet.ER_TINY_RENDERER,
            flags=pybullet.ER_NO_SEGMENTATION_MASK, physicsClientId=cid)
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    def close(self) -> None:
        """Disconnect the physics client; safe to call twice."""
        if self._client >= 0:
            pybullet.disconnect(physicsClientId=self._client)
            self._client = -1
