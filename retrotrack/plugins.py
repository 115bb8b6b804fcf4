"""The plugin manager: finds readers in installed packages (entry-point group "retrotrack").

The built-in readers are listed as entry points in setup.cfg, so they load the
way a third-party plugin does; they are also registered directly when the
entry points are missing (running from a source tree without installing).
A plugin that fails to import is skipped with a warning, never fatal.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pluggy

from retrotrack import hookspecs
from retrotrack.hookspecs import Reader

BUILTIN_PLUGINS = ("retrotrack.readers.fit", "retrotrack.readers.gpx")

_manager: pluggy.PluginManager | None = None
_problems: list[str] = []


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    for ep in entry_points(group=hookspecs.PROJECT):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            if not pm.is_registered(plugin):
                pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken third-party plugin must not stop the built-ins
            message = f"plugin {ep.name!r} ({ep.value}) could not be loaded: {exc}"
            _problems.append(message)


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _manager
    if _manager is None:
        _problems.clear()
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        _load_entry_points(pm)
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            if not pm.is_registered(module):
                pm.register(module, name=module_name.rsplit(".", 1)[-1])
        _manager = pm
    return _manager


def reset() -> None:
    """Forget the plugin manager: the next use rescans the installed entry points."""
    global _manager
    _manager = None
    _problems.clear()


def register(plugin: object, name: str | None = None) -> None:
    """Add a plugin in-process (a module or object with hook implementations)."""
    pm = get_plugin_manager()
    if not pm.is_registered(plugin):
        pm.register(plugin, name=name)


def unregister(plugin: object) -> None:
    """Remove a plugin added with `register`."""
    pm = get_plugin_manager()
    if pm.is_registered(plugin):
        pm.unregister(plugin)


def load_problems() -> list[str]:
    """Plugins that failed to load or to list their readers, as one-line messages."""
    readers()
    return list(_problems)


def readers() -> list[Reader]:
    """Every registered reader; plugins registered later come first, so they can override.

    A plugin whose hook raises is left out (with a problem for `load_problems`), as one that fails
    to import is: a broken third-party plugin never stops the built-ins."""
    found: list[Reader] = []
    # pluggy calls hook implementations last registered first; each is called alone to contain its failure.
    for impl in reversed(get_plugin_manager().hook.retrotrack_register_readers.get_hookimpls()):
        try:
            result = impl.function()
        except Exception as exc:
            message = f"plugin {impl.plugin_name!r} could not list its readers: {type(exc).__name__}: {exc}"
            if message not in _problems:
                _problems.append(message)
            continue
        found.extend(result or [])
    return found
