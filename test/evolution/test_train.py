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

"""Training end to end on Ray: outputs, worker-count independence, resume, stop, corruption."""

import csv
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

from hebb_controller.config import ConfigError, load_config, validate_config
from hebb_controller.evolution import checkpoint
from hebb_controller.evolution import train as train_module
from hebb_controller.evolution.es import EvolutionStrategy
from hebb_controller.evolution.rollout import genome_of, GenomeSpec
from hebb_controller.evolution.train import (METRICS, resolve_run, SCALAR_TAGS,
                                             TENSORBOARD_DIR, train)
from hebb_controller.plasticity import coefficient_file, HebbianNetwork
import pytest
from safetensors import safe_open
from safetensors.torch import save as save_safetensors
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
import torch
import yaml

ROOT = Path(__file__).resolve().parents[2]
TIMING = ('seconds', 'env_steps_per_s')


def smoke(**es):
    data = load_config('smoke').model_dump(mode='json')
    data['es'].update(es)
    return validate_config(data)


def metrics(run_dir):
    with (Path(run_dir) / 'metrics.csv').open() as f:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(f)]


def scalars(run_dir, tag='fitness/mean'):
    """Return the (generation, value) pairs TensorBoard shows for ``tag``."""
    events = EventAccumulator(str(Path(run_dir) / TENSORBOARD_DIR), purge_orphaned_data=True)
    events.Reload()
    return [(e.step, e.value) for e in events.Scalars(tag)]


def centre(run_dir):
    state, tensors = checkpoint.load_checkpoint(Path(run_dir) / checkpoint.LATEST)
    return state, tensors['centre']


@pytest.fixture(scope='module')
def straight_run(ray_session, tmp_path_factory):
    """Run the smoke config uninterrupted: the reference the other tests compare with."""
    return train(smoke(), tmp_path_factory.mktemp('straight'), progress=False)


def test_smoke_run_writes_every_output(straight_run):
    names = {p.name for p in straight_run.iterdir()}
    assert {'config.yaml', 'metrics.csv', 'checkpoint.safetensors',
            'checkpoint.prev.safetensors', 'best.safetensors', 'centre.safetensors'} <= names
    rows = metrics(straight_run)
    assert [int(r['generation']) for r in rows] == [0, 1, 2]
    assert all(int(r['env_steps']) == 6 * 2 * 30 for r in rows)
    state, _ = centre(straight_run)
    assert state['es']['generation'] == 3
    assert validate_config(yaml.safe_load((straight_run / 'config.yaml').read_text())) == smoke()
    best = coefficient_file.load(straight_run / 'best.safetensors')
    assert best.metadata.fitness == max(float(r['fitness_best']) for r in rows)
    assert best.metadata.env_id == 'hebb_controller/AntBullet-v0'
    assert best.metadata.provenance['config']['es']['population'] == 6
    assert isinstance(best.build_network(device='cpu', seed=0), HebbianNetwork)
    for name, tag in SCALAR_TAGS.items():   # TensorBoard holds what metrics.csv holds
        logged = [(r['generation'], r[name]) for r in csv.DictReader(
            (straight_run / 'metrics.csv').open())]
        assert [(step, pytest.approx(value, rel=1e-6)) for step, value in scalars(
            straight_run, tag)] == [(int(g), float(v)) for g, v in logged]


def test_a_run_keeps_the_centre_every_snapshot_every_generations(straight_run):
    assert smoke().es.snapshot_every == 2
    assert [p.name for p in (straight_run / 'snapshots').iterdir()] == ['centre-0001.safetensors']
    snapshot = coefficient_file.load(straight_run / 'snapshots' / 'centre-0001.safetensors')
    final = coefficient_file.load(straight_run / 'centre.safetensors')
    assert (snapshot.metadata.provenance['generation'], final.metadata.provenance['generation']) \
        == (1, 2)
    assert snapshot.metadata.network == final.metadata.network
    assert any(not torch.equal(snapshot.tensors[k], final.tensors[k]) for k in final.tensors)


def test_two_workers_give_the_same_result(straight_run, tmp_path):
    run = train(smoke(), tmp_path, workers=2, progress=False)
    assert metrics(run) == metrics(straight_run)
    assert centre(run)[1].equal(centre(straight_run)[1])


def test_should_stop_ends_after_the_generation_and_resume_continues_exactly(straight_run,
                                                                            tmp_path):
    rows = []
    run = train(smoke(), tmp_path, progress=False, on_generation=rows.append,
                should_stop=lambda: bool(rows))
    assert [row['generation'] for row in rows] == [0]
    assert set(rows[0]) == set(METRICS) | {'run_dir'} and rows[0]['run_dir'] == run
    assert [float(v) for v in metrics(run)[0].values()] == [
        float(rows[0][k]) for k in METRICS if k not in TIMING]
    state, _ = centre(run)
    assert state['es']['generation'] == 1, 'the stopped generation has its checkpoint'
    train(smoke(), run, resume=True, progress=False)
    assert metrics(run) == metrics(straight_run)
    assert centre(run)[1].equal(centre(straight_run)[1])


def test_a_run_resumes_elsewhere_from_config_metrics_and_checkpoint(straight_run, tmp_path):
    """What a run needs on another machine (a lent GPU host, a new session): three files."""
    rows = []
    first = train(smoke(), tmp_path / 'first', progress=False, on_generation=rows.append,
                  should_stop=lambda: bool(rows))
    moved = tmp_path / 'moved'
    moved.mkdir()
    for name in ('config.yaml', 'metrics.csv', checkpoint.LATEST):
        shutil.copy(first / name, moved / name)
    train(smoke(generations=1), moved, resume=True, progress=False)   # nothing left to run
    best = coefficient_file.load(moved / 'best.safetensors')
    assert best.metadata.fitness == float(rows[0]['fitness_best'])
    assert best.metadata.provenance['generation'] == 0
    train(smoke(), moved, resume=True, progress=False)
    assert metrics(moved) == metrics(straight_run)
    assert centre(moved)[1].equal(centre(straight_run)[1])
    assert coefficient_file.load(moved / 'best.safetensors').metadata.fitness == \
        coefficient_file.load(straight_run / 'best.safetensors').metadata.fitness
    assert scalars(moved) == scalars(straight_run)   # rebuilt from metrics.csv, then logged


def test_an_extended_run_equals_a_longer_run(straight_run, tmp_path):
    total = smoke().es.generations
    run = train(smoke(generations=total - 2), tmp_path / 'short', progress=False)
    config, _ = resolve_run(None, str(run), resume=True, generations=total)
    train(config, run, resume=True, progress=False)
    assert metrics(run) == metrics(straight_run)
    assert centre(run)[1].equal(centre(straight_run)[1])
    # the run keeps the end it now follows: a plain resume has nothing left to do
    assert resolve_run(None, str(run), resume=True)[0].es.generations == total


def test_corrupt_checkpoint_is_refused_and_the_previous_one_used(straight_run, tmp_path):
    run = tmp_path / 'run'
    train(smoke(generations=2), run, progress=False)
    latest = run / checkpoint.LATEST
    data = bytearray(latest.read_bytes())
    data[-3] ^= 0xFF                                   # flip bits in the tensor bytes
    latest.write_bytes(bytes(data))
    with pytest.raises(checkpoint.CheckpointError, match='SHA-256'):
        checkpoint.load_checkpoint(latest)
    latest.write_bytes(bytes(data[:100]))              # and truncated
    with pytest.raises(checkpoint.CheckpointError, match='truncated or corrupt'):
        checkpoint.load_checkpoint(latest)
    warnings = []
    state, _, used = checkpoint.load_latest(run, warn=warnings.append)
    assert used.name == checkpoint.PREVIOUS and state['es']['generation'] == 1
    assert 'refusing checkpoint' in warnings[0]
    # Resuming re-runs generation 1 and goes on to 3, exactly as the straight run.
    config = validate_config(yaml.safe_load((run / 'config.yaml').read_text()))
    config = validate_config({**config.model_dump(mode='json'),
                              'es': {**config.es.model_dump(mode='json'), 'generations': 3}})
    train(config, run, resume=True, progress=False)
    assert metrics(run) == metrics(straight_run)
    assert centre(run)[1].equal(centre(straight_run)[1])


def test_an_edited_checkpoint_state_is_refused_and_version_1_files_still_load(tmp_path):
    state = {'es': {'generation': 7, 'sigma': 0.09, 'learning_rate': 0.19}, 'best_fitness': 3.5}
    tensors = {'centre': torch.arange(6, dtype=torch.float32), 'best_genome': torch.ones(6)}
    path = checkpoint.save_checkpoint(tmp_path, state, tensors)
    assert checkpoint.load_checkpoint(path)[0] == state

    def rewrite(edit):
        with safe_open(str(path), framework='pt') as f:
            document = json.loads(f.metadata()[checkpoint.FORMAT])
            kept = {name: f.get_tensor(name) for name in f.keys()}
        edit(document)
        path.write_bytes(save_safetensors(kept, metadata={
            checkpoint.FORMAT: json.dumps(document)}))

    rewrite(lambda d: d['state']['es'].update(generation=2))     # valid JSON, another run
    with pytest.raises(checkpoint.CheckpointError, match='state does not match its SHA-256'):
        checkpoint.load_checkpoint(path)

    def as_version_1(document):                      # what earlier builds wrote
        document.update(format_version=1, sha256=coefficient_file.tensor_digest(tensors))
    rewrite(as_version_1)
    assert checkpoint.load_checkpoint(path)[0]['es']['generation'] == 2
    rewrite(lambda d: d.update(format_version=3))
    with pytest.raises(checkpoint.CheckpointError, match='format version 3; this build reads'):
        checkpoint.load_checkpoint(path)


def test_a_latest_that_does_not_verify_never_replaces_the_good_previous(tmp_path):
    def save(generation):
        return checkpoint.save_checkpoint(tmp_path, {'es': {'generation': generation}},
                                          {'centre': torch.full((4,), float(generation))})
    save(1)
    latest = save(2)                                   # previous: 1, latest: 2
    latest.write_bytes(latest.read_bytes()[:-8])       # 2 is damaged; a resume uses 1
    assert checkpoint.load_latest(tmp_path)[0]['es']['generation'] == 1
    save(2)                                            # the resumed run writes 2 again
    previous = checkpoint.load_checkpoint(tmp_path / checkpoint.PREVIOUS)[0]
    assert previous['es']['generation'] == 1, 'the good one is kept, not the damaged'
    save(3)
    assert checkpoint.load_checkpoint(tmp_path / checkpoint.PREVIOUS)[0]['es']['generation'] == 2


def test_resume_after_sigkill_continues_exactly(ray_session, tmp_path):
    config = smoke(generations=8)
    data = config.model_dump(mode='json')
    data['env']['max_episode_steps'] = 150
    config_path = tmp_path / 'long.yaml'
    config_path.write_text(yaml.safe_dump(data))
    reference = train(validate_config(data), tmp_path / 'reference', progress=False)

    run = tmp_path / 'killed'
    command = [sys.executable, '-m', 'hebb_controller.cli', 'train']
    proc = subprocess.Popen(command + [str(config_path), '--run-dir', str(run), '--no-progress'],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            try:
                state, _ = checkpoint.load_checkpoint(run / checkpoint.LATEST)
            except checkpoint.CheckpointError:
                state = None
            if state and state['es']['generation'] >= 2:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)            # the driver and the Ray it started
        proc.wait()
    done = len(metrics(run))
    assert 2 <= done < 8, 'the run was not killed mid-way'

    result = subprocess.run(command + ['--resume', str(run), '--no-progress'], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'resuming' in result.stderr
    # --no-progress logs a line per generation it runs: those after the checkpoint
    logged = [line for line in result.stdout.splitlines() if line.startswith('generation ')]
    assert 8 - done <= len(logged) <= 9 - done
    assert logged[-1].startswith('generation 8/8: best ')
    assert logged[-1].endswith('about 0h00 left')
    assert metrics(run) == metrics(reference)
    assert centre(run)[1].equal(centre(reference)[1])
    assert centre(run)[0] == centre(reference)[0]
    # the generation in flight at the kill is logged once, as the resumed run computed it
    assert scalars(run) == scalars(reference)


def test_a_run_can_start_from_an_evolved_file(straight_run, tmp_path, capsys):
    source = straight_run / 'centre.safetensors'
    config = smoke(init_from=str(source), generations=1)
    run = train(config, tmp_path, progress=False)
    assert 'started 2880 of 2880 genes from' in capsys.readouterr().err
    _, after_one = centre(run)
    evolved = genome_of(coefficient_file.load(source).network_layers())
    spec = GenomeSpec.from_config(config)
    fresh = EvolutionStrategy.from_config(config.es, spec.size, spec.network_genes).centre
    # one ES step from the file's genome, not from the normal start
    assert (after_one - evolved).norm() < 0.5 * (after_one - fresh).norm()


def test_shared_episodes_give_every_individual_the_same_lifetime(ray_session, tmp_path):
    # sigma so small that the genomes are alike: what differs is the episodes
    stds = {}
    for shared in (False, True):
        run = train(smoke(shared_episodes=shared, sigma=1e-6, sigma_min=0.0, generations=1),
                    tmp_path / str(shared), progress=False)
        stds[shared] = float(metrics(run)[0]['fitness_std'])
    assert stds[True] < 0.1 * stds[False], stds


def test_seed_overrides_the_config_of_a_new_run_only(tmp_path):
    config, run_dir = resolve_run('ant', str(tmp_path / 'seed1'), seed=1)
    assert config.es.seed == 1 and run_dir == tmp_path / 'seed1'
    assert config.model_dump()['es'] | {'seed': 0} == load_config('ant').model_dump()['es']
    with pytest.raises(ConfigError, match='seed'):
        resolve_run('ant', None, seed=-1)
    with pytest.raises(ConfigError, match='keeps the seed'):
        resolve_run(None, str(tmp_path), resume=True, seed=1)


def test_a_run_being_trained_refuses_a_second_trainer(tmp_path, capsys):
    run = tmp_path / 'run'
    run.mkdir()
    with train_module.run_lock(run):                 # as another process's trainer would
        with pytest.raises(train_module.RunBusyError, match=f'pid {os.getpid()} on '):
            train(smoke(), run, progress=False)
        assert train_module.main(['smoke', '--run-dir', str(run), '--no-progress']) == 1
        assert 'is being trained by another process' in capsys.readouterr().err
    assert not (run / checkpoint.LATEST).exists()    # the refused trainer wrote nothing


def test_resume_names_the_run_alone(tmp_path, capsys):
    for extra in (['smoke'], ['--run-dir', str(tmp_path / 'other')]):
        assert train_module.main(['--resume', str(tmp_path)] + extra) == 2
        assert 'give neither CONFIG nor --run-dir' in capsys.readouterr().err


def test_a_new_run_refuses_a_directory_that_holds_one(straight_run):
    with pytest.raises(ConfigError, match='holds a run already; continue it with --resume'):
        resolve_run('smoke', str(straight_run))
    assert resolve_run(None, str(straight_run), resume=True)[1] == straight_run
