"""JAX pytree registration without importing JAX.

Game objects are JAX pytrees (so ``jax.jit`` and ``jax.vmap`` take them), but importing JAX costs about a second,
which a command that never touches JAX (``equilibria --help``, a 2x2 solve, a game tree) must not pay. So a class is
registered when JAX is imported, not when the class is defined: :func:`register_pytree_when_jax_loads` registers at
once when ``jax`` is already in ``sys.modules``, and otherwise installs an import hook (a ``sys.meta_path`` finder)
that runs the pending registrations right after ``import jax`` finishes, whoever imports it. A program cannot hand a
game to a JAX transformation without importing JAX first, so every such call sees the class registered.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

_PENDING: list[type] = []
_LOCK = threading.Lock()


def register_pytree_when_jax_loads(cls: type) -> type:
    """Class decorator: ``jax.tree_util.register_pytree_node_class(cls)`` once JAX is imported (module docstring).

    ``cls`` defines ``tree_flatten`` and the classmethod ``tree_unflatten`` as JAX asks.
    """
    with _LOCK:
        if "jax" in sys.modules and hasattr(sys.modules["jax"], "tree_util"):
            _register(cls)
            return cls
        _PENDING.append(cls)
        if not any(isinstance(finder, _JaxImportHook) for finder in sys.meta_path):
            sys.meta_path.insert(0, _JaxImportHook())
    return cls


def _register(cls: type) -> None:
    import jax

    jax.tree_util.register_pytree_node_class(cls)


def _register_pending() -> None:
    with _LOCK:
        pending = list(_PENDING)
        _PENDING.clear()
    for cls in pending:
        _register(cls)


# The finder and the loader below follow importlib's protocols without subclassing importlib.abc's classes: importing
# importlib.abc costs tens of milliseconds (it loads importlib.resources), a quarter of the command line's start-up.
class _JaxImportHook:
    """Finds nothing itself: it wraps the loader the other finders give ``jax`` so that the pending registrations
    run once ``jax/__init__`` has executed, and then removes itself."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != "jax":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _RegisteringLoader(spec.loader, self)  # type: ignore[assignment]  # duck-typed Loader
                return spec
        return None


class _RegisteringLoader:
    def __init__(self, loader: Any, hook: _JaxImportHook) -> None:
        self._loader = loader
        self._hook = hook

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...: the real loader's
        return getattr(self._loader, name)

    def exec_module(self, module: ModuleType) -> None:
        # The real loader, as without the hook, for everything that asks the module later (importlib.resources).
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        if self._hook in sys.meta_path:
            sys.meta_path.remove(self._hook)
        _register_pending()
