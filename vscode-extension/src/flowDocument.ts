/**
 * Which files are FAST-HEP workflows. VS Code decides from `contributes.languages` (file suffix, `firstLine`);
 * this module holds the same facts so they are tested here and checked against package.json, instead of living
 * only as an untestable string in the manifest. No `vscode` import: it runs under `node --test`.
 */

/** File name suffixes that always mean a workflow. */
export const FLOW_SUFFIXES: readonly string[] = [".flow.yaml", ".flow.yml"];

/**
 * Regex source for `contributes.languages[].firstLine`: a first line `# fasthep-flow ...`, or a
 * yaml-language-server schema modeline that points at the fasthep-flow workflow schema.
 */
export const FIRST_LINE_PATTERN =
  "^#\\s*(?:fasthep-flow\\b|yaml-language-server:\\s*\\$schema=\\S*(?:fasthep|workflow\\.schema\\.json))";

const FIRST_LINE = new RegExp(FIRST_LINE_PATTERN);

/** True when VS Code would give the file the `fasthep-flow` language (by name or by its first line). */
export function isFlowDocument(fileName: string, firstLine: string): boolean {
  const lower = fileName.toLowerCase();
  if (FLOW_SUFFIXES.some((suffix) => lower.endsWith(suffix))) {
    return true;
  }
  return FIRST_LINE.test(firstLine);
}
