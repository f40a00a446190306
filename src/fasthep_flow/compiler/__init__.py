"""The validating compiler: a workflow text in, a plan (or none) and every diagnostic out."""

from fasthep_flow.compiler.compile import compile_file, compile_text
from fasthep_flow.compiler.result import CompileOptions, CompileResult
from fasthep_flow.compiler.symbols import (
    Definition,
    FieldOrigin,
    Reference,
    StageInfo,
    SymbolIndex,
    SymbolKind,
)

__all__ = [
    "CompileOptions",
    "CompileResult",
    "Definition",
    "FieldOrigin",
    "Reference",
    "StageInfo",
    "SymbolIndex",
    "SymbolKind",
    "compile_file",
    "compile_text",
]
