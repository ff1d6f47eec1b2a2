"""Sphinx configuration of the scratchnn documentation site: `make docs` builds it into
docs/_build/html.

The site works offline: MathJax ships inside the sphinx-mathjax-offline package and is copied into
``_static/mathjax``, the theme loads no web fonts, the notebooks are rendered from their stored
outputs (never executed here), and nothing links to numpy's or scikit-learn's inventories
(intersphinx needs the network), so their names are listed in ``nitpick_ignore`` below.

Two sets of pages are generated at build time, so they cannot go stale:

- ``api/``: one page per public module, listing every name of its ``__all__`` (see
  :func:`write_api_pages`); tests/test_docs.py checks that each name has its entry.
- ``examples/*.ipynb``: copies of the notebooks of ``examples/`` (Sphinx reads only files under
  ``docs/``).
"""

import importlib
import inspect
import pkgutil
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))  # the package as checked out, installed or not

import scratchnn  # noqa: E402

project = "scratchnn"
author = "the scratchnn developers"
copyright = "the scratchnn developers"
version = release = scratchnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",  # Markdown pages (it loads myst_parser) and the notebooks
    "sphinx_copybutton",
    "sphinxarg.ext",
    # MathJax 3 inside a PyPI package: copied into _static/mathjax, mathjax_path pointed at it.
    "sphinx-mathjax-offline",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
# Quotes and ellipses made typographic, but never dashes: "--lr" in help text stays an option.
smartquotes_action = "qe"
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# Strict: every cross-reference must resolve (`make docs` and the test build with -W).
nitpicky = True
# Names of other projects: with no network there is no intersphinx inventory to link them to.
nitpick_ignore = [
    ("py:class", name)
    for name in (
        "numpy.ndarray", "np.ndarray", "ndarray", "numpy.dtype", "numpy.random.Generator",
        "np.random.Generator", "numpy.memmap", "pandas.DataFrame", "pandas.Series",
        "argparse.ArgumentParser", "argparse.Namespace", "pathlib.Path", "os.PathLike",
        "io.BufferedIOBase", "zipfile.ZipFile", "http.server.ThreadingHTTPServer",
        "sklearn.base.BaseEstimator", "sklearn.base.ClassifierMixin",
        "scipy.sparse.spmatrix", "onnx.ModelProto", "threading.Event",
        "matplotlib.figure.Figure", "matplotlib.axes.Axes",
    )
]

# MyST: $...$ and $$...$$ math, as the README writes it; heading anchors for [text](page.md#slug).
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True
# The notebooks are shown with the outputs stored in them; building the site runs no kernel.
nb_execution_mode = "off"

# numpydoc renders the docstrings; autosummary writes the tables of the API pages (no stub
# pages: each module's page documents its names itself, see write_api_pages).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections, with shapes

html_theme = "pydata_sphinx_theme"
html_title = f"scratchnn {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "icon_links": [],  # no icons from a web font service
    "footer_start": ["copyright"],
    "footer_end": [],
}
# The theme reads its colour mode from here before any visit stored one; unset, a first visit
# logs "Got invalid theme mode" as a console error.
html_context = {"default_mode": "auto"}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None


# ----------------------------------------------------------------------------- generated pages


def public_modules():
    """Every public module of the package (no leading underscore in any part), sorted."""
    names = ["scratchnn"]
    for info in pkgutil.walk_packages(scratchnn.__path__, "scratchnn."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def defined_here(module, name):
    """Whether ``module`` defines ``name`` itself rather than importing it from another module."""
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__ == module.__name__
    source = inspect.getsource(module)
    return re.search(rf"^{re.escape(name)}\s*(:[^=\n]*)?=", source, re.MULTILINE) is not None


def home(module, name):
    """The module whose page documents ``module.name``: where it is defined, if public there."""
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        origin = sys.modules.get(obj.__module__)
        # Documented where it is defined when that module makes it public too, else here.
        public_there = origin is not None and name in getattr(origin, "__all__", ())
        return obj.__module__ if public_there else module.__name__
    if defined_here(module, name):
        return module.__name__
    for other in public_modules():
        candidate = importlib.import_module(other)
        if other != module.__name__ and name in getattr(candidate, "__all__", ()) \
                and getattr(candidate, name, None) is obj and defined_here(candidate, name):
            return other
    return module.__name__


def directive(obj):
    if inspect.isclass(obj):
        return "autoclass", ["   :members:", "   :show-inheritance:"]
    if inspect.isfunction(obj):
        return "autofunction", []
    return "autodata", ["   :no-value:"]


def api_page(modname):
    module = importlib.import_module(modname)
    public = list(getattr(module, "__all__", []))
    title = f"``{modname}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {modname}", "   :no-members:", ""]
    if not public:
        return "\n".join(lines)
    lines += [".. rubric:: Public names", "", ".. autosummary::", ""]
    for name in public:
        where = home(module, name)
        if where == modname:
            lines.append(f"   {name}")
        elif where.startswith(modname + "."):  # autosummary wants it relative to this module
            lines.append(f"   ~{where[len(modname) + 1:]}.{name}")
        else:
            lines.append(f"   ~{where}.{name}")
    lines.append("")
    for name in public:
        where = home(module, name)
        if where != modname:
            continue  # documented on its own module's page; the table above links there
        kind, options = directive(getattr(module, name))
        lines += [f".. {kind}:: {modname}.{name}", *options, ""]
    return "\n".join(lines)


def write_if_changed(path, text):
    """Write ``text`` to ``path`` unless it already holds it (Sphinx rereads changed files)."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_pages():
    """docs/api/: an index and one page per public module, from the modules' ``__all__``."""
    folder = DOCS / "api"
    folder.mkdir(exist_ok=True)
    modules = public_modules()
    for modname in modules:
        write_if_changed(folder / f"{modname}.rst", api_page(modname) + "\n")
    index = [
        "API reference", "=============", "",
        "Every public name of every public module: the names each module lists in ``__all__``.",
        "A name a module imports from another is listed in its table and documented once, on the",
        "page of the module that defines it.", "",
        ".. toctree::", "   :maxdepth: 1", "",
        *[f"   {modname}" for modname in modules], "",
    ]
    write_if_changed(folder / "index.rst", "\n".join(index))
    for stale in folder.glob("*.rst"):
        if stale.stem != "index" and stale.stem not in modules:
            stale.unlink()


def copy_notebooks():
    """docs/examples/*.ipynb: the notebooks of examples/, copied when they changed."""
    for notebook in sorted((ROOT / "examples").glob("*.ipynb")):
        target = DOCS / "examples" / notebook.name
        if not target.exists() or target.read_bytes() != notebook.read_bytes():
            shutil.copyfile(notebook, target)


# ----------------------------------------------------------------------------- cross-references


def _lookup(path):
    """The object that the dotted ``path`` names inside the package, or None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            attributes = getattr(obj, "__dataclass_fields__", {}) or {}
            annotations = getattr(obj, "__annotations__", {}) if inspect.isclass(obj) else {}
            if part in attributes or part in annotations or part in getattr(obj, "__slots__", ()):
                return obj  # an instance attribute, declared on its class
            if inspect.isclass(obj) and re.search(rf"self\.{re.escape(part)}\b",
                                                  _source(obj)):
                return obj  # an instance attribute that __init__ (or a method) sets
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


def _source(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _canonical(obj):
    """Where ``obj`` is documented: its module and qualified name."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else None


def resolve_package_names(app, env, node, contnode):
    """Resolve the package's short and re-exported names in docstrings.

    Docstrings say ``:meth:`ClassifierNN.train``` or ``:class:`scratchnn.ClassifierNN```, the way
    a reader of the code would; Sphinx looks such a name up only in the current module. This
    finds the one documented object it means: the object the name imports (by its home module
    and qualified name), or else the documented object whose full name ends with it. A name that
    is real but private (a helper, a base class, an instance attribute) is shown as code without
    a link. Anything else stays a warning, which -W makes an error.
    """
    from sphinx.util.nodes import make_refnode

    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    domain = env.get_domain("py")
    objects = domain.objects
    contexts = [node.get("py:module"), ".".join(filter(None, (node.get("py:module"),
                                                               node.get("py:class"))))]
    candidates = []
    for context in ["", *filter(None, contexts)]:
        path = f"{context}.{target}" if context else target
        obj = _lookup(path) if path.startswith("scratchnn") else None
        name = _canonical(obj) if obj is not None else None
        if name in objects:
            candidates = [name]
            break
    if not candidates:
        candidates = [name for name in objects if name.endswith("." + target)]
    if len(candidates) > 1:  # several classes have a method of that name: the one nearby
        candidates = [name for name in candidates if any(
            name.startswith(context + ".") for context in filter(None, contexts))]
    if len(candidates) == 1:
        entry = objects[candidates[0]]
        return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                            contnode, candidates[0])
    if not candidates and any(_lookup(f"{c}.{target}" if c else target) is not None
                              for c in ["", *filter(None, contexts)]):
        return contnode
    return None


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members a class gets from another library (scikit-learn's set_*_request), and
    other names for a private helper (``pop = clear = _refuse``), which would show the docstring
    of the method they replace."""
    if what != "class":
        return None
    module = getattr(obj, "__module__", None) or ""
    if module and not module.startswith("scratchnn"):
        return True
    if getattr(obj, "__name__", name).startswith("_") and not name.startswith("_"):
        return True
    return None


# MathJax's other combined components: the pages load tex-chtml.js (and what it loads on demand
# from input/, output/, ui/, a11y/, sre/), never these; latest.js would fetch MathJax from a CDN.
UNUSED_MATHJAX = ["latest.js", "node-main.js", "mml-chtml.js", "mml-svg.js", "tex-mml-chtml.js",
                  "tex-mml-svg.js", "tex-svg.js", "tex-svg-full.js", "tex-chtml-full.js",
                  "tex-chtml-full-speech.js"]


def drop_unused_mathjax(app, exc):
    """Remove from the built site the MathJax files no page loads (14 of its 24 MB)."""
    folder = Path(app.outdir) / "_static" / "mathjax"
    if exc is None and (folder / "tex-chtml.js").is_file():
        for name in UNUSED_MATHJAX:
            (folder / name).unlink(missing_ok=True)


# ----------------------------------------------------------------------------- shared formulas


def _formula_tex(name, lineno, inliner_or_state):
    """The TeX of ``name`` in scratchnn.formulas.FORMULAS, or an error naming the known ones."""
    from scratchnn.formulas import FORMULAS

    if name not in FORMULAS:
        raise ValueError(f"no formula {name!r} in scratchnn.formulas.FORMULAS (line {lineno}); "
                         f"known: {sorted(FORMULAS)}")
    return FORMULAS[name]


def formula_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{formula}`name```: the formula ``name`` of scratchnn.formulas, in the line of text."""
    from docutils import nodes

    try:
        tex = _formula_tex(text.strip(), lineno, inliner)
    except ValueError as exc:
        message = inliner.reporter.error(str(exc), line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    return [nodes.math(tex, tex)], []


def _formula_directive():
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class FormulaDirective(Directive):
        """A fenced ``{formula} name`` block: the formula ``name`` of scratchnn.formulas, as
        display math (the playground's Learn panel shows the same TeX as MathML)."""

        required_arguments = 1

        def run(self):
            try:
                tex = _formula_tex(self.arguments[0], self.lineno, self.state)
            except ValueError as exc:
                return [self.state.document.reporter.error(str(exc), line=self.lineno)]
            node = nodes.math_block(tex, tex, nowrap=False, number=None)
            node["docname"] = self.state.document.settings.env.docname
            node["label"] = None
            return [node]

    return FormulaDirective


def setup(app):
    # Formulas from the one source the playground shows too (scratchnn/formulas.py).
    app.add_role("formula", formula_role)
    app.add_directive("formula", _formula_directive())
    app.connect("missing-reference", resolve_package_names)
    app.connect("autodoc-skip-member", skip_foreign_members)
    # After sphinx-mathjax-offline's own build-finished handler, which copies MathJax in.
    app.connect("build-finished", drop_unused_mathjax, priority=900)


write_api_pages()
copy_notebooks()
