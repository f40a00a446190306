"""``python -m fasthep_flow.lsp`` starts the language server (the same as ``fasthep-flow lsp``)."""

from fasthep_flow.lsp.launch import main

if __name__ == "__main__":
    raise SystemExit(main())
