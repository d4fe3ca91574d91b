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
``hebb plot``: PNG figures (matplotlib, Agg backend).

``fitness RUN_DIR [RUN_DIR ...]``: best and mean fitness per generation from
``metrics.csv``; several runs share one figure (``--chain``: end to end,
when each went on from the one before).
``weights COEFFS``: one lifetime from random weights, a sample of synapses
over time (``weights.png``), and the whole weight vector's trajectory
projected on its first two principal components (``pca.png``, SVD of the
centred trajectory), and the cosine between each step's weight vector and
the last one's (``direction.png``): evolved rules converge to an attractor,
and weights that grow without bound (no normalisation) converge in direction.
``paths COEFFS``: the seeing robot's paths from above, each with its target
(``paths.png``).
``frames COEFFS``: a strip of side views of one lifetime (``frames.png``), for
envs that render one (the ant's and the 12-joint robot's ``side_view``).
``clip COEFFS``: the same side views as an animated GIF (``clip.gif``, Pillow),
for a README or a talk.
``generalisation RUN_DIR [RUN_DIR ...]``: the mean fitness of each run's
snapshots (its centre every ``es.snapshot_every`` generations) and of its
last centre on each morphology, seen in training or not: does the run learn
to walk on bodies it never meets? One panel per morphology, several runs
(Hebbian beside static) side by side (``generalisation.png``); the table is
printed and kept as ``generalisation.csv``.
"""

import argparse
import csv
import io
from pathlib import Path
from typing import List, Optional, Sequence, Union

from hebb_controller.atomic_write import write_atomically
from hebb_controller.evolution.es import derive_seed, EVAL_STREAM
from hebb_controller.evolution.evaluate import evaluate_file, policy_for, training_env
from hebb_controller.evolution.rollout import make_batch, run_episodes
from hebb_controller.evolution.train import CENTRE_FILE, SNAPSHOT_DIR
from hebb_controller.plasticity import coefficient_file
import matplotlib
import numpy as np
from PIL import Image, ImageDraw

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402,I100 (after choosing the backend)


def _save(fig: 'plt.Figure', path: Path, dpi: int = 120) -> Path:
    """Lay the figure out, write it as PNG, free it; return ``path``."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def chain_offsets(lengths: Sequence[int]) -> List[int]:
    """Where each run starts on one generation axis when each went on from the one before."""
    return [sum(lengths[:index]) for index in range(len(lengths))]


def plot_fitness(run_dirs: Union[Path, Sequence[Path]], out: Path, chain: bool = False) -> Path:
    """
    Plot fitness per generation; returns the PNG's path.

    One run: its best, mean and best so far. Several (Hebbian beside static):
    each run's mean (solid) and best (thin), labelled with its folder's name.
    ``chain``: each run went on from the one before's centre (``es.init_from``),
    so they are drawn end to end, a dashed line where each later one starts.
    """
    runs = [Path(run_dirs)] if isinstance(run_dirs, (str, Path)) else [Path(r) for r in run_dirs]
    tables = []
    for run in runs:
        with (run / 'metrics.csv').open() as f:
            tables.append(list(csv.DictReader(f)))
    offsets = chain_offsets([len(rows) for rows in tables]) if chain else [0] * len(runs)
    fig, ax = plt.subplots(figsize=(7, 4))
    for index, (run, rows, offset) in enumerate(zip(runs, tables, offsets)):
        generation = [offset + int(r['generation']) for r in rows]
        if chain and index:
            ax.axvline(offset - 0.5, color='grey', linestyle='--', linewidth=0.8)
        if len(runs) == 1:
            for key, label in (('fitness_best', 'best'), ('fitness_mean', 'mean'),
                               ('best_so_far', 'best so far')):
                ax.plot(generation, [float(r[key]) for r in rows], label=label)
            continue
        colour = f'C{index}'
        ax.plot(generation, [float(r['fitness_mean']) for r in rows], color=colour,
                label=f'{run.name} mean')
        ax.plot(generation, [float(r['fitness_best']) for r in rows], color=colour,
                linewidth=0.6, alpha=0.6, label=f'{run.name} best')
    ax.set_xlabel('generation')
    ax.set_ylabel('fitness (summed reward)')
    ax.legend()
    return _save(fig, Path(out) / 'fitness.png')


def weight_trajectory(coefficients: Path, morphology: str, seed: int,
                      max_steps: Optional[int]) -> np.ndarray:
    """Record all weights of one lifetime, ``[steps, n_synapses]``."""
    loaded = coefficient_file.load(coefficients)
    frames = []

    def on_step(t, policy, infos):
        frames.append(np.concatenate([w[0].reshape(-1).numpy()
                                      for w in policy.network.weights]))

    evaluate_file(loaded, morphology, 1, seed, max_steps=max_steps, on_step=on_step)
    return np.stack(frames)


def plot_weights(trajectory: np.ndarray, out: Path, sample: int = 40,
                 seed: int = 0) -> tuple[Path, Path]:
    """Plot a sample of synapses over time and the PCA of the whole trajectory."""
    chosen = np.random.default_rng(seed).choice(trajectory.shape[1], sample, replace=False)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(trajectory[:, chosen], linewidth=0.8)
    ax.set_xlabel('control step')
    ax.set_ylabel('weight')
    ax.set_title(f'{sample} random synapses over one lifetime')
    weights_png = _save(fig, Path(out) / 'weights.png')

    centred = trajectory - trajectory.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    pcs = u[:, :2] * s[:2]
    explained = s[:2] ** 2 / max((s ** 2).sum(), 1e-12)
    fig, ax = plt.subplots(figsize=(5, 5))
    points = ax.scatter(pcs[:, 0], pcs[:, 1], c=np.arange(len(pcs)), s=4, cmap='viridis')
    fig.colorbar(points, ax=ax, label='control step')
    ax.ticklabel_format(style='sci', scilimits=(-3, 4))   # unnormalised weights reach 1e5
    ax.set_xlabel(f'PC 1 ({explained[0]:.1%})')
    ax.set_ylabel(f'PC 2 ({explained[1]:.1%})')
    ax.set_title('weight trajectory, first two principal components')
    pca_png = _save(fig, Path(out) / 'pca.png')

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(cosine_to_last(trajectory))
    ax.set_xlabel('control step')
    ax.set_ylabel('cosine to the last weights')
    ax.set_title('direction of the weight vector over one lifetime')
    direction_png = _save(fig, Path(out) / 'direction.png')
    return weights_png, pca_png, direction_png


def cosine_to_last(trajectory: np.ndarray) -> np.ndarray:
    """Cosine between each step's weight vector and the last step's, ``[steps]``."""
    last = trajectory[-1]
    norms = np.linalg.norm(trajectory, axis=1) * np.linalg.norm(last)
    return trajectory @ last / np.maximum(norms, 1e-12)


class _LastShot(Exception):
    """Ends a lifetime once its last frame is taken."""


def side_views(coefficients: Path, morphology: str, seed: int, every: int, count: int,
               size: tuple[int, int] = (320, 240),
               max_steps: Optional[int] = None) -> list[tuple[int, float, np.ndarray]]:
    """
    Render (step, distance, image) every ``every`` control steps of one lifetime.

    The lifetime is ``hebb eval``'s first episode (the same seed), of the
    file's training length or ``max_steps``.
    """
    loaded = coefficient_file.load(coefficients)
    shots = []
    with make_batch(training_env(loaded, max_steps=max_steps), morphology, 1) as batch:
        env = batch.envs[0].unwrapped
        if not hasattr(env, 'side_view'):
            raise ValueError(f'{loaded.metadata.env_id} renders no side view')

        def on_step(t, policy, infos):
            if t % every == 0:
                shots.append((t + 1, infos[0].get('distance_walked', 0.0),
                              env.side_view(*size)))
                if len(shots) == count:
                    raise _LastShot

        try:
            run_episodes(policy_for(loaded, 1), batch, [derive_seed(seed, EVAL_STREAM, 0)],
                         on_step)
        except _LastShot:
            pass
    return shots


def plot_frames(shots: list[tuple[int, float, np.ndarray]], control_step: float,
                out: Path) -> Path:
    """Lay side views out in a row, each captioned with its time and distance."""
    fig, axes = plt.subplots(1, len(shots), figsize=(2.2 * len(shots), 2.0), squeeze=False)
    for ax, (step, distance, image) in zip(axes[0], shots):
        ax.imshow(image)
        ax.set_title(f't={step * control_step:.1f} s, x={distance:+.2f} m', fontsize=8)
        ax.axis('off')
    return _save(fig, Path(out) / 'frames.png', dpi=100)


def write_clip(shots: list[tuple[int, float, np.ndarray]], control_step: float, fps: float,
               out: Path) -> Path:
    """Write side views as a looping GIF, each frame captioned with its time and distance."""
    frames = []
    for step, distance, image in shots:
        frame = Image.fromarray(image)
        ImageDraw.Draw(frame).text((4, 4), f't={step * control_step:.1f} s  x={distance:+.2f} m',
                                   fill=(0, 0, 0))
        frames.append(frame.convert('P', palette=Image.Palette.ADAPTIVE))
    path = Path(out) / 'clip.gif'
    frames[0].save(path, save_all=True, append_images=frames[1:], loop=0,
                   duration=round(1000 / fps), optimize=True)
    return path


def plot_ablation(control: np.ndarray, ablated: np.ndarray, at: int, fraction: float,
                  out: str) -> Path:
    """Plot distance over steps ``[steps, episodes]`` with and without the ablation at ``at``."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for traces, colour, name in ((control, 'tab:blue', 'control'),
                                 (ablated, 'tab:red', f'{fraction:.0%} of weights zeroed')):
        steps = np.arange(1, len(traces) + 1)      # row i: the distance after step i + 1
        ax.plot(steps, traces, color=colour, linewidth=0.7, alpha=0.4)
        ax.plot(steps, np.nanmean(traces, axis=1), color=colour, linewidth=2, label=name)
    ax.axvline(at, color='black', linestyle='--', linewidth=1)
    ax.set_xlabel('control step')
    ax.set_ylabel('distance walked (m)')
    ax.set_title('ablation mid-episode: thin lines episodes, thick their mean')
    ax.legend()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, Path(out))


def target_paths(coefficients: Path, morphology: str, episodes: int, seed: int
                 ) -> list[tuple[np.ndarray, tuple[float, float], bool]]:
    """Record (path [steps, 2], target (x, y), reached) of each of ``episodes`` lifetimes."""
    loaded = coefficient_file.load(coefficients)
    paths: list[list[tuple[float, float]]] = [[] for _ in range(episodes)]

    def on_step(t, policy, infos):
        for path, info in zip(paths, infos):
            if 'position' not in info:
                raise ValueError(f'{loaded.metadata.env_id} reports no target')
            if not path or path[-1] != info['position']:   # a finished episode stays put
                path.append(info['position'])

    result = evaluate_file(loaded, morphology, episodes, seed, on_step=on_step)
    return [(np.array(path), info['target'], bool(info['reached']))
            for path, info in zip(paths, result.infos)]


def plot_paths(paths: list[tuple[np.ndarray, tuple[float, float], bool]], out: Path) -> Path:
    """Draw each path from above with its target: a filled marker when it was reached."""
    fig, ax = plt.subplots(figsize=(6, 5))
    colours = plt.cm.tab10(np.arange(len(paths)) % 10)
    for (path, target, reached), colour in zip(paths, colours):
        ax.plot(path[:, 0], path[:, 1], color=colour, linewidth=1.2)
        ax.scatter(*target, s=80, marker='o', edgecolors=colour,
                   facecolors=colour if reached else 'none', linewidths=1.5)
    ax.scatter([0], [0], marker='x', color='black', label='start')
    ax.set_aspect('equal')
    ax.set_xlabel('x (m), the robot faces +x at the start')
    ax.set_ylabel('y (m)')
    ax.set_title('paths and targets (filled: reached)')
    ax.legend(loc='upper left')
    return _save(fig, Path(out) / 'paths.png')


def run_centres(run_dir: Path) -> dict[int, coefficient_file.CoefficientFile]:
    """Load a run's snapshots and its last centre, keyed by the generation each follows."""
    paths = [*sorted((Path(run_dir) / SNAPSHOT_DIR).glob('centre-*.safetensors')),
             Path(run_dir) / CENTRE_FILE]
    files = {}
    for path in paths:
        if path.exists():
            loaded = coefficient_file.load(path)
            files[int(loaded.metadata.provenance['generation'])] = loaded
    if not files:
        raise SystemExit(f'hebb plot generalisation: {run_dir} has no snapshots and no centre')
    return dict(sorted(files.items()))


def generalisation(centres: dict[int, coefficient_file.CoefficientFile],
                   morphologies: Sequence[str], episodes: int, seed: int,
                   max_steps: Optional[int] = None) -> list[tuple[int, dict[str, float]]]:
    """Mean fitness per morphology of each centre, by generation."""
    return [(generation, {m: float(evaluate_file(loaded, m, episodes, seed,
                                                 max_steps=max_steps).returns.mean())
                          for m in morphologies})
            for generation, loaded in centres.items()]


def panel_title(morphology: str, seen: dict[str, Sequence[str]]) -> str:
    """Name a body and whether the runs trained on it; runs that differ are named."""
    by = [name for name, bodies in seen.items() if morphology in bodies]
    mark = 'seen' if len(by) == len(seen) else 'unseen' if not by else f'seen by {", ".join(by)}'
    return f'{morphology} ({mark})'


def plot_generalisation(runs: dict[str, list[tuple[int, dict[str, float]]]],
                        seen: dict[str, Sequence[str]], out: Path) -> Path:
    """
    Plot each morphology's mean fitness over the snapshots' generations, a line per run.

    ``seen`` gives each run's training morphologies, for the panels' titles.
    """
    morphologies = list(next(iter(runs.values()))[0][1])
    fig, axes = plt.subplots(1, len(morphologies), figsize=(3.5 * len(morphologies), 3.6),
                             sharey=True, squeeze=False)
    for ax, morphology in zip(axes[0], morphologies):
        for name, rows in runs.items():
            ax.plot([g for g, _ in rows], [means[morphology] for _, means in rows],
                    marker='o', label=name)
        ax.axhline(0.0, color='grey', linewidth=0.5)
        ax.set_title(panel_title(morphology, seen), fontsize='medium')
        ax.set_xlabel('generation')
    axes[0][0].set_ylabel('mean fitness of the centre')
    axes[0][0].legend(fontsize='small')
    return _save(fig, Path(out) / 'generalisation.png')


def write_generalisation(runs: dict[str, list[tuple[int, dict[str, float]]]],
                         out: Path) -> Path:
    """Keep the measured means as CSV (run, generation, morphology, mean)."""
    path = Path(out) / 'generalisation.csv'
    text = io.StringIO(newline='')
    writer = csv.writer(text)
    writer.writerow(['run', 'generation', 'morphology', 'mean_fitness'])
    for name, rows in runs.items():
        for generation, means in rows:
            writer.writerows([name, generation, m, f'{v:.2f}'] for m, v in means.items())
    write_atomically(path, text.getvalue().encode())   # minutes of measuring: all or nothing
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb plot', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='plot', required=True)
    f = sub.add_parser('fitness', help='fitness over generations of one run or several')
    f.add_argument('run_dirs', metavar='RUN_DIR', nargs='+')
    f.add_argument('--chain', action='store_true',
                   help='each run went on from the one before: draw them end to end')
    w = sub.add_parser('weights', help='weights over one lifetime, and their PCA')
    w.add_argument('coefficients', metavar='COEFFS')
    w.add_argument('--morphology', default='whole')
    w.add_argument('--max-steps', type=int)
    w.add_argument('--seed', type=int, default=0)
    t = sub.add_parser('paths', help="the seeing robot's paths and targets from above")
    t.add_argument('coefficients', metavar='COEFFS')
    t.add_argument('--morphology', default='whole')
    t.add_argument('--episodes', type=int, default=10)
    t.add_argument('--seed', type=int, default=0)
    s = sub.add_parser('frames', help='a strip of side views of one lifetime')
    s.add_argument('coefficients', metavar='COEFFS')
    s.add_argument('--morphology', default='whole')
    s.add_argument('--every', type=int, default=50, help='control steps between frames')
    s.add_argument('--count', type=int, default=8, help='frames in the strip')
    s.add_argument('--size', type=int, nargs=2, default=[320, 240], metavar=('W', 'H'))
    s.add_argument('--seed', type=int, default=0)
    s.add_argument('--max-steps', type=int, help="episode length (default: the file's)")
    g = sub.add_parser('generalisation', help="a run's snapshots on seen and unseen bodies")
    g.add_argument('run_dirs', metavar='RUN_DIR', nargs='+')
    g.add_argument('--morphologies', nargs='+',
                   default=['whole', 'damaged_right_front', 'damaged_left_front'])
    g.add_argument('--episodes', type=int, default=10)
    g.add_argument('--max-steps', type=int, help='control steps per episode')
    g.add_argument('--seed', type=int, default=0)
    c = sub.add_parser('clip', help='an animated GIF of side views of one lifetime')
    c.add_argument('coefficients', metavar='COEFFS')
    c.add_argument('--morphology', default='whole')
    c.add_argument('--every', type=int, default=5, help='control steps between frames')
    c.add_argument('--count', type=int, default=80, help='frames in the clip')
    c.add_argument('--fps', type=float, default=10.0, help='frames per second of the GIF')
    c.add_argument('--size', type=int, nargs=2, default=[240, 180], metavar=('W', 'H'))
    c.add_argument('--seed', type=int, default=0)
    c.add_argument('--max-steps', type=int, help="episode length (default: the file's)")
    for p in (f, w, t, s, g, c):
        p.add_argument('--out', help='folder for the PNGs (default: beside the input)')
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.plot == 'fitness':
        out = Path(args.out or args.run_dirs[0])
        out.mkdir(parents=True, exist_ok=True)
        print(plot_fitness([Path(r) for r in args.run_dirs], out, chain=args.chain))
        return 0
    if args.plot == 'generalisation':
        out = Path(args.out or args.run_dirs[0])
        out.mkdir(parents=True, exist_ok=True)
        runs, seen = {}, {}
        for run_dir in map(Path, args.run_dirs):
            centres = run_centres(run_dir)
            name = run_dir.name if run_dir.name not in runs else str(run_dir)
            seen[name] = next(iter(centres.values())).metadata.morphologies
            runs[name] = generalisation(centres, args.morphologies, args.episodes,
                                        args.seed, args.max_steps)
            print(f'{name}: mean fitness over {args.episodes} lifetimes '
                  f'(seen in training: {", ".join(seen[name])})')
            print(f'| generation | {" | ".join(args.morphologies)} |')
            print('|---|' + '---|' * len(args.morphologies))
            for generation, means in runs[name]:
                print(f'| {generation} | '
                      f'{" | ".join(f"{means[m]:.1f}" for m in args.morphologies)} |')
        print(write_generalisation(runs, out))
        print(plot_generalisation(runs, seen, out))
        return 0
    out = Path(args.out or Path(args.coefficients).parent)
    out.mkdir(parents=True, exist_ok=True)
    if args.plot == 'paths':
        paths = target_paths(Path(args.coefficients), args.morphology, args.episodes, args.seed)
        print(plot_paths(paths, out))
        return 0
    if args.plot in ('frames', 'clip'):
        shots = side_views(Path(args.coefficients), args.morphology, args.seed, args.every,
                           args.count, tuple(args.size), args.max_steps)
        step = coefficient_file.load(args.coefficients).metadata.control_step or 1.0
        print(plot_frames(shots, step, out) if args.plot == 'frames'
              else write_clip(shots, step, args.fps, out))
        return 0
    trajectory = weight_trajectory(Path(args.coefficients), args.morphology, args.seed,
                                   args.max_steps)
    for path in plot_weights(trajectory, out, min(40, trajectory.shape[1]), args.seed):
        print(path)
    cosine = cosine_to_last(trajectory)
    marks = [t for t in (10, 50, 100, 200, 500) if t < len(cosine) - 1]
    print(f'cosine to the weights at step {len(cosine) - 1}: ' +
          ', '.join(f'{cosine[t]:.3f} at step {t}' for t in marks))
    return 0
