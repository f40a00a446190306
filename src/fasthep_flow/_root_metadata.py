"""Opening a TTree with the metadata of only the branches a run reads.

uproot deserialises every ``TBranch`` of a tree when the tree is opened: for a NanoAOD file (about a thousand
branches) that is half a second per file, more than reading and analysing the dozen branches an analysis needs
in a 100k-event file. Here the tree's branch list (``fBranches``) is walked twice instead:

1. headers only — each entry's byte count, class and name/title, which costs microseconds;
2. full deserialisation of the branches asked for, plus the counters their leaves name (a leaf titled
   ``Jet_pt[nJet]`` needs branch ``nJet`` so that uproot sees the jagged shape: when a leaf names a counter
   that was skipped, the pass is made again with it); every other entry is skipped by its byte count.

ROOT's streaming refers back to classes by the position where their name was first written, so the class tags
inside a skipped entry are still recorded where uproot looks them up. References to skipped *objects* (the
tree's own ``fLeaves`` list points at every leaf) resolve to nothing, which uproot handles as absent.

Anything unexpected (a branch that is not a plain ``TBranch``, an old-style header, a class reference not seen
before, a jagged leaf whose counter was not read) makes the walk give up and read the whole list as uproot
does, so the result is never wrong, only sometimes no faster.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from typing import Any

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_BYTE_COUNT = 0x40000000
_CLASS_MASK = 0x80000000
_NEW_CLASS = 0xFFFFFFFF
_NEW_CLASS_BYTES = b"\xff\xff\xff\xff"
_MAP_OFFSET = 2
_VERSION_HAS_COUNT = 0x4000
_IS_REFERENCED = 1 << 4
_COUNTER = re.compile(r"\[([A-Za-z_][A-Za-z0-9_.]*)\]")
_CLASS_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_:<>, ]*")


class _GiveUp(Exception):
    """The branch list has something the header walk does not understand: read it all."""


def open_tree(handle: Any, tree: str, wanted: Iterable[str] | None) -> tuple[Any, list[str]]:
    """``handle[tree]`` with only the ``wanted`` branches (and their counters) deserialised, and the names of
    every top-level branch the tree has (for "no such branch" messages and ``keys()``-like questions).

    ``wanted=None`` reads the whole tree as uproot does. An RNTuple, or a tree whose branch list cannot be
    walked, is returned whole.
    """
    if wanted is None:
        obj = handle[tree]
        return obj, _names(obj)
    selector = _selector(frozenset(wanted))
    previous = handle.file.custom_classes
    handle.file.custom_classes = dict(previous or _uproot_classes(), TObjArray=selector)
    try:
        obj = handle[tree]
    finally:
        handle.file.custom_classes = previous
    listed = getattr(obj, "_fasthep_all_branches", None)
    return obj, list(listed) if listed is not None else _names(obj)


def _names(obj: Any) -> list[str]:
    return [str(k) for k in obj.keys()] if hasattr(obj, "keys") else []  # noqa: SIM118 - uproot keys()


def _uproot_classes() -> dict[str, Any]:
    import uproot

    return dict(uproot.classes)


def _selector(wanted: frozenset[str]) -> type:
    """A ``TObjArray`` model that, as a tree's branch list, deserialises only ``wanted`` branches."""
    import uproot

    base = uproot.models.TObjArray.Model_TObjArray

    class SelectiveTObjArray(base):  # type: ignore[misc, valid-type]
        def read_members(self, chunk: Any, cursor: Any, context: Any, file: Any) -> None:
            parent = self._parent
            is_branch_list = (
                isinstance(parent, uproot.behaviors.TTree.TTree) and "fBranches" not in parent._members
            )
            if not is_branch_list:
                super().read_members(chunk, cursor, context, file)
                return
            start = cursor.index
            try:
                _read_selected(self, chunk, cursor, context, file, wanted)
            except _GiveUp:
                cursor.move_to(start)
                self._bases, self._data = [], []
                super().read_members(chunk, cursor, context, file)
                parent._fasthep_all_branches = [b.member("fName") for b in self._data]

    # uproot decodes a model's C++ class name from its Python name (in messages and checks): keep TObjArray's
    SelectiveTObjArray.__name__ = SelectiveTObjArray.__qualname__ = base.__name__
    return SelectiveTObjArray


def _read_selected(
    array: Any, chunk: Any, cursor: Any, context: Any, file: Any, wanted: frozenset[str]
) -> None:
    import uproot

    array._bases.append(
        uproot.models.TObject.Model_TObject.read(
            chunk, cursor, context, file, array._file, array._parent, concrete=array.concrete
        )
    )
    array._members["fName"] = cursor.string(chunk, context)
    array._members["fSize"], array._members["fLowerBound"] = cursor.fields(
        chunk, struct.Struct(">ii"), context
    )
    raw = chunk.raw_data
    base = chunk.start
    data = raw.tobytes() if hasattr(raw, "tobytes") else bytes(raw)
    origin = cursor.origin - base  # positions below are indices into ``data``
    entries = _walk(data, cursor.index - base, int(array._members["fSize"]), origin)
    names = [e[2] for e in entries]
    needed = _with_counters(wanted & set(names), {e[2]: e[3] for e in entries})
    for _attempt in range(3):  # a leaf names its counter only once read: read again with the counters added
        missing = _read_entries(array, chunk, cursor, context, file, data, entries, needed, origin)
        if not missing:
            break
        if not missing <= set(names):
            raise _GiveUp
        needed |= missing
    else:
        raise _GiveUp
    cursor.move_to(base + (entries[-1][1] if entries else cursor.index - base))
    array._parent._fasthep_all_branches = names


def _read_entries(
    array: Any,
    chunk: Any,
    cursor: Any,
    context: Any,
    file: Any,
    data: bytes,
    entries: list[tuple[int, int, str, str]],
    needed: set[str],
    origin: int,
) -> set[str]:
    """Deserialise the ``needed`` entries, record the classes of the others; return the counters that jagged
    leaves name but that were not read (their leaves would look flat)."""
    import uproot

    base = chunk.start
    array._data = []
    missing: set[str] = set()
    classes: dict[bytes, Any] = {}
    for begin, end, name, _title in entries:
        if name in needed:
            cursor.move_to(base + begin)
            item = uproot.deserialization.read_object_any(
                chunk, cursor, context, file, array._file, array._parent
            )
            if cursor.index != base + end:
                raise _GiveUp
            missing |= _unread_counters(item)
            array._data.append(item)
        else:
            _record_classes(data, begin, end, origin, cursor, file, classes)
    return missing


def _walk(data: bytes, at: int, size: int, origin: int) -> list[tuple[int, int, str, str]]:
    """(begin, end, name, title) of each entry of the branch list, from its headers only."""
    classes: dict[int, str] = {}
    out: list[tuple[int, int, str, str]] = []
    for _ in range(size):
        count = _U32.unpack_from(data, at)[0]
        if not count & _BYTE_COUNT:
            raise _GiveUp
        end = at + 4 + (count & ~_BYTE_COUNT)
        tag_at = at + 4
        tag = _U32.unpack_from(data, tag_at)[0]
        if tag == _NEW_CLASS:
            stop = data.index(b"\x00", tag_at + 4)
            classname = data[tag_at + 4 : stop].decode("ascii", "replace")
            classes[tag_at - origin + _MAP_OFFSET] = classname
            obj = stop + 1
        elif tag & _CLASS_MASK:
            classname = classes.get(tag & ~_CLASS_MASK, "")
            obj = tag_at + 4
        else:
            raise _GiveUp  # a null or a reference in a branch list: not a plain tree
        if classname != "TBranch":
            raise _GiveUp
        name, title = _named(data, obj)
        out.append((at, end, name, title))
        at = end
    return out


def _named(data: bytes, at: int) -> tuple[str, str]:
    """Name and title of a streamed TBranch starting at ``at`` (its own header, then TNamed's, TObject's)."""
    at += 6  # TBranch byte count and version
    at += 6  # TNamed byte count and version
    version = _U16.unpack_from(data, at)[0]
    at += 2 + (4 if version & _VERSION_HAS_COUNT else 0)
    bits = _U32.unpack_from(data, at + 4)[0]
    at += 8 + (2 if bits & _IS_REFERENCED else 0)
    name, at = _string(data, at)
    title, _ = _string(data, at)
    return name, title


def _string(data: bytes, at: int) -> tuple[str, int]:
    length = data[at]
    at += 1
    if length == 255:
        length = _U32.unpack_from(data, at)[0]
        at += 4
    return data[at : at + length].decode("utf-8", "surrogateescape"), at + length


def _with_counters(names: set[str], titles: dict[str, str]) -> set[str]:
    """The branches plus the counters their titles name (``Jet_pt[nJet]/F``), transitively."""
    out = set(names)
    todo = list(names)
    while todo:
        for counter in _COUNTER.findall(titles.get(todo.pop(), "")):
            if counter in titles and counter not in out:
                out.add(counter)
                todo.append(counter)
    return out


def _unread_counters(branch: Any) -> set[str]:
    """Counters named by the titles of this branch's jagged leaves (``Jet_pt[nJet]``) that were not read."""
    out: set[str] = set()
    for leaf in branch.member("fLeaves"):
        if leaf is not None and leaf.member("fLeafCount") is None:
            out.update(_COUNTER.findall(str(leaf.member("fTitle"))))
    return out


def _record_classes(
    data: bytes, begin: int, end: int, origin: int, cursor: Any, file: Any, classes: dict[bytes, Any]
) -> None:
    """Record the class tags written inside a skipped entry where uproot looks later references up.

    A tag is a byte count (its high bit set), ``0xFFFFFFFF`` and a NUL-terminated class name; its key is the
    tag's position (relative to the buffer's origin) plus ROOT's map offset, as ``read_object_any`` keys it.
    """
    at = data.find(_NEW_CLASS_BYTES, begin + 4, end)
    while at != -1:
        count = _U32.unpack_from(data, at - 4)[0]
        match = _CLASS_NAME.match(data, at + 4, end)
        if count & _BYTE_COUNT and match and data[match.end() : match.end() + 1] == b"\x00":
            name = match.group()
            if name not in classes:  # a writer may name the class at every object (uproot does)
                try:
                    classes[name] = file.class_named(name.decode("ascii"))
                except Exception:  # not a class after all (bytes of an array): nothing refers to it
                    classes[name] = None
            cls = classes[name]
            if cls is not None:
                cursor.refs[at - origin + _MAP_OFFSET] = cls
            at = data.find(_NEW_CLASS_BYTES, match.end(), end)
        else:
            at = data.find(_NEW_CLASS_BYTES, at + 1, end)
