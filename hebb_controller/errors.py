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
Errors caused by what a user handed in (a file, a setting, a name).

Their messages say what is wrong and where, so the ``hebb`` command prints them
as one line without a traceback; any other exception is a bug and keeps its
trace.
"""

from typing import Iterable


class InputError(ValueError):
    """Bad input from a user; ``exit_code`` is what the ``hebb`` command returns for it."""

    exit_code = 1


def unknown_name(kind: str, name: str, known: Iterable[str]) -> InputError:
    """Return the error for a name that is not in a registry, listing the known names."""
    return InputError(f'unknown {kind} {name!r}; known: {", ".join(known)}')
