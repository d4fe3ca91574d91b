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
``hebb eval COEFFS``: fitness of a coefficient file over fresh episodes, mean and std.

Every episode starts from new random weights; episode e uses the seed
``derive_seed(seed, EVAL_STREAM, e)`` for the env and the weights, so the
numbers are reproducible and independent of training's streams. All episodes
run side by side, one env each.

``--unevolved K`` asks what evolution added: K genomes drawn as the ES draws
its starting point (normal(0, ``es.init_std``) of the file's run, in the
file's shapes) each live the same episodes in place of the file's.
``--still`` asks what the controller adds at all: the same episodes with
every action zero (the 12-joint robot holds its nominal pose, the ant's
motors go limp), the network left out.
``--action-spread STEP`` says how the network moves the body: per joint, the
mean |action| and the standard deviation of the action over each lifetime's
steps from STEP on (averaged over the lifetimes that last that long). A
network that holds a fixed pose shows a spread near 0; a gait, a large one.
``--path`` says where the body went: fitness counts progress along +x
only, so a lifetime that scores nothing may have stood still or walked
another way; this prints how far each travelled over the ground, how far
from its start it ended and in which direction (quartiles over lifetimes).
"""

import argparse
from typing import Any, Optional, Sequence

from hebb_controller.config import ConfigError, EnvConfig, NetworkConfig
from hebb_controller.evolution.es import derive_seed, EVAL_STREAM, UNEVOLVED_STREAM
from hebb_controller.evolution.rollout import (EpisodeResult, genome_of, GenomeSpec,
                                               input_normalization, make_batch, Policy,
                                               run_episodes, StepHook)
from hebb_controller.plasticity import coefficient_file, HebbianNetwork
from hebb_controller.plasticity.coefficient_file import CoefficientFile
from hebb_controller.sim import CAR_RACING_ID
import numpy as np
from pydantic import ValidationError
import torch


def policy_for(loaded: CoefficientFile, population: int,
               genome: Optional[torch.Tensor] = None) -> Policy:
    """Build a batch of ``population`` copies of the file's network (CPU), or of ``genome``."""
    spec = loaded.metadata.network
    network = NetworkConfig(layer_sizes=spec.layer_sizes, rule=spec.rule or 'ABCD_lr',
                            output_activation=spec.output_activation,
                            init_range=spec.init_range, weight_norm=spec.weight_norm,
                            weight_clip=spec.weight_clip, device='cpu')
    car = loaded.metadata.env_id == CAR_RACING_ID
    policy = Policy(GenomeSpec(spec.kind, network, loaded.metadata.conv, car), population,
                    input_normalization(loaded.metadata.layout))
    if genome is None:
        genome = genome_of(loaded.network_layers(), loaded.conv_layers(), spec.kind == 'static')
    policy.set_genomes(genome.expand(population, -1))
    return policy


class HoldStill:
    """A policy's interface with every action zero: the body with its controller left out."""

    def __init__(self, population: int, n_actions: int) -> None:
        self.width = population
        self._zeros = np.zeros((population, n_actions), dtype=np.float32)

    def reset(self, seeds: Sequence[int]) -> None:
        """Nothing to start: no weights."""

    def act(self, obs: Any) -> np.ndarray:
        """Zero actions, whatever the observation."""
        return self._zeros

    def narrow(self, rows: Sequence[int]) -> None:
        """Nothing to narrow: zeros cost nothing."""


class FrozenFrom:
    """
    A Hebbian policy whose every lifetime starts from given weights, plasticity off.

    ``weights``: per layer ``[k, n_in, n_out]``, row i for individual i (as
    ``HebbianNetwork.weights`` gives them), so each lifetime keeps its own.
    """

    def __init__(self, policy: Policy, weights: Sequence[torch.Tensor]) -> None:
        if not isinstance(policy.network, HebbianNetwork):
            raise ValueError('only a Hebbian network has weights to start from')
        self._policy = policy
        self._weights = list(weights)

    @property
    def width(self) -> int:
        """Individuals the wrapped policy computes now."""
        return self._policy.width

    def _freeze(self) -> None:
        self._policy.network.plastic = False

    def reset(self, seeds: Sequence[int]) -> None:
        """Start each lifetime from its given weights instead of random ones."""
        self._policy.reset(seeds)
        self._policy.network.set_weights(self._weights)
        self._freeze()

    def act(self, obs: Any) -> np.ndarray:
        """Return the wrapped policy's actions; its weights never move."""
        return self._policy.act(obs)

    def narrow(self, rows: Sequence[int]) -> None:
        """Narrow the wrapped policy; its smaller network stays frozen."""
        self._policy.narrow(rows)
        self._freeze()


class RecordActions:
    """A policy that keeps every action it hands the envs, one ``[k, n_act]`` array a step."""

    def __init__(self, policy: Any) -> None:
        self._policy = policy
        self.actions: list[np.ndarray] = []

    @property
    def width(self) -> int:
        """Individuals the wrapped policy computes now."""
        return self._policy.width

    def reset(self, seeds: Sequence[int]) -> None:
        """Start new lifetimes and forget the old actions."""
        self.actions.clear()
        self._policy.reset(seeds)

    def act(self, obs: Any) -> np.ndarray:
        """Return the wrapped policy's actions, and keep them."""
        actions = self._policy.act(obs)
        self.actions.append(np.array(actions))
        return actions

    def narrow(self, rows: Sequence[int]) -> None:
        """Narrow the wrapped policy: it still hands a row (zeros) per individual."""
        self._policy.narrow(rows)


class RecordPath:
    """Step hook: every lifetime's body position in the ground plane after each step."""

    def __init__(self) -> None:
        self.xy: list[list[tuple[float, float]]] = []

    def __call__(self, t: int, policy: Any, infos: list) -> None:
        if 'y_position' not in infos[0]:
            raise ConfigError('--path needs an env that reports where its body is '
                              '(the walking envs do; CarRacing does not)')
        self.xy.append([(info['x_position'], info['y_position']) for info in infos])


def path_lines(xy: np.ndarray) -> list[str]:
    """
    ``--path``'s lines from positions ``[steps, lifetimes, 2]``: how far, how far off, which way.

    Fitness counts progress along +x only; these say whether a lifetime that
    scores nothing stood still or went somewhere else.
    """
    xy = np.asarray(xy, dtype=np.float64)
    travelled = np.linalg.norm(np.diff(xy, axis=0), axis=2).sum(axis=0)
    net = xy[-1] - xy[0]
    reach = np.linalg.norm(net, axis=1)
    heading = np.degrees(np.arctan2(net[:, 1], net[:, 0]))

    def spread(values: np.ndarray, unit: str, digits: int) -> str:
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        return f'{median:.{digits}f}{unit} median ({q1:.{digits}f} to {q3:.{digits}f})'
    return [f'path from the first step on, over {xy.shape[1]} lifetimes (quartiles):',
            f'  travelled {spread(travelled, " m", 2)}',
            f'  ended     {spread(reach, " m", 2)} from where it began',
            f'  heading   {spread(heading, " deg", 0)}, 0 along +x, 90 along +y']


def action_spread(actions: np.ndarray, steps: np.ndarray,
                  start: int) -> tuple[np.ndarray, np.ndarray, int]:
    """
    Per joint, mean |a| and std of a over steps ``start`` on, averaged over lifetimes.

    ``actions`` is ``[T, episodes, n_act]``, ``steps`` each lifetime's length;
    only lifetimes with at least two steps from ``start`` on count. Returns
    the two ``[n_act]`` arrays and the number of lifetimes counted.
    """
    kept = [e for e in range(actions.shape[1]) if steps[e] - start >= 2]
    if not kept:
        raise ConfigError(f'no lifetime lasted two steps past step {start} '
                          f'(the longest: {int(steps.max())} steps)')
    spans = [actions[start:steps[e], e] for e in kept]
    mean_abs = np.mean([np.abs(a).mean(axis=0) for a in spans], axis=0)
    spread = np.mean([a.std(axis=0) for a in spans], axis=0)
    return mean_abs, spread, len(kept)


def training_env(loaded: CoefficientFile, env_id: Optional[str] = None,
                 max_steps: Optional[int] = None,
                 max_joint_velocity: Optional[float] = None) -> EnvConfig:
    """
    Return the env the file was evolved in (its camera, noise, ...), or ``env_id``.

    ``max_joint_velocity``: move the position targets at most this fast, as
    the controller node moves its commands, whatever the file was evolved
    under (a config error for an env of torques).
    """
    settings = dict(loaded.metadata.env_settings)
    if max_steps:
        settings['max_episode_steps'] = max_steps
    if max_joint_velocity is not None:
        settings['max_joint_velocity'] = max_joint_velocity
    env_id = env_id or loaded.metadata.env_id
    try:
        return EnvConfig(env_id=env_id, **settings)
    except ValidationError as err:
        raise ConfigError(f'the env {env_id} with these settings: '
                          f'{err.errors()[0]["msg"].removeprefix("Value error, ")}') from None


def evaluate_file(loaded: CoefficientFile, morphology: str, episodes: int, seed: int = 0,
                  env_id: Optional[str] = None, max_steps: Optional[int] = None,
                  on_step: Optional[StepHook] = None,
                  env_overrides: Optional[dict[str, Any]] = None,
                  genome: Optional[torch.Tensor] = None, still: bool = False,
                  max_joint_velocity: Optional[float] = None,
                  record_actions: bool = False,
                  start_weights: Optional[Sequence[torch.Tensor]] = None) -> EpisodeResult:
    """
    Run ``episodes`` lifetimes of the file's rules on ``morphology``, in its training env.

    ``env_overrides``: extra keywords for the env (an experiment's control);
    ``max_joint_velocity``: the node's command rate limit instead of the file's
    (:func:`training_env`);
    ``genome``: run these genes in the file's network instead of its own;
    ``still``: zero actions instead of the network (:class:`HoldStill`);
    ``record_actions``: keep every step's actions in the result's ``actions``;
    ``start_weights``: every lifetime on these weights, frozen (:class:`FrozenFrom`).
    """
    torch.set_num_threads(1)
    env_config = training_env(loaded, env_id, max_steps, max_joint_velocity)
    seeds = [derive_seed(seed, EVAL_STREAM, e) for e in range(episodes)]
    policy = (HoldStill(episodes, len(loaded.metadata.layout.action_names)) if still
              else policy_for(loaded, episodes, genome))
    if start_weights is not None:
        policy = FrozenFrom(policy, start_weights)
    recorder = RecordActions(policy) if record_actions else None
    with make_batch(env_config, morphology, episodes, **(env_overrides or {})) as batch:
        result = run_episodes(recorder or policy, batch, seeds, on_step)
    if recorder is not None:
        result.actions = np.stack(recorder.actions)
    return result


def unevolved_genomes(loaded: CoefficientFile, count: int, seed: int) -> torch.Tensor:
    """
    Draw ``count`` genomes ``[count, G]`` as the file's ES drew its start.

    normal(0, ``es.init_std``) of the run recorded in the file (1, the
    paper's, when the file does not say), from a stream of its own.
    """
    es = loaded.metadata.provenance.get('config', {}).get('es', {})
    size = genome_of(loaded.network_layers(), loaded.conv_layers(),
                     loaded.metadata.network.kind == 'static').numel()
    generator = torch.Generator().manual_seed(derive_seed(seed, UNEVOLVED_STREAM))
    return torch.randn(count, size, generator=generator) * float(es.get('init_std', 1.0))


def add_rate_limit_argument(parser: argparse.ArgumentParser) -> None:
    """``--max-joint-velocity``: run the file as the controller node will, under its limit."""
    parser.add_argument('--max-joint-velocity', type=float, metavar='RAD_PER_S',
                        help="move the robot's position targets at most this fast, as the "
                             "controller node's max_joint_velocity does (default: as the file "
                             'was evolved)')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb eval', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('coefficients', metavar='COEFFS', help='coefficient file')
    parser.add_argument('--env', help="env id (default: the file's)")
    parser.add_argument('--morphology', default='whole')
    parser.add_argument('--episodes', type=int, default=10)
    parser.add_argument('--max-steps', type=int, help='control steps per episode')
    parser.add_argument('--seed', type=int, default=0)
    add_rate_limit_argument(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument('--unevolved', type=int, metavar='K',
                      help="run K genomes drawn as the ES starts, in the file's place")
    what.add_argument('--still', action='store_true',
                      help='zero actions instead of the network: the body left to itself')
    parser.add_argument('--action-spread', type=int, metavar='STEP',
                        help='also print, per joint, mean |action| and its std over each '
                             'lifetime from STEP on')
    parser.add_argument('--path', action='store_true',
                        help='also print how far each lifetime travelled over the ground, '
                             'how far from its start it ended, and in which direction')
    return parser


def summary(result: EpisodeResult) -> list[str]:
    """Fitness, distance (with its range) and falls (with the steps they ended at), as printed."""
    d, fell = result.distances, result.fell
    falls = f'fell     {int(fell.sum())} of {len(fell)}'
    if fell.any():
        at = result.steps[fell]
        falls += f', ended at steps {at.min()} to {at.max()} (median {np.median(at):g})'
    return [f'fitness  {result.returns.mean():.1f} +- {result.returns.std():.1f}',
            f'distance {d.mean():.2f} +- {d.std():.2f} m ({d.min():.2f} to {d.max():.2f})',
            falls]


def spread_lines(loaded: CoefficientFile, result: EpisodeResult, start: int) -> list[str]:
    """``--action-spread``'s table: one line per joint, as printed."""
    mean_abs, spread, counted = action_spread(result.actions, result.steps, start)
    names = loaded.metadata.layout.action_names
    width = max(len(n) for n in names)
    return [f'actions from step {start} on, {counted} lifetimes (std over steps, '
            'mean over lifetimes):',
            *(f'  {n:<{width}}  |a| {m:.3f}  std {s:.3f}'
              for n, m, s in zip(names, mean_abs, spread))]


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    loaded = coefficient_file.load(args.coefficients)
    heading = (f'{args.coefficients}: {loaded.metadata.network.kind}, {args.morphology}, '
               f'{args.episodes} episodes')
    if args.unevolved is not None and args.unevolved < 1:
        raise ConfigError('--unevolved K needs K >= 1 genomes')
    if args.unevolved is None:
        path = RecordPath() if args.path else None
        result = evaluate_file(loaded, args.morphology, args.episodes, args.seed, args.env,
                               args.max_steps, on_step=path, still=args.still,
                               max_joint_velocity=args.max_joint_velocity,
                               record_actions=args.action_spread is not None)
        if args.still:
            heading += ', every action zero'
        print('\n'.join([heading, *summary(result)]))
        if args.action_spread is not None:
            print('\n'.join(spread_lines(loaded, result, args.action_spread)))
        if path is not None:
            print('\n'.join(path_lines(np.array(path.xy))))
        return 0
    if args.action_spread is not None or args.path:
        raise ConfigError("--action-spread and --path read the file's own network, "
                          'not --unevolved')
    means, falls = [], []
    for k, genome in enumerate(unevolved_genomes(loaded, args.unevolved, args.seed)):
        result = evaluate_file(loaded, args.morphology, args.episodes, args.seed, args.env,
                               args.max_steps, genome=genome,
                               max_joint_velocity=args.max_joint_velocity)
        means.append(result.distances.mean())
        falls.append(int(result.fell.sum()))
        print(f'unevolved {k}: ' + '; '.join(summary(result)))
    means = np.array(means)
    print(f'{heading}, {args.unevolved} unevolved genomes in its place: mean distance per '
          f'genome {np.median(means):.2f} m median, {means.min():.2f} to {means.max():.2f}; '
          f'fell {sum(falls)} of {args.unevolved * args.episodes}')
    return 0
