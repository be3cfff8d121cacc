"""The fast path of cell typing: a row converter generated for one file's header.

An optimisation of ``cells`` and nothing more. Exports reach a million rows, and calling a
converter per cell dominates the tap's time; the generated function types the common kinds
inline. It raises ValueError, TypeError or KeyError for any row it does not type exactly as
the careful path (``csv_records.convert_carefully``) would, and the caller then runs the
careful path on that row, so the two can only differ in speed.
``tests/unit/test_row_compiler_equivalence.py`` checks that cell by cell for every kind.
"""

from __future__ import annotations

import typing as t

from tap_langdock import cells
from tap_langdock.header import HeaderPlan

_BOOLEANS = {
    spelling: value
    for words, value in ((cells.TRUE, True), (cells.FALSE, False))
    for word in words
    for spelling in (word, word.upper(), word.title())
}

# Source of the inline form of each converter; ``c`` is the cell, ``{v}`` the value's name.
# A converter not listed here (pii hashing) is called as a function.
_INLINE: dict[t.Callable[[str], t.Any], str] = {
    cells.to_string: "{v} = c or None",
    cells.to_integer: "{v} = _int(c) if c else None",
    # x - x is 0.0 for every finite float and NaN for inf and NaN.
    cells.to_number: "{v} = _float(c) if c else None\n    if c and {v} - {v}: raise ValueError",
    cells.to_boolean: "{v} = _booleans[c] if c else None",
    cells.to_date: "{v} = (_dates{n}.get(c) or _remember_date(_dates{n}, c)) if c else None",
    cells.to_object: "{v} = _object(c) if c else None",
}


def compile_row(plan: HeaderPlan) -> t.Callable[[list[str]], tuple[t.Any, ...]]:
    """A function typing one row of this header, without the careful path's per-cell calls.

    It skips the NUL check of text cells: only files without any NUL byte come here. The
    generated source holds only CSV indexes and names made up here, never text from the file.
    """
    env: dict[str, t.Any] = {
        "_int": int,
        "_float": float,
        "_object": cells.to_object,
        "_booleans": _BOOLEANS,
        "_remember_date": cells.remember_date,
        "_extra_names": tuple(name for name, _ in plan.extra),
    }
    lines = ["def convert(row):"]
    if plan.keys:
        keys = " and ".join(f"row[{i}].strip()" for _, i in plan.keys)
        lines.append(f"    if not ({keys}): raise ValueError")
    out: list[str] = []
    for n, (source, convert) in enumerate(zip(plan.sources, plan.converters, strict=True)):
        if source is None or convert is cells.drop:
            out.append("None")
            continue
        value = f"v{n}"
        lines.append(f"    c = row[{int(source)}]")
        template = _INLINE.get(convert)
        if template is None:
            env[f"_convert{n}"] = convert
            template = "{v} = _convert{n}(c) if c else None"
        if convert is cells.to_date:
            env[f"_dates{n}"] = {}
        lines.append("    " + template.format(v=value, n=n))
        out.append(value)
    if plan.extra:
        extra = "".join(f"row[{int(i)}] or None, " for _, i in plan.extra)
        out.append(f"dict(zip(_extra_names, ({extra})))")
    else:
        out.append("None")
    lines.append(f"    return ({', '.join(out)},)")
    exec(compile("\n".join(lines), "<tap_langdock row converter>", "exec"), env)  # noqa: S102
    return t.cast("t.Callable[[list[str]], tuple[t.Any, ...]]", env["convert"])
