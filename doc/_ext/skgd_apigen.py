"""Generate the API reference and the component catalogue from the code.

At ``config-inited`` (before Sphinx lists the sources and autosummary writes its
stubs) this writes

- ``api/<module>.rst`` for every public module of skgd: an autosummary of the names in
  the module's ``__all__`` (or, without ``__all__``, its public classes and functions);
  an object exported by several modules gets its page under the first module listed
  and a cross-reference elsewhere;
- ``api/catalogue.rst``: every optimizer, schedule, penalty, loss and activation in
  skgd's registries, with the summary, the math and the reference of its docstring.

So a new public name, a new public module or a newly registered component appears
without editing the docs. Modules that fail to import (e.g. one added on another
branch and not merged yet) are skipped with a log message, never a warning.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

try:
    from sphinx.util import logging
except ImportError:  # the tests read the generator without Sphinx installed
    import logging

logger = logging.getLogger(__name__)

# The order of the reference: a module listed earlier owns the pages of the objects it
# exports. Public subpackages and modules found in skgd that are not listed here are
# appended (alphabetically), so a new module needs no edit.
MODULES = [
    ("skgd.linear_model", "Linear models"),
    ("skgd.neural_network", "Neural networks"),
    ("skgd.recommender", "Recommender"),
    ("skgd.federated", "Federated learning (meta-estimator)"),
    ("skgd.streaming", "Out-of-core training"),
    ("skgd.callbacks", "Callbacks"),
    ("skgd.plot", "Plotting (displays)"),
    ("skgd.metrics", "Metrics"),
    ("skgd.model_selection", "Model selection"),
    ("skgd.datasets", "Data set loaders"),
    ("skgd.solver", "Solver and its components"),
    ("skgd.solver.optimizers", "Optimizers"),
    ("skgd.losses", "Losses"),
    ("skgd.base", "Estimator base"),
    ("skgd", "Top-level package"),
]
SKIP = {"skgd.demo", "skgd.utils"}  # a script and a private helper package

# (registry import path, attribute, section title, what the formula is)
REGISTRIES = [
    ("skgd.solver", "OPTIMIZERS", "Optimizers", "``solver=``"),
    ("skgd.solver", "SCHEDULES", "Learning-rate schedules", "``learning_rate=``"),
    ("skgd.solver", "REGULARIZERS", "Penalties", "``penalty=``"),
    ("skgd.losses", "LOSSES", "Losses", "``loss=``"),
    ("skgd.neural_network", "ACTIVATIONS", "Activations", "``activation=``"),
]


def module_list() -> list[tuple[str, str]]:
    """The listed modules plus every other public module of skgd, importable or not."""
    import skgd

    listed = [name for name, _ in MODULES]
    extra = sorted(
        f"skgd.{m.name}" for m in pkgutil.iter_modules(skgd.__path__)
        if not m.name.startswith("_") and f"skgd.{m.name}" not in listed + list(SKIP)
    )
    return MODULES[:-1] + [(name, name) for name in extra] + MODULES[-1:]


def public_names(module) -> list[str]:
    """``__all__``, or the public classes and functions defined in the module."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return sorted(
        n for n, obj in vars(module).items()
        if not n.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
        and getattr(obj, "__module__", None) == module.__name__
    )


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def module_page(name: str, title: str, owner: dict) -> str | None:
    """The rst of one module's reference page (None if it cannot be imported)."""
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        logger.info(f"[skgd_apigen] {name} skipped: {exc}")
        return None
    own, elsewhere = [], []
    for n in public_names(module):
        obj = getattr(module, n)
        key = id(obj) if _kind(obj) != "data" else f"{name}.{n}"
        if key in owner:
            elsewhere.append((n, owner[key], _kind(obj)))
        else:
            owner[key] = f"{name}.{n}"
            own.append(n)
    head = f"``{name}``: {title}" if title != name else f"``{name}``"
    lines = [head, "=" * len(head), "", f".. automodule:: {name}", "   :no-members:", "",
             f".. currentmodule:: {name}", ""]
    if own:
        lines += [".. autosummary::", "   :toctree: generated/", "   :nosignatures:", ""]
        lines += [f"   {n}" for n in own] + [""]
    if elsewhere:
        lines += ["Also importable from here:", ""]
        role = {"class": "class", "function": "func", "data": "data"}
        lines += [f"- ``{name}.{n}``: :{role[k]}:`{target}`" for n, target, k in elsewhere]
        lines += [""]
    return "\n".join(lines)


def _docstring_parts(cls) -> dict[str, str]:
    """Summary, extended summary, hyperparameters, notes and references, as rst."""
    from numpydoc.docscrape import NumpyDocString

    raw = inspect.getdoc(cls) or ""
    try:
        doc = NumpyDocString(raw)
    except Exception:  # a malformed docstring is the docstring's problem, not the catalogue's
        return {"summary": raw, "extended": "", "params": "", "notes": "", "refs": ""}
    params = []
    for p in doc["Parameters"]:
        head = f"- ``{p.name}``" + (f" ({p.type})" if p.type else "")
        desc = [line.strip() for line in p.desc]
        params.append(head + (": " + "\n  ".join(desc) if desc else ""))
    return {"summary": "\n".join(doc["Summary"]),
            "extended": "\n".join(doc["Extended Summary"]),
            "params": "\n".join(params), "notes": "\n".join(doc["Notes"]),
            "refs": "\n".join(doc["References"])}


def _signature(cls) -> str:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return ""
    shown = [f"{p.name}={p.default!r}" for p in params
             if p.default is not inspect.Parameter.empty]
    return ", ".join(shown)


def catalogue_entry(name: str, cls, exported: dict, aliases: list[str]) -> str:
    """One component: its name, class, formula, hyperparameters and reference."""
    part = _docstring_parts(cls)
    where = exported.get(id(cls))
    link = f":class:`~{where}`" if where else f"``{cls.__module__}.{cls.__qualname__}``"
    title = f'``"{name}"``'
    also = f" (also ``{'``, ``'.join(repr(a) for a in aliases)}``)" if aliases else ""
    out = [title, "-" * len(title), "", link + also, "", part["summary"], "",
           part["extended"], ""]
    body = part["summary"] + part["extended"] + part["notes"]
    if ":math:" not in body and ".. math::" not in body:
        out += ["*(its docstring gives no formula)*", ""]
    if part["notes"]:
        out += [part["notes"], ""]
    if part["params"]:
        out += ["**Hyperparameters**", "", part["params"], ""]
    elif _signature(cls):
        out += [f"**Hyperparameters**: ``{_signature(cls)}``", ""]
    if part["refs"]:
        out += ["**Reference**", "", part["refs"], ""]
    return "\n".join(out)


def catalogue(exported: dict[int, str]) -> str:
    """The rst of the component catalogue, read from the live registries."""
    lines = ["Component catalogue", "===================", "",
             "Every component registered in skgd's registries, read from the registries "
             "when the documentation is built: a newly registered optimizer, schedule, "
             "penalty, loss or activation appears here with no edit. Each is accepted by "
             "name (the string in the heading) wherever the estimator has the parameter "
             "named in its section, or as an instance.", "",
             ".. contents:: Sections", "   :local:", "   :depth: 1", ""]
    for modname, attr, title, param in REGISTRIES:
        try:
            registry = getattr(importlib.import_module(modname), attr)
        except (ImportError, AttributeError) as exc:
            logger.info(f"[skgd_apigen] registry {modname}.{attr} skipped: {exc}")
            continue
        lines += [title, "*" * len(title), "",
                  f"``{modname}.{attr}``, the values of {param}.", ""]
        for name in registry.names():
            aliases = [a for a, n in registry._aliases.items() if n == name]
            lines.append(catalogue_entry(name, registry.get(name), exported, aliases))
    return "\n".join(lines)


def generate(app, config=None) -> None:
    """Write ``api/*.rst`` and ``api/catalogue.rst`` under the source folder."""
    out = Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    owner: dict[int, str] = {}
    pages = []
    for name, title in module_list():
        text = module_page(name, title, owner)
        if text is not None:
            _write(out / f"{name}.rst", text)
            pages.append(name)
    _write(out / "catalogue.rst", catalogue(owner))
    index = ["API reference", "=============", "",
             "Generated from each public module's ``__all__``. The estimators are also "
             "importable from the top-level package (``from skgd import "
             "LogisticRegression``). The :doc:`catalogue` lists every registered "
             "optimizer, schedule, penalty, loss and activation with its formula.", "",
             ".. toctree::", "   :maxdepth: 1", "", "   catalogue"]
    index += [f"   {p}" for p in pages]
    _write(out / "index.rst", "\n".join(index) + "\n")


def _write(path: Path, text: str) -> None:
    # rewrite only on change, so incremental builds do not reread every page
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def setup(app):
    app.connect("config-inited", generate)
    return {"parallel_read_safe": True, "version": "1"}
