"""Every diagnostic code in one table, grouped by hundreds; a code is never reused for another meaning.

FF0xx YAML and includes · FF1xx structure and registry · FF2xx expressions · FF3xx references and data-flow ·
FF4xx run time · FF9xx internal. Each code has a docs page (``docs/diagnostics.md#ffnnn``); a test checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCS_BASE = "https://fasthep-flow.readthedocs.io/en/latest/diagnostics/"


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    name: str
    summary: str

    @property
    def url(self) -> str:
        return f"{DOCS_BASE}#{self.id.lower()}"

    def __str__(self) -> str:
        return self.id


def _c(id_: str, name: str, summary: str) -> Code:
    return Code(id_, name, summary)


# FF0xx: the YAML text itself and includes
YAML_SYNTAX = _c("FF001", "yaml-syntax", "The file is not valid YAML.")
DUPLICATE_KEY = _c(
    "FF002", "duplicate-key", "A mapping has the same key twice; YAML would silently keep one."
)
INCLUDE_MISSING = _c(
    "FF003", "include-missing", "A file named in `include:` does not exist or cannot be read."
)
INCLUDE_CYCLE = _c("FF004", "include-cycle", "Files include each other in a loop.")
INCLUDE_ERROR = _c("FF005", "include-error", "An included file has errors; they are reported in that file.")
NOT_A_MAPPING = _c("FF006", "not-a-mapping", "The workflow (or an included file) must be a YAML mapping.")
UNSUPPORTED_YAML = _c("FF007", "unsupported-yaml", "Anchors with merge keys, custom tags or complex keys.")
BAD_OVERRIDE = _c(
    "FF010", "bad-override", "A command-line override is not KEY=VALUE or names a place the workflow lacks."
)

# FF1xx: document structure and the registry
UNKNOWN_OP = _c("FF101", "unknown-op", "The `op` is not an operation of the loaded registry.")
UNKNOWN_TOP_KEY = _c("FF102", "unknown-top-level-key", "A top-level key the language does not define.")
UNKNOWN_STAGE_KEY = _c("FF103", "unknown-stage-key", "A stage key the language does not define.")
UNKNOWN_PARAM = _c("FF104", "unknown-param", "A parameter the operation does not take.")
MISSING_PARAM = _c("FF105", "missing-required-param", "A required parameter of the operation is absent.")
PARAM_TYPE = _c("FF106", "param-type", "A parameter (or key) has a value of the wrong type.")
PARAM_VALUE = _c("FF107", "param-value", "A value outside the allowed set or range.")
DUPLICATE_STAGE = _c("FF108", "duplicate-stage-id", "Two stages share one id.")
EMPTY_STAGES = _c("FF109", "empty-stages", "`analysis.stages` is missing or empty: there is nothing to run.")
MISSING_KEY = _c("FF110", "missing-key", "A required key (such as a stage's `id` or `op`) is absent.")
UNKNOWN_PROFILE = _c("FF111", "unknown-profile", "A profile in `use.profiles` cannot be found.")
UNTRUSTED = _c("FF112", "untrusted-code", "An op comes from workspace code that is not loaded until trusted.")
REGISTRY_LOAD = _c("FF113", "registry-load-error", "A `registry:` entry cannot be imported or is not a spec.")
BAD_WHEN = _c("FF114", "bad-when", "`when` must be `partition`, `dataset` or `final`.")
BAD_APPLIES_TO = _c("FF115", "bad-applies-to", "`applies_to` must select by `eventtype: data|mc`.")
UNKNOWN_KEY = _c("FF116", "unknown-key", "A key the enclosing block does not define.")
UNKNOWN_STYLE = _c(
    "FF117", "unknown-style", "A render attachment names a style that `styles:` does not define."
)
UNKNOWN_OUTPUT = _c("FF118", "unknown-output", "A reference to an output that `outputs:` does not define.")
UNKNOWN_DATASET = _c(
    "FF119", "unknown-dataset", "A reference to a dataset that the workflow does not define."
)
BAD_VERSION = _c("FF120", "bad-version", "`version` is not a supported language version.")
WRONG_OP_KIND = _c(
    "FF121", "wrong-op-kind", "An op used where another kind is needed (a sink as a stage...)."
)
UNKNOWN_SOURCE_KIND = _c(
    "FF122", "unknown-source-kind", "A source `kind` that the registry does not provide."
)
DUPLICATE_NAME = _c("FF123", "duplicate-name", "Two datasets, sources or variables share one name.")

# FF2xx: expressions inside strings
EXPR_SYNTAX = _c("FF201", "expr-syntax", "An expression does not parse.")
EXPR_UNSAFE = _c("FF202", "expr-unsafe", "A construct expressions may not use (dunder names, lambdas, ...).")
UNKNOWN_FUNCTION = _c("FF203", "unknown-function", "A call of a function the registry does not provide.")
EXPR_ARITY = _c("FF204", "expr-arity", "A function is called with the wrong number of arguments.")
EXPR_TYPE = _c(
    "FF205", "expr-type", "An expression's inferred types do not fit (found without reading data)."
)

# FF3xx: references between parts and the data-flow of fields
UNKNOWN_STAGE_REF = _c(
    "FF301", "unknown-stage-ref", "`needs`/`from` names a stage or source that does not exist."
)
DEPENDENCY_CYCLE = _c("FF302", "dependency-cycle", "Stages depend on each other in a loop.")
UNKNOWN_SYMBOL = _c("FF303", "unknown-symbol", "A name no source, define, alias, global or context provides.")
USED_BEFORE_DEFINED = _c("FF304", "used-before-defined", "A field is used before the stage that defines it.")
MISSING_BRANCH = _c("FF305", "missing-branch", "A listed branch is not in the input file.")
INPUT_UNREADABLE = _c("FF306", "input-unreadable", "An input file cannot be opened to check its branches.")
OUTPUT_PATH = _c("FF307", "output-path", "An output path escapes the output directory (`..` or absolute).")
REDEFINED_FIELD = _c("FF308", "redefined-field", "A field is defined again, hiding the earlier definition.")

# FF4xx: problems found while running
STAGE_FAILED = _c("FF401", "stage-failed", "A stage raised an error while running on a partition.")
STAGE_TIMEOUT = _c("FF402", "stage-timeout", "A stage ran longer than its `execution.timeout`.")
RUNTIME_MISSING_FIELD = _c("FF403", "runtime-missing-field", "A field is absent from the data at run time.")
INPUT_ERROR = _c("FF404", "input-error", "An input file could not be read at run time.")
OUTPUT_ERROR = _c("FF405", "output-error", "An output could not be written.")
MISSING_PACKAGE = _c(
    "FF406", "missing-package", "A package the run needs is not installed (an optional extra)."
)
OUTPUT_BUSY = _c(
    "FF407", "output-busy", "Another run is using the same output folder (one run at a time per folder)."
)

# FF9xx
INTERNAL = _c("FF900", "internal-error", "A bug in fasthep-flow; please report it.")

ALL_CODES: tuple[Code, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Code))
BY_ID: dict[str, Code] = {c.id: c for c in ALL_CODES}
assert len(BY_ID) == len(ALL_CODES), "duplicate diagnostic code id"
