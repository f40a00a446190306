"""How to install fasthep-flow (with extras): the one place the command text is written.

This project is installed from its repository — a clone's path or a git URL — never by its bare name from the
package index: ``fasthep-flow`` there is upstream FAST-HEP's unrelated package (module ``hepflow``). When the
running copy was installed from a path or a git URL, pip recorded it (PEP 610 ``direct_url.json``), so the hint
names that exact source; otherwise it names the git URL with ``<org>`` standing for the GitHub organisation
that hosts the repository.
"""

from __future__ import annotations

import json
import shlex
import sys
from urllib.parse import unquote, urlparse

GIT_URL = "https://github.com/<org>/fasthep-flow"
"""Placeholder: ``<org>`` is the GitHub organisation hosting this repository."""


def requirement(extras: tuple[str, ...] | list[str] = ()) -> str:
    """A pip requirement for this project with ``extras``, from where the running copy was installed."""
    suffix = f"[{','.join(extras)}]" if extras else ""
    source = _installed_from()
    if source is not None and source.startswith("file://"):
        return f"{unquote(urlparse(source).path)}{suffix}"
    url = source if source is not None and source.startswith("git+") else f"git+{GIT_URL}"
    return f"fasthep-flow{suffix} @ {url}"


def install_command(extras: tuple[str, ...] | list[str] = ()) -> str:
    """``<this python> -m pip install '<requirement>'``: a command that works when pasted in a shell.

    An editable install (``pip install -e``) stays editable, so the hint does not replace a developer's checkout
    with a copy."""
    editable = "-e " if _editable() else ""
    return f"{shlex.quote(sys.executable)} -m pip install {editable}{shlex.quote(requirement(extras))}"


def _direct_url() -> dict[str, object]:
    """pip's record of where the running copy came from (PEP 610); empty when installed from an index."""
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        text = distribution("fasthep-flow").read_text("direct_url.json")
    except (ImportError, PackageNotFoundError):
        return {}
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _editable() -> bool:
    info = _direct_url().get("dir_info")
    return isinstance(info, dict) and info.get("editable") is True


def _installed_from() -> str | None:
    """The URL pip installed the running copy from (``file:///...`` or ``git+https://...@rev``), if known."""
    data = _direct_url()
    url = data.get("url")
    if not isinstance(url, str):
        return None
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        revision = vcs.get("requested_revision")
        return f"git+{url}" + (f"@{revision}" if isinstance(revision, str) else "")
    return url if url.startswith("file://") else None
