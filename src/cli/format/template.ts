/**
 * Go text/template execution over plain JSON-shaped data, for docker's
 * --format and inspect -f. Objects behave like Go maps (a missing key prints
 * "<no value>", range visits keys in sorted order); a property holding a
 * function behaves like a Go method and may take arguments ({{.Label "x"}}).
 *
 * Errors read like Go's:
 *   template: :1: function "foo" not defined
 *   template: :1:7: executing "" at <.Foo.Bar>: nil pointer evaluating interface {}.Bar
 */
import { compareStrings, formatValue, goQuote, goTypeName } from './gofmt.js';
import {
  ArgTypeError,
  builtins,
  dockerFuncs,
  isMap,
  isShortCircuit,
  isTrue,
  type FuncMap,
  type TemplateFunc,
} from './template-funcs.js';
import {
  TemplateError,
  nodeString,
  parse,
  type AnyNode,
  type ArgNode,
  type BranchNode,
  type ChainNode,
  type CommandNode,
  type FieldNode,
  type ListNode,
  type Node,
  type PipeNode,
  type VariableNode,
} from './template-parse.js';

export { TemplateError } from './template-parse.js';
export { defineFunc, headerFuncs, type FuncMap, type TemplateFunc } from './template-funcs.js';

export interface ParseOptions {
  /** Template name used in error messages; docker's is "". */
  readonly name?: string;
  /** Functions beyond Go's builtins and docker's extras. */
  readonly funcs?: FuncMap;
}

export interface ExecuteOptions {
  /** Replace or add functions for this run, like Go's tmpl.Funcs() before Execute. */
  readonly funcs?: FuncMap;
  /** Go's missingkey option: "error" fails on a missing map key instead of "<no value>". */
  readonly missingKey?: 'default' | 'error';
}

export class Template {
  private constructor(
    readonly name: string,
    readonly text: string,
    private readonly root: ListNode,
    private readonly funcs: FuncMap,
  ) {}

  /** Parses text; throws TemplateError on a syntax error. */
  static parse(text: string, opts: ParseOptions = {}): Template {
    const funcs: FuncMap = { ...builtins, ...dockerFuncs, ...opts.funcs };
    const name = opts.name ?? '';
    const root = parse(name, text, (f) => Object.hasOwn(funcs, f));
    return new Template(name, text, root, funcs);
  }

  /**
   * Runs the template against data and returns the output. On failure throws
   * a TemplateError whose output holds what was written before the error.
   */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const funcs = opts.funcs ? { ...this.funcs, ...opts.funcs } : this.funcs;
    const state = new State(this.name, this.text, funcs, opts.missingKey === 'error', data);
    state.walk(data, this.root);
    return state.out.join('');
  }
}

export function parseTemplate(text: string, opts?: ParseOptions): Template {
  return Template.parse(text, opts);
}

/** Parse and execute in one go. */
export function runTemplate(text: string, data: unknown, opts?: ParseOptions & ExecuteOptions): string {
  return Template.parse(text, opts).execute(data, opts);
}

// ---------------------------------------------------------------------------

/** Marks "no value piped in", distinct from undefined (a missing value). */
const NO_FINAL: unique symbol = Symbol('noFinal');
/** The previous command's result in a pipeline, or NO_FINAL. */
type Piped = unknown;

class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

interface Variable {
  readonly name: string;
  value: unknown;
}

class State {
  readonly out: string[] = [];
  private readonly vars: Variable[];
  private node: AnyNode | null = null;

  constructor(
    private readonly name: string,
    private readonly text: string,
    private readonly funcs: FuncMap,
    private readonly missingKeyError: boolean,
    data: unknown,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  private at(node: AnyNode): void {
    this.node = node;
  }

  private errorf(msg: string): never {
    const output = this.out.join('');
    if (!this.node) throw new TemplateError(`template: ${this.name}: ${msg}`, output);
    // Go reports line and byte column of the node, and the node as source.
    const before = this.text.slice(0, this.node.pos);
    const lineStart = before.lastIndexOf('\n') + 1;
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = Buffer.byteLength(before.slice(lineStart), 'utf8');
    const where = `${this.name}:${line}:${col}`;
    throw new TemplateError(
      `template: ${where}: executing ${goQuote(this.name)} at <${nodeString(this.node)}>: ${msg}`,
      output,
    );
  }

  // Variables -----------------------------------------------------------------

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }
  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // Walking -------------------------------------------------------------------

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'text':
        this.out.push(node.text);
        return;
      case 'action': {
        // Declared variables persist until the enclosing {{end}}; declarations print nothing.
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'if':
      case 'with':
        this.walkIfOrWith(dot, node);
        return;
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'break':
      case 'continue':
        throw new LoopSignal(node.type);
    }
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const nDecl = r.pipe.decl.length;
      /** Runs the body once; false on {{break}}. */
      const iterate = (index: unknown, elem: unknown): boolean => {
        if (nDecl > 0) this.setTopVar(1, elem);
        if (nDecl > 1) this.setTopVar(2, index);
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (!(e instanceof LoopSignal)) throw e;
          if (e.kind === 'break') return false;
        } finally {
          this.pop(mark);
        }
        return true;
      };
      let ran = false;
      if (Array.isArray(val)) {
        for (let i = 0; i < val.length; i++) {
          ran = true;
          if (!iterate(i, val[i])) break;
        }
      } else if (isMap(val)) {
        for (const k of Object.keys(val).sort(compareStrings)) {
          if (val[k] === undefined) continue;
          ran = true;
          if (!iterate(k, val[k])) break;
        }
      } else if (typeof val === 'number' && Number.isInteger(val)) {
        // Go 1.22: range over an integer counts from 0.
        if (nDecl > 1) this.errorf(`can't use ${val} to iterate over more than one variable`);
        for (let i = 0; i < val; i++) {
          ran = true;
          if (!iterate(i, i)) break;
        }
      } else if (val !== null && val !== undefined) {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private printValue(node: Node, v: unknown): void {
    this.at(node);
    if (v === undefined) {
      this.out.push('<no value>');
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(node)} of type func`);
    this.out.push(formatValue(v));
  }

  // Evaluation ----------------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Piped = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      const name = v.idents[0] ?? '$';
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Piped): unknown {
    const [first, ...rest] = cmd.args;
    if (!first) return this.errorf('empty command');
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, rest, final);
      case 'chain':
        return this.evalChainNode(dot, first, rest, final);
      case 'identifier': {
        this.at(first);
        const fn = this.funcs[first.name];
        if (!fn) return this.errorf(`${goQuote(first.name)} is not a defined function`);
        return this.evalCall(dot, fn, cmd, first.name, rest, final);
      }
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, rest, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    if (first.type === 'dot') return dot;
    if (first.type === 'nil') return this.errorf('nil is not a command');
    return first.value;
  }

  private notAFunction(args: readonly ArgNode[], final: Piped): void {
    const [first] = args;
    if (first && (args.length > 1 || final !== NO_FINAL)) {
      this.errorf(`can't give argument to non-function ${nodeString(first)}`);
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[], final: Piped): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field.idents, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: ArgNode[], final: Piped): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, chain.node);
    this.at(chain);
    return this.evalFieldChain(dot, receiver, chain.fields, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: ArgNode[], final: Piped): unknown {
    this.at(v);
    const value = this.varValue(v.idents[0] ?? '$');
    if (v.idents.length === 1) {
      this.notAFunction([v, ...args], final);
      return value;
    }
    return this.evalFieldChain(dot, value, v.idents.slice(1), args, final);
  }

  /** .X.Y.Z: only the last field receives arguments. */
  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    idents: readonly string[],
    args: ArgNode[],
    final: Piped,
  ): unknown {
    const last = idents.length - 1;
    idents.forEach((name, i) => {
      receiver = i < last ? this.evalField(dot, name, [], NO_FINAL, receiver) : this.evalField(dot, name, args, final, receiver);
    });
    return receiver;
  }

  private evalField(dot: unknown, name: string, args: ArgNode[], final: Piped, receiver: unknown): unknown {
    if (receiver === undefined) {
      // A missing key earlier in the chain: Go keeps going with "no value".
      if (this.missingKeyError) this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return undefined;
    }
    if (receiver === null) return this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (!isMap(receiver)) return this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    const value = Object.hasOwn(receiver, name) ? receiver[name] : undefined;
    if (typeof value === 'function') {
      const node = this.node;
      const method: TemplateFunc = {
        arity: 0,
        variadic: true,
        call: (argv) => (value as (...a: unknown[]) => unknown).apply(receiver, argv),
      };
      return this.evalCall(dot, method, node ?? undefined, name, args, final);
    }
    if (args.length > 0 || final !== NO_FINAL) this.errorf(`${name} is not a method but has arguments`);
    if (value === undefined && this.missingKeyError) this.errorf(`map has no entry for key ${goQuote(name)}`);
    return value;
  }

  private evalCall(
    dot: unknown,
    fn: TemplateFunc,
    node: AnyNode | undefined,
    name: string,
    args: ArgNode[],
    final: Piped,
  ): unknown {
    const numIn = args.length + (final === NO_FINAL ? 0 : 1);
    if (fn.variadic) {
      if (numIn < fn.arity) this.errorf(`wrong number of args for ${name}: want at least ${fn.arity} got ${args.length}`);
    } else if (numIn !== fn.arity) {
      this.errorf(`wrong number of args for ${name}: want ${fn.arity} got ${numIn}`);
    }
    const shortCircuit = isShortCircuit(fn);
    if (shortCircuit) {
      // and stops at the first false argument, or at the first true one; the
      // piped-in value comes last and needs no evaluation.
      let v: unknown;
      for (const a of args) {
        v = this.evalArg(dot, a);
        if (isTrue(v) === (shortCircuit === 'or')) return v;
      }
      return final === NO_FINAL ? v : final;
    }
    const argv = args.map((a) => this.evalArg(dot, a));
    if (final !== NO_FINAL) argv.push(final);
    try {
      return fn.call(argv);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      if (node) this.at(node);
      const msg = err instanceof Error ? err.message : String(err);
      if (err instanceof ArgTypeError) return this.errorf(msg);
      return this.errorf(`error calling ${name}: ${msg}`);
    }
  }

  private evalArg(dot: unknown, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldNode(dot, n, [], NO_FINAL);
      case 'variable':
        return this.evalVariableNode(dot, n, [], NO_FINAL);
      case 'pipe':
        return this.evalPipeline(dot, n);
      case 'chain':
        return this.evalChainNode(dot, n, [], NO_FINAL);
      case 'identifier': {
        const fn = this.funcs[n.name];
        if (!fn) return this.errorf(`${goQuote(n.name)} is not a defined function`);
        return this.evalCall(dot, fn, n, n.name, [], NO_FINAL);
      }
      default:
        return n.value;
    }
  }
}
