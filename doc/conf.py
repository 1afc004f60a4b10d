"""Sphinx configuration of skgd's documentation.

Build: ``python -m sphinx -W -b html doc doc/_build/html`` (``pip install -e ".[doc]"``).
Offline-safe: no intersphinx, MathJax served from the build (sphinx-mathjax-offline).
"""

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

# the gallery examples read this to shrink their data and epochs (CI builds in minutes)
os.environ.setdefault("SKGD_DOC_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# the examples run in their own folder: point the loaders at ../shared/data of the root
_DATA = HERE.parent.parent / "shared" / "data"
if "SKGD_DATA" not in os.environ and _DATA.is_dir():
    os.environ["SKGD_DATA"] = str(_DATA)

import skgd  # noqa: E402

project = "skgd"
author = "the skgd developers"
copyright = "the skgd developers"  # noqa: A001
release = version = skgd.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static: math renders offline
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "skgd_apigen",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "sg_execution_times.rst"]

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
add_module_names = False

# numpydoc: render the docstrings, validate nothing (the docstrings are checked by their
# own tests), no member tables (autodoc lists the members on the class page)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set = set()
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = False

myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing"]

html_theme = "pydata_sphinx_theme"
html_title = f"skgd {release}"
html_static_path = ["_static"]
html_css_files = ["skgd.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "icon_links": [],
    # the gallery's code and the API signatures need the width more than a page TOC
    "secondary_sidebar_items": {"user_guide/*": ["page-toc"], "migration/*": [],
                                "api/*": ["page-toc"], "auto_examples/*": [],
                                "api/generated/*": []},
}
html_sidebars = {"index": [], "changelog": []}
html_show_sourcelink = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # SKGD_DOC_PATTERN="^$" skips running the examples (quick local builds of the text)
    "filename_pattern": os.environ.get("SKGD_DOC_PATTERN", r"/plot_"),
    "ignore_pattern": r"__init__\.py|/_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skgd",),
    "inspect_global_variables": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "write_computation_times": True,
    "show_signature": False,
}

warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
