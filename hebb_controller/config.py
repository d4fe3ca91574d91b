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
One loader and validator for every YAML file in ``config/``.

CLI, nodes and launch files all read settings through :func:`load_config`, so a
setting has one name, one default and one check. Each section is a strict
pydantic model: unknown keys and wrong types are errors that name the key.
"""
from pathlib import Path
from typing import Any, Literal, Optional, Union

from hebb_controller.errors import InputError
from hebb_controller.plasticity.rules import RULE_NAMES
from pydantic import (BaseModel, ConfigDict, Field, field_validator, model_validator,
                      ValidationError)
import yaml

PACKAGE_NAME = 'hebb_controller'

Device = Literal['auto', 'cpu', 'cuda']


class ConfigError(InputError):
    """A configuration file or setting that cannot be used, with the reason."""

    exit_code = 2   # a bad setting, like a bad command-line option


class StrictModel(BaseModel):
    """Base of every config section: no unknown keys, immutable once loaded."""

    model_config = ConfigDict(extra='forbid', frozen=True)


class NetworkConfig(StrictModel):
    """The plastic network: architecture, rule and lifetime options."""

    layer_sizes: tuple[int, ...] = Field(
        (28, 128, 64, 8), description='neurons per layer, input first')
    rule: str = Field('ABCD_lr', description='Hebbian rule variant')
    output_activation: Literal['tanh', 'none'] = Field(
        'tanh', description='applied to the last layer before the update sees it')
    init_range: float = Field(0.1, gt=0, description='weights start uniform in [-r, r]')
    weight_norm: bool = Field(
        False, description='divide each layer by its largest |w| after every update')
    weight_clip: Optional[float] = Field(None, gt=0, description='clamp weights to [-c, c]')
    plastic: bool = Field(True, description='apply the Hebbian update every step')
    device: Device = Field('auto', description='auto picks CUDA when present')

    @field_validator('layer_sizes')
    @classmethod
    def _sizes(cls, sizes: tuple[int, ...]) -> tuple[int, ...]:
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError('needs at least two layers, each of one or more neurons')
        return sizes

    @field_validator('rule')
    @classmethod
    def _rule(cls, rule: str) -> str:
        if rule not in RULE_NAMES:
            raise ValueError(f'unknown rule {rule!r}; known: {", ".join(RULE_NAMES)}')
        return rule


class EnvConfig(StrictModel):
    """
    A simulated robot: which env, which body, and the disturbances it meets.

    Defaults are the paper's; ``env_kwargs`` turns the section into the keyword
    arguments every env of ``hebb_controller.sim`` accepts.
    """

    env_id: str = Field('hebb_controller/AntBullet-v0', description='registered Gymnasium id')
    morphology: str = Field('whole', description='body variant, e.g. damaged_left_front')
    max_episode_steps: int = Field(1000, ge=1, description='control steps per episode')
    control_step: Optional[float] = Field(
        None, gt=0, description='seconds per control step; None keeps the env default')
    obs_noise_std: float = Field(0.0, ge=0, description='Gaussian noise on observations')
    action_noise_std: float = Field(0.0, ge=0, description='Gaussian noise on actions')
    push_force: float = Field(0.0, ge=0, description='random push on the base, newtons')
    push_interval: int = Field(0, ge=0, description='control steps between pushes, 0: none')
    camera_width: int = Field(32, ge=1, description='head camera image width, pixels')
    camera_height: int = Field(32, ge=1, description='head camera image height, pixels')
    camera_every: int = Field(1, ge=1, description='render every k control steps')
    max_joint_velocity: Optional[float] = Field(
        None, gt=0, description='joint position targets move at most this fast, rad/s, as the '
                                "controller node's max_joint_velocity lets commands move on a "
                                'robot (position-controlled envs only); None: no limit')

    @model_validator(mode='after')
    def _rate_limit_needs_position_targets(self) -> 'EnvConfig':
        from hebb_controller.sim import ROBOT_ID, TARGET_ID
        if self.max_joint_velocity is not None and self.env_id not in (ROBOT_ID, TARGET_ID):
            raise ValueError(f'max_joint_velocity limits position targets; {self.env_id} takes '
                             'none (only the 12-joint robot envs do)')
        return self

    def env_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``gymnasium.make(self.env_id, **kwargs)``."""
        kwargs = self.model_dump(exclude={'env_id'})
        for optional in ('control_step', 'max_joint_velocity'):
            if kwargs[optional] is None:
                del kwargs[optional]
        return kwargs


class EvolutionConfig(StrictModel):
    """
    The paper's evolution strategy and how its fitness is evaluated.

    Defaults are the paper's (Najarro & Risi 2020, section "Evolution strategy");
    see :mod:`hebb_controller.evolution.es` for the update they parameterise.
    """

    genome: Literal['hebbian', 'static'] = Field(
        'hebbian', description='evolve Hebbian coefficients, or static weights (the baseline)')
    generations: int = Field(300, ge=1, description='generations to run')
    population: int = Field(200, ge=2, description='individuals per generation (even: pairs)')
    sigma: float = Field(0.1, gt=0, description='initial perturbation std')
    sigma_decay: float = Field(0.999, gt=0, le=1, description='sigma factor per generation')
    sigma_min: float = Field(0.01, ge=0, description='sigma decays only while above this')
    learning_rate: float = Field(0.2, gt=0, description='initial step size')
    learning_rate_decay: float = Field(0.995, gt=0, le=1, description='lr factor per generation')
    learning_rate_min: float = Field(0.001, ge=0, description='lr decays only while above this')
    l2_penalty: float = Field(0.01, ge=0, description='fitness minus this x mean(genome^2)')
    init_std: float = Field(1.0, gt=0, description='the genome starts normal(0, init_std)')
    init_from: Optional[str] = Field(
        None, description='coefficient file whose matching genes replace the normal start '
                          '(warm start; a relative path is tried from the package too)')
    episodes: int = Field(1, ge=1, description='episodes per individual and morphology')
    shared_episodes: bool = Field(
        False, description='every individual of a generation meets the same episodes (initial '
                           'weights, reset, target): common random numbers, for tasks whose '
                           'episodes differ much')
    morphologies: tuple[str, ...] = Field(
        ('whole', 'damaged_right_front'), min_length=1,
        description='fitness is averaged over these bodies')
    seed: int = Field(0, ge=0, description='every random stream of a run derives from it')
    workers: int = Field(2, ge=1, description='Ray rollout workers (actors)')
    batch_size: Optional[int] = Field(
        None, ge=1, description='individuals a worker steps side by side; None: its whole share')
    snapshot_every: int = Field(
        50, ge=0, description='keep the centre every N generations in snapshots/ (0: never), '
                              'to see how a run generalises as it trains')

    @field_validator('population')
    @classmethod
    def _even(cls, population: int) -> int:
        if population % 2:
            raise ValueError(f'must be even (antithetic pairs), got {population}')
        return population


class HebbConfig(StrictModel):
    """A whole config file. Sections other than ``network`` are optional."""

    network: NetworkConfig = NetworkConfig()
    env: EnvConfig = EnvConfig()
    es: EvolutionConfig = EvolutionConfig()


class ControllerParams(StrictModel):
    """
    The controller node's parameters (``config/controller.yaml``).

    Names and defaults here are the ones the node declares; empty lists and
    zero rates mean "take it from the coefficient file".
    """

    coefficients: str = Field(
        '', description='coefficient file; empty: the shipped file for the 12-joint robot')
    device: Device = Field('auto', description='torch device of the network; auto: CUDA if any')
    seed: int = Field(0, ge=0, description='seed of the random initial weights (reset adds 1)')
    control_rate: float = Field(
        0.0, ge=0, le=2000, description='ticks per second; 0: the rate the file was evolved at')
    trigger: Literal['timer', 'joint_states'] = Field(
        'timer', description='tick on a timer, or on every JointState message')
    command_type: Literal['position_array', 'trajectory'] = Field(
        'position_array',
        description='std_msgs/Float64MultiArray (forward_command_controller) or '
                    'trajectory_msgs/JointTrajectory')
    joint_names: list[str] = Field(
        [], description="command order (the ros2_control controller's joints); empty: the file's")
    joint_lower_limits: list[float] = Field(
        [], description="command lower limits, rad, in joint_names order; empty: the file's")
    joint_upper_limits: list[float] = Field(
        [], description="command upper limits, rad, in joint_names order; empty: the file's")
    max_joint_velocity: float = Field(
        6.0, gt=0, description='commands move at most this fast, rad/s (rate limit)')
    startup_ramp_time: float = Field(
        1.0, ge=0, description='seconds to ramp from the measured to the nominal pose at start')
    sensor_timeout: float = Field(
        0.1, gt=0, description='a sensor silent this long stops plasticity and holds the pose')
    fall_tilt: float = Field(
        0.8, gt=0, le=3.2, description='roll or pitch beyond this, rad, triggers the e-stop')
    max_weight_norm: float = Field(
        1e6, gt=0, description="a layer's weight norm beyond this resets the weights to random")
    ablation_fraction: float = Field(
        0.5, ge=0, le=1, description='fraction of the weights ~/ablate zeroes')
    plastic: bool = Field(True, description='run the Hebbian update every tick')
    status_period: float = Field(1.0, gt=0, description='seconds between ~/status messages')

    @model_validator(mode='after')
    def _limits(self) -> 'ControllerParams':
        for name in ('joint_lower_limits', 'joint_upper_limits'):
            values = getattr(self, name)
            if values and len(values) != len(self.joint_names):
                raise ValueError(f'{name} has {len(values)} entries; joint_names has '
                                 f'{len(self.joint_names)}')
        if bool(self.joint_lower_limits) != bool(self.joint_upper_limits):
            raise ValueError('set both joint_lower_limits and joint_upper_limits, or neither')
        inverted = [n for n, lo, hi in zip(self.joint_names, self.joint_lower_limits,
                                           self.joint_upper_limits) if lo > hi]
        if inverted:
            raise ValueError(f'joint_lower_limits exceed joint_upper_limits for {inverted}')
        return self


class SimParams(StrictModel):
    """The sim node's parameters (``config/sim.yaml``): which robot, how fast, which sensors."""

    config: str = Field('robot', description='training config whose env section is simulated')
    morphology: str = Field('', description="body variant; empty: the config's")
    seed: int = Field(0, ge=0, description='seed of the reset pose perturbation')
    real_time: bool = Field(
        True, description='pace physics to the wall clock; false: as fast as possible')
    publish_clock: bool = Field(False, description='publish /clock with the simulated time')
    lockstep: bool = Field(
        False, description='step only once a command answers the last state (or after a '
                           'second without one): deterministic with a controller that ticks '
                           'on joint_states')
    camera_rate: float = Field(
        10.0, ge=0, le=1000, description='head camera frames per second; 0: no camera')
    odom_frame: str = Field('odom', description='frame of the published odometry')
    base_frame: str = Field('base', description='frame of the robot body')


class TrainerParams(StrictModel):
    """The trainer node's parameters (``config/trainer.yaml``): a run of ``hebb train``."""

    config: str = Field('robot', description='training config name or path')
    run_dir: str = Field('', description='run directory; empty: runs/<config>-<time>')
    resume: bool = Field(False, description='continue the run in run_dir')
    ray_address: str = Field('', description='Ray cluster to join; empty: a local Ray')
    workers: int = Field(0, ge=0, le=4096, description="Ray workers; 0: the config's")
    seed: int = Field(-1, ge=-1, description="es.seed of a new run; -1: the config's")
    generations: int = Field(0, ge=0, description='es.generations (with resume: extends the '
                             "run); 0: the config's")


NODE_PARAMS: dict[str, type[StrictModel]] = {
    'controller': ControllerParams, 'sim': SimParams, 'trainer': TrainerParams}


def package_share() -> Path:
    """Where ``config/`` and ``launch/`` live: the source tree, else the ament share dir."""
    source_root = Path(__file__).resolve().parent.parent
    if (source_root / 'config').is_dir() and (source_root / 'package.xml').is_file():
        return source_root
    from ament_index_python.packages import get_package_share_directory
    return Path(get_package_share_directory(PACKAGE_NAME))


def config_path(name: str) -> Path:
    """Resolve a config by file path, or by bare name (``ant`` -> ``config/ant.yaml``)."""
    path = Path(name)
    if path.suffix in ('.yaml', '.yml') and path.exists():
        return path
    candidate = package_share() / 'config' / (path.name if path.suffix else f'{name}.yaml')
    if candidate.exists():
        return candidate
    raise ConfigError(f'config {name!r} not found (looked at {path} and {candidate})')


def _format_errors(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        where = '.'.join(str(p) for p in e['loc']) or '(top level)'
        lines.append(f'  {where}: {e["msg"]}')
    return '\n'.join(lines)


def validate_config(data: Any, source: str = '<dict>') -> HebbConfig:
    """Validate an already parsed mapping; raises ConfigError naming every bad key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f'{source}: expected a mapping at the top level, got '
                          f'{type(data).__name__}')
    try:
        return HebbConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f'{source}: invalid configuration\n{_format_errors(err)}') from None


def _merged(base: dict, override: dict) -> dict:
    """``override`` on top of ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _resolved_yaml(path: Path, chain: tuple[Path, ...] = ()) -> Any:
    """
    Read the file's mapping and merge the config its ``base:`` names underneath.

    A baseline or a variant states only what differs from the run it is
    compared with (``base: ant``, then ``es: {genome: static}``), so the two
    cannot drift apart. ``base`` is a bare name or a path (relative to the file).
    """
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f'{path}: not valid YAML: {err}') from None
    if not isinstance(data, dict) or 'base' not in data:
        return data
    data = dict(data)
    base = data.pop('base')
    if not isinstance(base, str):
        raise ConfigError(f'{path}: base: expected a config name or path, got {base!r}')
    nearby = path.parent / base
    if nearby.suffix in ('.yaml', '.yml') and nearby.exists():
        base_path = nearby
    else:
        base_path = config_path(base)
    chain = chain + (path.resolve(),)
    if base_path.resolve() in chain:
        raise ConfigError(f'{path}: base: {base!r} leads back to itself')
    parent = _resolved_yaml(base_path, chain)
    if not isinstance(parent, dict):
        raise ConfigError(f'{base_path}: expected a mapping at the top level (the base of {path})')
    return _merged(parent, data)


def load_config(name: Union[str, Path]) -> HebbConfig:
    """Load and validate a YAML config by path or bare name, its ``base:`` merged in."""
    path = config_path(str(name))
    return validate_config(_resolved_yaml(path), str(path))


def _node_section(node: str, path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f'{path}: cannot read parameters: {err}') from None
    try:
        values = data[node]['ros__parameters']
    except (KeyError, TypeError):
        raise ConfigError(f'{path}: expected "{node}: ros__parameters: {{...}}"') from None
    return values or {}


def load_node_params(node: str, path: Optional[Union[str, Path]] = None) -> StrictModel:
    """
    Load a node's parameters from a ROS 2 parameter file, validated.

    The file is the one launch files hand to the node (``node: ros__parameters:
    {...}``); by default ``config/<node>.yaml``. Keys the file leaves out keep
    the model's defaults.
    """
    if node not in NODE_PARAMS:
        raise ConfigError(f'no parameters are defined for node {node!r}; known: '
                          f'{", ".join(NODE_PARAMS)}')
    path = Path(path) if path is not None else package_share() / 'config' / f'{node}.yaml'
    return validate_node_params(node, _node_section(node, path), str(path))


def node_param_overrides(node: str, path: Union[str, Path]) -> dict[str, Any]:
    """Return only the values a parameter file sets for ``node``, validated (a layered file)."""
    values = _node_section(node, Path(path))
    params = validate_node_params(node, values, str(path))
    return {key: getattr(params, key) for key in values}


def validate_node_params(node: str, values: dict[str, Any], source: str = '<dict>'
                         ) -> StrictModel:
    """Validate a node's parameter values; ConfigError names every bad key."""
    try:
        return NODE_PARAMS[node].model_validate(values)
    except ValidationError as err:
        raise ConfigError(f'{source}: invalid {node} parameters\n{_format_errors(err)}') from None
