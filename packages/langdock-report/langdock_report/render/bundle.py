"""Vega, Vega-Lite and vega-embed as one inline script, from vl-convert-python.

vl-convert bundles the libraries it ships on every call (seconds); the result depends only
on its version, so it is kept in the user's cache directory and reused.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import vl_convert

# The page's own script calls window.vegaEmbed (vega-embed brings Vega and Vega-Lite along).
_SNIPPET = "window.vegaEmbed = vegaEmbed;"


def _cache_file() -> Path:
    versions = "-".join(
        (
            getattr(vl_convert, "__version__", "0"),
            vl_convert.get_vega_version(),
            vl_convert.get_vegalite_versions()[-1],
            vl_convert.get_vega_embed_version(),
            hashlib.sha256(_SNIPPET.encode()).hexdigest()[:8],
        )
    )
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "langdock-report" / f"vega-bundle-{versions}.js"


def _check(bundle: str) -> str:
    if "</script" in bundle.lower():
        raise RuntimeError("the Vega bundle holds '</script': it cannot be inlined as is")
    return bundle


@functools.cache
def vega_bundle() -> str:
    cache = _cache_file()
    try:
        return _check(cache.read_text(encoding="utf-8"))
    except OSError:
        pass
    bundle = _check(vl_convert.javascript_bundle(_SNIPPET))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".vega-bundle.", dir=cache.parent)
    except OSError:
        return bundle  # a read-only home only costs the next build the same seconds again
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(bundle)
        os.replace(temporary, cache)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
    return bundle
