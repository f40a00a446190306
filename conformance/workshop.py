"""Rebuild the workshop-tutorial cases (``t*``) from a fasthep-workshop checkout.

The repository holds no workshop file: a ``t*`` case carries a recipe, ``workshop.yaml`` (which folder of the
workshop, which files, which edits), and the harness copies the files from a checkout and applies the edits
when it materialises the case. The checkout is found, in order, at ``$FASTHEP_WORKSHOP`` or
``conformance/.workshop`` (git-ignored; see README.md for the one-line clone).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENV = "FASTHEP_WORKSHOP"


def workshop_dir() -> Path | None:
    """The workshop checkout to copy tutorials from, or None when there is none on this machine."""
    for candidate in (os.environ.get(ENV), HERE / ".workshop"):
        if candidate and (Path(candidate) / "tutorials").is_dir():
            return Path(candidate)
    return None


def _nevents_int(text: str) -> str:
    return re.sub(r'nevents: "([0-9]+)"', r"nevents: \1", text)


def _nevents_drop(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not re.search(r'nevents: "[0-9]+"', line))


def _zmumu_hzz_files(text: str) -> str:
    # The Zmumu example's nine datasets all read the one HZZ file, capped at its 2421 entries.
    text = re.sub(r"files: \[data/CMS/Zmumu/\w+\.root\]", "files: [$DATA/uproot-HZZ.root]", text)
    return re.sub(r'nevents: "(\d+)"', lambda m: f'nevents: "{min(int(m.group(1)), 2421)}"', text)


EDITS = {"nevents_int": _nevents_int, "nevents_drop": _nevents_drop, "zmumu_hzz_files": _zmumu_hzz_files}


def materialise(recipe: dict[str, object], dest: Path, checkout: Path) -> None:
    """Copy the recipe's files from ``checkout`` into ``dest`` and apply its edits to every YAML file there."""
    src = checkout / str(recipe["path"])
    for name in recipe.get("files", []):  # type: ignore[union-attr]
        if (src / name).is_file() and not (dest / name).exists():  # the case's own files win
            (dest / name).write_text((src / name).read_text(encoding="utf-8"), encoding="utf-8")
    for path in sorted(dest.glob("*.yaml")):
        if path.name in ("case.yaml", "workshop.yaml"):
            continue
        text = path.read_text(encoding="utf-8")
        for edit in recipe.get("edits", []):  # type: ignore[union-attr]
            text = EDITS[str(edit)](text)
        path.write_text(text, encoding="utf-8")


COMMIT = "addba34"
URL = "https://github.com/FAST-HEP/fasthep-workshop"


def fetch(dest: Path, git_dir: Path | None = None) -> None:
    """Put the workshop at ``COMMIT`` into ``dest``: from a local git directory when given, else by cloning."""
    import subprocess
    import tarfile
    import tempfile

    dest.mkdir(parents=True, exist_ok=True)
    if git_dir is not None:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "workshop.tar"
            subprocess.run(
                ["git", "--git-dir", str(git_dir), "archive", "-o", str(archive), COMMIT], check=True
            )
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
        return
    subprocess.run(["git", "clone", "--quiet", URL, str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "--quiet", COMMIT], check=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description="Fetch the fasthep-workshop tutorials the t* cases are built from."
    )
    parser.add_argument(
        "--git-dir", type=Path, help="a local git directory of fasthep-workshop (else: clone)"
    )
    parser.add_argument("--dest", type=Path, default=HERE / ".workshop")
    args = parser.parse_args()
    fetch(args.dest, args.git_dir)
    print(f"fasthep-workshop {COMMIT} in {args.dest}")
