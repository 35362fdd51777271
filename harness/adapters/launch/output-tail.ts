/**
 * Keeps the last lines a child wrote, bounded, so a crash can be reported with what the engine
 * said last without holding everything a chatty engine ever wrote.
 */

export class OutputTail {
  #text = "";

  constructor(
    private readonly maxLines = 20,
    private readonly maxChars = 4000,
  ) {}

  push(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    // Trim only now and then: at twice the bound, so a stream of small chunks stays linear.
    if (this.#text.length > this.maxChars * 2) this.#text = this.#text.slice(-this.maxChars);
  }

  /** The last lines, blank ones dropped, each at most what fits in the bound. */
  lines(): string[] {
    const lines = this.#text
      .slice(-this.maxChars)
      .split(/\r?\n/)
      .filter((line) => line.trim() !== "");
    return lines.slice(-this.maxLines);
  }

  /** For an error message: the tail, indented, or a note that there was none. */
  describe(stream = "stderr"): string {
    const lines = this.lines();
    if (lines.length === 0) return `(nothing on ${stream})`;
    return `last ${stream} lines:\n${lines.map((line) => `  | ${line}`).join("\n")}`;
  }
}
