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
Declare a node's parameters from its model in :mod:`hebb_controller.config`.

The pydantic model is the one source of names, types, defaults, descriptions
and ranges: this module turns each field into a declared ROS 2 parameter
(with its description and, for bounded numbers, a range that ``ros2 param``
shows and enforces), then reads the values back and validates them with the
same model, so a launch file, a parameter file and ``config/`` agree.
"""

from typing import Any, get_args, get_origin, TypeVar

from hebb_controller.config import NODE_PARAMS, StrictModel, validate_node_params
from pydantic.fields import FieldInfo
from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                ParameterType)
from rclpy.node import Node
from rclpy.parameter import Parameter

Params = TypeVar('Params', bound=StrictModel)

_SCALAR_TYPES = {bool: ParameterType.PARAMETER_BOOL, int: ParameterType.PARAMETER_INTEGER,
                 float: ParameterType.PARAMETER_DOUBLE, str: ParameterType.PARAMETER_STRING}
_ARRAY_TYPES = {bool: ParameterType.PARAMETER_BOOL_ARRAY,
                int: ParameterType.PARAMETER_INTEGER_ARRAY,
                float: ParameterType.PARAMETER_DOUBLE_ARRAY,
                str: ParameterType.PARAMETER_STRING_ARRAY}


def _parameter_type(annotation: Any) -> int:
    origin = get_origin(annotation)
    if origin in (list, tuple):
        return _ARRAY_TYPES[get_args(annotation)[0]]
    if annotation in _SCALAR_TYPES:
        return _SCALAR_TYPES[annotation]
    return ParameterType.PARAMETER_STRING   # Literal[...] of strings


def _bounds(info: FieldInfo) -> tuple[Any, Any]:
    low = high = None
    for item in info.metadata:
        low = getattr(item, 'ge', None) if getattr(item, 'ge', None) is not None else low
        high = getattr(item, 'le', None) if getattr(item, 'le', None) is not None else high
    return low, high


def descriptor(name: str, info: FieldInfo) -> ParameterDescriptor:
    """Describe one model field to ROS 2: type, description, range."""
    kind = _parameter_type(info.annotation)
    choices = get_args(info.annotation) if 'Literal' in str(info.annotation) else ()
    text = info.description or ''
    if choices:
        text += f' (one of: {", ".join(map(str, choices))})'
    desc = ParameterDescriptor(name=name, type=kind, description=text)
    low, high = _bounds(info)
    if low is not None and high is not None:
        if kind == ParameterType.PARAMETER_DOUBLE:
            desc.floating_point_range = [FloatingPointRange(from_value=float(low),
                                                            to_value=float(high))]
        elif kind == ParameterType.PARAMETER_INTEGER:
            desc.integer_range = [IntegerRange(from_value=int(low), to_value=int(high), step=1)]
    return desc


def declare_node_params(node: Node, name: str, defaults: Params) -> Params:
    """
    Declare every field of ``defaults``' model on ``node`` and return the validated values.

    ``defaults`` are usually ``load_node_params(name)``: the values of
    ``config/<name>.yaml``; launch-time overrides win over them. Raises
    ConfigError naming every bad value.
    """
    model = NODE_PARAMS[name]
    values = {}
    for field, info in model.model_fields.items():
        default = getattr(defaults, field)
        desc = descriptor(field, info)
        if isinstance(default, (list, tuple)):
            default = list(default)
            # an empty list carries no element type: declare by type, read None as empty
            value = node.declare_parameter(
                field, default if default else Parameter.Type(desc.type), desc).value
            values[field] = list(value) if value is not None else []
        else:
            values[field] = node.declare_parameter(field, default, desc).value
    return validate_node_params(name, values, f'node {node.get_name()!r}')
