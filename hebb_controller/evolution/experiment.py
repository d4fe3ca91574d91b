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
``hebb experiment``: the paper's damage table, walking onset, weight ablation, freezing.

``damage --hebbian H --static S``: each file on every morphology (the paper's
three plus more kinds of damage), fitness mean +- std over fresh episodes,
and how many of them ended in a fall (the env's terminal state: for the
ant, the torso below 0.26 m once the early-stop checks start at step 200).
A morphology is *seen* when it is among the file's training morphologies.
``--hebbian`` and ``--static`` take several files (runs from other seeds):
each gets its column, named by kind and file name. ``--csv FILE`` keeps every
lifetime; episode e is the same lifetime (seed, start pose) in every
column, so columns compare pairwise.

``target --hebbian H --static S``: the seeing robot's success rate, the
share of episodes (one random target each) in which the robot comes within
reach of the post, and the mean distance left at the end, per morphology.
``--hide-target`` is the control: the same targets, but the camera never
shows the post, so what remains is the luck of the path.

``onset --hebbian H --static S``, our measure of "starts walking within about
100 steps": per lifetime from random weights, the cruising speed is the
speed over its second half; the onset is the first step s from which the
distance over ``[s, s + --window)`` reaches ``--fraction`` (90%) of it. A
lifetime that is shorter than two windows or does not move forward in its
second half has no onset.

``ablation --hebbian H``, our protocol (the paper describes the experiment
but its code has no script for it): N episodes side by side; at scored step
``--at`` a random ``--fraction`` of every layer's weights is set to zero
(``HebbianNetwork.ablate``). Speed before = distance walked in the
``--window`` steps before the ablation, divided by the window; speed after =
the same over the window after it. Steps to recover = how many steps after
the ablation the first window of ``--window`` steps starts whose speed
reaches ``--recover`` (90%) of the speed before (0: the window right after
it; never, if none does within the episode). A lifetime that ends before
``--at`` + ``--window`` is listed with its end and left out of the summary.
A control run, same seeds and no ablation, shows what the gait does
undisturbed.

``freeze --hebbian H``, ours: does a lifetime keep adapting, or only
organise its weights once? The same lifetimes (seeds, start poses) run with
plasticity throughout and with it switched off after the ``--at`` step's
update, each freeze point its own column; the weights then stay as the rules
left them. Where a frozen column matches the plastic one, the rules' work
after that step did not matter on that body. ``--organise-on M`` adds, per
step, a column of lifetimes that start on the weights the same lifetimes
(same seeds) had grown on body M by then, frozen from their first step: does
a body need weights of its own, or does any organised network walk on it?

``paired CSV A B``: two columns of a lifetimes CSV (any of the above with
``--csv``) compared lifetime by lifetime, per morphology: the mean of B - A
with its standard error, and in how many lifetimes B scored higher. The
columns share their lifetimes, so this is far tighter than comparing the
two means, whose spreads are mostly the lifetimes' own.
"""

import argparse
import csv
import io
from pathlib import Path
from typing import Optional, Sequence

from hebb_controller.atomic_write import write_atomically
from hebb_controller.evolution.evaluate import add_rate_limit_argument, evaluate_file
from hebb_controller.evolution.rollout import EpisodeResult
from hebb_controller.plasticity import coefficient_file
from hebb_controller.sim import TARGET_ID
import numpy as np

DAMAGE_MORPHOLOGIES = ('whole', 'damaged_right_front', 'damaged_left_front',
                       'lost_lower_leg_left_front', 'weak_motor_left_front_hip',
                       'locked_joint_left_front_ankle')
DAMAGE_CSV_FIELDS = ('column', 'morphology', 'seen', 'episode', 'fitness', 'distance', 'steps',
                     'fell')


def given_files(args: argparse.Namespace, experiment: str) -> dict:
    """
    Load the ``--hebbian`` and ``--static`` files given, by column name; at least one.

    A kind given one file is named by the kind alone (``hebbian``), one given
    several by kind and file (``hebbian ant_seed1.safetensors``), or by kind
    and path where two files share a name (two runs' ``centre-0299``).
    """
    loaded = {}
    for kind in ('hebbian', 'static'):
        paths = getattr(args, kind, None) or []
        names = [Path(path).name for path in paths]
        for path, file_name in zip(paths, names):
            label = file_name if names.count(file_name) == 1 else path
            name = kind if len(paths) == 1 else f'{kind} {label}'
            if name in loaded:
                raise SystemExit(f'hebb experiment {experiment}: {path} is given twice')
            loaded[name] = coefficient_file.load(path)
    if not loaded:
        raise SystemExit(f'hebb experiment {experiment}: give --hebbian and/or --static')
    return loaded


def damage(args: argparse.Namespace) -> int:
    loaded = given_files(args, 'damage')
    print(f'| morphology | {" | ".join(loaded)} |')
    print('|---|' + '---|' * len(loaded))
    lifetimes = []
    for morphology in args.morphologies:
        cells = []
        for kind, cf in loaded.items():
            r = evaluate_file(cf, morphology, args.episodes, args.seed, max_steps=args.max_steps,
                              max_joint_velocity=args.max_joint_velocity)
            seen = 'seen' if morphology in cf.metadata.morphologies else 'unseen'
            lifetimes += lifetime_rows(kind, morphology, seen, r)
            cells.append(fitness_cell(r, f' ({seen})'))
        print(f'| {morphology} | {" | ".join(cells)} |')
    if args.csv:
        write_lifetimes(Path(args.csv), lifetimes)
    return 0


def fitness_cell(result: EpisodeResult, note: str = '') -> str:
    """Mean +- std of the fitness, then the falls: a cell of the damage-style tables."""
    mean, std = result.returns.mean(), result.returns.std()
    digits = 0 if abs(mean) >= 100 else 2   # the ant's fitness units, the robot's metres
    return f'{mean:.{digits}f} +- {std:.{digits}f}{note}, {int(result.fell.sum())} fell'


def lifetime_rows(column: str, morphology: str, seen: str, result: EpisodeResult) -> list:
    """One ``DAMAGE_CSV_FIELDS`` row per lifetime of ``result``."""
    return [(column, morphology, seen, e, f'{result.returns[e]:.4f}',
             f'{result.distances[e]:.4f}', int(result.steps[e]), int(result.fell[e]))
            for e in range(len(result.returns))]


def write_lifetimes(path: Path, lifetimes: list) -> None:
    """Write the rows under ``DAMAGE_CSV_FIELDS``, all or nothing."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator='\n')
    writer.writerow(DAMAGE_CSV_FIELDS)
    writer.writerows(lifetimes)
    write_atomically(path, text.getvalue().encode())
    print(f'{len(lifetimes)} lifetimes in {path}')


def target(args: argparse.Namespace) -> int:
    loaded = given_files(args, 'target')
    if any(cf.metadata.env_id != TARGET_ID for cf in loaded.values()):
        raise SystemExit(f'hebb experiment target: needs files evolved on {TARGET_ID}')
    print(f'{args.episodes} random targets per cell: reached (share), mean distance left (m)'
          f'{"; the post hidden from the camera" if args.hide_target else ""}')
    print(f'| morphology | {" | ".join(loaded)} |')
    print('|---|' + '---|' * len(loaded))
    for morphology in args.morphologies:
        cells = []
        for cf in loaded.values():
            r = evaluate_file(cf, morphology, args.episodes, args.seed, max_steps=args.max_steps,
                              env_overrides={'target_visible': not args.hide_target},
                              max_joint_velocity=args.max_joint_velocity)
            reached = sum(bool(info.get('reached')) for info in r.infos)
            left = np.mean([info['target_distance'] for info in r.infos])
            cells.append(f'{reached}/{args.episodes} ({reached / args.episodes:.0%}), '
                         f'{left:.2f}')
        print(f'| {morphology} | {" | ".join(cells)} |')
    return 0


def recovery(trace: np.ndarray, at: int, window: int, fraction: float) -> dict:
    """
    Speeds before/after step ``at`` and steps to recover, for one distance trace.

    ``trace[i]`` is the distance after step i + 1, so ``trace[at - 1]`` is
    where the ablation happens.
    """
    before = (trace[at - 1] - trace[at - 1 - window]) / window
    after = (trace[min(at - 1 + window, len(trace) - 1)] - trace[at - 1]) / window
    recovered = None
    for s in range(at - 1, len(trace) - window):
        if before > 0 and (trace[s + window] - trace[s]) / window >= fraction * before:
            recovered = s - (at - 1)
            break
    return {'before': before, 'after': after, 'recover': recovered}


def recovery_summary(name: str, rows: list[dict], args: argparse.Namespace) -> str:
    """One line over the lifetimes that lasted: mean speeds, how many recovered and when."""
    head = f'{name}: {len(rows)} of {args.episodes} lasted to step {args.at + args.window}'
    if not rows:
        return head
    steps = sorted(r['recover'] for r in rows if r['recover'] is not None)
    when = f', after {steps[0]} to {steps[-1]} steps' if steps else ''
    return (f'{head}; mean speed before {1000 * np.mean([r["before"] for r in rows]):.1f}, '
            f'after {1000 * np.mean([r["after"] for r in rows]):.1f} mm/step; back to '
            f'{args.recover:.0%} of the speed before: {len(steps)} of {len(rows)}{when}')


def onset(trace: np.ndarray, window: int, fraction: float) -> tuple[Optional[int], float]:
    """Return (first step of cruising speed or None, cruising speed) of one distance trace."""
    n = len(trace)
    if n < 2 * window:
        return None, float('nan')
    half = n // 2
    cruise = (trace[-1] - trace[half]) / (n - 1 - half)
    if cruise <= 0:
        return None, float(cruise)
    for s in range(n - window):
        if (trace[s + window] - trace[s]) / window >= fraction * cruise:
            return s, float(cruise)
    return None, float(cruise)


def walking_onset(args: argparse.Namespace) -> int:
    loaded = given_files(args, 'onset')
    print(f'{args.episodes} lifetimes from random weights on {args.morphology}; onset: first '
          f'step whose next {args.window} steps reach {args.fraction:.0%} of the cruising '
          'speed (second half)')
    print('| network | with an onset | onset, median (quartiles) | cruising speed, m/step |')
    print('|---|---|---|---|')
    for kind, cf in loaded.items():
        rows = []

        def on_step(t, policy, infos):
            rows.append([info.get('distance_walked', np.nan) for info in infos])

        result = evaluate_file(cf, args.morphology, args.episodes, args.seed,
                               max_steps=args.max_steps, on_step=on_step,
                               max_joint_velocity=args.max_joint_velocity)
        traces = np.array(rows)
        found = [onset(traces[:int(length), e], args.window, args.fraction)
                 for e, length in enumerate(result.steps)]
        steps = [s for s, _ in found if s is not None]
        speeds = [v for s, v in found if s is not None]
        cell = 'none'
        if steps:
            q1, median, q3 = np.percentile(steps, [25, 50, 75])
            cell = f'{median:.0f} ({q1:.0f} to {q3:.0f})'
        speed = f'{np.mean(speeds):.4f}' if speeds else '-'
        print(f'| {kind} | {len(steps)}/{args.episodes} | {cell} | {speed} |')
    return 0


def ablation(args: argparse.Namespace) -> int:
    loaded = coefficient_file.load(args.hebbian)
    if loaded.metadata.network.kind != 'hebbian':
        raise SystemExit('hebb experiment ablation: needs a Hebbian coefficient file')
    if args.at <= args.window:
        raise SystemExit('hebb experiment ablation: --at must exceed --window')
    traces, lengths = {}, {}
    for ablate in (False, True):
        rows = []

        def on_step(t, policy, infos):
            rows.append([info.get('distance_walked', np.nan) for info in infos])
            if ablate and t + 1 == args.at:
                policy.network.ablate(args.fraction, seed=args.seed)

        result = evaluate_file(loaded, args.morphology, args.episodes, args.seed,
                               max_steps=args.max_steps, on_step=on_step,
                               max_joint_velocity=args.max_joint_velocity)
        traces[ablate], lengths[ablate] = np.array(rows), result.steps
    needed = args.at + args.window
    if len(traces[True]) < needed:
        raise SystemExit('hebb experiment ablation: episodes end before --at + --window')
    print(f'ablation of {args.fraction:.0%} of the weights at step {args.at}, '
          f'{args.episodes} episodes, {args.morphology}; speeds in mm per step')
    print('| run | episode | before | after | steps to recover |')
    print('|---|---|---|---|---|')
    summary = []
    for ablate, name in ((False, 'control'), (True, 'ablated')):
        kept = []
        for e in range(args.episodes):
            if lengths[ablate][e] < needed:      # ended (fell, or stopped making way)
                print(f'| {name} | {e} | ended at step {lengths[ablate][e]} | | |')
                continue
            r = recovery(traces[ablate][:, e], args.at, args.window, args.recover)
            kept.append(r)
            print(f'| {name} | {e} | {1000 * r["before"]:.2f} | {1000 * r["after"]:.2f} | '
                  f'{"never" if r["recover"] is None else r["recover"]} |')
        summary.append(recovery_summary(name, kept, args))
    print('\n'.join(summary))
    if args.plot:
        from hebb_controller.evolution.plots import plot_ablation
        print(plot_ablation(traces[False], traces[True], args.at, args.fraction, args.plot))
    return 0


def organised_weights(cf: coefficient_file.CoefficientFile, morphology: str, at: int,
                      args: argparse.Namespace) -> tuple[list, int]:
    """
    Return each lifetime's weights after the ``at`` step's update on ``morphology``.

    With them, how many of those lifetimes had ended before that step: their
    networks ran on, on the last input.
    """
    kept = []

    def on_step(t, policy, infos):
        if t + 1 == at:
            kept.extend(policy.network.weights)

    r = evaluate_file(cf, morphology, args.episodes, args.seed, max_steps=args.max_steps,
                      on_step=on_step, max_joint_velocity=args.max_joint_velocity)
    if not kept:
        raise SystemExit(f'hebb experiment freeze: every lifetime on {morphology} ended '
                         f'before step {at}')
    return kept, int((r.steps < at).sum())


def freeze(args: argparse.Namespace) -> int:
    loaded = given_files(args, 'freeze')
    if any(cf.metadata.network.kind != 'hebbian' for cf in loaded.values()):
        raise SystemExit('hebb experiment freeze: needs Hebbian coefficient files')
    if min(args.at) < 1:
        raise SystemExit('hebb experiment freeze: --at takes steps from 1 on')
    columns = ['plastic'] + [f'frozen after {at}' for at in args.at]
    if args.organise_on:
        columns += [f"{args.organise_on}'s weights after {at}" for at in args.at]
    lifetimes = []
    for kind, cf in loaded.items():
        print(f'{kind}: {args.episodes} lifetimes a cell, the same ones in every column')
        starts = {}
        for at in args.at if args.organise_on else ():
            starts[at], ended = organised_weights(cf, args.organise_on, at, args)
            if ended:
                print(f'{ended} of the lifetimes on {args.organise_on} had ended before '
                      f'step {at}')
        print(f'| morphology | {" | ".join(columns)} |')
        print('|---|' + '---|' * len(columns))
        for morphology in args.morphologies:
            seen = 'seen' if morphology in cf.metadata.morphologies else 'unseen'
            runs = [(None, None), *((at, None) for at in args.at),
                    *((None, weights) for weights in starts.values())]
            cells, notes = [], []
            for column, (at, start) in zip(columns, runs):

                def on_step(t, policy, infos, at=at):
                    if t + 1 == at:
                        policy.network.plastic = False

                r = evaluate_file(cf, morphology, args.episodes, args.seed,
                                  max_steps=args.max_steps, on_step=on_step,
                                  max_joint_velocity=args.max_joint_velocity,
                                  start_weights=start)
                cells.append(fitness_cell(r))
                lifetimes += lifetime_rows(f'{kind} {column}', morphology, seen, r)
                ended = int((r.steps < at).sum()) if at is not None else 0
                if ended:
                    notes.append(f'{ended} of the lifetimes on {morphology} had ended before '
                                 f'step {at}: in "{column}" they lived plastic')
            print('\n'.join([f'| {morphology} ({seen}) | {" | ".join(cells)} |', *notes]))
    if args.csv:
        write_lifetimes(Path(args.csv), lifetimes)
    return 0


def paired_differences(path: Path, first: str, second: str) -> dict[str, np.ndarray]:
    """Per morphology, ``second - first`` fitness of each lifetime both columns lived."""
    fitness: dict[tuple[str, str], dict[str, float]] = {}
    try:
        with Path(path).open(newline='') as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != DAMAGE_CSV_FIELDS:
                raise SystemExit(f'hebb experiment paired: {path}: not a lifetimes CSV '
                                 f'(expected the columns {", ".join(DAMAGE_CSV_FIELDS)})')
            for row in reader:
                fitness.setdefault((row['column'], row['morphology']), {})[row['episode']] = \
                    float(row['fitness'])
    except OSError as err:
        raise SystemExit(f'hebb experiment paired: {path}: {err.strerror}') from None
    except ValueError as err:
        raise SystemExit(f'hebb experiment paired: {path}: a bad fitness value ({err})') from None
    columns = sorted({c for c, _ in fitness})
    for name in (first, second):
        if name not in columns:
            raise SystemExit(f'hebb experiment paired: {path}: no column {name!r}; '
                             f'it has: {", ".join(columns)}')
    differences = {}
    for (column, morphology), a in fitness.items():
        if column != first:
            continue
        b = fitness.get((second, morphology), {})
        shared = sorted(a.keys() & b.keys(), key=int)
        if shared:
            differences[morphology] = np.array([b[e] - a[e] for e in shared])
    if not differences:
        raise SystemExit(f'hebb experiment paired: {path}: {first!r} and {second!r} '
                         'share no lifetime')
    return differences


def paired(args: argparse.Namespace) -> int:
    differences = paired_differences(Path(args.csv), args.first, args.second)
    print(f'| morphology | lifetimes | {args.second} - {args.first}, +- its standard error | '
          f'{args.second} higher |')
    print('|---|---|---|---|')
    for morphology, d in differences.items():
        error = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float('nan')
        print(f'| {morphology} | {len(d)} | {d.mean():.1f} +- {error:.1f} | '
              f'{int((d > 0).sum())} of {len(d)} |')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb experiment', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='experiment', required=True)
    d = sub.add_parser('damage', help="the paper's table: fitness per morphology")
    d.add_argument('--hebbian', metavar='FILE', nargs='+')
    d.add_argument('--static', metavar='FILE', nargs='+')
    d.add_argument('--morphologies', nargs='+', default=list(DAMAGE_MORPHOLOGIES))
    d.add_argument('--csv', metavar='FILE',
                   help='also write every lifetime (column, morphology, episode, fitness, '
                        'distance, steps, fell): every column lives the same episodes')
    t = sub.add_parser('target', help="the seeing robot's success rate per morphology")
    t.add_argument('--hebbian', metavar='FILE', nargs='+')
    t.add_argument('--static', metavar='FILE', nargs='+')
    t.add_argument('--morphologies', nargs='+', default=['whole', 'damaged_left_front'])
    t.add_argument('--hide-target', action='store_true',
                   help='the control: the same targets, never in view of the camera')
    o = sub.add_parser('onset', help='steps from random weights to cruising speed')
    o.add_argument('--hebbian', metavar='FILE', nargs='+')
    o.add_argument('--static', metavar='FILE', nargs='+')
    o.add_argument('--morphology', default='whole')
    o.add_argument('--window', type=int, default=50, help='steps to measure speed over')
    o.add_argument('--fraction', type=float, default=0.9, help='of the cruising speed')
    a = sub.add_parser('ablation', help='zero weights mid-episode, measure the recovery')
    a.add_argument('--hebbian', metavar='FILE', required=True)
    a.add_argument('--morphology', default='whole')
    a.add_argument('--fraction', type=float, default=0.3)
    a.add_argument('--at', type=int, default=400, help='scored step of the ablation')
    a.add_argument('--window', type=int, default=100, help='steps to measure speed over')
    a.add_argument('--recover', type=float, default=0.9, help='fraction of the speed before')
    a.add_argument('--plot', metavar='PNG', help='also plot the distance traces')
    f = sub.add_parser('freeze', help='the same lifetimes with plasticity off after a step')
    f.add_argument('--hebbian', metavar='FILE', nargs='+', required=True)
    f.add_argument('--at', type=int, nargs='+', default=[100, 200, 400],
                   help='steps after whose update the weights stay as they are')
    f.add_argument('--morphologies', nargs='+', default=['whole', 'damaged_left_front'])
    f.add_argument('--csv', metavar='FILE', help='also write every lifetime (as damage does)')
    f.add_argument('--organise-on', metavar='MORPHOLOGY',
                   help='also run every body frozen from the start on the weights that '
                        'lifetimes on this body had after each --at step (the same seeds)')
    c = sub.add_parser('paired', help='two columns of a lifetimes CSV, lifetime by lifetime')
    c.add_argument('csv', metavar='CSV', help='written by --csv of damage or freeze')
    c.add_argument('first', metavar='A', help='column name, as in the CSV')
    c.add_argument('second', metavar='B', help='column compared with A (B - A)')
    for p in (d, t, o, a, f):
        p.add_argument('--episodes', type=int, default=5)
        p.add_argument('--max-steps', type=int, help='control steps per episode')
        p.add_argument('--seed', type=int, default=0)
        add_rate_limit_argument(p)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return {'damage': damage, 'target': target, 'onset': walking_onset,
            'ablation': ablation, 'freeze': freeze, 'paired': paired}[args.experiment](args)
