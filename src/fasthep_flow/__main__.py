"""`python -m fasthep_flow` is the same command as `fasthep-flow` (the VS Code client starts it this way)."""

from fasthep_flow.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
