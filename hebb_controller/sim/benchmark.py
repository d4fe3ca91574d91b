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
``hebb bench sim``: env steps per second against raw physics stepping.

For each registered env that can be made, env steps (through
``gymnasium.make``, wrappers included) and the raw physics of the same
control step (``env.unwrapped.raw_step``, or the base env's own ``step`` where
there is no ``raw_step``) run in alternating blocks on one instance each with
the same actions, so machine noise hits both alike; the rates are medians over
blocks. Episode resets are not timed. The camera is timed apart, in ms per
rendered frame, at the configured size and at 84x84. PyBullet and Box2D are
single-threaded, so the figures are per core. The seeing robot
(``RobotTarget-v0``) renders its camera inside ``step``, as part of its
observation: it runs only when named with ``--envs``, and its ratio then
includes the camera. The floor column: raw physics plus only the PyBullet
calls the observation reads (``read_physics``), no arithmetic, no
wrappers, over raw physics: what the API alone costs, so what no env
written on it can beat.
"""
import argparse
import json
import statistics
import time
from typing import Any, Callable, Optional

import gymnasium
from hebb_controller.sim import ENV_IDS, TARGET_ID

BLOCK = 100
SEED = 0
CAMERA_SIZES = ((32, 32), (84, 84))


class _Stepper:
    """Steps one env with a fixed action sequence; resets are not timed."""

    def __init__(self, env: gymnasium.Env, step: Callable[[Any], Any],
                 action_space: gymnasium.Space) -> None:
        self.env, self.step = env, step
        action_space.seed(SEED)
        self.actions = [action_space.sample() for _ in range(BLOCK)]
        env.reset(seed=SEED)

    def block(self, reset_after: Optional[set[int]] = None) -> tuple[float, set[int]]:
        """
        Time BLOCK steps; return the seconds and the steps after which it reset.

        With ``reset_after`` it resets there instead of when an episode ends,
        so a raw-stepped twin follows the env's episodes and does the same
        physics work.
        """
        elapsed, resets = 0.0, set()
        for i, action in enumerate(self.actions):
            start = time.perf_counter()
            out = self.step(action)
            elapsed += time.perf_counter() - start
            if i in reset_after if reset_after is not None else (out[2] or out[3]):
                self.env.reset()
                resets.add(i)
        return elapsed, resets


def measure_steps(env_id: str, steps: int) -> dict[str, Any]:
    """
    Env and baseline steps per second, measured in alternating blocks.

    Where the env offers ``read_physics`` (the PyBullet reads its
    observation needs), a third instance steps the raw physics and makes
    those reads: ``floor_ratio`` is the best ratio any env on this API could
    reach, with no Python work of its own.
    """
    env = gymnasium.make(env_id)
    twin = gymnasium.make(env_id).unwrapped
    reader = gymnasium.make(env_id).unwrapped
    try:
        stepper = _Stepper(env, env.step, env.action_space)
        raw = getattr(twin, 'raw_step', None)
        baseline = _Stepper(twin, raw or twin.step, twin.action_space)
        floor = None
        if raw and hasattr(reader, 'read_physics'):
            floor = _Stepper(reader, lambda a: (reader.raw_step(a), reader.read_physics()),
                             reader.action_space)
        env_rates, base_rates, floor_rates = [], [], []
        for _ in range(max(1, steps // BLOCK)):
            elapsed, resets = stepper.block()
            env_rates.append(BLOCK / elapsed)
            elapsed, _ = baseline.block(resets if raw else None)
            base_rates.append(BLOCK / elapsed)
            if floor is not None:
                floor_rates.append(BLOCK / floor.block(resets)[0])
    finally:
        env.close()
        twin.close()
        reader.close()
    env_rate, base_rate = statistics.median(env_rates), statistics.median(base_rates)
    return {'env_steps_per_s': env_rate, 'baseline': 'raw_step' if raw else 'base env step',
            'baseline_steps_per_s': base_rate, 'ratio': env_rate / base_rate,
            'floor_ratio': statistics.median(floor_rates) / base_rate if floor_rates else None}


def measure_camera(env_id: str, width: int, height: int, frames: int) -> Optional[float]:
    """Milliseconds per rendered frame at width x height; None if the env renders no such frame."""
    try:
        env = gymnasium.make(env_id, render_mode='rgb_array', camera_width=width,
                             camera_height=height, camera_every=1)
    except TypeError:
        return None
    try:
        env.reset(seed=SEED)
        env.action_space.seed(SEED)
        elapsed = 0.0
        for _ in range(frames):
            out = env.step(env.action_space.sample())
            start = time.perf_counter()
            frame = env.render()
            elapsed += time.perf_counter() - start
            if frame is None or frame.shape[:2] != (height, width):
                return None   # no camera, or one that does not render at this size
            if out[2] or out[3]:
                env.reset()
    finally:
        env.close()
    return 1e3 * elapsed / frames


def run(env_ids: list[str], steps: int, frames: int) -> list[dict[str, Any]]:
    """Measure every env id that can be made; the others get a note instead."""
    results = []
    for env_id in env_ids:
        try:
            row = {'env_id': env_id, **measure_steps(env_id, steps)}
        except ImportError as err:   # the env's module or a dependency is not there
            print(f'skipping {env_id}: {err}')
            continue
        for width, height in CAMERA_SIZES:
            row[f'camera_{width}x{height}_ms'] = measure_camera(env_id, width, height, frames)
        results.append(row)
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    """Render the results as a plain-text table."""
    cams = [f'camera_{w}x{h}_ms' for w, h in CAMERA_SIZES]
    head = (f'{"env":36s} {"env steps/s":>12s} {"baseline":>14s} {"steps/s":>9s} '
            f'{"ratio":>6s} {"floor":>6s} ' + ' '.join(f'{c[7:-3] + " ms":>13s}' for c in cams))
    lines = [head, '-' * len(head)]
    for r in results:
        cam = ' '.join('n/a'.rjust(13) if r[c] is None else f'{r[c]:13.2f}' for c in cams)
        floor = 'n/a' if r['floor_ratio'] is None else f'{r["floor_ratio"]:.3f}'
        lines.append(f'{r["env_id"]:36s} {r["env_steps_per_s"]:12.0f} {r["baseline"]:>14s} '
                     f'{r["baseline_steps_per_s"]:9.0f} {r["ratio"]:6.3f} {floor:>6s} {cam}')
    lines.append('floor: raw physics over raw physics plus the PyBullet reads the '
                 "observation needs (the env's read_physics), no Python work")
    return '\n'.join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='hebb bench sim', description=__doc__.split('\n')[1])
    parser.add_argument('--steps', type=int, default=5000,
                        help='timed control steps per env, and as many baseline steps')
    parser.add_argument('--frames', type=int, default=100, help='camera frames per size')
    parser.add_argument('--envs', nargs='+', default=[e for e in ENV_IDS if e != TARGET_ID],
                        metavar='ENV_ID',
                        help='env ids (default: all registered but the seeing robot)')
    parser.add_argument('--json', metavar='FILE', help='also write the results as JSON')
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    """Run the benchmark, print the table, optionally write JSON."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.steps < 1 or args.frames < 1:
        parser.error('--steps and --frames must be positive')
    unknown = sorted(set(args.envs) - set(ENV_IDS))
    if unknown:
        parser.error(f'unknown env ids {unknown}; known: {", ".join(ENV_IDS)}')
    results = run(args.envs, args.steps, args.frames)
    print(format_table(results))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'steps': args.steps, 'block': BLOCK, 'results': results}, f, indent=2)
    return 0
