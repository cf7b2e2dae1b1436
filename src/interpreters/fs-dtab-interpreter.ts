// `io.l5d.fs` interpreter: the default interpreter with a dtab read from a file, watched and applied live.

import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import {
  Activity,
  type BoundName,
  Cell,
  type ConfiguredNamersInterpreter,
  type DelegateTree,
  type Delegator,
  Dtab,
  type NameInterpreter,
  type NameTree,
  type Path,
  readDtab,
  State,
} from "../naming/index.ts";

export const FS_INTERPRETER_KIND = "io.l5d.fs";

export interface FsDtabOptions {
  /** Watch the file (default true); tests may call `reload()` instead. */
  readonly watch?: boolean;
  /** How often the file is looked at besides change events (which some file systems do not send). */
  readonly pollMs?: number;
  /** How long a burst of change events settles before the file is read (a truncate, then a write). */
  readonly settleMs?: number;
}

/**
 * Binds with the file's dtab followed by the router's (and the request's), through the configured namers:
 * Linkerd's `io.l5d.fs` interpreter. A file that does not parse leaves the last good dtab in force (the admin
 * page shows the error); until a first good read, bindings fail with the file's problem.
 */
export class FsDtabInterpreter implements NameInterpreter, Delegator {
  readonly path: string;
  readonly #inner: ConfiguredNamersInterpreter;
  readonly #dtab = new Cell<State<Dtab>>(State.pending);
  readonly #settleMs: number;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #seen: string | undefined;
  #error: string | undefined;
  #loads = 0;
  #loadedAt: number | undefined;

  constructor(dtabFile: string, inner: ConfiguredNamersInterpreter, options: FsDtabOptions = {}) {
    this.path = resolve(dtabFile);
    this.#inner = inner;
    this.#settleMs = options.settleMs ?? 20;
    this.reload();
    if (options.watch ?? true) {
      this.#startWatching();
      this.#poll = setInterval(() => this.#check(), options.pollMs ?? 1000);
      this.#poll.unref();
    }
  }

  #startWatching(): void {
    // The directory is watched rather than the file, so that an editor's rename-over-the-file is seen.
    try {
      this.#watcher = watch(dirname(this.path), (_event, name) => {
        if (name === null || name === basename(this.path)) this.#soon();
      });
      this.#watcher.on("error", () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
      this.#watcher.unref();
    } catch {
      // No directory (yet), or no watching here: the poll still finds changes.
    }
  }

  #soon(): void {
    if (this.#settle !== undefined) clearTimeout(this.#settle);
    this.#settle = setTimeout(() => {
      this.#settle = undefined;
      this.reload();
    }, this.#settleMs);
    this.#settle.unref();
  }

  /** Reads the file again when its size, time or inode changed since the last read. */
  #check(): void {
    if (this.#fingerprint() !== this.#seen) this.reload();
  }

  #fingerprint(): string {
    try {
      const s = statSync(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (e) {
      return `missing:${(e as NodeJS.ErrnoException).code}`;
    }
  }

  /** Reads and parses the file now. */
  reload(): void {
    this.#seen = this.#fingerprint();
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      this.#fail(
        `cannot read dtab file ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
      return;
    }
    let dtab: Dtab;
    try {
      dtab = text.trim() === "" ? Dtab.empty : readDtab(text);
    } catch (e) {
      this.#fail(`dtab file ${this.path}: ${(e as Error).message}`);
      return;
    }
    this.#error = undefined;
    this.#loads++;
    this.#loadedAt = Date.now();
    const cur = this.#dtab.get();
    if (cur.kind === "ok" && cur.value.equals(dtab)) return;
    this.#dtab.set(State.ok(dtab));
  }

  #fail(message: string): void {
    this.#error = message;
    if (this.#dtab.get().kind !== "ok") this.#dtab.set(State.failed(new Error(message)));
  }

  #fileDtab(): Activity<Dtab> {
    return new Activity(this.#dtab);
  }

  bind(dtab: Dtab, path: Path): Activity<NameTree<BoundName>> {
    return this.#fileDtab().flatMap((file) => this.#inner.bind(file.concat(dtab), path));
  }

  delegate(dtab: Dtab, path: Path): Activity<DelegateTree<BoundName>> {
    return this.#fileDtab().flatMap((file) => this.#inner.delegate(file.concat(dtab), path));
  }

  /** What `/<router>/interpreter_state/io.l5d.fs/<file>.json` shows. */
  state(): unknown {
    const cur = this.#dtab.get();
    return {
      kind: FS_INTERPRETER_KIND,
      dtabFile: this.path,
      dtab: cur.kind === "ok" ? cur.value.show : null,
      error: this.#error ?? null,
      loads: this.#loads,
      loadedAt: this.#loadedAt === undefined ? null : new Date(this.#loadedAt).toISOString(),
    };
  }

  close(): void {
    this.#watcher?.close();
    if (this.#poll !== undefined) clearInterval(this.#poll);
    if (this.#settle !== undefined) clearTimeout(this.#settle);
  }
}
