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

"""hebb eval, experiment and plot on a small coefficient file: they run and report sense."""

import argparse
import csv
import shutil

import gymnasium
from hebb_controller.config import load_config, validate_config
from hebb_controller.evolution import evaluate, experiment, plots
from hebb_controller.evolution.es import derive_seed, EVAL_STREAM
from hebb_controller.evolution.layout import coefficient_metadata, coefficient_tensors, save_genome
from hebb_controller.evolution.rollout import EpisodeResult, GenomeSpec
from hebb_controller.evolution.train import CENTRE_FILE, snapshot_path
from hebb_controller.plasticity import coefficient_file
from hebb_controller.sim.ant import SETTLE_STEPS
import numpy as np
from PIL import Image
import pytest
import torch


@pytest.fixture(scope='module')
def coefficients(tmp_path_factory):
    config = load_config('smoke')
    spec = GenomeSpec.from_config(config)
    path = tmp_path_factory.mktemp('coefficients') / 'smoke.safetensors'
    genome = torch.randn(spec.size, generator=torch.Generator().manual_seed(0))
    coefficient_file.save(path, coefficient_metadata(config, spec, None, {}),
                          coefficient_tensors(spec, genome))
    return path


def test_eval_is_reproducible_and_matches_a_single_episode(coefficients, capsys):
    loaded = coefficient_file.load(coefficients)
    three = evaluate.evaluate_file(loaded, 'whole', 3, seed=1, max_steps=50)
    one = evaluate.evaluate_file(loaded, 'whole', 1, seed=1, max_steps=50)
    assert three.returns[0] == one.returns[0]          # episode 0 does not see its batch
    assert len(set(three.returns.tolist())) == 3       # fresh weights and env per episode
    assert evaluate.main([str(coefficients), '--episodes', '2', '--max-steps', '50']) == 0
    out = capsys.readouterr().out
    assert 'fitness' in out and 'fell     0 of 2' in out   # 50 steps: the fall rule starts at 200
    assert not three.terminated.any() and not three.fell.any()
    d = three.distances
    assert evaluate.main([str(coefficients), '--episodes', '3', '--max-steps', '50',
                          '--seed', '1']) == 0
    assert f'({d.min():.2f} to {d.max():.2f})' in capsys.readouterr().out


def test_eval_runs_a_file_under_the_nodes_rate_limit_when_asked(robot_coefficients, capsys):
    loaded = coefficient_file.load(robot_coefficients)
    own = evaluate.evaluate_file(loaded, 'whole', 2, seed=0, max_steps=40)
    never_reached = evaluate.evaluate_file(loaded, 'whole', 2, seed=0, max_steps=40,
                                           max_joint_velocity=1e9)
    slow = evaluate.evaluate_file(loaded, 'whole', 2, seed=0, max_steps=40,
                                  max_joint_velocity=0.5)
    np.testing.assert_array_equal(own.distances, never_reached.distances)
    assert not np.array_equal(own.distances, slow.distances)
    assert evaluate.main([str(robot_coefficients), '--episodes', '2', '--max-steps', '40',
                          '--max-joint-velocity', '0.5']) == 0
    assert f'({slow.distances.min():.2f} to {slow.distances.max():.2f})' in \
        capsys.readouterr().out


def test_a_rate_limit_for_an_env_of_torques_is_refused_in_one_line(coefficients, capsys):
    from hebb_controller import cli
    assert cli.main(['eval', str(coefficients), '--max-joint-velocity', '6']) == 2
    err = capsys.readouterr().err
    assert err.startswith('hebb eval: ') and 'max_joint_velocity' in err
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize('command, says', [
    (['eval', '{missing}', '--episodes', '1'], '{missing}: cannot read'),
    (['eval', '{corrupt}', '--episodes', '1'], '{corrupt}: not a valid safetensors file'),
    (['experiment', 'damage', '--hebbian', '{corrupt}', '--episodes', '1'],
     '{corrupt}: not a valid safetensors file'),
    (['eval', '{good}', '--morphology', 'no_such_body', '--episodes', '1'],
     "unknown morphology 'no_such_body'; known: whole, "),
    (['plot', 'fitness', '{folder}', '--out', '{folder}'], '{folder}/metrics.csv: No such file'),
])
def test_bad_input_on_the_command_line_is_refused_in_one_line(
        command, says, coefficients, tmp_path, capsys):
    from hebb_controller import cli
    paths = {'missing': tmp_path / 'missing.safetensors', 'corrupt': tmp_path / 'cut.safetensors',
             'good': coefficients, 'folder': tmp_path / 'no_run'}
    paths['corrupt'].write_bytes(coefficients.read_bytes()[:200])
    assert cli.main([part.format(**paths) for part in command]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f'hebb {command[0]}: {says.format(**paths)}')
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1


def test_summary_says_when_the_falls_ended():
    result = EpisodeResult(returns=np.array([5.0, -1.0, 2.0]), distances=np.array([1.0, 0.0, 2.0]),
                           steps=np.array([400, 202, 210]), infos=[{}, {}, {}],
                           terminated=np.array([False, True, True]))
    assert evaluate.summary(result) == [
        'fitness  2.0 +- 2.4', 'distance 1.00 +- 0.82 m (0.00 to 2.00)',
        'fell     2 of 3, ended at steps 202 to 210 (median 206)']


def test_still_runs_the_same_lifetimes_with_every_action_zero(coefficients, capsys):
    loaded = coefficient_file.load(coefficients)
    still = evaluate.evaluate_file(loaded, 'whole', 2, seed=1, max_steps=60, still=True)
    env = gymnasium.make(loaded.metadata.env_id, max_episode_steps=60)
    try:
        env.reset(seed=derive_seed(1, EVAL_STREAM, 1))            # episode 1's lifetime
        total = sum(env.step(np.zeros(8, np.float32))[1] for _ in range(int(still.steps[1])))
    finally:
        env.close()
    assert still.returns[1] == pytest.approx(total, abs=1e-9)
    moved = evaluate.evaluate_file(loaded, 'whole', 2, seed=1, max_steps=60)
    assert not np.allclose(moved.returns, still.returns)      # the network does act
    assert evaluate.main([str(coefficients), '--still', '--episodes', '2',
                          '--max-steps', '60']) == 0
    assert 'whole, 2 episodes, every action zero' in capsys.readouterr().out


def test_action_spread_averages_each_lifetimes_spread_from_the_step_on():
    actions = np.zeros((6, 3, 2), np.float32)
    actions[:, :, 0] = 0.5                                   # joint 0 held
    actions[:, :, 1] = [[1], [-1], [1], [-1], [1], [-1]]     # joint 1 end to end
    actions[:2, :, 1] = 0.0                                  # before the start: not counted
    mean_abs, spread, counted = evaluate.action_spread(actions, np.array([6, 6, 3]), start=2)
    assert counted == 2                                      # lifetime 2: one step from 2 on
    np.testing.assert_allclose(mean_abs, [0.5, 1.0])
    np.testing.assert_allclose(spread, [0.0, 1.0])
    with pytest.raises(ValueError, match='no lifetime lasted two steps past step 5'):
        evaluate.action_spread(actions, np.array([6, 6, 3]), start=5)


def test_recorded_actions_are_those_the_envs_were_given(coefficients, capsys):
    loaded = coefficient_file.load(coefficients)
    plain = evaluate.evaluate_file(loaded, 'whole', 2, seed=1, max_steps=60)
    recorded = evaluate.evaluate_file(loaded, 'whole', 2, seed=1, max_steps=60,
                                      record_actions=True)
    np.testing.assert_array_equal(plain.returns, recorded.returns)   # recording changes nothing
    assert plain.actions is None and recorded.actions.shape == (int(recorded.steps.max()), 2, 8)
    env = gymnasium.make(loaded.metadata.env_id, max_episode_steps=60)
    try:
        env.reset(seed=derive_seed(1, EVAL_STREAM, 1))            # episode 1, replayed open-loop
        total = sum(env.step(recorded.actions[t, 1])[1] for t in range(int(recorded.steps[1])))
    finally:
        env.close()
    assert recorded.returns[1] == pytest.approx(total, abs=1e-9)
    assert evaluate.main([str(coefficients), '--episodes', '2', '--max-steps', '60',
                          '--seed', '1', '--action-spread', '5']) == 0
    out = capsys.readouterr().out
    _, spread, _ = evaluate.action_spread(recorded.actions, recorded.steps, 5)
    name = loaded.metadata.layout.action_names[0]
    assert 'actions from step 5 on, 2 lifetimes' in out
    line = next(row for row in out.splitlines() if row.split()[:1] == [name])
    assert line.endswith(f'std {spread[0]:.3f}')


def test_path_says_how_far_a_lifetime_went_and_which_way():
    xy = np.zeros((4, 3, 2))
    xy[:, 0, 0] = [0, 1, 2, 3]           # straight along +x
    xy[:, 1, 1] = [0, 1, 0, 0]           # out along +y and back
    xy[:, 2, 1] = [0, 1, 2, 2]           # along +y
    assert evaluate.path_lines(xy) == [
        'path from the first step on, over 3 lifetimes (quartiles):',
        '  travelled 2.00 m median (2.00 to 2.50)',
        '  ended     2.00 m median (1.00 to 2.50) from where it began',
        '  heading   0 deg median (0 to 45), 0 along +x, 90 along +y']


def test_path_follows_the_info_positions_of_the_lifetimes(coefficients, capsys):
    loaded = coefficient_file.load(coefficients)
    path = evaluate.RecordPath()
    result = evaluate.evaluate_file(loaded, 'whole', 2, seed=1, max_steps=60, on_step=path)
    xy = np.array(path.xy)
    assert xy.shape == (int(result.steps.max()), 2, 2)
    np.testing.assert_array_equal(xy[-1], [[i['x_position'], i['y_position']]
                                           for i in result.infos])
    assert evaluate.main([str(coefficients), '--episodes', '2', '--max-steps', '60',
                          '--seed', '1', '--path']) == 0
    out = capsys.readouterr().out
    assert '\n'.join(evaluate.path_lines(xy)) in out
    from hebb_controller import cli
    assert cli.main(['eval', str(coefficients), '--unevolved', '2', '--path']) == 2
    assert 'not --unevolved' in capsys.readouterr().err


def test_zero_unevolved_genomes_is_refused(coefficients, capsys):
    from hebb_controller import cli
    assert cli.main(['eval', str(coefficients), '--unevolved', '0']) == 2
    assert 'needs K >= 1' in capsys.readouterr().err


def test_action_spread_of_unevolved_genomes_is_refused_in_one_line(coefficients, capsys):
    from hebb_controller import cli
    assert cli.main(['eval', str(coefficients), '--unevolved', '2',
                     '--action-spread', '5']) == 2
    err = capsys.readouterr().err
    assert err.startswith('hebb eval: --action-spread') and 'Traceback' not in err


def test_unevolved_genomes_replace_the_files_on_the_same_lifetimes(coefficients, capsys):
    loaded = coefficient_file.load(coefficients)
    drawn = evaluate.unevolved_genomes(loaded, 2, seed=0)
    assert drawn.shape == (2, GenomeSpec.from_config(load_config('smoke')).size)
    assert drawn.std().item() == pytest.approx(1.0, abs=0.05)   # smoke's es.init_std
    assert drawn.equal(evaluate.unevolved_genomes(loaded, 2, seed=0))
    assert not drawn[0].equal(drawn[1])
    assert evaluate.main([str(coefficients), '--episodes', '2', '--max-steps', '50',
                          '--unevolved', '2']) == 0
    out = capsys.readouterr().out
    first = evaluate.evaluate_file(loaded, 'whole', 2, max_steps=50, genome=drawn[0])
    assert f'unevolved 0: fitness  {first.returns.mean():.1f}' in out
    assert 'fell 0 of 4' in out and '2 unevolved genomes in its place' in out


def test_damage_table_marks_seen_and_unseen(coefficients, capsys):
    experiment.main(['damage', '--hebbian', str(coefficients), '--episodes', '1',
                     '--max-steps', '45', '--morphologies', 'whole', 'damaged_left_front'])
    out = capsys.readouterr().out
    assert '| whole |' in out and '(seen), 0 fell' in out and '(unseen), 0 fell' in out


def test_damage_table_gives_each_seed_its_column(coefficients, tmp_path, capsys):
    other = tmp_path / 'seed1.safetensors'
    shutil.copy(coefficients, other)
    lifetimes = tmp_path / 'lifetimes.csv'
    experiment.main(['damage', '--hebbian', str(coefficients), str(other), '--episodes', '2',
                     '--max-steps', '45', '--morphologies', 'whole', '--csv', str(lifetimes)])
    header, _, row, saved = capsys.readouterr().out.splitlines()
    assert header == '| morphology | hebbian smoke.safetensors | hebbian seed1.safetensors |'
    cells = row.split(' | ')[1:]
    assert len(cells) == 2 and cells[0] == cells[1].rstrip(' |')   # the same file, the same lives
    assert saved == f'4 lifetimes in {lifetimes}'
    with lifetimes.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r['column'], r['episode']) for r in rows] == [
        ('hebbian smoke.safetensors', '0'), ('hebbian smoke.safetensors', '1'),
        ('hebbian seed1.safetensors', '0'), ('hebbian seed1.safetensors', '1')]
    assert [r['fitness'] for r in rows[:2]] == [r['fitness'] for r in rows[2:]]
    mean, std = np.mean([float(r['fitness']) for r in rows[:2]]), np.std(
        [float(r['fitness']) for r in rows[:2]])
    assert cells[0].startswith(f'{mean:.2f} +- {std:.2f} (seen)')   # the table's own lifetimes
    assert {r['morphology'] for r in rows} == {'whole'} and rows[0]['fell'] == '0'
    with pytest.raises(SystemExit, match='given twice'):
        experiment.main(['damage', '--hebbian', str(coefficients), str(coefficients)])


def test_files_of_one_name_from_two_runs_are_columns_named_by_path(coefficients, tmp_path,
                                                                   capsys):
    runs = [tmp_path / run / 'centre-0299.safetensors' for run in ('seed0', 'seed1')]
    for path in runs:
        path.parent.mkdir()
        shutil.copy(coefficients, path)
    experiment.main(['damage', '--hebbian', *map(str, runs), '--episodes', '1',
                     '--max-steps', '45', '--morphologies', 'whole'])
    header = capsys.readouterr().out.splitlines()[0]
    assert header == f'| morphology | hebbian {runs[0]} | hebbian {runs[1]} |'


def test_recovery_measure():
    # 1 a step up to the ablation after step 100 (trace[99]), still for the next 20 steps,
    # then 1 a step again: the window from 20 steps after the ablation holds 9 of its 10
    trace = np.concatenate([np.arange(100) * 1.0, np.full(20, 99.0), 99 + np.arange(100)])
    r = experiment.recovery(trace, at=100, window=10, fraction=0.9)
    assert r['before'] == pytest.approx(1.0) and r['after'] == pytest.approx(0.0)
    assert r['recover'] == 20
    # undisturbed: recovered in the window right after the ablation
    assert experiment.recovery(np.arange(300.0), at=100, window=10, fraction=0.9)['recover'] == 0


def test_onset_finds_the_first_step_of_cruising_speed():
    # still for 30 steps, then 1 per step: the window from step 24 holds 45 of its 50 steps
    trace = np.concatenate([np.zeros(30), np.arange(1, 171, dtype=float)])
    step, speed = experiment.onset(trace, window=50, fraction=0.9)
    assert speed == pytest.approx(1.0) and step == 24
    assert experiment.onset(np.linspace(0, -1, 200), 50, 0.9) == (None, pytest.approx(-1 / 199))
    assert experiment.onset(np.arange(60.0), 50, 0.9)[0] is None      # shorter than two windows


def test_onset_table(coefficients, capsys):
    experiment.main(['onset', '--hebbian', str(coefficients), '--episodes', '2',
                     '--max-steps', '140', '--window', '20'])
    out = capsys.readouterr().out
    assert '| hebbian | ' in out and '/2 |' in out


def test_ablation_runs_and_reports(coefficients, capsys, tmp_path):
    experiment.main(['ablation', '--hebbian', str(coefficients), '--episodes', '2',
                     '--max-steps', '120', '--at', '40', '--window', '20', '--fraction', '0.5',
                     '--plot', str(tmp_path / 'ablation.png')])
    out = capsys.readouterr().out
    assert out.count('| ablated |') == 2 and out.count('| control |') == 2
    for name in ('control', 'ablated'):
        ended = sum(line.startswith(f'| {name} |') and 'ended at step' in line
                    for line in out.splitlines())
        assert f'{name}: {2 - ended} of 2 lasted to step 60' in out
    assert (tmp_path / 'ablation.png').read_bytes()[:4] == b'\x89PNG'


def test_ablation_summary_counts_the_lifetimes_that_lasted():
    args = argparse.Namespace(episodes=3, at=400, window=100, recover=0.9)
    rows = [{'before': 0.010, 'after': 0.004, 'recover': 31},
            {'before': 0.012, 'after': 0.012, 'recover': 0}]
    assert experiment.recovery_summary('ablated', rows, args) == (
        'ablated: 2 of 3 lasted to step 500; mean speed before 11.0, after 8.0 mm/step; '
        'back to 90% of the speed before: 2 of 2, after 0 to 31 steps')
    assert experiment.recovery_summary('ablated', [], args) == \
        'ablated: 0 of 3 lasted to step 500'


def test_freeze_runs_the_same_lifetimes_with_the_weights_held_after_each_step(
        coefficients, capsys, tmp_path):
    lifetimes = tmp_path / 'freeze.csv'
    experiment.main(['freeze', '--hebbian', str(coefficients), '--episodes', '2',
                     '--max-steps', '120', '--at', '1', '500', '--morphologies', 'whole',
                     '--csv', str(lifetimes)])
    out = capsys.readouterr().out.splitlines()
    assert out[1] == '| morphology | plastic | frozen after 1 | frozen after 500 |'
    assert out[3].startswith('| whole (seen) | ')
    # both 120-step lifetimes end before step 500: said, not hidden in the column
    assert out[4] == ('2 of the lifetimes on whole had ended before step 500: in "frozen '
                      'after 500" they lived plastic')
    with lifetimes.open() as f:
        rows = list(csv.DictReader(f))
    column = {name: [(r['fitness'], r['steps']) for r in rows if r['column'] == name]
              for name in ('hebbian plastic', 'hebbian frozen after 1',
                           'hebbian frozen after 500')}
    assert len(rows) == 6 and all(len(lives) == 2 for lives in column.values())
    # after the episode's end: the plastic lifetimes exactly; after step 1: others
    assert column['hebbian frozen after 500'] == column['hebbian plastic']
    assert column['hebbian frozen after 1'] != column['hebbian plastic']


def test_organised_weights_walk_the_same_lifetimes_frozen_from_their_start(
        coefficients, capsys, tmp_path):
    lifetimes = tmp_path / 'organised.csv'
    experiment.main(['freeze', '--hebbian', str(coefficients), '--episodes', '2',
                     '--max-steps', '120', '--at', '30', '--organise-on', 'whole',
                     '--morphologies', 'whole', '--csv', str(lifetimes)])
    header = capsys.readouterr().out.splitlines()[1]
    assert header == ("| morphology | plastic | frozen after 30 | whole's weights after 30 |")
    with lifetimes.open() as f:
        rows = list(csv.DictReader(f))
    organised = [r for r in rows if r['column'] == "hebbian whole's weights after 30"]
    assert len(organised) == 2
    assert [r['fitness'] for r in organised] != [r['fitness'] for r in rows[:2]]


def test_a_frozen_start_holds_each_lifetimes_given_weights_through_a_narrowing(coefficients):
    loaded = coefficient_file.load(coefficients)
    policy = evaluate.policy_for(loaded, 3)
    policy.reset([0, 1, 2])
    start = [torch.randn_like(w) for w in policy.network.weights]
    inner = evaluate.policy_for(loaded, 3)
    frozen = evaluate.FrozenFrom(inner, start)
    frozen.reset([5, 6, 7])
    obs = np.random.default_rng(0).normal(size=(3, policy.network.layer_sizes[0]))
    for _ in range(3):
        frozen.act(obs.astype(np.float32))
    assert all(torch.equal(w, s) for w, s in zip(inner.network.weights, start))
    frozen.narrow([2])
    frozen.act(obs.astype(np.float32))
    assert all(torch.equal(w[0], s[2]) for w, s in zip(inner.network.weights, start))


def test_freeze_needs_hebbian_files_and_steps_from_one(coefficients, tmp_path):
    with pytest.raises(SystemExit, match='steps from 1 on'):
        experiment.main(['freeze', '--hebbian', str(coefficients), '--at', '0'])
    config = validate_config({**load_config('smoke').model_dump(mode='json'),
                              'es': {'genome': 'static'}})
    spec = GenomeSpec.from_config(config)
    static = tmp_path / 'static.safetensors'
    coefficient_file.save(static, coefficient_metadata(config, spec, None, {}),
                          coefficient_tensors(spec, torch.zeros(spec.size)))
    with pytest.raises(SystemExit, match='needs Hebbian coefficient files'):
        experiment.main(['freeze', '--hebbian', str(static)])


def lifetimes_csv(path, rows):
    path.write_text(','.join(experiment.DAMAGE_CSV_FIELDS) + '\n' + ''.join(
        f'{column},{morphology},unseen,{episode},{fitness},0,10,0\n'
        for column, morphology, episode, fitness in rows))
    return path


def test_paired_compares_the_same_lifetimes_of_two_columns(tmp_path, capsys):
    # B is A plus 1, 2, 3 on the same episodes: a spread of its own that pairing removes
    rows = [('a', 'whole', e, f) for e, f in enumerate((100.0, -50.0, 400.0))]
    rows += [('b', 'whole', e, f + e + 1) for e, f in enumerate((100.0, -50.0, 400.0))]
    rows += [('a', 'hind', 0, 5.0), ('b', 'hind', 0, 4.0), ('b', 'hind', 1, 9.0)]
    path = lifetimes_csv(tmp_path / 'l.csv', rows)
    d = experiment.paired_differences(path, 'a', 'b')
    assert d['whole'].tolist() == [1.0, 2.0, 3.0]
    assert d['hind'].tolist() == [-1.0]           # episode 1 has no partner in a
    assert experiment.main(['paired', str(path), 'a', 'b']) == 0
    out = capsys.readouterr().out
    assert '| whole | 3 | 2.0 +- 0.6 | 3 of 3 |' in out
    assert '| hind | 1 | -1.0 +- nan | 0 of 1 |' in out


def test_paired_refuses_what_it_cannot_pair_with_the_reason(tmp_path):
    path = lifetimes_csv(tmp_path / 'l.csv', [('a', 'whole', 0, 1.0), ('b', 'hind', 0, 2.0)])
    with pytest.raises(SystemExit, match="^hebb experiment paired: .*no column 'c'; it has: a, b"):
        experiment.main(['paired', str(path), 'a', 'c'])
    with pytest.raises(SystemExit, match='share no lifetime'):
        experiment.main(['paired', str(path), 'a', 'b'])
    (tmp_path / 'metrics.csv').write_text('generation,fitness_best\n0,1\n')
    with pytest.raises(SystemExit, match='not a lifetimes CSV'):
        experiment.main(['paired', str(tmp_path / 'metrics.csv'), 'a', 'b'])
    with pytest.raises(SystemExit, match='No such file'):
        experiment.main(['paired', str(tmp_path / 'missing.csv'), 'a', 'b'])


def test_plots_write_pngs(coefficients, tmp_path):
    (tmp_path / 'metrics.csv').write_text(
        'generation,fitness_best,fitness_mean,best_so_far\n0,1,0,1\n1,3,1,3\n')
    assert plots.plot_fitness(tmp_path, tmp_path).stat().st_size > 0
    (tmp_path / 'other').mkdir()
    (tmp_path / 'other' / 'metrics.csv').write_text(
        'generation,fitness_best,fitness_mean,best_so_far\n0,2,1,2\n')
    assert plots.main(['fitness', str(tmp_path), str(tmp_path / 'other'), '--out',
                       str(tmp_path / 'both')]) == 0
    assert plots.main(['fitness', str(tmp_path), str(tmp_path / 'other'), '--chain', '--out',
                       str(tmp_path / 'chained')]) == 0
    assert (tmp_path / 'chained' / 'fitness.png').read_bytes()[:4] == b'\x89PNG'
    assert plots.chain_offsets([2, 1, 5]) == [0, 2, 3]
    assert (tmp_path / 'both' / 'fitness.png').read_bytes()[:4] == b'\x89PNG'
    trajectory = plots.weight_trajectory(coefficients, 'whole', 0, SETTLE_STEPS + 60)
    assert trajectory.shape == (60, 28 * 16 + 16 * 8)      # one frame per scored step
    assert not np.allclose(trajectory[0], trajectory[-1])   # the weights do change
    paths = plots.plot_weights(trajectory, tmp_path, sample=10)
    assert [p.name for p in paths] == ['weights.png', 'pca.png', 'direction.png']
    for path in paths:
        assert path.read_bytes()[:4] == b'\x89PNG'


def test_weights_that_grow_along_one_direction_converge_in_cosine():
    steps = np.arange(100.0)[:, None]
    start, drift = np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 1.0]])
    cosine = plots.cosine_to_last(start + steps * drift)
    assert cosine[-1] == pytest.approx(1.0)
    assert cosine[0] == pytest.approx(1 / np.sqrt(19603))     # nearly orthogonal at first
    assert np.all(np.diff(cosine) > 0)                         # closer every step
    assert cosine[10] == pytest.approx(1981 / (np.sqrt(201) * np.sqrt(19603)))


def test_frames_show_the_robot_at_each_sampled_step(robot_coefficients, tmp_path):
    shots = plots.side_views(robot_coefficients, 'whole', 0, every=5, count=3)
    assert [step for step, _, _ in shots] == [1, 6, 11]
    assert shots[0][2].shape == (240, 320, 3) and shots[0][2].dtype == np.uint8
    assert not np.array_equal(shots[0][2], shots[-1][2])    # the robot moved between them
    assert plots.plot_frames(shots, 0.02, tmp_path).read_bytes()[:4] == b'\x89PNG'


def test_clip_is_a_gif_of_the_side_views(robot_coefficients, tmp_path):
    assert plots.main(['clip', str(robot_coefficients), '--every', '5', '--count', '3',
                       '--size', '64', '48', '--out', str(tmp_path)]) == 0
    with Image.open(tmp_path / 'clip.gif') as gif:
        assert (gif.format, gif.size, gif.n_frames) == ('GIF', (64, 48), 3)
        assert gif.info['duration'] == 100 and gif.info['loop'] == 0
        first = np.asarray(gif.convert('RGB'))
        gif.seek(2)
        assert not np.array_equal(first, np.asarray(gif.convert('RGB')))  # the robot moved


def test_frames_follow_the_ant_through_its_lifetime(coefficients):
    shots = plots.side_views(coefficients, 'damaged_right_front', 0, every=8, count=3)
    assert [step for step, _, _ in shots] == [1, 9, 17]   # the lifetime ends at the last frame
    short = plots.side_views(coefficients, 'damaged_right_front', 0, every=8, count=3,
                             max_steps=SETTLE_STEPS + 10)
    assert [step for step, _, _ in short] == [1, 9]       # ... or with the episode
    assert shots[0][2].shape == (240, 320, 3)
    assert not np.array_equal(shots[0][2], shots[-1][2])


def test_frames_need_an_env_with_a_side_view(tmp_path):
    path = tmp_path / 'car.safetensors'
    config = load_config('car_racing')
    save_genome(path, config, torch.zeros(GenomeSpec.from_config(config).size))
    with pytest.raises(ValueError, match='renders no side view'):
        plots.side_views(path, 'whole', 0, every=50, count=2)


def test_target_success_table(tmp_path, capsys):
    config = load_config('robot_target')
    path = tmp_path / 'target.safetensors'
    save_genome(path, config, torch.zeros(GenomeSpec.from_config(config).size))
    loaded = coefficient_file.load(path)
    assert loaded.metadata.env_settings['camera_width'] == 48, 'the camera it was evolved with'
    assert experiment.main(['target', '--hebbian', str(path), '--episodes', '2',
                            '--max-steps', '10', '--morphologies', 'whole']) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith('| whole |'))
    reached, left = row.split('|')[2].split(',')
    assert reached.strip() == '0/2 (0%)' and 1.3 < float(left) < 3.1   # 10 steps: not there


def test_paths_follow_the_robot_from_its_start(tmp_path):
    config = load_config('robot_target')
    path = tmp_path / 'target.safetensors'
    save_genome(path, config, torch.zeros(GenomeSpec.from_config(config).size))
    paths = plots.target_paths(path, 'whole', 2, 0)
    assert len(paths) == 2
    for trace, target, reached in paths:
        assert trace.shape[1] == 2 and len(trace) > 5 and not reached
        assert np.hypot(*trace[0]) < 0.1, 'it starts at the origin'
        assert 1.5 <= np.hypot(*target) <= 3.1
    assert plots.plot_paths(paths, tmp_path).read_bytes()[:4] == b'\x89PNG'


def test_target_table_needs_target_files(coefficients):
    with pytest.raises(SystemExit, match='needs files evolved on'):
        experiment.main(['target', '--hebbian', str(coefficients)])


def test_generalisation_evaluates_every_kept_centre_on_every_body(tmp_path, capsys):
    with pytest.raises(SystemExit, match='no snapshots and no centre'):
        plots.run_centres(tmp_path)
    config = load_config('smoke')
    size = GenomeSpec.from_config(config).size
    snapshot_path(tmp_path, 0).parent.mkdir()
    for generation in (1, 3):
        genome = torch.randn(size, generator=torch.Generator().manual_seed(generation))
        save_genome(snapshot_path(tmp_path, generation), config, genome,
                    provenance={'generation': generation})
    save_genome(tmp_path / CENTRE_FILE, config, genome, provenance={'generation': 3})
    centres = plots.run_centres(tmp_path)
    assert list(centres) == [1, 3]                      # the last centre is the last snapshot
    rows = plots.generalisation(centres, ['whole', 'damaged_left_front'], 1, 0, max_steps=45)
    assert [generation for generation, _ in rows] == [1, 3]
    assert rows[0][1]['whole'] == evaluate.evaluate_file(
        centres[1], 'whole', 1, seed=0, max_steps=45).returns.mean()
    other = tmp_path / 'other'                          # a second run shares the figure
    snapshot_path(other, 2).parent.mkdir(parents=True)
    save_genome(snapshot_path(other, 2), config, genome, provenance={'generation': 2})
    assert plots.main(['generalisation', str(tmp_path), str(other), '--episodes', '1',
                       '--max-steps', '45', '--morphologies', 'whole', 'damaged_left_front']) == 0
    out = capsys.readouterr().out
    assert f'{tmp_path.name}: mean fitness over 1 lifetimes' in out
    assert 'other: mean fitness over 1 lifetimes (seen in training: whole, damaged_right_' in out
    assert f"| 1 | {rows[0][1]['whole']:.1f} | {rows[0][1]['damaged_left_front']:.1f} |" in out
    assert (tmp_path / 'generalisation.png').read_bytes()[:4] == b'\x89PNG'
    with (tmp_path / 'generalisation.csv').open() as f:
        kept = list(csv.DictReader(f))
    assert [(r['run'], r['generation']) for r in kept] == [
        (tmp_path.name, '1'), (tmp_path.name, '1'), (tmp_path.name, '3'), (tmp_path.name, '3'),
        ('other', '2'), ('other', '2')]
    assert float(kept[0]['mean_fitness']) == pytest.approx(rows[0][1]['whole'], abs=0.01)
    assert kept[4]['mean_fitness'] == kept[2]['mean_fitness']   # the same genome, the same lives


def test_generalisation_panels_say_which_runs_trained_on_the_body():
    seen = {'hebbian': ['whole', 'damaged_right_front'], 'whole-only': ['whole']}
    assert plots.panel_title('whole', seen) == 'whole (seen)'
    assert plots.panel_title('damaged_left_front', seen) == 'damaged_left_front (unseen)'
    assert (plots.panel_title('damaged_right_front', seen)
            == 'damaged_right_front (seen by hebbian)')
