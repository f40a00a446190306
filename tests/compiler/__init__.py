"""Compiler tests: a package, so module names (test_imports, ...) cannot clash with other test folders."""
