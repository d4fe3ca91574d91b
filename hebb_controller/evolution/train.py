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
``hebb train CONFIG``: evolve Hebbian coefficients (or static weights) with the paper's ES.

Each generation: Ray workers evaluate the population (:mod:`distributed`),
the ES updates its centre (:mod:`es`), and the run directory gets a metrics
row, the coefficient files and a checkpoint. ``--resume RUN_DIR`` continues a
run killed at any point from its last good checkpoint; the random streams are
functions of (seed, generation, ...), so the continuation equals an
uninterrupted run and only the generation in flight is lost.

Run directory::

    config.yaml                  the resolved config (what --resume reads)
    metrics.csv                  one row per generation
    tensorboard/                 the same values as TensorBoard scalars
    checkpoint.safetensors       ES state; checkpoint.prev.safetensors before it
    best.safetensors             coefficient file: best individual so far
    centre.safetensors           coefficient file: the ES centre (the mean rules)
    snapshots/centre-NNNN.safetensors   the centre after generation NNNN, every
                                 ``es.snapshot_every`` generations
    .lock                        held while a process trains the run (its pid)
"""

import argparse
import collections
import contextlib
import csv
import datetime
import fcntl
import io
import math
import os
from pathlib import Path
import socket
import sys
import time
from typing import Any, Callable, Iterator, Optional

from hebb_controller.atomic_write import write_atomically
from hebb_controller.config import (ConfigError, HebbConfig, load_config, package_share,
                                    validate_config)
from hebb_controller.evolution.checkpoint import LATEST, load_latest, PREVIOUS, save_checkpoint
from hebb_controller.evolution.distributed import RayEvaluator
from hebb_controller.evolution.es import EvolutionStrategy, perturbed
from hebb_controller.evolution.layout import save_genome, warm_start
from hebb_controller.evolution.rollout import GenomeSpec
from hebb_controller.plasticity import coefficient_file
import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm
import yaml

CONFIG_FILE = 'config.yaml'
METRICS_FILE = 'metrics.csv'
TENSORBOARD_DIR = 'tensorboard'
BEST_FILE = 'best.safetensors'
CENTRE_FILE = 'centre.safetensors'
SNAPSHOT_DIR = 'snapshots'
LOCK_FILE = '.lock'
METRICS = ('generation', 'fitness_best', 'fitness_mean', 'fitness_std', 'fitness_worst',
           'penalised_mean', 'best_so_far', 'learning_rate', 'sigma', 'step_norm',
           'centre_rms', 'env_steps', 'seconds', 'env_steps_per_s')
# TensorBoard tags of the metrics (generation is the step), grouped by what they tell
SCALAR_TAGS = ({name: f'fitness/{name.removeprefix("fitness_")}' for name in METRICS[1:7]}
               | {name: f'es/{name}' for name in METRICS[7:11]}
               | {name: f'speed/{name}' for name in METRICS[11:]})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb train', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', nargs='?', help='config name or path (not with --resume)')
    parser.add_argument('--resume', metavar='RUN_DIR', help='continue this run')
    parser.add_argument('--run-dir', metavar='DIR', help='default: runs/<config>-<time>')
    parser.add_argument('--ray-address', metavar='ADDR', help='join this Ray cluster')
    parser.add_argument('--workers', type=int, help="override the config's es.workers")
    parser.add_argument('--seed', type=int,
                        help="override the config's es.seed (a new run; saved in its config)")
    parser.add_argument('--generations', type=int,
                        help='override es.generations; with --resume, extends a finished run')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar: one plain line per generation, for a log file')
    return parser


def log_line(row: dict, generations: int, seconds_left: Optional[float] = None) -> str:
    """Put a generation's metrics on one line: what a headless run's log needs to be followed."""
    line = (f"generation {row['generation'] + 1}/{generations}: best {row['fitness_best']:.1f}"
            f" mean {row['fitness_mean']:.1f} best so far {row['best_so_far']:.1f}"
            f" sigma {row['sigma']:.4f} {row['seconds']:.1f} s"
            f" {row['env_steps_per_s']:.0f} env steps/s")
    if seconds_left is not None:
        minutes = round(seconds_left / 60)
        line += f', about {minutes // 60}h{minutes % 60:02d} left'
    return line


def _read_metrics(path: Path, before: int) -> list[dict]:
    """Rows of a metrics file for generations before ``before`` (resume drops the rest)."""
    if not path.exists():
        return []
    with path.open(newline='') as f:
        return [row for row in csv.DictReader(f) if int(row['generation']) < before]


def _write_metrics(path: Path, rows: list[dict]) -> None:
    """
    Rewrite the metrics file whole (a resume drops the rows it redoes).

    Atomically: a kill in the middle would otherwise cost the run its history.
    """
    text = io.StringIO(newline='')
    writer = csv.DictWriter(text, fieldnames=METRICS)
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(path, text.getvalue().encode())


def _append_metrics(path: Path, row: dict) -> None:
    with path.open('a', newline='') as f:
        csv.DictWriter(f, fieldnames=METRICS).writerow(row)
        f.flush()


def _save_coefficients(path: Path, config: HebbConfig, genome: torch.Tensor,
                       fitness: Optional[float], what: str, generation: int) -> None:
    save_genome(path, config, genome, fitness, {
        'source': 'hebb train', 'individual': what, 'generation': generation,
        'config': config.model_dump(mode='json')})


def snapshot_path(run_dir: Path, generation: int) -> Path:
    """Where a run keeps its centre after ``generation`` (``es.snapshot_every``)."""
    return Path(run_dir) / SNAPSHOT_DIR / f'centre-{generation:04d}.safetensors'


def _find(path: str) -> Path:
    """Return ``path`` as given if it exists, else inside the package (``coefficients/...``)."""
    given = Path(path)
    return given if given.exists() or given.is_absolute() else package_share() / given


def _with_es(config: HebbConfig, source: str, **es: Any) -> HebbConfig:
    """``config`` with the given ``es`` keys replaced (those not None), validated again."""
    es = {key: value for key, value in es.items() if value is not None}
    if not es:
        return config
    data = config.model_dump(mode='json')
    data['es'].update(es)
    changed = ', '.join(f'es.{key}={value}' for key, value in es.items())
    return validate_config(data, f'{source} with {changed}')


def resolve_run(config: Optional[str], run_dir: Optional[str], resume: bool = False,
                seed: Optional[int] = None,
                generations: Optional[int] = None) -> tuple[HebbConfig, Path]:
    """
    Return the config and run directory of a new run, or of the run in ``run_dir`` to resume.

    A new run loads ``config`` (name or path) and, without ``run_dir``, gets
    ``runs/<config stem>-<time>``; a resumed run reads the config it saved.
    ``seed`` replaces a new run's ``es.seed`` (seeds of one experiment share
    a config file); ``generations`` replaces ``es.generations``, so a resumed
    run can go on past the end it had (``train`` saves the change in the run).
    A new run never starts in a directory that holds a checkpoint: it would
    overwrite the run there. Raises ConfigError saying what is missing or wrong.
    """
    if resume and seed is not None:
        raise ConfigError('a resumed run keeps the seed it started with; --seed starts a new run')
    if resume:
        if not run_dir:
            raise ConfigError('resuming needs run_dir, the run directory to continue')
        path = Path(run_dir) / CONFIG_FILE
        if not path.is_file():
            raise ConfigError(f'{run_dir} is not a run directory (no {CONFIG_FILE})')
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ConfigError(f'{path}: not valid YAML: {err}') from None
        return (_with_es(validate_config(data, str(path)), str(path), generations=generations),
                Path(run_dir))
    if not config:
        raise ConfigError('a config name or path is required')
    if run_dir and any((Path(run_dir) / name).exists() for name in (LATEST, PREVIOUS)):
        raise ConfigError(f'{run_dir} holds a run already; continue it with --resume {run_dir} '
                          '(resume: true for the trainer node) or start in another directory')
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    loaded = _with_es(load_config(config), str(config), seed=seed, generations=generations)
    return loaded, Path(run_dir or f'runs/{Path(config).stem}-{stamp}')


def train(config: HebbConfig, run_dir: Path, resume: bool = False,
          ray_address: Optional[str] = None, workers: Optional[int] = None,
          progress: bool = True, on_generation: Optional[Callable[[dict], None]] = None,
          should_stop: Optional[Callable[[], bool]] = None) -> Path:
    """
    Run (or continue) evolution into ``run_dir``; returns it.

    The hooks let a caller that is not a terminal (the ``trainer`` node) follow
    and end a run; both run in the calling thread, after a generation's
    checkpoint is on disk. ``on_generation(row)`` gets that generation's
    metrics row (the values written to metrics.csv) plus ``run_dir``; when
    ``should_stop()`` then returns True, training returns early, and
    ``resume=True`` later continues from the next generation as if never stopped.
    A resumed run goes on to ``config.es.generations``, which may differ from
    the run's saved config (an extended run): the run keeps the config it
    follows, so a later resume goes on to the same end. RunBusyError when
    another process is training the same run directory.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir):
        return _train(config, run_dir, resume, ray_address, workers, progress, on_generation,
                      should_stop)


class RunBusyError(RuntimeError):
    """Another process holds the run directory."""


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """
    Hold the run directory's lock file while training.

    Two trainers on one run (a ``--resume`` typed while the run still goes on)
    would interleave their checkpoints and metrics. The lock is an flock:
    the system drops it when its process dies, SIGKILL included, so a killed
    run resumes at once.
    """
    with open(Path(run_dir) / LOCK_FILE, 'a+') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise RunBusyError(f'{run_dir} is being trained by another process '
                               f'({lock.read().strip() or "unknown"}); wait for it or stop it '
                               'first') from None
        lock.seek(0)
        lock.truncate()
        lock.write(f'pid {os.getpid()} on {socket.gethostname()}\n')
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _train(config: HebbConfig, run_dir: Path, resume: bool, ray_address: Optional[str],
           workers: Optional[int], progress: bool,
           on_generation: Optional[Callable[[dict], None]],
           should_stop: Optional[Callable[[], bool]]) -> Path:
    spec = GenomeSpec.from_config(config)
    es = EvolutionStrategy.from_config(config.es, spec.size, spec.network_genes)
    best = {'fitness': -math.inf, 'generation': -1, 'genome': es.centre.clone()}
    env_steps_total = 0
    metrics_path = run_dir / METRICS_FILE
    if resume:
        state, tensors, used = load_latest(run_dir, warn=lambda msg: print(msg, file=sys.stderr))
        es.load_state(state['es'], tensors['centre'])
        best = {'fitness': state['best_fitness'], 'generation': state['best_generation'],
                'genome': tensors['best_genome']}
        env_steps_total = int(state['env_steps'])
        print(f'resuming {run_dir} at generation {es.generation} from {used.name}',
              file=sys.stderr)
        if not (run_dir / BEST_FILE).exists() and best['generation'] >= 0:
            # a run moved with its checkpoint alone: its best file comes back from it
            _save_coefficients(run_dir / BEST_FILE, config, best['genome'], best['fitness'],
                               'best individual', best['generation'])
    elif config.es.init_from:
        source = coefficient_file.load(_find(config.es.init_from))
        es.centre, copied = warm_start(config, es.centre, source)
        print(f'started {copied} of {spec.size} genes from {config.es.init_from}',
              file=sys.stderr)
    write_atomically(run_dir / CONFIG_FILE,
                     yaml.safe_dump(config.model_dump(mode='json'), sort_keys=False).encode())
    kept = _read_metrics(metrics_path, es.generation)
    _write_metrics(metrics_path, kept)

    # a resumed run hides the events of generations it will redo (those after the checkpoint)
    moved = resume and not (run_dir / TENSORBOARD_DIR).exists()
    writer = SummaryWriter(run_dir / TENSORBOARD_DIR, purge_step=es.generation if resume else None)
    if moved:   # a run moved without its events: they come back from metrics.csv
        for row in kept:
            for name, tag in SCALAR_TAGS.items():
                writer.add_scalar(tag, float(row[name]), int(row['generation']))
    evaluator = None
    bar = tqdm(total=config.es.generations, initial=es.generation, disable=not progress,
               unit='gen', dynamic_ncols=True)
    try:
        evaluator = RayEvaluator(config, workers, ray_address)
        while es.generation < config.es.generations:
            start = time.perf_counter()
            generation = es.generation
            fitness, steps = evaluator.evaluate(es.centre, es.sigma, generation)
            top = int(np.argmax(fitness))
            if fitness[top] > best['fitness']:
                best = {'fitness': float(fitness[top]), 'generation': generation,
                        'genome': perturbed(es.centre, es.sigma, es.seed, generation, [top])[0]}
                _save_coefficients(run_dir / BEST_FILE, config, best['genome'],
                                   best['fitness'], f'best individual ({top})', generation)
            stats = es.tell(fitness)
            _save_coefficients(run_dir / CENTRE_FILE, config, es.centre, None,
                               'centre', generation)
            every = config.es.snapshot_every
            if every and (generation + 1) % every == 0:
                (run_dir / SNAPSHOT_DIR).mkdir(exist_ok=True)
                _save_coefficients(snapshot_path(run_dir, generation), config, es.centre, None,
                                   'centre', generation)
            seconds = time.perf_counter() - start
            env_steps_total += steps
            row = {'generation': generation, 'fitness_best': fitness.max(),
                   'fitness_mean': fitness.mean(), 'fitness_std': fitness.std(),
                   'fitness_worst': fitness.min(), 'penalised_mean': stats.penalised.mean(),
                   'best_so_far': best['fitness'], 'learning_rate': stats.learning_rate,
                   'sigma': stats.sigma, 'step_norm': stats.step_norm,
                   'centre_rms': float(es.centre.square().mean().sqrt()), 'env_steps': steps,
                   'seconds': round(seconds, 3), 'env_steps_per_s': round(steps / seconds, 1)}
            row = {k: row[k] for k in METRICS}
            _append_metrics(metrics_path, row)
            for name, tag in SCALAR_TAGS.items():
                writer.add_scalar(tag, row[name], generation)
            writer.flush()
            save_checkpoint(run_dir, {
                'es': es.state(), 'best_fitness': best['fitness'],
                'best_generation': best['generation'], 'env_steps': env_steps_total,
            }, {'centre': es.centre, 'best_genome': best['genome']})
            bar.set_postfix(best=f'{fitness.max():.1f}', mean=f'{fitness.mean():.1f}',
                            steps_s=f'{steps / seconds:.0f}')
            bar.update(1)
            if on_generation is not None:
                on_generation({**row, 'run_dir': run_dir})
            if should_stop is not None and should_stop():
                break
    finally:
        bar.close()
        writer.close()
        if evaluator is not None:
            evaluator.close()
    return run_dir


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.resume and (args.config or args.run_dir):
        print('hebb train: --resume RUN_DIR names the run; give neither CONFIG nor --run-dir '
              'with it', file=sys.stderr)
        return 2
    if not args.resume and not args.config:
        build_parser().error('CONFIG or --resume RUN_DIR is required')
    # a ConfigError here is printed in one line by the hebb command (cli.py)
    config, run_dir = resolve_run(args.config, args.resume or args.run_dir,
                                  resume=bool(args.resume), seed=args.seed,
                                  generations=args.generations)

    recent: collections.deque = collections.deque(maxlen=10)

    def log(row: dict) -> None:
        recent.append(row['seconds'])
        left = config.es.generations - row['generation'] - 1
        print(log_line(row, config.es.generations, left * sum(recent) / len(recent)),
              flush=True)

    try:
        train(config, run_dir, resume=bool(args.resume), ray_address=args.ray_address,
              workers=args.workers, progress=not args.no_progress,
              on_generation=log if args.no_progress else None)
    except RunBusyError as err:
        print(f'hebb train: {err}', file=sys.stderr)
        return 1
    print(f'run directory: {run_dir}')
    return 0
