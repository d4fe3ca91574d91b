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

"""One local Ray session for every test that needs it (ray.init costs about 2 s)."""

import pytest


@pytest.fixture(scope='session')
def ray_session():
    ray = pytest.importorskip('ray')
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, logging_level='WARNING')
    yield ray
    ray.shutdown()
