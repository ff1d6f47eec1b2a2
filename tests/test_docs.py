"""The documentation site (docs/, `make docs`): it builds strictly, documents every public name,
works offline, and its Python blocks run.

One strict build (``-W --keep-going``, nitpicky: every warning and every unresolved reference
fails it) into a temporary folder serves the checks of the built pages; it takes about half a
minute of CPU. The build needs the ``docs`` extra (also part of ``test``); without Sphinx those
tests are skipped, saying so. The pages' Python blocks run without it.
"""

import importlib
import importlib.util
import pkgutil
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scratchnn
from test_readme import python_blocks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BUILD_TIMEOUT = 600  # seconds; a build takes well under 90 s on two cores

# What the build needs: the docs extra of pyproject.toml, by import name.
DOCS_MODULES = ["sphinx", "pydata_sphinx_theme", "numpydoc", "myst_parser", "myst_nb",
                "sphinx_copybutton", "sphinxarg", "sphinx-mathjax-offline", "sklearn"]


def public_modules():
    names = ["scratchnn"]
    for info in pkgutil.walk_packages(scratchnn.__path__, "scratchnn."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from docs/ into a temporary folder, strictly; its path."""
    missing = [name for name in DOCS_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {', '.join(missing)}): "
                    "pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("html")
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-j", "1", "-W", "--keep-going",
               "-q", "-d", str(tmp_path_factory.mktemp("doctrees")), str(DOCS), str(out)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                            cwd=ROOT)
    seconds = time.perf_counter() - start
    print(f"docs build: {seconds:.1f} s")
    assert result.returncode == 0, (
        f"the strict docs build failed ({seconds:.0f} s):\n{result.stdout}\n{result.stderr}")
    return out


def test_site_builds_strictly_with_every_page(site):
    pages = {path.relative_to(site).as_posix() for path in site.rglob("*.html")}
    for page in ["index.html", "getting-started.html", "user-guide.html", "command-line.html",
                 "sklearn-dask.html", "playground.html", "onnx.html", "guarantees.html",
                 "performance.html", "how-it-works/index.html", "examples/index.html",
                 "api/index.html", "development.html"]:
        assert page in pages
    # Every notebook is a page, rendered from its stored outputs (pictures included).
    for notebook in sorted((ROOT / "examples").glob("*.ipynb")):
        html = (site / "examples" / f"{notebook.stem}.html").read_text(encoding="utf-8")
        assert "<img" in html, notebook.name
    # The command-line reference comes from the parser: every subcommand and option is there.
    import argparse

    from scratchnn.cli import build_parser

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    text = (site / "command-line.html").read_text(encoding="utf-8")
    for command, subparser in subparsers.choices.items():
        assert f">{command}<" in text, command
        for action in subparser._actions:
            for option in action.option_strings:
                assert option in text, (command, option)


def test_every_public_name_has_an_entry_in_the_api_reference(site):
    ids = set()
    for page in (site / "api").glob("*.html"):
        ids |= set(re.findall(r'\bid="(scratchnn[\w.]*)"', page.read_text(encoding="utf-8")))
    missing = []
    for modname in public_modules():
        page = site / "api" / f"{modname}.html"
        if not page.exists():
            missing.append(f"{modname} (no page)")
            continue
        links = set(re.findall(r'href="[^"#]*#(scratchnn[\w.]*)"',
                               page.read_text(encoding="utf-8")))
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", ()):
            # Its row in the module's table links to the entry where it is documented.
            targets = [t for t in links if t.rsplit(".", 1)[-1] == name and t in ids]
            if not targets:
                missing.append(f"{modname}.{name}")
    assert not missing, f"public names with no entry in the API reference: {missing}"


# A tag that makes a browser fetch something: its address attribute.
FETCHING = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed|object|input)\b[^>]*?"
    r"\b(src|href|data|srcset|poster)\s*=\s*[\"']?\s*(https?:|//)", re.IGNORECASE)
CSS_URL = re.compile(r"(url\(\s*[\"']?\s*(https?:|//)|@import\s+[\"'](https?:|//))",
                     re.IGNORECASE)


def test_no_page_loads_anything_from_outside_the_site(site):
    found = []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        found += [f"{page.relative_to(site)}: {m.group(0)[:120]}" for m in FETCHING.finditer(text)]
        found += [f"{page.relative_to(site)}: {m.group(0)}" for m in CSS_URL.finditer(text)]
    for sheet in site.rglob("*.css"):
        found += [f"{sheet.relative_to(site)}: {m.group(0)}"
                  for m in CSS_URL.finditer(sheet.read_text(encoding="utf-8", errors="replace"))]
    assert not found, "\n".join(found)
    # The math is rendered by the site's own MathJax, loaded by a relative path.
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert not (site / "_static" / "mathjax" / "latest.js").exists()  # MathJax's CDN loader
    html = (site / "how-it-works" / "activations.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-chtml.js"' in html
    assert r"\sigma(Z)" in html  # the formulas reach the page as TeX for MathJax


# Pages whose blocks continue another page's session (its variables), as the README's did.
CONTINUES = {"onnx.md": "user-guide.md", "pictures.md": "user-guide.md"}


def _pages_with_python():
    return sorted(page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")
                  if "_build" not in page.parts and python_blocks(page.read_text("utf-8")))


def test_pages_with_python_blocks_are_the_expected_ones():
    assert {"getting-started.md", "user-guide.md", "command-line.md", "sklearn-dask.md",
            "onnx.md", "pictures.md"} <= set(_pages_with_python())


@pytest.mark.parametrize("page", _pages_with_python())
def test_page_python_blocks_run_in_order(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the blocks write files
    namespace = {"__name__": "docs"}
    for name in [CONTINUES[page], page] if page in CONTINUES else [page]:
        blocks = python_blocks((DOCS / name).read_text(encoding="utf-8"))
        for number, block in enumerate(blocks, 1):
            try:
                exec(compile(block, f"docs/{name} python block {number}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message says which block failed
                pytest.fail(f"docs/{name} python block {number} raised {exc!r}:\n{block}")


# --------------------------------------------------------------------------- in a browser

# A home page, a "How it works" page, an API page and a notebook page, and whether each shows
# math that must be rendered.
BROWSED = [("index.html", False), ("how-it-works/activations.html", True),
           ("api/scratchnn.losses.html", True), ("examples/01_moons.html", False)]
RAW_TEX = ("\\frac", "\\sum", "$$", "\\begin{", "\\mathrm")


def test_pages_render_their_math_in_chromium_with_nothing_from_outside(site, tmp_path):
    """In Chromium, every request outside the local site refused: no failed request, no console
    error, the math rendered by MathJax (its elements present) and no raw TeX in the visible
    text. Screenshots go to ``$DOCS_SCREENSHOTS`` when set."""
    import functools
    import http.server
    import os
    import shutil
    import threading

    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (pip install playwright)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    shots = Path(os.environ.get("DOCS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    outside, failed, console = [], [], []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)

            def only_the_site(route):
                if route.request.url.startswith(base):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_the_site)
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("console", lambda message: console.append(message.text)
                    if message.type == "error" else None)
            for path, has_math in BROWSED:
                page.goto(base + path, wait_until="load")
                page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && "
                                       "window.MathJax.startup.promise)")
                page.evaluate("() => window.MathJax ? MathJax.startup.promise : null")
                text = page.inner_text("body")
                assert not [tex for tex in RAW_TEX if tex in text], (path, text[:2000])
                rendered = page.evaluate("() => document.querySelectorAll('mjx-container').length")
                assert rendered > 0 or not has_math, path
                page.screenshot(path=str(shots / (path.replace("/", "_") + ".png")),
                                full_page=False)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert outside == [] and failed == [] and console == [], (outside, failed, console)
