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
Every ``hebb`` command the README shows is one the CLI accepts, options and all.

The README gives a command beside every figure; an option renamed or removed
in the code would leave a reader with a command that fails. Each command is
parsed (not run) by its subcommand's own parser. Placeholders (``S``,
``FILE``, ``[--json FILE]``) stand for values: bracketed parts are dropped
and capitalised words read as ``1``.
"""

import importlib
from pathlib import Path
import re
import shlex

from hebb_controller import cli
import pytest

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r'^[A-Z][A-Z_]*$')


def readme_commands() -> list[str]:
    text = (ROOT / 'README.md').read_text()
    found = [' '.join(m.group(1).split())
             for m in re.finditer(r'`(?:\.venv/bin/)?(hebb [^`]+)`', text)]
    for block in re.findall(r'```bash\n(.*?)```', text, re.S):
        for line in block.splitlines():
            match = re.match(r'(?:nohup )?(?:\.venv/bin/)?(hebb .*)', line.strip())
            if match:
                found.append(re.split(r' #| > | &', match.group(1))[0].strip())
    return found


def parser_and_args(command: str):
    words = [w if not PLACEHOLDER.match(w) else '1'
             for w in shlex.split(re.sub(r'\[[^]]*\]', '', command))[1:]]
    name = words[0]
    if name == 'bench':
        module, rest = cli.BENCHMARKS[words[1]], words[2:]
    else:
        module, rest = cli.COMMANDS[name][0], words[1:]
    return importlib.import_module(module).build_parser(), rest


COMMANDS = readme_commands()


def test_the_readme_shows_commands_of_every_kind():
    named = {shlex.split(c)[1] for c in COMMANDS}
    assert set(cli.COMMANDS) | {'bench'} <= named
    assert len(COMMANDS) > 40


@pytest.mark.parametrize('command', [c for c in COMMANDS if len(c.split()) > 2])
def test_a_readme_command_parses(command):
    parser, args = parser_and_args(command)
    try:
        parser.parse_args(args)
    except SystemExit as stop:   # --help exits 0; an unknown option exits 2
        assert stop.code == 0, f'the README shows a command the CLI refuses: {command}'


def test_a_wrong_option_is_caught():
    parser, args = parser_and_args('hebb eval FILE --laps 3')
    with pytest.raises(SystemExit):
        parser.parse_args(args)


def test_every_figure_and_file_the_readme_names_is_in_the_tree():
    text = (ROOT / 'README.md').read_text()
    images = re.findall(r'!\[[^]]*\]\(([^)]+)\)', text)
    files = re.findall(r'`((?:docs|config|coefficients|launch|test)/[^` ]+)`', text)
    assert images
    missing = [p for p in images + files if not (ROOT / p).exists()]
    assert not missing, f'the README names files that are not there: {missing}'
