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
Rollouts: k individuals, their networks batched on the population axis, k envs side by side.

One :class:`Policy` holds a network with ``population=k`` (and the pixel
front-end when the env sees images); :func:`run_episodes` steps k envs in
lock-step (``sim.vector.RolloutBatch``), each individual's episode ending on
its own, and sums the env's reward per individual. :class:`Evaluator` owns
the envs (built once, one per slot and morphology) and turns genomes into
fitness: the mean summed reward over ``episodes`` episodes on each training
morphology.

Every episode starts from new random weights, drawn per individual from the
seed ``derive_seed(run_seed, EPISODE_STREAM, generation, individual,
episode)``, exactly as ``HebbianNetwork.reset(seed)`` draws them for one
individual. So an individual's fitness depends on nothing but its genome and
those integers: not on which worker ran it nor what shared its batch. With
``es.shared_episodes`` the individual index is 0 for all: a generation's
individuals meet the same episodes (common random numbers).
"""

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Union

import gymnasium
from hebb_controller import sim
from hebb_controller.config import EnvConfig, HebbConfig, NetworkConfig
from hebb_controller.evolution.es import derive_seed, EPISODE_STREAM
from hebb_controller.plasticity.coefficient_file import ConvSpec, IOLayout
from hebb_controller.plasticity.conv import ConvFrontEnd
from hebb_controller.plasticity.genome import layer_shapes, layers_to_genome
from hebb_controller.plasticity.network import HebbianNetwork, StaticNetwork
from hebb_controller.sim import CAR_RACING_ID, TARGET_ID
from hebb_controller.sim.vector import Observations, RolloutBatch
import numpy as np
import torch

Network = Union[HebbianNetwork, StaticNetwork]
# Called after every lock-step: (scored step index, policy, per-env info dicts).
StepHook = Callable[[int, 'Policy', list], None]


def make_env(env: EnvConfig) -> gymnasium.Env:
    """Make one env of the config (for its spaces, names and raw physics)."""
    return sim.make_env(env.env_id, **env.env_kwargs())


def conv_spec(env: EnvConfig) -> Optional[ConvSpec]:
    """
    Return the conv front-end an env's images need, or None for a proprioceptive env.

    CarRacing gives the paper's 84x84 frames; the seeing robot its head camera
    at the configured size, whose features precede the proprioceptive inputs.
    """
    if env.env_id == CAR_RACING_ID:
        return ConvSpec()
    if env.env_id == TARGET_ID:
        return ConvSpec(image_size=(env.camera_height, env.camera_width))
    return None


def initial_weights(layer_sizes: Sequence[int], init_range: float,
                    seeds: Sequence[int]) -> list[torch.Tensor]:
    """Per-individual uniform [-r, r] weights, as ``reset(seed)`` draws them for P=1."""
    per_individual = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(int(seed))
        per_individual.append([torch.rand((1, n_in, n_out), generator=generator)
                               * (2 * init_range) - init_range
                               for n_in, n_out in layer_shapes(layer_sizes)])
    return [torch.cat(layer) for layer in zip(*per_individual)]


@dataclass(frozen=True)
class GenomeSpec:
    """
    What a flat genome holds: network genes first, then conv filters (pixel tasks).

    ``car_actions``: the outputs are the paper's car controls (steer tanh, gas
    and brake sigmoid of the raw last layer) rather than the env's actions.
    """

    kind: str
    network: NetworkConfig
    conv: Optional[ConvSpec]
    car_actions: bool = False

    @classmethod
    def from_config(cls, config: HebbConfig) -> 'GenomeSpec':
        return cls(config.es.genome, config.network, conv_spec(config.env),
                   config.env.env_id == CAR_RACING_ID)

    def build(self, population: int) -> tuple[Network, Optional[ConvFrontEnd]]:
        """Build the network (and front-end) for a batch of ``population`` individuals."""
        if self.kind == 'static':
            net = StaticNetwork.from_config(self.network, population)
        else:
            net = HebbianNetwork.from_config(self.network, population, seed=0)
        conv = None
        if self.conv is not None:
            c = self.conv
            conv = ConvFrontEnd(population, c.in_channels, c.image_size, c.channels,
                                c.kernel_sizes, c.strides, c.pool, self.network.device, seed=0)
        return net, conv

    @property
    def network_genes(self) -> int:
        net, _ = self.build(1)
        return net.genome_size

    @property
    def size(self) -> int:
        net, conv = self.build(1)
        return net.genome_size + (conv.genome_size if conv is not None else 0)


# The network's input normalisation: it sees (observation - offset) * scale.
InputNormalization = tuple[np.ndarray, np.ndarray]


def input_normalization(source: Union[gymnasium.Env, IOLayout]
                        ) -> Optional[InputNormalization]:
    """Return the ``observation_offset/scale`` of an env or a layout; None if it has none."""
    base = source.unwrapped if isinstance(source, gymnasium.Env) else source
    if getattr(base, 'observation_scale', None) is None:
        return None
    return (np.asarray(base.observation_offset, dtype=np.float32),
            np.asarray(base.observation_scale, dtype=np.float32))


class Policy:
    """
    A batch of k individuals: input normalisation, network, optional front-end, actions.

    ``narrow(rows)`` lets the rest of a lifetime run on a smaller network that
    carries the given rows' genomes and weights, so finished episodes stop
    costing network time; the next ``reset`` goes back to all k.
    """

    def __init__(self, spec: GenomeSpec, population: int,
                 normalization: Optional[InputNormalization] = None) -> None:
        self.spec = spec
        self.population = population
        self._full = spec.build(population)
        self.network, self.conv = self._full
        self.normalization = normalization
        self._genomes: Optional[torch.Tensor] = None
        self._rows: Optional[np.ndarray] = None   # batch rows the network serves; None: all

    @property
    def width(self) -> int:
        """Individuals the network computes now (``population`` until narrowed)."""
        return self.population if self._rows is None else len(self._rows)

    def _widen(self) -> None:
        self.network, self.conv = self._full
        self._rows = None

    def set_genomes(self, genomes: torch.Tensor) -> None:
        """Load genomes ``[k, G]``: network genes, then conv filters."""
        self._widen()
        self._genomes = genomes
        self._load(self._full, genomes)

    def _load(self, parts: tuple[Network, Optional[ConvFrontEnd]],
              genomes: torch.Tensor) -> None:
        network, conv = parts
        n = network.genome_size
        network.set_genome(genomes[:, :n])
        if conv is not None:
            conv.set_genome(genomes[:, n:])

    def reset(self, seeds: Sequence[int]) -> None:
        """Start a lifetime of all k: new random weights per individual (Hebbian only)."""
        self._widen()
        if isinstance(self.network, HebbianNetwork):
            net = self.network
            net.set_weights(initial_weights(net.layer_sizes, net.init_range, seeds))

    def narrow(self, rows: Sequence[int]) -> None:
        """
        Compute only batch ``rows`` (a subset of those computed now) from here on.

        Their weights move, pending update applied, to a network of
        ``len(rows)`` individuals: a row's outputs stay what they would have
        been, since each individual's arithmetic is its own. Other rows' actions
        become 0.
        """
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        current = np.arange(self.population) if self._rows is None else self._rows
        if rows.size == 0 or not np.isin(rows, current).all():
            raise ValueError('narrow() takes rows the policy computes now, at least one')
        where = np.searchsorted(current, rows)
        weights = (self.network.weights if isinstance(self.network, HebbianNetwork) else None)
        parts = self.spec.build(len(rows))
        self._load(parts, self._genomes[torch.as_tensor(rows)])
        if weights is not None:
            index = torch.as_tensor(where)
            parts[0].set_weights([w[index] for w in weights])
        self.network, self.conv = parts
        self._rows = rows

    def act(self, obs: Observations) -> np.ndarray:
        """
        Map observations ``[k, ...]`` to env actions ``[k, n_act]``, then learn.

        A dict observation (the seeing robot) is ``image`` for the front-end
        and ``proprio``; the network sees the image features, then the rest.
        """
        if self._rows is not None:
            obs = ({key: rows[self._rows] for key, rows in obs.items()}
                   if isinstance(obs, dict) else obs[self._rows])
        if isinstance(obs, dict):
            images, proprio = obs['image'], obs['proprio']
        elif self.conv is not None:
            images, proprio = obs, None
        else:
            images, proprio = None, obs
        if proprio is not None and self.normalization is not None:
            offset, scale = self.normalization
            proprio = (proprio - offset) * scale
        if images is None and not self.spec.car_actions:
            # vector observations (the quadrupeds): numpy in and out, no torch call a step
            actions = self.network.act(np.asarray(proprio, dtype=np.float32))
        else:
            parts = [] if images is None else [self.conv.forward(images)]
            if proprio is not None:
                parts.append(torch.as_tensor(proprio, dtype=torch.float32))
            out = self.network.forward(parts[0] if len(parts) == 1 else torch.cat(parts, dim=1))
            if self.spec.car_actions:  # steer tanh, gas and brake sigmoid of the raw layer
                out = torch.cat([torch.tanh(out[:, :1]), torch.sigmoid(out[:, 1:])], dim=1)
            actions = out.numpy().astype(np.float32)
        if isinstance(self.network, HebbianNetwork):
            self.network.update()
        if self._rows is None:
            return actions
        full = np.zeros((self.population, actions.shape[1]), dtype=np.float32)
        full[self._rows] = actions
        return full


@dataclass
class EpisodeResult:
    """
    Per individual: summed reward, distance walked (if the env reports it), steps, last info.

    ``terminated``: the episode ended in a terminal state (for the walking
    envs, a fall), not at the time limit or the early-stop rule.
    """

    returns: np.ndarray
    distances: np.ndarray
    steps: np.ndarray
    infos: list[dict]
    terminated: np.ndarray
    actions: Optional[np.ndarray] = None   # [steps, individuals, n_act], when recorded

    @property
    def fell(self) -> np.ndarray:
        """Episodes that ended in a fall: terminal, and not by reaching a target."""
        return np.array([sim.ended_in_fall(t, info)
                         for t, info in zip(self.terminated, self.infos)], dtype=bool)


def make_batch(env: EnvConfig, morphology: str, size: int, **extra: Any) -> RolloutBatch:
    """Make ``size`` envs of the config with the given body (and ``extra`` env keywords)."""
    kwargs = {**env.env_kwargs(), **extra}
    kwargs['morphology'] = morphology
    return RolloutBatch(env.env_id, size, **kwargs)


def run_episodes(policy: Policy, batch: RolloutBatch, seeds: Sequence[int],
                 on_step: Optional[StepHook] = None) -> EpisodeResult:
    """
    Run one episode per env of ``batch`` in lock-step; individual i drives env i.

    ``seeds[i]`` seeds both env i's reset and individual i's initial weights.
    A finished env is no longer stepped (:class:`RolloutBatch`). Without a
    hook, the policy narrows to the live rows whenever they are at most half
    of those it computes (episodes of a population end at very different
    times); a hook sees every row of the network for the whole episode.
    """
    policy.reset(seeds)
    obs = batch.reset(list(seeds))
    t = 0
    while not batch.done:
        obs, _, live = batch.step(policy.act(obs))
        if on_step is not None:
            on_step(t, policy, batch.infos)
        elif 0 < 2 * live.sum() <= policy.width:
            policy.narrow(np.flatnonzero(live))
        t += 1
    distances = np.array([info.get('distance_walked', 0.0) for info in batch.infos])
    return EpisodeResult(batch.returns.copy(), distances, batch.lengths.copy(),
                         [dict(info) for info in batch.infos], batch.terminated.copy())


class Evaluator:
    """Turn genomes into fitness with envs built once (``slots`` per morphology)."""

    def __init__(self, config: HebbConfig, slots: int,
                 morphologies: Optional[Sequence[str]] = None) -> None:
        torch.set_num_threads(1)
        self.config = config
        self.spec = GenomeSpec.from_config(config)
        self.slots = int(slots)
        self.morphologies = tuple(morphologies or config.es.morphologies)
        self._batches: dict[tuple[str, int], RolloutBatch] = {}
        self._policies: dict[int, Policy] = {}
        for morphology in self.morphologies:
            self.batch(morphology, self.slots)
        self.normalization = input_normalization(
            self.batch(self.morphologies[0], self.slots).envs[0])

    def batch(self, morphology: str, size: int) -> RolloutBatch:
        """Envs for a chunk of ``size`` individuals (a short last chunk gets its own)."""
        if (morphology, size) not in self._batches:
            self._batches[morphology, size] = make_batch(self.config.env, morphology, size)
        return self._batches[morphology, size]

    def policy(self, k: int) -> Policy:
        if k not in self._policies:
            self._policies[k] = Policy(self.spec, k, self.normalization)
        return self._policies[k]

    def evaluate(self, genomes: torch.Tensor,
                 episode_seeds: Sequence[Sequence[int]]) -> tuple[np.ndarray, int]:
        """
        Mean summed reward of each genome over its episodes on every morphology.

        ``episode_seeds[i]`` holds ``episodes * len(morphologies)`` seeds for
        genome i, morphology-major. Returns fitness ``[n]`` and env steps taken.
        """
        n = genomes.shape[0]
        per_morphology = self.config.es.episodes
        fitness, total_steps = np.zeros(n), 0
        for start in range(0, n, self.slots):
            rows = list(range(start, min(start + self.slots, n)))
            policy = self.policy(len(rows))
            policy.set_genomes(genomes[rows])
            for m, morphology in enumerate(self.morphologies):
                for e in range(per_morphology):
                    index = m * per_morphology + e
                    result = run_episodes(policy, self.batch(morphology, len(rows)),
                                          [episode_seeds[r][index] for r in rows])
                    fitness[rows] += result.returns
                    total_steps += int(result.steps.sum())
        return fitness / (per_morphology * len(self.morphologies)), total_steps

    def close(self) -> None:
        for batch in self._batches.values():
            batch.close()


def episode_seeds(seed: int, generation: int, individuals: Sequence[int],
                  n_episodes: int) -> list[list[int]]:
    """Seeds of every episode of the given individuals in a generation."""
    return [[derive_seed(seed, EPISODE_STREAM, generation, i, e) for e in range(n_episodes)]
            for i in individuals]


def genome_of(layers: Sequence[torch.Tensor], conv_layers: Sequence[torch.Tensor] = (),
              static: bool = False) -> torch.Tensor:
    """Flat genome ``[G]`` from a coefficient file's tensors (inverse of the file's layout)."""
    blocks = [t.unsqueeze(0) for t in layers] if static else list(layers)
    genome = layers_to_genome([b.unsqueeze(0) for b in blocks])[0]
    return torch.cat([genome] + [w.reshape(-1) for w in conv_layers])
