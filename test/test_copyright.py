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
Every source file carries the Apache-2.0 copyright header.

``ament_copyright`` runs when installed (a ROS 2 install); it has no PyPI
wheel, so elsewhere the same requirement is checked directly: a copyright
line and the Apache-2.0 licence notice at the top of each Python file.
"""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / 'setup.py'] + sorted(
    p for d in ('hebb_controller', 'test', 'launch') for p in (ROOT / d).rglob('*.py'))


@pytest.mark.copyright
@pytest.mark.linter
def test_copyright():
    try:
        from ament_copyright.main import main
    except ImportError:
        missing = []
        for path in SOURCES:
            head = path.read_text().splitlines()[:15]
            text = '\n'.join(head)
            if not (head and head[0].startswith('# Copyright ')
                    and 'Licensed under the Apache License, Version 2.0' in text):
                missing.append(str(path.relative_to(ROOT)))
        assert not missing, 'files without the Apache-2.0 header: ' + ', '.join(missing)
    else:
        rc = main(argv=[str(p) for p in SOURCES])
        assert rc == 0, 'Found errors'
