"""Names a package resolves on first use (PEP 562 ``__getattr__``), so that importing the
package loads nothing heavy: ``import curnlp`` stays light, ``curnlp.train`` imports
scikit-learn only when asked for."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_getattr(package: str, where: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where`` maps a public name to the module that
    defines it (absolute, or relative to ``package``); a name once resolved is kept in
    ``namespace`` (the package's globals), so it is looked up only once."""
    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value
    return __getattr__
