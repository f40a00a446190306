"""Broken text never breaks the compiler: mutants of the valid workflows compile or yield well-placed diagnostics.

Hypothesis deletes, duplicates and swaps lines, inserts YAML-significant characters (`:`, `-`, `"`, `{`, a
tab, ...) and changes indentation. Whatever comes out, ``compile_text`` must return (an ``InternalError`` or
any other exception fails the test) and every span it reports — diagnostics, related locations and fix edits —
must lie inside the text of the file it names.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fasthep_flow.compiler import CompileOptions, compile_text
from fasthep_flow.document import LineIndex, Span

VALID_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "valid"
VALID = sorted(VALID_DIR.glob("*.flow.yaml"))
INSERTS = [*":-\"'{}[]\t#&*!|>, \n", "é", "😋"]  # one character each, YAML-significant or wide
OPTIONS = CompileOptions(trust=False, check_inputs=False)


def _delete(lines: list[str], i: int, _j: int, _ch: str) -> None:
    if lines:
        del lines[i % len(lines)]


def _duplicate(lines: list[str], i: int, _j: int, _ch: str) -> None:
    if lines:
        k = i % len(lines)
        lines.insert(k, lines[k])


def _swap(lines: list[str], i: int, j: int, _ch: str) -> None:
    if lines:
        a, b = i % len(lines), j % len(lines)
        lines[a], lines[b] = lines[b], lines[a]


def _insert(lines: list[str], i: int, j: int, ch: str) -> None:
    if lines:
        k = i % len(lines)
        col = j % (len(lines[k]) + 1)
        lines[k] = lines[k][:col] + ch + lines[k][col:]


def _indent(lines: list[str], i: int, j: int, _ch: str) -> None:
    if lines:
        k = i % len(lines)
        delta = j % 5 - 2  # -2..+2 spaces
        line = lines[k]
        lines[k] = " " * delta + line if delta > 0 else line[min(-delta, len(line) - len(line.lstrip(" "))) :]


MUTATIONS = [_delete, _duplicate, _swap, _insert, _indent]

mutation = st.tuples(
    st.sampled_from(MUTATIONS),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(INSERTS),
)


def mutate(text: str, steps: list[tuple[object, int, int, str]]) -> str:
    lines = text.split("\n")
    for fn, i, j, ch in steps:
        fn(lines, i, j, ch)  # type: ignore[operator]
    return "\n".join(lines)


def _assert_inside(span: Span, texts: dict[str, LineIndex], what: str) -> None:
    index = texts.get(span.file)
    if index is None:
        try:
            index = texts[span.file] = LineIndex(Path(span.file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise AssertionError(f"{what} names a file that cannot be read: {span.file!r}") from exc
    for pos in (span.start, span.end):
        assert 0 <= pos.line < index.line_count, f"{what}: line {pos.line} outside {index.line_count} lines"
        assert 0 <= pos.col <= len(index.line_text(pos.line)), (
            f"{what}: col {pos.col} past the end of the line"
        )
    assert span.start <= span.end, f"{what}: start {span.start} after end {span.end}"


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(path=st.sampled_from(VALID), steps=st.lists(mutation, min_size=1, max_size=4))
def test_mutants_never_raise_and_spans_stay_inside(
    path: Path, steps: list[tuple[object, int, int, str]]
) -> None:
    text = mutate(path.read_text(encoding="utf-8"), steps)
    result = compile_text(text, str(path), OPTIONS)
    texts = {str(path): LineIndex(text)}
    for d in result.diagnostics:
        where = f"{d.code.id} {d.message!r}"
        _assert_inside(d.span, texts, where)
        for rel in d.related:
            _assert_inside(rel.span, texts, f"{where} (related)")
        if d.fix is not None:
            for edit in d.fix.edits:
                _assert_inside(edit.span, texts, f"{where} (fix)")
    assert result.plan is None or not any(d.is_error for d in result.diagnostics)


def test_mutation_helpers_change_the_text() -> None:
    """The strategies are only useful if each mutation really edits the text it is given."""
    text = "a: 1\nb:\n  c: 2\n"
    assert mutate(text, [(_delete, 0, 0, "")]) == "b:\n  c: 2\n"
    assert mutate(text, [(_duplicate, 1, 0, "")]) == "a: 1\nb:\nb:\n  c: 2\n"
    assert mutate(text, [(_swap, 0, 2, "")]) == "  c: 2\nb:\na: 1\n"
    assert mutate(text, [(_insert, 0, 1, "\t")]) == "a\t: 1\nb:\n  c: 2\n"
    assert mutate(text, [(_indent, 2, 0, "")]) == "a: 1\nb:\nc: 2\n"
    assert mutate(text, [(_indent, 0, 4, "")]) == "  a: 1\nb:\n  c: 2\n"
