/**
 * Every command the extension contributes, in one table that package.json is tested against. Two of them are
 * also server commands (`workspace/executeCommand`, same id): the server's code lenses invoke the id, VS Code runs
 * the client command registered here, and that forwards to the server with the document URI while it shows
 * progress or a preview. No `vscode` import.
 */

export const CATEGORY = "FAST-HEP Flow";

export type CommandId =
  | "fasthep-flow.runPlan"
  | "fasthep-flow.previewPlan"
  | "fasthep-flow.restartServer"
  | "fasthep-flow.showOutput";

export interface CommandSpec {
  id: CommandId;
  /** Title in the palette, shown after the category: "FAST-HEP Flow: Run plan". */
  title: string;
  /** True when the client forwards the command to the server's `workspace/executeCommand` of the same id. */
  forwardsToServer: boolean;
  /** True when the command acts on a workflow document (the palette shows it only in one). */
  needsDocument: boolean;
}

export const COMMANDS: readonly CommandSpec[] = [
  { id: "fasthep-flow.runPlan", title: "Run plan", forwardsToServer: true, needsDocument: true },
  { id: "fasthep-flow.previewPlan", title: "Preview plan", forwardsToServer: true, needsDocument: true },
  { id: "fasthep-flow.restartServer", title: "Restart server", forwardsToServer: false, needsDocument: false },
  { id: "fasthep-flow.showOutput", title: "Show output", forwardsToServer: false, needsDocument: false },
];

/** Ids the client registers itself; the language client must not register them again from the server's list. */
export const CLIENT_OWNED_IDS: ReadonlySet<string> = new Set(COMMANDS.map((c) => c.id));

/**
 * Filters the server's advertised `executeCommandProvider.commands` down to those the language client may
 * register as plain pass-through commands. Registering an id twice makes VS Code throw and the client fail to
 * start, so ids this extension owns are removed.
 */
export function passThroughServerCommands(advertised: readonly string[] | undefined): string[] {
  return (advertised ?? []).filter((id) => !CLIENT_OWNED_IDS.has(id));
}

export interface ExecuteCommandParams {
  command: string;
  arguments: unknown[];
}

/**
 * The `workspace/executeCommand` request a forwarding command sends: the document URI first, then whatever else
 * the invoking code lens carried (the server's "Run to here" lens adds the stage id).
 */
export function executeCommandParams(id: CommandId, documentUri: string, extra: readonly unknown[] = []): ExecuteCommandParams {
  const spec = COMMANDS.find((c) => c.id === id);
  if (spec === undefined || !spec.forwardsToServer) {
    throw new Error(`bug: ${id} is not forwarded to the server`);
  }
  return { command: id, arguments: [documentUri, ...extra] };
}

export interface CommandTarget {
  /** The workflow the command acts on. */
  uri: string;
  /** Further arguments to forward to the server (e.g. the stage id of "Run to here"). */
  extra: unknown[];
}

/**
 * What a command acts on. A code lens passes the URI string (and "Run to here" the stage id after it); an
 * editor title button passes a `Uri` object (its `toString()` is the URI) and an options object, which is not
 * forwarded; the palette passes nothing, so the active editor's document is used.
 */
export function commandTarget(args: readonly unknown[], activeUri: string | undefined): CommandTarget | undefined {
  const first = args[0];
  if (typeof first === "string" && first !== "") {
    return { uri: first, extra: args.slice(1).filter((a) => typeof a === "string") };
  }
  if (typeof first === "object" && first !== null && "scheme" in first && typeof first.toString === "function") {
    return { uri: first.toString(), extra: [] };
  }
  return activeUri === undefined ? undefined : { uri: activeUri, extra: [] };
}
