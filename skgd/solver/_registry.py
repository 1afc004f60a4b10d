"""Name -> class registries for solver components, losses and activations.

A component becomes available everywhere (parameter validation, docs, the
registry-parametrised tests) by decorating its class with ``@REGISTRY.register``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from ..utils._compat import StrOptions

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of component classes.

    The registries of skgd are ``skgd.solver.OPTIMIZERS``, ``SCHEDULES``,
    ``REGULARIZERS``, ``skgd.losses.LOSSES`` and ``skgd.neural_network.ACTIVATIONS``.

    Parameters
    ----------
    kind : str
        What the registry holds ("optimizer", "schedule", ...); used in error messages.

    Examples
    --------
    >>> from skgd.solver import OPTIMIZERS, Optimizer
    >>> from skgd.solver._registry import Registry
    >>> OPTIMIZERS.get("adam").__name__, "nesterov" in OPTIMIZERS
    ('Adam', True)
    >>> type(OPTIMIZERS.resolve("sgd", Optimizer)).__name__
    'SGD'
    >>> toys = Registry("toy")
    >>> @toys.register
    ... class Hammer:
    ...     name = "hammer"
    >>> toys.alias("mallet", "hammer")
    >>> toys.names(aliases=True), toys.get("mallet") is Hammer
    (['hammer', 'mallet'], True)
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: register ``cls`` under ``cls.name``.

        Parameters
        ----------
        cls : type
            A class with a string class attribute ``name`` not registered yet
            (``TypeError`` without one, ``ValueError`` when it is taken).

        Returns
        -------
        cls : type
            The class itself, so the decorator leaves it unchanged.
        """
        name = getattr(cls, "name", None)
        if not isinstance(name, str):
            raise TypeError(f"{cls.__name__} needs a string class attribute 'name'")
        if name in self._classes:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._classes[name] = cls
        return cls

    def alias(self, alias: str, name: str) -> None:
        """Make ``alias`` another name of the class registered as ``name`` (e.g.
        scikit-learn's ``learning_rate="adaptive"`` for ``"plateau"``).

        Parameters
        ----------
        alias : str
            The new name (not registered yet).
        name : str
            A registered name.
        """
        if alias in self._classes or alias in self._aliases:
            raise ValueError(f"{self.kind} {alias!r} is already registered")
        self.get(name)
        self._aliases[alias] = name

    def names(self, where=None, *, aliases: bool = False) -> list[str]:
        """Registered names, sorted; ``where(cls)`` filters them, ``aliases`` adds
        the aliases of the names kept.

        Parameters
        ----------
        where : callable or None, default=None
            ``where(cls) -> bool`` keeps the classes it accepts; None keeps all.
        aliases : bool, default=False
            Also list the aliases of the kept names.

        Returns
        -------
        names : list of str
            Sorted names.
        """
        keep = [n for n, c in self._classes.items() if where is None or where(c)]
        if aliases:
            keep += [a for a, n in self._aliases.items() if n in keep]
        return sorted(keep)

    def options(self, where=None) -> RegistryOptions:
        """A scikit-learn parameter constraint accepting the registered names (and
        aliases) at validation time, so a class registered after import is valid.

        Parameters
        ----------
        where : callable or None, default=None
            ``where(cls) -> bool`` restricts the accepted classes (e.g. regression losses).

        Returns
        -------
        constraint : RegistryOptions
            A ``StrOptions`` whose options are read when a parameter is validated.
        """
        return RegistryOptions(self, where)

    def __contains__(self, name: object) -> bool:
        return name in self._classes or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> type[T]:
        """The class registered under ``name``.

        Parameters
        ----------
        name : str
            A registered name or alias (``ValueError`` listing the names otherwise).

        Returns
        -------
        cls : type
            The registered class.
        """
        try:
            return self._classes[self._aliases.get(name, name)]
        except KeyError:
            raise ValueError(
                f"Unknown {self.kind} {name!r}; choose one of {self.names()}"
            ) from None

    def resolve(self, spec: Any, base: type) -> T:
        """Turn a name or an instance into an instance (names get default parameters).

        Parameters
        ----------
        spec : str or object
            A registered name, or an instance of ``base`` (returned as is).
        base : type
            The base class an instance must have (``ValueError`` otherwise).

        Returns
        -------
        component : object
            ``get(spec)()`` for a name, else ``spec``.
        """
        if isinstance(spec, str):
            return self.get(spec)()
        if isinstance(spec, base):
            return spec
        raise ValueError(
            f"{self.kind} must be one of {self.names()} or a {base.__name__} instance, "
            f"got {spec!r}"
        )


class RegistryOptions(StrOptions):
    """``StrOptions`` whose options are read from a :class:`Registry` when a parameter
    is validated (names and aliases; ``where(cls)`` filters the classes)."""

    def __init__(self, registry: Registry, where=None) -> None:
        self.registry = registry
        self.where = where
        self.hidden = False
        self.type = str
        self.deprecated: set = set()

    @property
    def options(self) -> set[str]:
        return set(self.registry.names(self.where, aliases=True))
