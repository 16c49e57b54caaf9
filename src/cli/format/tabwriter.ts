/**
 * Go's text/tabwriter (docker/cli keeps a fork of it that measures cells in
 * terminal columns), which lays out docker's tables.
 *
 * Cells are terminated by '\t' (or the soft '\v'); lines end with '\n' (or
 * '\f', which also ends every column). A column is a run of consecutive lines
 * that all have a tab-terminated cell at that index; its width is the widest
 * cell plus padding, at least minWidth. The text after a line's last tab is
 * not part of any column and is never padded.
 *
 * docker's tables use new TabWriter({ minWidth: 10, tabWidth: 1, padding: 3 }).
 */

export interface TabWriterOptions {
  /** Minimal cell width including padding. */
  readonly minWidth?: number;
  /** Width of a tab when padChar is '\t'. */
  readonly tabWidth?: number;
  /** Added to the widest cell of a column. */
  readonly padding?: number;
  readonly padChar?: string;
  /** Right-align cell contents (ignored when padding with tabs). */
  readonly alignRight?: boolean;
  /** Give columns of only empty soft-tab ('\v') cells zero width. */
  readonly discardEmptyColumns?: boolean;
  /** Pad leading empty cells with tabs whatever padChar is. */
  readonly tabIndent?: boolean;
  /** Print '|' between columns. */
  readonly debug?: boolean;
}

interface Cell {
  readonly text: string;
  readonly width: number;
  /** Terminated by a hard tab. */
  readonly htab: boolean;
}

export class TabWriter {
  private readonly minWidth: number;
  private readonly tabWidth: number;
  private readonly padding: number;
  private readonly padChar: string;
  private readonly alignRight: boolean;
  private readonly discardEmptyColumns: boolean;
  private readonly tabIndent: boolean;
  private readonly debug: boolean;

  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out: string[] = [];

  constructor(opts: TabWriterOptions = {}) {
    this.minWidth = opts.minWidth ?? 0;
    this.tabWidth = opts.tabWidth ?? 8;
    this.padding = opts.padding ?? 1;
    this.padChar = opts.padChar ?? ' ';
    if (this.minWidth < 0 || this.tabWidth < 0 || this.padding < 0) throw new Error('negative minwidth, tabwidth, or padding');
    // Tab padding forces left alignment, as in Go.
    this.alignRight = (opts.alignRight ?? false) && this.padChar !== '\t';
    this.discardEmptyColumns = opts.discardEmptyColumns ?? false;
    this.tabIndent = opts.tabIndent ?? false;
    this.debug = opts.debug ?? false;
  }

  write(text: string): this {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line without tabs cannot affect later columns, so flush early like Go.
        if (ch === '\f' || ncells === 1) {
          this.flushBuffered();
          if (ch === '\f' && this.debug) this.out.push('---\n');
        }
      }
    }
    this.cell += text.slice(start);
    return this;
  }

  /** Lays out everything buffered and returns the output produced since the last flush. */
  flush(): string {
    this.flushBuffered();
    const s = this.out.join('');
    this.out = [];
    return s;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1];
    if (!line) throw new Error('tabwriter: no current line');
    line.push({ text: this.cell, width: displayWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushBuffered(): void {
    if (this.cell.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.cell = '';
    this.widths = [];
  }

  /** Go's recursive column-block layout over lines [line0, line1). */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= this.lineAt(t).length - 1) continue;
      // This line starts a block for this column: print what precedes it.
      this.writeLines(line0, t);
      line0 = t;
      let width = this.minWidth;
      let discardable = true;
      for (; t < line1; t++) {
        const line = this.lineAt(t);
        const c = line[column];
        if (column >= line.length - 1 || !c) break;
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.discardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, t);
      this.widths.pop();
      line0 = t;
    }
    this.writeLines(line0, line1);
  }

  private lineAt(i: number): Cell[] {
    return this.lines[i] ?? [];
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      let useTabs = this.tabIndent;
      this.lineAt(i).forEach((c, j) => {
        if (j > 0 && this.debug) this.out.push('|');
        const width = this.widths[j];
        if (c.text.length === 0) {
          if (width !== undefined) this.writePadding(c.width, width, useTabs);
          return;
        }
        useTabs = false;
        if (this.alignRight && width !== undefined) this.writePadding(c.width, width, false);
        this.out.push(c.text);
        if (!this.alignRight && width !== undefined) this.writePadding(c.width, width, false);
      });
      // The last buffered line is the unterminated one: no newline for it.
      if (i + 1 < this.lines.length) this.out.push('\n');
    }
  }

  private writePadding(textWidth: number, cellWidth: number, useTabs: boolean): void {
    if (this.padChar === '\t' || useTabs) {
      if (this.tabWidth === 0) return;
      const cw = Math.ceil(cellWidth / this.tabWidth) * this.tabWidth;
      this.out.push('\t'.repeat(Math.ceil((cw - textWidth) / this.tabWidth)));
      return;
    }
    this.out.push(this.padChar.repeat(Math.max(cellWidth - textWidth, 0)));
  }
}

/** Lays out a whole text at once. */
export function tabwrite(text: string, opts?: TabWriterOptions): string {
  return new TabWriter(opts).write(text).flush();
}

/** East Asian wide and fullwidth ranges (go-runewidth counts these as 2 columns). */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

/** Terminal columns of a string: wide runes count 2, combining marks and controls 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) continue;
    if (c < 0x300) {
      w++;
      continue;
    }
    if (/[\p{Mn}\p{Me}\p{Cf}]/u.test(ch)) continue;
    w += WIDE.some(([lo, hi]) => c >= lo && c <= hi) ? 2 : 1;
  }
  return w;
}
