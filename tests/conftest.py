"""Options and fixtures shared by every test folder.

``--update-goldens`` rewrites golden files (``*.fixed.yaml`` beside the diagnostics fixtures) from what the
code produces now: review the diff like code. ``--data-dir`` (or ``FASTHEP_FLOW_TEST_DATA``) names the folder
of real ROOT files for tests marked ``shared_data``; the repository never contains them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES_DIR = TESTS_DIR / "fixtures"
REPO_DIR = TESTS_DIR.parent
DATA_ENV = "FASTHEP_FLOW_TEST_DATA"


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
        help=f"folder with the real ROOT files for `shared_data` tests (default: ${DATA_ENV})",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """True when the run should write golden files rather than compare with them."""
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(scope="session")
def shared_data_dir(request: pytest.FixtureRequest) -> Path:
    """The folder of real ROOT files; a test that needs them fails (it is not skipped) when none is given."""
    value = request.config.getoption("--data-dir") or os.environ.get(DATA_ENV)
    if not value:
        pytest.fail(f"this test needs the shared ROOT files: pass --data-dir DIR or set {DATA_ENV}")
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        pytest.fail(f"--data-dir / {DATA_ENV} is not a folder: {path}")
    return path


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO_DIR


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES_DIR
