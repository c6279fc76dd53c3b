"""Values as plain data: a JSON tree plus named arrays, and back, never through pickle.

The harness (inside the sandbox) encodes what the learner's function returned; the grader
decodes it in its own process. Encoding looks only at exact types (``type(x) is float``), so no
method of an object the learner made is called by the grader, and decoding builds only
builtins, numpy arrays and numpy scalars (``np.load(..., allow_pickle=False)``). Anything else
becomes an :class:`Opaque` that equals nothing.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import numpy as np

MAX_DEPTH = 12
MAX_ITEMS = 10_000


class Opaque:
    """A value the sandbox could not send as data (a learner-made object): equal to nothing."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<a {self.type_name} object>"


def _type_name(x: Any) -> str:
    t = type(x)
    return f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__


def encode(x: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """``(tree, arrays)``: ``tree`` is JSON-able, ``arrays`` go into an ``.npz``."""
    arrays: dict[str, np.ndarray] = {}
    count = [0]

    def enc(v: Any, depth: int) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            return {"t": "opaque", "type": "too deep or too large"}
        t = type(v)
        if v is None:
            return {"t": "none"}
        if t is bool:
            return {"t": "bool", "v": v}
        if t is int:
            return {"t": "int", "v": str(v)}  # str: JSON has no big ints
        if t is float:
            return {"t": "float", "v": repr(v)}  # repr round-trips, also inf and nan
        if t is str:
            return {"t": "str", "v": v}
        if t is complex:
            return {"t": "complex", "v": [repr(v.real), repr(v.imag)]}
        if t is tuple or t is list:
            return {"t": t.__name__, "v": [enc(e, depth + 1) for e in v]}
        if t is dict:
            if all(type(k) is str for k in v):
                return {"t": "dict", "v": [[k, enc(e, depth + 1)] for k, e in v.items()]}
            return {"t": "opaque", "type": "dict with non-string keys"}
        if t is np.ndarray:
            if v.dtype.kind not in "biufc":
                return {"t": "opaque", "type": f"numpy array of dtype {v.dtype}"}
            key = f"a{len(arrays)}"
            arrays[key] = np.array(v, copy=True)
            return {"t": "ndarray", "k": key}
        if isinstance(v, np.generic) and t.__module__ == "numpy" and v.dtype.kind in "biufc":
            key = f"a{len(arrays)}"
            arrays[key] = np.array(v)
            return {"t": "npscalar", "k": key}
        if isinstance(v, np.random.Generator) and t is np.random.Generator:
            return {"t": "rng"}
        if callable(v) and (t.__module__ in ("builtins", "types") or hasattr(v, "__code__")):
            return {"t": "callable"}
        if t.__name__ in ("method", "function", "builtin_function_or_method"):
            return {"t": "callable"}
        return {"t": "opaque", "type": _type_name(v)}

    return enc(x, 0), arrays


def encode_object(x: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """Like :func:`encode`, but an object with a ``params`` list (a model) is sent as its
    parameter arrays and its ``repr`` (the layers): what counts as changing it in place."""
    if isinstance(x, (tuple, list)) and type(x) in (tuple, list):
        parts = [encode_object(v) for v in x]
        arrays: dict[str, np.ndarray] = {}
        items = []
        for tree, arrs in parts:
            items.append(_rekey(tree, arrs, arrays))
        return {"t": type(x).__name__, "v": items}, arrays
    if type(x) is dict:
        arrays = {}
        items = []
        for k, v in x.items():
            tree, arrs = encode_object(v)
            items.append([str(k), _rekey(tree, arrs, arrays)])
        return {"t": "dict", "v": items}, arrays
    params = getattr(x, "params", None) if not isinstance(x, np.ndarray) else None
    if isinstance(params, (list, tuple)):
        tree, arrays = encode(list(params))
        own_repr = type(x).__repr__ is not object.__repr__
        return {"t": "model", "params": tree, "repr": repr(x)[:2000] if own_repr else ""}, arrays
    return encode(x)


def _rekey(tree: Any, arrs: dict[str, np.ndarray], into: dict[str, np.ndarray]) -> Any:
    """``tree`` with its array keys renamed so that they do not clash with ``into``'s."""
    mapping = {}
    for k, a in arrs.items():
        new = f"a{len(into)}"
        into[new] = a
        mapping[k] = new

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (mapping.get(v, v) if k == "k" else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(tree)


def to_message(tree: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """``{"tree": ..., "npz": base64}``: ready for one JSON line."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return {"tree": tree, "npz": base64.b64encode(buf.getvalue()).decode("ascii")}


def from_message(message: Any) -> Any:
    """The value a :func:`to_message` dict describes (raise ``ValueError`` if malformed).

    The archive must be what :func:`to_message` writes: members stored, not compressed. A
    message from the sandbox is the learner's to make, and a compressed member of a few
    megabytes can unpack to many gigabytes in the grader's own process (a "zip bomb"); stored
    members are never larger than the message itself."""
    if not isinstance(message, dict) or not isinstance(message.get("npz"), str):
        raise ValueError("not a plain-data message")
    raw = base64.b64decode(message["npz"])
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(f"malformed archive ({err})") from None
    if any(m.compress_type != zipfile.ZIP_STORED for m in members):
        raise ValueError("malformed archive (compressed members)")
    if sum(m.file_size for m in members) > len(raw):
        raise ValueError("malformed archive (members larger than the archive)")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except MemoryError:  # a header that declares far more data than the member holds
        raise ValueError("malformed archive (an array larger than its data)") from None
    return decode(message.get("tree"), arrays)


def decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Build the value from ``tree`` and ``arrays``: builtins, ndarrays, numpy scalars only."""

    def dec(node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH + 2 or not isinstance(node, dict):
            raise ValueError("malformed plain data")
        t = node.get("t")
        if t == "none":
            return None
        if t == "bool":
            return bool(node["v"])
        if t == "int":
            return int(str(node["v"])[:5000])
        if t == "float":
            return float(node["v"])
        if t == "str":
            return str(node["v"])
        if t == "complex":
            re_, im = node["v"]
            return complex(float(re_), float(im))
        if t in ("tuple", "list"):
            items = [dec(v, depth + 1) for v in node["v"]]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            return {str(k): dec(v, depth + 1) for k, v in node["v"]}
        if t == "ndarray":
            a = arrays[str(node["k"])]
            if type(a) is not np.ndarray:
                raise ValueError("malformed array")
            return a
        if t == "npscalar":
            a = arrays[str(node["k"])]
            if a.ndim != 0:
                raise ValueError("malformed numpy scalar")
            return a[()]
        if t == "model":
            return ("<model>", dec(node["params"], depth + 1), str(node.get("repr", "")))
        if t == "rng":
            return ("<rng>",)
        if t == "callable":
            return ("<callable>",)
        if t == "opaque":
            return Opaque(str(node.get("type", "object")))
        raise ValueError(f"unknown plain-data tag {t!r}")

    return dec(tree, 0)


def dumps_line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"
