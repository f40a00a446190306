"""Every diagnostic code in one table, grouped by hundreds; a code is never reused for another meaning.

FF0xx YAML and includes · FF1xx structure and registry · FF2xx expressions · FF3xx references and data-flow ·
FF4xx run time · FF9xx internal.

A code owns its words, as a ruff rule does: the message template(s) the reports follow, whether a fix exists,
and its documentation (summary, why it matters, an example, how to fix). ``docs/diagnostics.md`` is generated
from this table (``scripts/gen_docs.py``), so the page cannot drift from what the tool says; tests check that
every code has an example and a fix text, and that the fixtures' messages follow their code's templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

DOCS_BASE = "https://fasthep-flow.readthedocs.io/en/latest/diagnostics/"


class FixAvailability(Enum):
    """Whether a diagnostic of this code carries a machine-applicable fix (``check --fix``, the quick fix)."""

    NEVER = "never"
    SOMETIMES = "sometimes"
    """Only when the tool can tell what was meant (a close name exists, the placement is unambiguous)."""
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    name: str
    summary: str
    messages: tuple[str, ...] = ()
    """Templates of the messages, ``{placeholder}`` for the part that names the thing; the first is the usual."""
    why: str = ""
    """Why this is reported: what goes wrong if it is ignored."""
    how_to_fix: str = ""
    fixable: FixAvailability = FixAvailability.NEVER
    example: str = ""
    """A workflow with exactly this mistake: a path under ``tests/fixtures/`` (``diagnostics/`` fixtures are
    checked by ``check``, ``run/`` fixtures by running them), so the example is tested like any fixture."""
    output: str = ""
    """What the tool prints, for codes that no workflow text shows on its own (e.g. a missing package)."""

    @property
    def url(self) -> str:
        return f"{DOCS_BASE}#{self.id.lower()}"

    def message(self, variant: int = 0, /, **fields: object) -> str:
        """The message of template ``variant`` with its placeholders filled in."""
        return self.messages[variant].format(**fields)

    def follows_template(self, message: str) -> bool:
        """Whether ``message`` is one of this code's templates with the placeholders filled in."""
        return any(_template_pattern(t).fullmatch(message) for t in self.messages)

    def __str__(self) -> str:
        return self.id


_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)


_SOMETIMES = FixAvailability.SOMETIMES


def _c(
    id_: str,
    name: str,
    summary: str,
    *messages: str,
    why: str = "",
    fix: str = "",
    fixable: FixAvailability = FixAvailability.NEVER,
    example: str = "",
    output: str = "",
) -> Code:
    return Code(id_, name, summary, messages, why, fix, fixable, example, output)


# FF0xx: the YAML text itself and includes
YAML_SYNTAX = _c(
    "FF001", "yaml-syntax", "The file is not valid YAML.",
    "{problem}",
    why="Nothing after the first syntax error can be read reliably, so the rest of the file is not checked.",
    fix="Look at the reported position and just before it: usually an indentation that does not line up, a tab "
    "used for indenting, or a quote, `[` or `{` that is never closed.",
    example="diagnostics/FF001-bad-indentation.yaml",
)  # fmt: skip
DUPLICATE_KEY = _c(
    "FF002", "duplicate-key", "A mapping has the same key twice; YAML would silently keep one.",
    "duplicate key '{key}'",
    why="A YAML loader keeps only one of the two values without saying so; the other is silently lost.",
    fix="Keep one of the two entries (merge their contents if both matter); `related` points at the first.",
    example="diagnostics/FF002-duplicate-param.yaml",
)  # fmt: skip
INCLUDE_MISSING = _c(
    "FF003", "include-missing", "A file named in `include:` does not exist or cannot be read.",
    "included file '{path}' does not exist or cannot be read", "included file '{path}': {problem}",
    "{path} is {kind}, not a regular file", "cannot open {path}: {problem}", "cannot read {path}: {problem}",
    "no such file: {path}",
    why="The workflow would run without the datasets, styles or stages that file was meant to add. A path that "
    "is a FIFO, a device (`/dev/zero`) or a folder is refused without being read: it would block or never end.",
    fix="Correct the path (it is relative to the including file) or create the file; a workflow and the files it "
    "includes must be ordinary files.",
    example="diagnostics/FF003-missing-include.yaml",
)  # fmt: skip
INCLUDE_CYCLE = _c(
    "FF004", "include-cycle", "Files include each other in a loop.",
    "files include each other in a loop: {chain}",
    why="Following the includes would never end; the message lists the files of the loop.",
    fix="Remove the `include:` entry that points back to a file earlier in the chain.",
    example="diagnostics/FF004-include-self.yaml",
)  # fmt: skip
INCLUDE_ERROR = _c(
    "FF005", "include-error", "An included file has errors; they are reported in that file.",
    "included file '{path}' has {count}",
    why="The including workflow depends on the broken file; the real problems are reported at their own place "
    "in the included file, and this one marks the `include:` entry so the editor of the workflow shows it.",
    fix="Open the included file (the related location) and fix the problems reported there.",
    example="diagnostics/FF005-include-unknown-key.yaml",
)  # fmt: skip
NOT_A_MAPPING = _c(
    "FF006", "not-a-mapping", "The workflow (or an included file) must be a YAML mapping.",
    "the workflow must be a mapping of keys (version:, analysis:, ...), not {kind}",
    "a profile file must be a mapping",
    why="A workflow is a set of top-level keys (`version`, `data`, `sources`, `analysis`, ...); a list or a "
    "plain value has none of them.",
    fix="Write the file as `key: value` lines at the top level, e.g. start with `version: 1.0`.",
    example="diagnostics/FF006-not-a-mapping-list.yaml",
)  # fmt: skip
UNSUPPORTED_YAML = _c(
    "FF007", "unsupported-yaml", "Anchors with merge keys, custom tags or complex keys.",
    "the YAML tag '{tag}' is not supported; the value is read without it",
    "nesting deeper than {depth} levels is not supported",
    "a mapping key must be a plain value, not a list or a mapping",
    "only the first YAML document of a file is read; the documents after this `---` are ignored",
    "{value} cannot be read as {type}; it is kept as text",
    "a merge key `<<` takes a mapping (usually an alias such as *defaults) or a list of them",
    why="These YAML features either have no meaning in a workflow or are read differently by different tools; "
    "the value is kept in the simplest reading, which may not be what was meant.",
    fix="Remove the tag, split the extra documents into their own files, or write keys as plain text.",
    example="diagnostics/FF007-custom-tag.yaml",
)  # fmt: skip
TOO_LARGE = _c(
    "FF008", "too-large", "A file, its alias expansion or its merged includes exceed a workflow's size limits.",
    "alias *{name} is refused: the file uses {what}",
    "the file is {size} MB; a workflow file may be at most {limit} MB",
    "including '{path}' makes the workflow too large: merging includes would build more than {limit} list items",
    why="Every alias repeats its anchor's whole value and nested aliases multiply (a 'billion laughs' file of nine "
    "levels of nine aliases stands for 387 million values); included lists concatenate, so a diamond of includes "
    "multiplies too. Unbounded, `check` and the editor would grow to gigabytes. See docs/security.md.",
    fix="Write the values out, or reuse them with fewer levels of aliases; include each file once; split a very "
    "large file with `include:`.",
    example="diagnostics/FF008-alias-bomb.yaml",
)  # fmt: skip
NOT_UTF8 = _c(
    "FF009", "not-utf8", "A workflow file is not UTF-8 text (binary, Latin-1, UTF-16...).",
    "the file is not UTF-8 text: byte {byte} (line {line}, column {column}) cannot be decoded",
    "the file is {encoding} text (it starts with a {bom} byte-order mark), not UTF-8",
    why="Workflows are UTF-8 (as YAML and the language server's positions assume); reading other bytes would "
    "misplace every position or garble names. It is reported at the first byte that is not UTF-8.",
    fix="Save the file as UTF-8 (most editors: 'Save with encoding'); accents typed in Latin-1 or Windows-1252 "
    "are the usual cause. A binary file is not a workflow.",
    output="""\
$ fasthep-flow check notes.yaml
notes.yaml:2:4: error[FF009]: the file is not UTF-8 text: byte 0xE9 (line 2, column 4) cannot be decoded
    2 | # R
      |    ^
      = hint: save the file as UTF-8; Latin-1 or Windows-1252 accents are the usual cause""",
)  # fmt: skip
BAD_OVERRIDE = _c(
    "FF010", "bad-override", "A command-line override is not KEY=VALUE or names a place the workflow lacks.",
    "an override must be KEY=VALUE, not {text}", "empty [] in an override key",
    "cannot read the override key {key}", "no item {key} in this list ({count} items)",
    "no item at position {position} in this list ({count} items)",
    "cannot address {key} here: the workflow has {kind} at this point",
    why="An override that addresses nothing would be silently dropped, and the run would use the file's value.",
    fix="Write `KEY=VALUE` with a dotted key the workflow has: list items by position (`stages[0]`) or by their "
    "`id`/`name` (`stages[Dimuon]`); the hint lists the items of the list.",
    output="""\
$ fasthep-flow check examples/toy_zmumu.flow.yaml 'analysis.stages[Nope].params.x=1'
<override 1>:1:17: error[FF010]: no item 'Nope' in this list (5 items)
    1 | analysis.stages[Nope].params.x=1
      |                 ^^^^
      = hint: items here: MuonVars, Dimuon, Mass, MuonPt, DiMuonMass""",
)  # fmt: skip

# FF1xx: document structure and the registry
UNKNOWN_OP = _c(
    "FF101", "unknown-op", "The `op` is not an operation of the loaded registry.",
    "unknown op '{op}'", "unknown render op '{op}'", "unknown sink op '{op}'",
    why="The stage cannot run: no implementation has that name (most often a typo).",
    fix="Use the suggested name, or one listed by `fasthep-flow ops`; an op from your own package needs its "
    "`registry:` layer or profile (and `--trust`).",
    fixable=_SOMETIMES,
    example="diagnostics/FF101-unknown-op.yaml",
)  # fmt: skip
UNKNOWN_TOP_KEY = _c(
    "FF102", "unknown-top-level-key", "A top-level key the language does not define.",
    "unknown top-level key '{key}'",
    why="Other tools ignore unknown keys silently: a misspelt `analysis:` would run nothing at all.",
    fix="Use the suggested key; the top-level keys are listed in the language reference.",
    fixable=_SOMETIMES,
    example="diagnostics/FF102-misspelt-analysis.yaml",
)  # fmt: skip
UNKNOWN_STAGE_KEY = _c(
    "FF103", "unknown-stage-key", "A stage key the language does not define.",
    "unknown stage key '{key}'",
    why="A misspelt stage key (`parms:`) would be ignored and the stage would run without what it holds.",
    fix="Use the suggested key (`id`, `op`, `params`, `needs`, `from`, `applies_to`, `execution`, `write`, "
    "`render`, `inspect`, ...).",
    fixable=_SOMETIMES,
    example="diagnostics/FF103-unknown-stage-key.yaml",
)  # fmt: skip
UNKNOWN_PARAM = _c(
    "FF104", "unknown-param", "A parameter the operation does not take.",
    "unknown param '{param}' of '{op}'", "unknown param '{param}'",
    why="The op would never read it: a misspelt `weight_expr` would fill an unweighted histogram.",
    fix="Use the suggested name; `fasthep-flow ops OP` lists the op's parameters.",
    fixable=_SOMETIMES,
    example="diagnostics/FF104-unknown-param.yaml",
)  # fmt: skip
MISSING_PARAM = _c(
    "FF105", "missing-required-param", "A required parameter of the operation is absent.",
    "params of {where} is missing required key '{param}'",
    "the writer is missing required key '{key}'",
    why="The op cannot run without it (a histogram needs its `axes`, a define its `variables`).",
    fix="Add the parameter; the fix inserts every missing required parameter with a placeholder value to "
    "fill in.",
    fixable=_SOMETIMES,
    example="diagnostics/FF105-hist-without-axes.yaml",
)  # fmt: skip
PARAM_TYPE = _c(
    "FF106", "param-type", "A parameter (or key) has a value of the wrong type.",
    "{key} must be {expected}, not {found}", "{key}: {problem}", "{key} has an unexpected shape",
    "{key} has value {value}, which is not of the expected form",
    "`{key}` must be {what}",
    "{what} must be a \"module:object\" string",
    "{what} '{ref}' is not of the form 'module:object'",
    why="The op would receive a value it cannot use, and fail (or do something else) at run time.",
    fix="Give a value of the type the message names; hover the key in the editor to see its type. An empty "
    "`params:` of an op with required params gets the FF105 fix.",
    fixable=_SOMETIMES,
    example="diagnostics/FF106-nbins-not-int.yaml",
)  # fmt: skip
PARAM_VALUE = _c(
    "FF107", "param-value", "A value outside the allowed set or range.",
    "{key} has value {value}, which is not allowed", "{key}: {problem}", "{key} must be {value}",
    "{key} must not be empty",
    "unknown histogram axis '{name}'",
    "group '{group}' has {n} steps: '{ref}' is not one of them",
    why="Only the listed values mean something to the op; any other is a typo or a misunderstanding.",
    fix="Use one of the allowed values (the hint lists them, or suggests the closest).",
    example="diagnostics/FF107-storage-not-allowed.yaml",
)  # fmt: skip
DUPLICATE_STAGE = _c(
    "FF108", "duplicate-stage-id", "Two stages share one id.",
    "duplicate stage id '{id}'", "stage id '{id}' is also the name of a source",
    why="`needs`, `from`, observers and outputs name stages by id; with two, they would be ambiguous.",
    fix="Rename one of the stages (and the references to it: the editor's rename does both).",
    example="diagnostics/FF108-duplicate-stage-id.yaml",
)  # fmt: skip
EMPTY_STAGES = _c(
    "FF109", "empty-stages", "`analysis.stages` is missing or empty: there is nothing to run.",
    "the workflow has no `analysis.stages`: nothing to run", "`analysis.stages` is empty: nothing to run",
    "the workflow is empty: nothing to run",
    why="A workflow without stages reads its inputs and produces nothing.",
    fix="Add at least one stage under `analysis: {stages: [...]}` (check the spelling of `analysis`).",
    example="diagnostics/FF109-empty-stages.yaml",
)  # fmt: skip
MISSING_KEY = _c(
    "FF110", "missing-key", "A required key (such as a stage's `id` or `op`) is absent.",
    "{where} is missing required key '{key}'", "{where} needs one of: {keys}",
    "a `{kind}` axis needs {what}",
    "render stage '{stage}' needs `from: [{node: <stage>, port: hist}]`",
    why="Without it the part cannot be identified or run (a stage needs an `id` and an `op`).",
    fix="Add the key named in the message. A stage whose op has required params but no `params:` gets the same "
    "fix as FF105.",
    fixable=_SOMETIMES,
    example="diagnostics/FF110-stage-without-op.yaml",
)  # fmt: skip
UNKNOWN_PROFILE = _c(
    "FF111", "unknown-profile", "A profile in `use.profiles` cannot be found.",
    "unknown profile '{profile}'", "profile '{profile}' has errors", "plugin '{plugin}' is not installed",
    "profile '{profile}' cannot be read", "profile '{profile}' cannot be loaded",
    "unknown profile '{name}' ({why})",
    "unknown profile '{name}': {why}",
    why="The defaults, ops and styles the profile provides would be missing.",
    fix="Use a built-in profile (`fasthep-flow ops` lists them), `pkg:name` of an installed package, or a "
    "`./path.yaml` that exists.",
    example="diagnostics/FF111-unknown-profile.yaml",
)  # fmt: skip
UNTRUSTED = _c(
    "FF112", "untrusted-code",
    "Python code the workflow names (a `registry:` layer, a `pkg:name` profile) is not loaded until trusted.",
    "registry layer '{layer}' not loaded: workspace not trusted",
    "registry {section} '{name}' ('{ref}') not loaded: workspace not trusted",
    "profile '{profile}' not loaded: workspace not trusted",
    "op '{op}' not loaded: it comes from {origin}, and the workspace is not trusted",
    "op '{op}' is unknown; it may come from profile {profiles}, not loaded because the workspace is not trusted",
    why="Checking or editing a workflow never imports code it names, wherever the module lives: importing any "
    "module runs it (`venv.__main__` creates a virtualenv). `run` refuses such a workflow, naming each entry. "
    "See docs/security.md.",
    fix="If you trust the folder, pass `--trust` (or trust the workspace in the editor); otherwise leave it.",
    example="diagnostics/FF112-untrusted-registry-layer.yaml",
)  # fmt: skip
REGISTRY_LOAD = _c(
    "FF113", "registry-load-error", "A `registry:` entry cannot be imported or is not a spec.",
    "module '{module}' cannot be found", "{problem}",
    why="The ops the layer should add are missing, so every stage using them is unknown too.",
    fix="Check the `module:ATTRIBUTE` spelling and that the package is installed in the same environment.",
    example="diagnostics/FF113-registry-module-missing.yaml",
)  # fmt: skip
BAD_WHEN = _c(
    "FF114", "bad-when", "`when` must be `partition`, `dataset` or `final`.",
    "{key} has value {value}, which is not allowed",
    why="An attachment runs per partition, per dataset or once at the end; any other word has no meaning.",
    fix="Use `partition`, `dataset` or `final`.",
    example="diagnostics/FF114-bad-when.yaml",
)  # fmt: skip
BAD_APPLIES_TO = _c(
    "FF115", "bad-applies-to", "`applies_to` must select by `eventtype: data|mc`.",
    "{key} has value {value}, which is not allowed", "{problem}",
    why="A stage limited to an event type that no dataset has would silently never run.",
    fix="Write `applies_to: {eventtype: data}` or `applies_to: {eventtype: mc}`.",
    example="diagnostics/FF115-bad-applies-to.yaml",
)  # fmt: skip
UNKNOWN_KEY = _c(
    "FF116", "unknown-key", "A key the enclosing block does not define.",
    "unknown key in {where} '{key}'", "unknown key '{key}' in {where}", "{key}: {problem}",
    why="A misspelt key is ignored by other tools, so its setting would silently not apply.",
    fix="Use the suggested key; hover the block in the editor to see the keys it takes.",
    fixable=_SOMETIMES,
    example="diagnostics/FF116-unknown-key-in-axis.yaml",
)  # fmt: skip
UNKNOWN_STYLE = _c(
    "FF117", "unknown-style", "A render attachment names a style that `styles:` does not define.",
    "unknown style '{style}'",
    why="The plot or table has no recipe: nothing would be rendered.",
    fix="Use the suggested style or define it under `styles:`.",
    fixable=_SOMETIMES,
    example="diagnostics/FF117-unknown-style.yaml",
)  # fmt: skip
UNKNOWN_OUTPUT = _c(
    "FF118", "unknown-output", "A reference to an output that `outputs:` does not define.",
    "unknown output '{output}'",
    why="The write has no destination.",
    fix="Use the suggested output or define it under `outputs:`.",
    fixable=_SOMETIMES,
    example="diagnostics/FF118-unknown-output.yaml",
)  # fmt: skip
UNKNOWN_DATASET = _c(
    "FF119", "unknown-dataset", "A reference to a dataset that the workflow does not define.",
    "unknown dataset '{dataset}'",
    why="A style or selection naming a dataset that does not exist would silently match nothing.",
    fix="Use the suggested name or one of `data.datasets[].name`.",
    fixable=_SOMETIMES,
    example="diagnostics/FF119-unknown-dataset-in-style.yaml",
)  # fmt: skip
BAD_VERSION = _c(
    "FF120", "bad-version", "`version` is not a language version this tool knows (a warning: read as 1.0).",
    "unknown language version {version}: read as version 1.0",
    why="The file may use keys or meanings this version of fasthep-flow does not know; upstream stores any "
    "version and never checks it, so the file is read as 1.0 and this warning says so.",
    fix="Write `version: 1.0`.",
    example="diagnostics/FF120-bad-version.yaml",
)  # fmt: skip
WRONG_OP_KIND = _c(
    "FF121", "wrong-op-kind", "An op used where another kind is needed (a sink as a stage...).",
    "'{op}' is a {kind} op, not a stage op", "{problem}",
    why="Each op kind runs in its own place: render ops draw products in styles, sources read files.",
    fix="Move the op where its kind belongs (a render op into a style attached with `render:`), or use a "
    "stage op.",
    example="diagnostics/FF121-render-op-as-stage.yaml",
)  # fmt: skip
UNKNOWN_SOURCE_KIND = _c(
    "FF122", "unknown-source-kind", "A source `kind` that the registry does not provide.",
    "unknown source kind '{kind}'",
    why="No reader has that name: the source cannot be read.",
    fix="Use the suggested kind (`root_tree`, `parquet`, `toy`, ...).",
    fixable=_SOMETIMES,
    example="diagnostics/FF122-unknown-source-kind.yaml",
)  # fmt: skip
DUPLICATE_NAME = _c(
    "FF123", "duplicate-name", "Two datasets, sources or variables share one name.",
    "duplicate dataset name '{name}'", "field '{name}' is defined twice in stage '{stage}'",
    "duplicate {what} '{name}'",
    "alias '{name}' is already a field of stream '{stream}'",
    "two axes of this histogram are named '{name}'",
    why="References by name would be ambiguous, and one definition would hide the other.",
    fix="Rename one of the two (the related location points at the first).",
    example="diagnostics/FF123-duplicate-dataset-name.yaml",
)  # fmt: skip
BAD_NAME = _c(
    "FF124", "bad-name", "A name (stage id, global, dataset, key...) that is not a string, or is too long.",
    "{what} must be a name (a string), not a {found}",
    "{what} is {length} characters long; names may have at most {limit}",
    "{what} {name} contains {char}, which cannot be part of a file name",
    why="A key such as `1.5:` is read as a number, which no expression can refer to; a 100,000-character stage "
    "id, or one holding `/`, becomes an output file name the system refuses or that leaves its folder.",
    fix="Quote a name meant as text (`'1.5':`); use short names of letters, digits, `_` and `-` for stage ids "
    "and datasets.",
    example="diagnostics/FF124-float-global-key.yaml",
)  # fmt: skip
WEIGHT_IGNORED = _c(
    "FF130", "weight-ignored", "A histogram with `storage: count` and a `weight_expr`: the weight is not applied.",
    "`storage: count` ignores `weight_expr`: every entry counts 1 (as upstream)",
    why="Upstream FAST-HEP fills a count histogram without the weight, and so does fasthep-flow to give the same "
    "numbers; a weight that is written but not applied is most likely a mistake.",
    fix="Drop `storage: count` (the histogram is then weighted, with variances) or drop `weight_expr`.",
    example="diagnostics/FF130-count-storage-ignores-weight.yaml",
)  # fmt: skip
BINS_IGNORED = _c(
    "FF131", "bins-ignored", "`bins` on an `int` axis: int axes grow one category per value.",
    "`int` axes ignore `bins`: one category per integer met (as upstream)",
    why="An `int` axis is a growing integer category axis, as upstream makes it: the `bins` given have no effect.",
    fix="Remove `bins`, or use `type: regular` with `{low, high, nbins}` for fixed bins.",
    example="diagnostics/FF131-int-axis-bins-ignored.yaml",
)  # fmt: skip
SHARED_WRITE_PATH = _c(
    "FF132", "shared-write-path",
    "A `when: dataset` write with a path without `{dataset}` while several datasets are written: one file.",
    "{count} datasets write '{path}' (`when: dataset`): the file keeps the last one's events, '{last}' (as "
    "upstream)",
    why="Upstream FAST-HEP writes every dataset's events to the same file, each replacing the one before, and "
    "fasthep-flow places files where upstream does (downstream jobs find them by path): all datasets but the "
    "last are lost.",
    fix="Put `{dataset}` in the path (`slim_{dataset}.root`) to keep one file per dataset, or write "
    "`when: final` to keep every dataset in one file.",
    example="diagnostics/FF132-dataset-write-shared-path.yaml",
)  # fmt: skip
NOT_SUPPORTED_YET = _c(
    "FF140", "not-supported-yet",
    "An upstream form that is accepted but whose effect this version does not have yet (a warning).",
    "{what} accepted but {rest}", "{what} are accepted but {rest}", "{what} is accepted but {rest}",
    "{what} not supported yet{rest}", "{what} are not supported yet{rest}", "{what} is not supported yet{rest}",
    "{what} are recorded, not acted on yet", "{what} not supported yet",
    why="Workflows written for upstream FAST-HEP use these keys; rejecting them would fail `check` on a valid "
    "workflow, and accepting them silently would let `check` promise an effect the run does not have.",
    fix="Nothing to fix in the file: the form is valid. Expect the run without its effect (the message says "
    "which), or remove the key.",
    example="diagnostics/FF140-pending-render-ops.yaml",
)  # fmt: skip
PATH_FALLBACK = _c(
    "FF141", "path-fallback",
    "A relative path found only beside the workflow, or found in two places (the project root wins).",
    "'{path}' is not under the project root ({root}); using {used} (relative paths resolve against the "
    "project root first, as upstream does)",
    "'{path}' exists under the project root and beside the workflow; using the project root's {used}",
    why="Upstream resolves relative input paths against the project root (the working directory); the same "
    "workflow run from another folder would read other files, or none.",
    fix="Run from the project root, or write the path relative to it (or absolute).",
    example="",
    output="workflow.yaml:6:25: warning[FF141]: 'data/x.root' is not under the project root (/work); using "
    "/work/analysis/data/x.root (relative paths resolve against the project root first, as upstream does)",
)  # fmt: skip

# FF2xx: expressions inside strings
EXPR_SYNTAX = _c(
    "FF201", "expr-syntax", "An expression does not parse.",
    "expected an operand after '{token}', found '{found}'", "expected an operand after '{token}'",
    "expected an operator after '{token}', found '{found}'", "missing '{close}' to close '{open}' at column {col}",
    "{problem}",
    why="An expression that does not parse cannot be evaluated; the position is the exact column inside the "
    "string.",
    fix="Correct the expression at the reported column (see the expression language in the docs).",
    example="diagnostics/FF201-plain.yaml",
)  # fmt: skip
EXPR_UNSAFE = _c(
    "FF202", "expr-unsafe", "A construct expressions may not use (dunder names, lambdas, ...).",
    "name '{name}' is not allowed", "lambda expressions are not allowed", "comprehensions are not allowed",
    "method calls such as '{call}' are not allowed", "{construct} are not allowed",
    why="Expressions are data, never run by Python's `eval`: only arithmetic, comparisons, indexing and the "
    "registered functions exist, so a workflow cannot run arbitrary code.",
    fix="Write it with the expression functions (`fasthep-flow ops` lists them), e.g. `sum(x)` rather than "
    "`x.sum()`.",
    example="diagnostics/FF202-attribute-call.yaml",
)  # fmt: skip
UNKNOWN_FUNCTION = _c(
    "FF203", "unknown-function", "A call of a function the registry does not provide.",
    "unknown function '{function}'",
    why="Only registered functions can be called inside expressions.",
    fix="Use the suggested function or one listed under \"functions\" by `fasthep-flow ops`.",
    fixable=_SOMETIMES,
    example="diagnostics/FF203-unknown-function.yaml",
)  # fmt: skip
EXPR_ARITY = _c(
    "FF204", "expr-arity", "A function is called with the wrong number of arguments.",
    "{function}() takes {count}, got {given}", "{problem}",
    why="The call would fail when the stage runs.",
    fix="Pass the number of arguments the message names (hover the function for its signature).",
    example="diagnostics/FF204-arity.yaml",
)  # fmt: skip
EXPR_TYPE = _c(
    "FF205", "expr-type", "An expression's inferred types do not fit (found without reading data).",
    "{what} gives one value per object, not one per event", "{what} gives {shape} values for {count} events",
    "{problem}",
    why="A selection keeps or drops whole events, so it needs one true/false per event; a per-muon comparison "
    "such as `Muon_Px > 10` gives one per muon and it is not clear which muons should decide. When the input's "
    "types are known (a ROOT or Parquet file's schema, the toy source), `check` also finds a number compared "
    "with a string (`NMuon >= '2'`), a per-event field indexed (`NMuon[0]`) or reduced (`sum(MET_px)`), at "
    "the expression's column.",
    fix="Reduce the per-object values to one per event: `any(Muon_Px > 10)`, `all(...)`, or "
    "`count_nonzero(Muon_Px > 10) >= 2`; compare numbers with numbers; index and reduce only list fields.",
    example="run/FF205-selection-per-object.yaml",
)  # fmt: skip
EXPR_LIMIT = _c(
    "FF206", "expr-limit", "An expression would build a value too large to compute (`**`, string repetition).",
    "{what}: too large to compute", "{what} formats a string with '%', which expressions do not do",
    why="Arrays have fixed-width values, but numbers and strings written in the expression (or known at run time: "
    "globals, `dataset_name`) are Python values: `10 ** 10 ** 10` would run for hours and "
    "`dataset_name * 3000000000` would take 3 GB. Integers are limited to 4,096 bits, strings to 1,000,000 "
    "characters; the run refuses them too.",
    fix="Write the constant you mean (`1e10` is a float and cheap); expressions compute values, they do not "
    "build text.",
    example="diagnostics/FF206-huge-power.yaml",
)  # fmt: skip
REPORT_TEMPLATE = _c(
    "FF207", "report-template",
    "A report's `template` cannot be read, does not parse, or names what the report's context does not hold.",
    "report template '{template}': {problem}",
    why="The template is rendered after the run, when every product is written; a mistake found only then "
    "loses the report (upstream fails the run at that point). Templates are a safe subset of Jinja: `{{ }}`, "
    "`{% for %}`, `{% if %}`, filters such as `join` and `length`; no code runs, so a construct outside that "
    "subset, or a name the report's source does not provide, is reported here with its line in the template.",
    fix="Correct the template at the line and column given (the hint lists what the context holds there), or "
    "drop `template:` to write the built-in report.",
    example="diagnostics/FF207-report-template-unknown-name.yaml",
)  # fmt: skip

# FF3xx: references between parts and the data-flow of fields
UNKNOWN_STAGE_REF = _c(
    "FF301", "unknown-stage-ref", "`needs`/`from` (or a workflow's `stages`) names a stage or source that does not exist.",
    "unknown stage or source '{name}'", "unknown plan node '{name}'", "unknown stage '{name}'",
    "unknown stream '{name}'",
    "group '{group}' starts from '{ref}', which this cutflow does not define",
    why="The order of stages, or where a stage's data comes from, would be undefined.",
    fix="Use the suggested id (stage ids and source names), or `read.<source>` / `stage.<id>` for observers.",
    fixable=_SOMETIMES,
    example="diagnostics/FF301-unknown-needs.yaml",
)  # fmt: skip
DEPENDENCY_CYCLE = _c(
    "FF302", "dependency-cycle", "Stages (or workflows, by `extends`) depend on each other in a loop.",
    "dependency cycle: {chain}", "stage '{stage}' depends on itself",
    "workflows extend each other in a loop: {chain}", "workflow '{name}' extends itself",
    "group '{group}' depends on itself through '{ref}'",
    why="No stage of the loop can run first.",
    fix="Remove one of the `needs`/`from` entries of the loop the message lists.",
    example="diagnostics/FF302-dependency-cycle.yaml",
)  # fmt: skip
UNKNOWN_SYMBOL = _c(
    "FF303", "unknown-symbol", "A name no source, define, alias, global or context provides.",
    "unknown field '{field}'", "unknown {what} '{name}'",
    why="The expression would fail on the first event: nothing provides that field (often a typo, or a branch "
    "that is not in the input file).",
    fix="Use the suggested field; define it in an earlier `hep.define` stage, add it to `analysis.globals`, or "
    "list the branch in the source.",
    fixable=_SOMETIMES,
    example="diagnostics/FF303-unknown-field.yaml",
)  # fmt: skip
USED_BEFORE_DEFINED = _c(
    "FF304", "used-before-defined", "A field is used before the stage that defines it.",
    "field '{field}' is used before it is defined ({where})",
    why="Stages run in order; when this one runs the field does not exist yet.",
    fix="Move the defining stage (or variable) before the use, or add `needs: [<defining stage>]`.",
    example="diagnostics/FF304-used-before-defined-stage.yaml",
)  # fmt: skip
MISSING_BRANCH = _c(
    "FF305", "missing-branch", "A listed branch is not in the input file.",
    "unknown branch '{branch}'",
    why="Reading would fail at run time (or, with `missing_branches: ignore`, the field would be absent); the "
    "branch list is compared with the first readable input file's tree, without reading any data.",
    fix="Use the branch name the file has (the suggestion, or `uproot.open(file)[tree].keys()`).",
    fixable=_SOMETIMES,
    example="diagnostics/FF305-missing-branch.yaml",
)  # fmt: skip
INPUT_UNREADABLE = _c(
    "FF306", "input-unreadable", "An input file cannot be opened to check its branches.",
    "input file '{path}' does not exist", "cannot read '{path}': {problem}",
    "input '{path}' is {kind}, not a regular file",
    why="A warning: the branches and fields the workflow uses cannot be compared with the file, so typos in "
    "them go unnoticed until the run. The run itself will fail if the file is still missing or unreadable.",
    fix="Correct the path (relative to the workflow file) or make the file available; when it is only "
    "missing where `check` runs (e.g. in CI), pass `--no-inputs`. \"uproot is not installed\" means "
    "fasthep-flow was installed without its `hep` extra.",
    example="diagnostics/FF306-input-missing.yaml",
)  # fmt: skip
OUTPUT_PATH = _c(
    "FF307", "output-path", "An output path escapes the output directory (`..` or absolute).",
    "output path '{path}' leaves the output directory", "output path '{path}' is absolute",
    why="Outputs never leave the run's output folder, so a run cannot overwrite files elsewhere.",
    fix="Use a relative path inside the output folder, e.g. `plots/MuonPt.png`.",
    example="diagnostics/FF307-render-out-parent.yaml",
)  # fmt: skip
REDEFINED_FIELD = _c(
    "FF308", "redefined-field", "A field is defined again, hiding the earlier definition.",
    "field '{field}' is defined again, hiding the definition from stage '{stage}'",
    "field '{field}' is defined again, hiding {what}",
    why="Later stages see only the new values; the first definition is silently lost.",
    fix="Give the new field its own name, or remove one of the definitions.",
    example="diagnostics/FF308-redefined-field.yaml",
)  # fmt: skip
UNKNOWN_WORKFLOW = _c(
    "FF309", "unknown-workflow", "`extends` (or `--workflow`) names a workflow the configuration does not define.",
    "unknown workflow '{name}'", "unknown workflow '{name}' (asked for with --workflow)",
    why="Which stages the workflow runs would be undefined.",
    fix="Use one of the names under `workflows:` (the hint suggests the closest).",
    fixable=_SOMETIMES,
    example="diagnostics/FF309-unknown-workflow.yaml",
)  # fmt: skip
NOT_DOWNSTREAM = _c(
    "FF310", "not-downstream",
    "An inline variation's `stop_before` names a stage that does not read the anchor's output (a warning).",
    "stage '{stage}' is not below the anchor '{anchor}': `stop_before` has no effect there",
    why="`stop_before` keeps a stage fed by the varied anchor from being copied into the variation; a stage that "
    "does not read the anchor, directly or through others, is never copied, so naming it changes nothing and "
    "is most likely a typo for another stage (upstream accepts it silently).",
    fix="Name a stage below the anchor (one whose `needs`/`from` chain leads to it), or remove the entry.",
    example="diagnostics/FF310-stop-before-not-downstream.yaml",
)  # fmt: skip

# FF4xx: problems found while running
STAGE_FAILED = _c(
    "FF401", "stage-failed", "A stage raised an error while running on a partition.",
    "stage '{stage}' ({where}) failed on dataset '{dataset}', entries [{start}, {stop}): {problem}",
    "node '{node}' failed on {where}: {problem}",
    why="The data broke an assumption the checks could not see (here: not every event has six muons). The "
    "message names the stage, dataset and entry range, so the partition can be re-run alone.",
    fix="Read the error after the colon; guard the expression (`nth(Muon_Px, 5, default)`, `where(...)`), "
    "and re-run with `--debug` for the traceback. `--keep-going` lets independent stages finish.",
    example="run/FF401-index-out-of-range.yaml",
)  # fmt: skip
STAGE_TIMEOUT = _c(
    "FF402", "stage-timeout", "A stage ran longer than its `execution.timeout`.",
    "stage '{stage}' ({where}) timed out on {partition}: took longer than its execution.timeout of {limit}",
    why="The stage was stopped so that one slow partition does not hold the whole run. With the processes "
    "executor the worker running it is killed and replaced; elsewhere (Python cannot stop a running thread) "
    "the op runs on in the background and its result is discarded.",
    fix="Raise `execution.timeout` of the stage, or use smaller partitions (`--chunk-size`); `retries` re-runs "
    "a partition that timed out.",
    output="""\
analysis.flow.yaml:6:5: error[FF402]: stage 'MuonVars' (analysis.flow.yaml:6) timed out on dataset 'default', entries [0, 100000): took longer than its execution.timeout of 0.001 s
    6 |     - id: MuonVars
      |     ^^^^^^^^^^^^^^
      = hint: raise `execution.timeout` for this stage, or use smaller chunks (--chunk-size)""",
)  # fmt: skip
RUNTIME_MISSING_FIELD = _c(
    "FF403", "runtime-missing-field", "A field is absent from the data at run time.",
    "column '{field}' is not in {path}", "{problem}",
    why="Some inputs (Parquet columns, a second file with fewer branches) can only be seen when read.",
    fix="Use the column or branch name the file has, or list the source's columns/branches so `check` can "
    "compare them.",
    example="run/FF403-parquet-column-missing.yaml",
)  # fmt: skip
INPUT_ERROR = _c(
    "FF404", "input-error", "An input file could not be read at run time.",
    "input file '{path}' does not exist", "input file '{path}' cannot be read as {format}: {problem}",
    "dataset '{dataset}' lists no files for source '{source}'", "{problem}",
    why="The partitions of that file cannot be processed; the message names the dataset and file.",
    fix="Check that the file exists, is complete and is of the source's format (`check` warns with FF306 "
    "beforehand when it can open the file itself).",
    example="run/FF404-not-a-root-file.yaml",
)  # fmt: skip
OUTPUT_ERROR = _c(
    "FF405", "output-error", "An output could not be written.",
    "histogram '{key}' of stage '{stage}' has more than 3 axes: JSON only",
    "node '{node}' failed on {where}: {problem}", "{problem}",
    why="A product was computed but could not be saved as asked: a full disk or a path taken by a folder (an "
    "error), or a format that cannot hold it, such as a ROOT file for a histogram of more than three axes (a "
    "warning: the JSON file has it). Outputs are staged and promoted together, so after an error the previous "
    "complete outputs stay.",
    fix="Read the reason in the message. For the ROOT limit, read the histogram from `hists/<stage>.json`, or "
    "split it into histograms of at most three axes; otherwise free disk space or choose another `out:`, then "
    "re-run (cached partitions are reused).",
    example="run/FF405-four-axes-not-in-root.yaml",
)  # fmt: skip
MISSING_PACKAGE = _c(
    "FF406", "missing-package", "A package the run needs is not installed (an optional extra).",
    "running this workflow needs {packages}, which {verb} not installed",
    why="The HEP ops (uproot, awkward, hist), rendering (matplotlib, mplhep) and Dask are optional extras of "
    "fasthep-flow, imported only when a run needs them; the run checks for them before it starts, so it does "
    "not fail half-way.",
    fix="Run the command in the hint: it adds the named extra to the Python that runs fasthep-flow, from the "
    "source this copy was installed from (a clone's path, or its git URL). The bare name `fasthep-flow` on the "
    "package index is an unrelated project.",
    output="""\
analysis.flow.yaml:1:1: error[FF406]: running this workflow needs mplhep, which is not installed
    1 | version: 1.0
      | ^
      = hint: install fasthep-flow with the extra render: /home/me/.venv/bin/python -m pip install '/home/me/fasthep-flow[render]'""",
)  # fmt: skip
OUTPUT_BUSY = _c(
    "FF407", "output-busy", "Another run is using the same output folder (one run at a time per folder).",
    "the output folder '{folder}' is in use by another run ({who})",
    why="Two runs writing one folder would mix their outputs; the second is refused before it writes anything "
    "(the message names the process holding the folder).",
    fix="Wait for the other run to finish, pass `--wait SECONDS` to wait for it, or choose another `--outdir`.",
    output="""\
wf.flow.yaml:1:1: error[FF407]: the output folder '/home/me/out' is in use by another run (pid 18162)
    1 | version: 1.0
      | ^
      = hint: wait for it to finish, pass --wait SECONDS to wait for it, or choose another --outdir""",
)  # fmt: skip
NOT_CACHED = _c(
    "FF408", "not-cached", "`run --from STAGE` needs what the stages above STAGE made, and the cache lacks it.",
    "--from {stage}: '{node}' is not in the cache for {partition} ({reason})",
    why="A sub-range runs only its own stages and reads everything above them from the cache; recomputing "
    "those quietly would make `--from` a full run, and running without them is impossible.",
    fix="Run the workflow once without `--from` (or with `--to` the stage above) into the same cache, then "
    "use `--from`; `--explain` shows what the cache holds.",
    output="""\
analysis.flow.yaml:1:1: error[FF408]: --from MuonPt: 'stage.Dimuon' is not in the cache for dataset 'dy', entries [0, 100000) (not cached)
    1 | version: 1.0
      | ^
      = hint: run once without --from into this cache (fasthep-flow run analysis.flow.yaml), then use --from MuonPt""",
)  # fmt: skip
DEVICE_UNAVAILABLE = _c(
    "FF412", "device-unavailable", "A stage requires a device (a GPU) this machine does not have.",
    "stage '{stage}' requires a GPU, and no CUDA device is available here",
    "stage '{stage}' has execution.{key} '{value}', which names no device or resource class",
    why="A stage placed with `execution: {require: gpu}` must not quietly run somewhere else; the run is "
    "refused before any partition starts, so nothing is half-done. A `require`/`prefer` word that names "
    "neither `gpu`/`cpu` nor a class of `execution.resources` would otherwise be ignored.",
    fix="Run where a CUDA device and cupy are available; or write `prefer: gpu` (or add `fallback: cpu`) so "
    "the stage runs on the CPU when no GPU is present; or correct the resource class name.",
    output="""\
analysis.flow.yaml:9:5: error[FF412]: stage 'MuonVars' requires a GPU, and no CUDA device is available here
    9 |     - id: MuonVars
      |     ^^^^^^^^^^^^^^
      = hint: run where a CUDA device and cupy are available, or write `prefer: gpu` (or add `fallback: cpu`) to let the stage run on the CPU""",
)  # fmt: skip
DEVICE_FALLBACK = _c(
    "FF413", "device-fallback", "A stage that prefers a GPU runs on the CPU: no CUDA device is available.",
    "stage '{stage}' runs on the CPU: its execution.{key} asks for a GPU and none is available",
    why="Information: `prefer: gpu` (or `require: gpu` with `fallback: cpu`) lets the run go on without a GPU; "
    "the products are the same, only slower for stages that gain from a GPU.",
    fix="Nothing to fix. Run on a machine with a CUDA device and cupy to use the GPU.",
    output="""\
analysis.flow.yaml:9:5: info[FF413]: stage 'MuonVars' runs on the CPU: its execution.prefer asks for a GPU and none is available
    9 |     - id: MuonVars
      |     ^^^^^^^^^^^^^^""",
)  # fmt: skip

# FF9xx
INTERNAL = _c(
    "FF900", "internal-error", "A bug in fasthep-flow; please report it.",
    "{problem}",
    why="A broken invariant inside fasthep-flow, never a mistake in the workflow; the command exits with "
    "status 2 rather than 1.",
    fix="Re-run with `--debug` for the traceback and report it with the command and the workflow.",
    output="""\
fasthep-flow: internal error: bug: <what broke>
This is a bug in fasthep-flow, not in your workflow. Please report it with the command you ran (re-run with
--debug for the traceback).""",
)  # fmt: skip

ALL_CODES: tuple[Code, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Code))
BY_ID: dict[str, Code] = {c.id: c for c in ALL_CODES}
assert len(BY_ID) == len(ALL_CODES), "duplicate diagnostic code id"
