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

"""Message conversion with real ROS 2 message classes: orders, encodings, padding, errors."""

from hebb_controller.ros.conversions import (array_to_image, commands_to_message,
                                             image_to_array, image_to_input,
                                             JointStateMapper, MessageError)
import numpy as np
import pytest
from sensor_msgs.msg import Image, JointState


def joint_state(names, positions, velocities=()):
    return JointState(name=list(names), position=list(positions), velocity=list(velocities))


def test_joints_are_matched_by_name_in_any_order():
    mapper = JointStateMapper(['hip', 'knee', 'ankle'])
    pos, vel = mapper.split(joint_state(['ankle', 'extra', 'hip', 'knee'],
                                        [3.0, 9.0, 1.0, 2.0], [30.0, 90.0, 10.0, 20.0]))
    assert pos.tolist() == [1.0, 2.0, 3.0]
    assert vel.tolist() == [10.0, 20.0, 30.0]
    assert mapper.unknown == {'extra'}
    pos, vel = mapper.split(joint_state(['knee', 'hip', 'ankle'], [2.0, 1.0, 3.0]))
    assert pos.tolist() == [1.0, 2.0, 3.0] and np.isnan(vel).all(), 'no velocities: NaN'


@pytest.mark.parametrize('msg, message', [
    (joint_state(['hip', 'knee'], [1.0, 2.0]), r"lacks joints \['ankle'\]"),
    (joint_state(['hip', 'knee', 'ankle'], [1.0, 2.0]), '3 names but 2 positions'),
    (joint_state(['hip', 'knee', 'ankle'], [1, 2, 3], [1.0]), '3 names but 1 velocities'),
    (joint_state(['hip', 'hip', 'knee', 'ankle'], [1, 2, 3, 4]), 'twice'),
    (joint_state([], []), 'lacks joints'),
])
def test_bad_joint_states_say_what_is_wrong(msg, message):
    with pytest.raises(MessageError, match=message):
        JointStateMapper(['hip', 'knee', 'ankle']).split(msg)


def rgb_pattern(height=5, width=7):
    return np.arange(height * width * 3, dtype=np.uint8).reshape(height, width, 3)


def raw_image(pixels_hwc, encoding, pad=0):
    height, width, channels = pixels_hwc.shape
    rows = np.zeros((height, width * channels + pad), np.uint8)
    rows[:, :width * channels] = pixels_hwc.reshape(height, -1)
    return Image(height=height, width=width, encoding=encoding, step=width * channels + pad,
                 data=rows.tobytes())


@pytest.mark.parametrize('pad', [0, 3])
def test_encodings_and_padded_rows_decode_to_rgb(pad):
    rgb = rgb_pattern()
    assert np.array_equal(image_to_array(raw_image(rgb, 'rgb8', pad)), rgb)
    assert np.array_equal(image_to_array(raw_image(rgb[:, :, ::-1].copy(), 'bgr8', pad)), rgb)
    mono = rgb[:, :, :1].copy()
    assert np.array_equal(image_to_array(raw_image(mono, 'mono8', pad)),
                          np.repeat(mono, 3, axis=2))
    rgba = np.concatenate([rgb, np.full((5, 7, 1), 255, np.uint8)], axis=2)
    assert np.array_equal(image_to_array(raw_image(rgba, 'rgba8', pad)), rgb)


@pytest.mark.parametrize('edit, message', [
    ({'encoding': '16UC1'}, 'not supported'),
    ({'encoding': 'jpeg'}, 'not supported'),
    ({'step': 5}, 'shorter than a row'),
    ({'height': 0}, 'empty'),
    ({'height': 50}, 'image data has'),
])
def test_bad_images_say_what_is_wrong(edit, message):
    msg = raw_image(rgb_pattern(), 'rgb8')
    for field, value in edit.items():
        setattr(msg, field, value)
    with pytest.raises(MessageError, match=message):
        image_to_array(msg)


def test_resized_network_input():
    rgb = np.full((64, 48, 3), 255, np.uint8)
    rgb[:, :24] = 0
    x = image_to_input(raw_image(rgb, 'bgr8', pad=2), (32, 24))
    assert x.shape == (3, 32, 24) and x.dtype.is_floating_point
    assert float(x[:, :, :12].max()) == 0.0 and float(x[:, :, 12:].min()) == 1.0


def test_round_trip_and_commands():
    rgb = rgb_pattern()
    for encoding in ('rgb8', 'bgr8'):
        assert np.array_equal(image_to_array(array_to_image(rgb, encoding)), rgb)
    msg = commands_to_message(np.array([0.5, -1.0, 2.0]))
    assert list(msg.data) == [0.5, -1.0, 2.0]
    assert msg.layout.dim[0].size == 3
