"""Cluster drivers, found through the ``magnum_lite.drivers`` entry
points."""

import functools
from importlib import metadata

from magnum_lite.common import exception
from magnum_lite.conf import CONF

GROUP = 'magnum_lite.drivers'


@functools.cache
def _entry_points():
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


@functools.cache
def get(name=None):
    """The driver instance named ``name`` (default: the configured one)."""
    name = name or CONF.conductor.default_driver
    entry_point = _entry_points().get(name)
    if entry_point is None:
        raise exception.DriverNotFound(name=name)
    return entry_point.load()()


def for_template(template):
    """The driver a cluster template asks for."""
    return get(template.driver or None)


def validate(template):
    """Let the driver a cluster template asks for check it
    (``Driver.validate``: raises Invalid). ``template`` is the template's
    values as a dict. A template naming a driver that is not installed
    is not refused here: the API never did, its clusters fail to build.
    """
    try:
        driver = get(template.get('driver') or None)
    except exception.DriverNotFound:
        return
    driver.validate(template)


def names():
    """The names of the installed drivers."""
    return sorted(_entry_points())
