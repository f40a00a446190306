/**
 * Turns the server's `$/progress` work-done values into what VS Code's progress notification wants (a message
 * and an *increment*, whereas LSP sends absolute percentages) and into log lines for the output channel.
 */

export interface ProgressBegin {
  kind: "begin";
  title: string;
  message?: string;
  percentage?: number;
  cancellable?: boolean;
}

export interface ProgressReport {
  kind: "report";
  message?: string;
  percentage?: number;
  cancellable?: boolean;
}

export interface ProgressEnd {
  kind: "end";
  message?: string;
}

export type ProgressValue = ProgressBegin | ProgressReport | ProgressEnd;

export interface ProgressStep {
  /** Line for the output channel, or undefined when the value says nothing new. */
  logLine: string | undefined;
  /** Text for the notification (VS Code shows it after the title). */
  message: string | undefined;
  /** Percentage points to add to the notification's bar (VS Code's `increment`), if any. */
  increment: number | undefined;
  done: boolean;
}

/** Tracks one progress token: remembers the title and the last percentage so increments add up to the total. */
export class ProgressTracker {
  private title = "";
  private percentage = 0;

  update(value: ProgressValue): ProgressStep {
    if (value.kind === "begin") {
      this.title = value.title;
    }
    if (value.kind === "end") {
      const logLine = joinWords(`${this.title}: finished`, value.message);
      return { logLine, message: value.message, increment: undefined, done: true };
    }
    const increment = this.incrementTo(value.percentage);
    const percent = value.percentage === undefined ? undefined : `(${clamp(value.percentage)}%)`;
    let logLine: string | undefined;
    if (value.kind === "begin") {
      logLine = joinWords(`${this.title}: started`, value.message, percent);
    } else if (value.message !== undefined || percent !== undefined) {
      logLine = joinWords(`${this.title}:`, value.message, percent);
    }
    return { logLine, message: value.message, increment, done: false };
  }

  private incrementTo(percentage: number | undefined): number | undefined {
    if (percentage === undefined) {
      return undefined;
    }
    const next = clamp(percentage);
    const delta = next - this.percentage;
    if (delta <= 0) {
      return undefined;
    }
    this.percentage = next;
    return delta;
  }
}

function joinWords(...words: (string | undefined)[]): string {
  return words.filter((w): w is string => w !== undefined && w !== "").join(" ");
}

function clamp(percentage: number): number {
  return Math.max(0, Math.min(100, Math.round(percentage)));
}
