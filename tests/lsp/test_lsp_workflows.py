"""End-to-end: the real server understands `workflows:` — diagnostics on a misspelt name, and go-to-definition
from a workflow's stage list to the stage in `analysis.stages`."""

from __future__ import annotations

from pathlib import Path

from lsp_session import Session
from lsprotocol import types

TEXT = (Path(__file__).resolve().parents[1] / "fixtures" / "valid" / "workflows.flow.yaml").read_text()
BROKEN = TEXT.replace("extends: [loose, tight]", "extends: [loose, tigth]")


def _line(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n")


async def test_workflow_diagnostics_and_definition_across_workflows(vscode: Session, tmp_path: Path) -> None:
    uri = vscode.open(tmp_path / "w.flow.yaml", BROKEN)
    items = await vscode.diagnostics(uri, 1)
    line = _line(BROKEN, "extends: [loose, tigth]")
    col = BROKEN.splitlines()[line].index("tigth")
    assert [(d.code, d.range.start.line, d.range.start.character) for d in items] == [("FF309", line, col)]
    assert "did you mean 'tight'?" in items[0].message
    at = _line(BROKEN, "tight: {stages: TightPt}")
    found = await vscode.client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(at, BROKEN.splitlines()[at].index("TightPt") + 3),
        )
    )
    assert isinstance(found, list) and len(found) == 1
    target = _line(BROKEN, "- id: TightPt")
    assert found[0].uri == uri
    assert (found[0].range.start.line, found[0].range.start.character) == (target, 10)
