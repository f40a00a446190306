"""The documentation: generated pages are fresh, the site builds with `mkdocs build --strict`, every
diagnostic code has its section where `Code.url` points, and the Neovim snippet in docs/editors/neovim.md
works verbatim."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import urlparse

import pytest
import yaml

from fasthep_flow.document.codes import ALL_CODES, DOCS_BASE

from .locations import REPO, require_executable

DOCS = REPO / "docs"
SECTION = re.compile(r"^## (FF\d{3}) (\S+) \{#(ff\d{3})\}$", re.MULTILINE)
LUA_BLOCK = re.compile(r"^```lua\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def load_gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_fresh() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"generated docs are stale:\n{result.stderr}"


def test_check_reports_a_stale_page_and_a_rewrite_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen_docs = load_gen_docs()
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    monkeypatch.setattr(gen_docs, "DOCS", docs)
    page = docs / "diagnostics.md"
    page.write_text(page.read_text(encoding="utf-8").replace("## FF101 ", "## FF999 "), encoding="utf-8")
    (docs / "reference" / "ops.md").unlink()

    assert sorted(gen_docs.stale_pages()) == ["diagnostics.md", "reference/ops.md"]
    assert gen_docs.main(["--check"]) == 1
    assert gen_docs.main([]) == 0
    assert gen_docs.main(["--check"]) == 0
    assert page.read_text(encoding="utf-8") == (DOCS / "diagnostics.md").read_text(encoding="utf-8")


def test_every_code_has_one_section_with_its_name_and_summary() -> None:
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    sections = SECTION.findall(text)
    assert [s[0] for s in sections] == [c.id for c in ALL_CODES]
    for (code_id, name, anchor), code in zip(sections, ALL_CODES, strict=True):
        assert (name, anchor) == (code.name, code.id.lower())
        body = text.split(f"## {code_id} {name} {{#{anchor}}}\n\n", 1)[1]
        assert body.startswith(code.summary), code_id


def test_diagnostic_examples_come_from_the_fixtures() -> None:
    """Each code's section shows the fixture its entry in `document/codes.py` names, verbatim."""
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    for code in ALL_CODES:
        section = text.split(f"## {code.id} ", 1)[1].split("\n## ", 1)[0]
        if code.example:
            example = REPO / "tests" / "fixtures" / code.example
            assert example.read_text(encoding="utf-8").rstrip() in section, code.id
        assert code.how_to_fix in section, code.id


def test_code_urls_point_at_the_diagnostics_page_of_the_site() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True
    assert config.get("use_directory_urls", True) is True
    assert config["site_url"] + "diagnostics/" == DOCS_BASE
    for code in ALL_CODES:
        url = urlparse(code.url)
        assert url.path.endswith("/diagnostics/")
        assert url.fragment == code.id.lower()


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(REPO / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    html = (site / "diagnostics" / "index.html").read_text(encoding="utf-8")
    for code in ALL_CODES:
        assert f'id="{code.id.lower()}"' in html, code.id
    ops = (site / "reference" / "ops" / "index.html").read_text(encoding="utf-8")
    for op in ("hep.hist", "hep.define", "hep.selection.cutflow", "root_tree", "toy"):
        assert op in ops
    # Offline by construction: the site loads no script from another host.
    index = (site / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=\"https?://", index)


def neovim_snippet() -> str:
    """The Neovim 0.11 configuration: the first ```lua block of docs/editors/neovim.md, verbatim."""
    blocks = LUA_BLOCK.findall((DOCS / "editors" / "neovim.md").read_text(encoding="utf-8"))
    assert blocks, "docs/editors/neovim.md has no ```lua block"
    return blocks[0]


def test_neovim_snippet_has_the_documented_calls() -> None:
    snippet = neovim_snippet()
    assert "vim.lsp.config('fasthep_flow', {" in snippet
    assert "cmd = {'fasthep-flow', 'lsp'}," in snippet
    assert "filetypes = {'yaml', 'yaml.fasthep'}," in snippet  # any YAML, decided by content in root_dir
    assert "root_dir = function(bufnr, on_dir)" in snippet
    assert "vim.lsp.enable('fasthep_flow')" in snippet
    assert "vim.filetype.add({pattern = {['.*%.flow%.ya?ml'] = 'yaml.fasthep'}})" in snippet


def test_neovim_snippet_sets_filetypes_and_attaches_the_server(tmp_path: Path) -> None:
    """Runs the snippet verbatim in a headless Neovim 0.11: workflow files get `yaml.fasthep`, other YAML does
    not, and opening a workflow starts `fasthep-flow lsp` and attaches it to the buffer."""
    nvim = require_executable("nvim")
    require_executable("fasthep-flow")
    (tmp_path / ".git").mkdir()
    workflow = tmp_path / "ana.flow.yaml"
    workflow.write_text("version: 1.0\n", encoding="utf-8")
    (tmp_path / "other.flow.yml").write_text("version: 1.0\n", encoding="utf-8")
    (tmp_path / "plain.yaml").write_text("a: 1\n", encoding="utf-8")
    out = tmp_path / "result.json"
    (tmp_path / "init.lua").write_text(neovim_snippet(), encoding="utf-8")
    probe = tmp_path / "probe.lua"
    probe.write_text(
        f"""
local result = {{}}
for _, name in ipairs({{'plain.yaml', 'other.flow.yml', 'ana.flow.yaml'}}) do
  vim.cmd.edit(vim.fn.fnameescape('{tmp_path.as_posix()}/' .. name))
  result[name] = vim.bo.filetype
end
local cfg = vim.lsp.config['fasthep_flow']
result.cmd = cfg.cmd
local attached = vim.wait(20000, function()
  return #vim.lsp.get_clients({{bufnr = 0, name = 'fasthep_flow'}}) > 0
end, 100)
result.attached = attached
if attached then
  local client = vim.lsp.get_clients({{bufnr = 0, name = 'fasthep_flow'}})[1]
  result.root = client.root_dir
end
vim.fn.writefile({{vim.json.encode(result)}}, '{out.as_posix()}')
vim.cmd('qa!')
""",
        encoding="utf-8",
    )
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path),
    }
    subprocess.run(
        [nvim, "--headless", "--clean", "-u", str(tmp_path / "init.lua"), "-c", f"luafile {probe}"],
        cwd=tmp_path,
        env=env,
        timeout=120,
        capture_output=True,
        check=False,
    )
    assert out.is_file(), "Neovim did not run the probe"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["plain.yaml"] == "yaml"
    assert result["other.flow.yml"] == "yaml.fasthep"
    assert result["ana.flow.yaml"] == "yaml.fasthep"
    assert result["cmd"] == ["fasthep-flow", "lsp"]
    assert result["attached"] is True
    assert result["root"] == str(tmp_path)
