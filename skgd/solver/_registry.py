"""Name -> class registries for solver components, losses and activations.

A component becomes available everywhere (parameter validation, docs, the
registry-parametrised tests) by decorating its class with ``@REGISTRY.register``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of component classes.

    Parameters
    ----------
    kind : str
        What the registry holds ("optimizer", "schedule", ...); used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: register ``cls`` under ``cls.name``."""
        name = getattr(cls, "name", None)
        if not isinstance(name, str):
            raise TypeError(f"{cls.__name__} needs a string class attribute 'name'")
        if name in self._classes:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._classes[name] = cls
        return cls

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> type[T]:
        """The class registered under ``name``."""
        try:
            return self._classes[name]
        except KeyError:
            raise ValueError(
                f"Unknown {self.kind} {name!r}; choose one of {self.names()}"
            ) from None

    def resolve(self, spec: Any, base: type) -> T:
        """Turn a name or an instance into an instance (names get default parameters)."""
        if isinstance(spec, str):
            return self.get(spec)()
        if isinstance(spec, base):
            return spec
        raise ValueError(
            f"{self.kind} must be one of {self.names()} or a {base.__name__} instance, "
            f"got {spec!r}"
        )
