"""The documentation's generated parts and its claims, checked without building it.

- the migration tables map every constructor parameter of the installed peers;
- the API generator lists every public name of every public module, and the component
  catalogue every registered component with the math of its docstring (a component
  registered later included);
- the API names the hand-written pages mention exist.
"""

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
sys.path.insert(0, str(DOC / "_ext"))

import skgd_apigen  # noqa: E402

pytestmark = pytest.mark.docs

PEER = re.compile(r"^\.\. peer: (\S+)\s*$")
ROW = re.compile(r"^   \* - ``([A-Za-z_][A-Za-z0-9_]*)``\s*$")


def mapped_parameters(page: Path) -> dict[str, set[str]]:
    """``{peer: {parameter, ...}}`` from the ``.. peer:`` tables of a page."""
    tables: dict[str, set[str]] = {}
    current = None
    for line in page.read_text().splitlines():
        if m := PEER.match(line):
            current = tables.setdefault(m.group(1), set())
        elif current is not None and (m := ROW.match(line)):
            current.add(m.group(1))
    return tables


def all_tables() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for page in sorted((DOC / "migration").glob("*.rst")):
        out.update(mapped_parameters(page))
    return out


def constructor_parameters(obj) -> set[str]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {n for n, p in inspect.signature(target).parameters.items()
            if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _import(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


SKLEARN_PEERS = ["sklearn.linear_model.SGDClassifier", "sklearn.linear_model.SGDRegressor",
                 "sklearn.linear_model.LogisticRegression",
                 "sklearn.neural_network.MLPClassifier",
                 "sklearn.neural_network.MLPRegressor"]
OTHER_PEERS = [("surprise", "surprise.SVD"), ("surprise", "surprise.SVDpp"),
               ("implicit", "implicit.bpr.BayesianPersonalizedRanking")]


def test_table_parser_reads_rows_and_peers(tmp_path):
    page = tmp_path / "p.rst"
    page.write_text(".. peer: a.B\n\n.. list-table::\n\n   * - ``x``\n     - y\n"
                    "   * - ``y_z``\n     - ...\n\n.. peer: c.D\n\n   * - ``w``\n")
    assert mapped_parameters(page) == {"a.B": {"x", "y_z"}, "c.D": {"w"}}


@pytest.mark.parametrize("peer", SKLEARN_PEERS)
def test_migration_table_covers_sklearn_peer(peer):
    tables = all_tables()
    assert peer in tables, f"no migration table for {peer}"
    missing = constructor_parameters(_import(peer)) - tables[peer]
    assert not missing, f"{peer} parameters missing from the migration table: {missing}"


@pytest.mark.parametrize(("package", "peer"), OTHER_PEERS)
def test_migration_table_covers_other_peer(package, peer):
    pytest.importorskip(package)
    tables = all_tables()
    assert peer in tables, f"no migration table for {peer}"
    missing = constructor_parameters(_import(peer)) - tables[peer]
    assert not missing, f"{peer} parameters missing from the migration table: {missing}"


def test_every_public_name_has_an_api_entry():
    owner: dict = {}
    pages = {}
    for name, title in skgd_apigen.module_list():
        text = skgd_apigen.module_page(name, title, owner)
        if text is not None:
            pages[name] = text
    for required in ("skgd.linear_model", "skgd.neural_network", "skgd.recommender",
                     "skgd.federated", "skgd.callbacks", "skgd.plot", "skgd.metrics",
                     "skgd.datasets", "skgd.model_selection", "skgd.solver", "skgd.losses"):
        assert required in pages
    for name, text in pages.items():
        module = importlib.import_module(name)
        for public in skgd_apigen.public_names(module):
            assert re.search(rf"(^   {public}$|``{name}\.{public}``)", text, re.M), (
                f"{name}.{public} has no API entry")


def test_missing_module_is_skipped_not_fatal():
    assert skgd_apigen.module_page("skgd.no_such_module", "x", {}) is None


def test_new_public_module_is_picked_up(monkeypatch):
    import pkgutil

    real = pkgutil.iter_modules

    def fake(path=None, prefix=""):
        yield from real(path, prefix)
        yield pkgutil.ModuleInfo(None, "brand_new", False)

    monkeypatch.setattr(pkgutil, "iter_modules", fake)
    assert "skgd.brand_new" in [n for n, _ in skgd_apigen.module_list()]


def _math(cls) -> list[str]:
    doc = inspect.getdoc(cls) or ""
    return re.findall(r":math:`([^`]+)`", doc)


def test_catalogue_lists_every_component_with_its_math():
    pytest.importorskip("numpydoc")
    from skgd.losses import LOSSES
    from skgd.solver import OPTIMIZERS, REGULARIZERS, SCHEDULES

    text = skgd_apigen.catalogue({})
    for registry in (OPTIMIZERS, SCHEDULES, REGULARIZERS, LOSSES):
        for name in registry.names():
            assert f'``"{name}"``' in text, f"{registry.kind} {name!r} not in the catalogue"
            for formula in _math(registry.get(name)):
                assert formula in text, f"math of {name!r} missing: {formula}"


def test_newly_registered_component_appears(monkeypatch):
    pytest.importorskip("numpydoc")
    from skgd.solver import SCHEDULES, Schedule

    class Triangle(Schedule):
        r"""Triangle: :math:`\eta_t = \eta_0 (1 - |2t/T - 1|)`.

        References
        ----------
        A test (2026).
        """

        name = "triangle_docs_test"

    monkeypatch.setitem(SCHEDULES._classes, Triangle.name, Triangle)
    text = skgd_apigen.catalogue({})
    assert '``"triangle_docs_test"``' in text
    assert r"\eta_t = \eta_0 (1 - |2t/T - 1|)" in text
    assert "A test (2026)." in text


ROLE = re.compile(r":(?:class|func|meth|mod|data):`~?(skgd(?:\.\w+)+)`")
LITERAL = re.compile(r"``(skgd(?:\.[A-Za-z_]\w*)+)")


def _resolve(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def test_api_names_in_the_pages_exist():
    pages = [*DOC.glob("*.rst"), *(DOC / "user_guide").glob("*.rst"),
             *(DOC / "migration").glob("*.rst")]
    names = set()
    for page in pages:
        text = page.read_text()
        names |= set(ROLE.findall(text)) | set(LITERAL.findall(text))
    assert len(names) > 20
    unknown = sorted(n for n in names if not _resolve(n))
    assert not unknown, f"pages mention API names that do not exist: {unknown}"
