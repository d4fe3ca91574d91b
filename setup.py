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

from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'hebb_controller'
# kept run centres, the warm starts of training configs (es.init_from): installed under the
# same relative paths, so a config finds its start in the share folder as in the source tree
KEPT_CENTRES = glob('docs/results/training/*/centre.safetensors')

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/config', glob('config/*.yaml')),
        ('share/' + package_name + '/coefficients', glob('coefficients/*.safetensors')),
        *(('share/' + package_name + '/' + os.path.dirname(path), [path])
          for path in KEPT_CENTRES),
    ],
    python_requires='>=3.10',
    install_requires=[
        'setuptools',
        'torch>=2.4',
        'numpy',
        'numba',
        'pyyaml',
        'pydantic>=2',
        'safetensors',
        'pybullet',
        'gymnasium',
        'ray',
        'matplotlib',
        'pillow',
        'tqdm',
        'tensorboard',
        'mcap',
    ],
    extras_require={
        'test': ['pytest', 'evotorch', 'gym'],
    },
    zip_safe=True,
    maintainer='hebb_controller maintainers',
    maintainer_email='hebb-controller@users.noreply.github.com',
    description='Evolved Hebbian plasticity controllers for legged robots on ROS 2.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'hebb = hebb_controller.cli:main',
            'controller = hebb_controller.ros.controller_node:main',
            'trainer = hebb_controller.ros.trainer_node:main',
            'sim = hebb_controller.ros.sim_node:main',
        ],
    },
)
