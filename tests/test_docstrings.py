"""Every public name has a numpydoc docstring that documents each of its parameters.

Public names are discovered from the ``__all__`` of every public module of skgd (a
module whose dotted path has no component starting with ``_``), so a newly exported
class or function is checked with no edit here. For each public class and function,
and each public method a class defines in skgd (inherited scikit-learn methods are
scikit-learn's business), :func:`numpydoc.validate.validate` must not report:

- ``GL08``: no docstring;
- ``PR01``: a parameter of the signature is not documented;
- ``PR02``: a documented parameter is not in the signature;
- ``PR07``: a documented parameter has no description;
- ``EX01``: no ``Examples`` section (classes and functions only, not methods);

every public property a class defines in skgd has a docstring (its summary is the
attribute's entry in the API reference), and a documented ``default=`` that is a Python
literal equals the default of the signature.

and numpydoc must not warn about an unknown section (Sphinx builds with ``-W``).
A method that overrides a documented method of an skgd base class without a
docstring of its own is checked through the docstring it inherits (what the API pages
show), and must keep that method's signature unless the documented one is variadic
(protocol hooks such as ``Optimizer.update(g, *args)``, whose arity is each
component's own). The examples themselves run as doctests (``python -m pytest skgd``).
"""

from __future__ import annotations

import ast
import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
import warnings

import pytest

import skgd

numpydoc_validate = pytest.importorskip("numpydoc.validate")

#: modules that are not part of the API (demo script)
NOT_API = {"skgd.demo"}
#: modules that need an optional dependency to import
OPTIONAL = {}
#: modules the API reference promises; each must be discovered and have ``__all__``
EXPECTED = {
    "skgd", "skgd.linear_model", "skgd.neural_network", "skgd.recommender", "skgd.solver",
    "skgd.losses", "skgd.metrics", "skgd.callbacks", "skgd.plot", "skgd.model_selection",
    "skgd.federated", "skgd.datasets",
}
CODES_OBJECT = ("GL08", "PR01", "PR02", "PR07", "EX01")
CODES_METHOD = ("GL08", "PR01", "PR02", "PR07")


def public_modules() -> list[str]:
    """Dotted names of skgd's public modules that declare ``__all__``."""
    names = ["skgd"]
    for info in pkgutil.walk_packages(skgd.__path__, prefix="skgd."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or info.name in NOT_API:
            continue
        names.append(info.name)
    found = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:
            if name in OPTIONAL:
                continue
            raise
        if hasattr(module, "__all__"):
            found.append(name)
    return found


def _is_documentable(obj) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj)


def public_objects() -> list[str]:
    """``module.name`` of every public class and function, and the class of every
    public instance of an skgd class (the registries), each object once."""
    seen, out = set(), []
    for modname in public_modules():
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            path = f"{modname}.{name}"
            if not _is_documentable(obj):
                # a public instance of an skgd class (the registries): its class is API
                obj = type(obj)
                path = f"{obj.__module__}.{obj.__qualname__}"
                if not obj.__module__.startswith("skgd"):
                    continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append(path)
    return out


def _defined_in_skgd(func) -> bool:
    func = inspect.unwrap(func)
    return (getattr(func, "__module__", "") or "").startswith("skgd")


def public_methods(path: str) -> list[str]:
    """``path.method`` of every public method (not property) the class defines in skgd."""
    obj = _load(path)
    if not inspect.isclass(obj):
        return []
    out = []
    for name in sorted(dir(obj)):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(obj, name)
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        attr = getattr(attr, "fn", attr)  # sklearn's available_if descriptor
        if inspect.isfunction(attr) and _defined_in_skgd(attr):
            out.append(f"{path}.{name}")
    return out


def _load(path: str):
    modname, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(modname), name)
    except ModuleNotFoundError:
        return getattr(_load(modname), name)


def public_properties(path: str) -> dict[int, str]:
    """``path.name`` of every public property the class defines in skgd, keyed by the
    property (an inherited one is checked once)."""
    obj = _load(path)
    if not inspect.isclass(obj):
        return {}
    out = {}
    for name in sorted(dir(obj)):
        prop = inspect.getattr_static(obj, name)
        if (not name.startswith("_") and isinstance(prop, property)
                and _defined_in_skgd(prop.fget)):
            out[id(prop)] = f"{path}.{name}"
    return out


OBJECTS = public_objects()
METHODS = [m for path in OBJECTS for m in public_methods(path)]
PROPERTIES = sorted({k: p for path in reversed(OBJECTS)
                     for k, p in public_properties(path).items()}.values())


def _documented_base(cls, name: str):
    """The method ``name`` of the nearest class in ``cls``'s MRO that documents it."""
    for klass in cls.__mro__:
        attr = klass.__dict__.get(name)
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if inspect.isfunction(attr) and attr.__doc__:
            return attr
    return None


def _signature_mismatch(override, base) -> list[str]:
    """An undocumented override must keep the documented signature, unless the
    documented one is variadic (a protocol hook such as ``update(g, *args)``)."""
    base_params = inspect.signature(base).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in base_params):
        return []
    own, theirs = inspect.signature(override), inspect.signature(base)
    if list(own.parameters) != list(theirs.parameters):
        return [f"PR01: signature {own} differs from the documented {base.__qualname__}{theirs}"]
    return []


def _validate(target, codes) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = numpydoc_validate.validate(target)
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code in codes]
    return errors + [str(w.message) for w in caught if "Unknown section" in str(w.message)]


def _method_errors(path: str) -> list[str]:
    cls_path, _, name = path.rpartition(".")
    cls = _load(cls_path)
    method = getattr(cls, name)
    if method.__doc__:
        return _validate(path, CODES_METHOD)
    base = _documented_base(cls, name)
    if base is None:
        return [f"GL08: {numpydoc_validate.ERROR_MSGS['GL08']}"]
    base_path = f"{base.__module__}.{base.__qualname__}"
    return _signature_mismatch(method, base) + _validate(base_path, CODES_METHOD)


def test_expected_modules_are_discovered():
    assert EXPECTED <= set(public_modules())


def test_discovery_finds_the_estimators_and_their_methods():
    assert "skgd.LinearRegression" in OBJECTS
    assert "skgd.LinearRegression.fit" in METHODS
    assert "skgd.MatrixFactorization.recommend" in METHODS
    # the registries are instances: their class is checked
    assert "skgd.solver._registry.Registry.register" in METHODS
    # methods behind scikit-learn's available_if are found too
    assert "skgd.federated.FederatedAveraging.predict_proba" in METHODS
    # inherited scikit-learn methods are not ours to document
    assert "skgd.LinearRegression.get_params" not in METHODS


@pytest.mark.parametrize("path", OBJECTS)
def test_public_object_docstring(path):
    errors = _validate(path, CODES_OBJECT)
    assert not errors, f"{path}:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", METHODS)
def test_public_method_docstring(path):
    errors = _method_errors(path)
    assert not errors, f"{path}:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", PROPERTIES)
def test_public_property_docstring(path):
    cls_path, _, name = path.rpartition(".")
    assert inspect.getattr_static(_load(cls_path), name).__doc__, f"{path} has no docstring"


def _documented_defaults(obj):
    """``(name, documented default)`` of the parameters whose type ends with a literal
    ``default=...`` (``a, b : float, default=1, 2`` gives one value per name)."""
    doc = numpydoc_validate.get_doc_object(obj)
    for param in doc["Parameters"]:
        match = re.search(r"default\s*=\s*(.+)$", param.type)
        if not match:
            continue
        try:
            value = ast.literal_eval(match.group(1).strip())
        except (ValueError, SyntaxError):
            continue  # not a literal, e.g. default=SGD()
        names = [n.strip() for n in param.name.split(",")]
        values = value if len(names) > 1 and isinstance(value, tuple) else [value] * len(names)
        yield from zip(names, values, strict=False)


@pytest.mark.parametrize("path", OBJECTS + METHODS)
def test_documented_defaults_match_the_signature(path):
    obj = _load(path)
    params = inspect.signature(obj).parameters
    wrong = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        documented = list(_documented_defaults(obj))
    for name, value in documented:
        actual = params[name].default if name in params else inspect.Parameter.empty
        if actual is dataclasses.MISSING or repr(actual) == "<factory>":
            continue
        if actual is inspect.Parameter.empty or actual != value or (
                isinstance(actual, bool) != isinstance(value, bool)):
            wrong.append(f"{name}: documented {value!r}, signature {actual!r}")
    assert not wrong, f"{path}:\n" + "\n".join(wrong)


def test_every_example_runs_as_a_doctest():
    """The examples checked above are the ones ``--doctest-modules`` runs: doctest finds
    an example in the docstring of every public class and function."""
    found = set()
    for info in pkgutil.walk_packages(skgd.__path__, prefix="skgd."):
        if info.name in NOT_API:
            continue
        module = importlib.import_module(info.name)
        found |= {t.name for t in doctest.DocTestFinder().find(module) if t.examples}
    missing = []
    for path in OBJECTS:
        obj = _load(path)
        if f"{inspect.unwrap(obj).__module__}.{obj.__qualname__}" not in found:
            missing.append(path)
    assert not missing, f"examples doctest does not collect: {missing}"
