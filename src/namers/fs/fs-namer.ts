// The io.l5d.fs namer: every file under rootDir is a service, its lines the addresses; changes apply live.

import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { join, relative, sep } from "node:path";
import {
  Activity,
  Addr,
  type Address,
  BoundName,
  Cell,
  type Name,
  type Namer,
  NameTree,
  Path,
  State,
  WEIGHT_META_KEY,
} from "../../naming/index.ts";
import { parseIpLiteral } from "../inet/ip-literal.ts";
import { type HostLookup, systemLookup } from "../inet/resolver.ts";
import { FileSyntaxError, parseServiceFile } from "./serverset-file.ts";

export interface FsNamerOptions {
  readonly lookup?: HostLookup;
  /** Watch the directory for changes (default true); tests may drive `refresh()` instead. */
  readonly watch?: boolean;
  /**
   * How long a burst of change events settles before files are read again (default 20 ms): an editor or
   * `echo > file` truncates and then writes, and reading between the two would see an empty service.
   */
  readonly settleMs?: number;
}

/** A service file's addresses, and the last good ones kept for reporting while the file is broken. */
interface ServiceFile {
  readonly addr: Cell<Addr>;
  generation: number;
}

/**
 * Resolves `/<file>[/<more>...]` under rootDir: the longest path that names a file is the id (a directory
 * continues the walk), the rest is the residual; no such file is Neg. A file that does not parse makes its
 * Addr Failed with the file and line; clients keep their last good addresses meanwhile.
 */
export class FsNamer implements Namer {
  readonly rootDir: string;
  /** The full prefix ids carry, `/#/io.l5d.fs` by default. */
  readonly idPrefix: Path;
  readonly #lookup: HostLookup;
  readonly #files = new Map<string, ServiceFile>();
  #known = new Set<string>();
  #dirs = new Set<string>();
  readonly #tree = new Cell(0);
  #watcher: FSWatcher | undefined;
  readonly #settleMs: number;
  /** Changed names waiting for the burst to settle; undefined stands for "anything may have changed". */
  readonly #pending = new Set<string | undefined>();
  #settleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(rootDir: string, idPrefix: Path, options: FsNamerOptions = {}) {
    this.rootDir = rootDir;
    this.idPrefix = idPrefix;
    this.#lookup = options.lookup ?? systemLookup;
    this.#settleMs = options.settleMs ?? 20;
    const st = statSync(rootDir, { throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory())
      throw new Error(`io.l5d.fs rootDir ${rootDir} is not a directory`);
    this.#scan();
    if (options.watch !== false) {
      this.#watcher = watch(rootDir, { recursive: true }, (_event, name) => this.#queue(name?.toString()));
      this.#watcher.on("error", () => this.refresh());
      this.#watcher.unref();
    }
  }

  lookup(path: Path): Activity<NameTree<Name>> {
    return new Activity(this.#tree.map(() => State.ok(this.#resolve(path))));
  }

  #resolve(path: Path): NameTree<Name> {
    const labels = path.utf8Elems;
    for (let i = 1; i <= labels.length; i++) {
      const rel = labels.slice(0, i).join("/");
      if (labels[i - 1] === "." || labels[i - 1] === ".." || labels[i - 1]?.includes(sep))
        return NameTree.neg;
      if (this.#known.has(rel)) {
        const id = this.idPrefix.concat(path.take(i));
        return NameTree.leaf(new BoundName(id, this.#file(rel).addr, path.drop(i)));
      }
      if (!this.#dirs.has(rel)) return NameTree.neg;
    }
    return NameTree.neg;
  }

  /** Every service, as its bound id: what `/bound-names.json` lists. */
  boundNames(): Path[] {
    return [...this.#known].sort().map((rel) => this.idPrefix.concat(Path.utf8(...rel.split("/"))));
  }

  /** The namer's view of each file, for `/namer_state/<prefix>.json`. */
  state(): Record<string, unknown> {
    const files: Record<string, unknown> = {};
    for (const rel of [...this.#known].sort()) {
      const f = this.#files.get(rel);
      files[rel] = f === undefined ? { type: "not loaded" } : Addr.toJSON(f.addr.get());
    }
    return { rootDir: this.rootDir, files };
  }

  /** Rescans the whole directory and reloads every file in use. */
  refresh(): void {
    this.#scan();
    for (const rel of this.#files.keys()) this.#load(rel);
    this.#tree.set(this.#tree.get() + 1);
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearTimeout(this.#settleTimer);
    this.#pending.clear();
  }

  #queue(name: string | undefined): void {
    this.#pending.add(name);
    if (this.#settleTimer !== undefined) return;
    this.#settleTimer = setTimeout(() => {
      this.#settleTimer = undefined;
      const names = [...this.#pending];
      this.#pending.clear();
      for (const n of names) this.#changed(n);
    }, this.#settleMs);
    this.#settleTimer.unref();
  }

  #scan(): void {
    const known = new Set<string>();
    const dirs = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith(".")) continue;
        const full = join(dir, e.name);
        const rel = relative(this.rootDir, full).split(sep).join("/");
        if (e.isDirectory()) {
          dirs.add(rel);
          walk(full);
        } else if (e.isFile()) {
          known.add(rel);
        }
      }
    };
    walk(this.rootDir);
    this.#known = known;
    this.#dirs = dirs;
  }

  #changed(name: string | undefined): void {
    const before = this.#known.size + this.#dirs.size;
    const wasKnown = name === undefined ? false : this.#known.has(name.split(sep).join("/"));
    this.#scan();
    const rel = name?.split(sep).join("/");
    if (rel !== undefined && this.#files.has(rel)) this.#load(rel);
    if (rel === undefined) for (const r of this.#files.keys()) this.#load(r);
    const isKnown = rel === undefined ? false : this.#known.has(rel);
    if (before !== this.#known.size + this.#dirs.size || wasKnown !== isKnown)
      this.#tree.set(this.#tree.get() + 1);
  }

  #file(rel: string): ServiceFile {
    let f = this.#files.get(rel);
    if (f === undefined) {
      f = { addr: new Cell<Addr>(Addr.pending), generation: 0 };
      this.#files.set(rel, f);
      this.#load(rel);
    }
    return f;
  }

  #load(rel: string): void {
    const f = this.#files.get(rel);
    if (f === undefined) return;
    const generation = ++f.generation;
    let text: string;
    try {
      text = readFileSync(join(this.rootDir, ...rel.split("/")), "utf8");
    } catch {
      f.addr.set(Addr.neg);
      return;
    }
    let entries: ReturnType<typeof parseServiceFile>;
    try {
      entries = parseServiceFile(rel, text);
    } catch (e) {
      if (!(e instanceof FileSyntaxError)) throw e;
      f.addr.set(Addr.failed(e.message));
      return;
    }
    if (entries.every((e) => parseIpLiteral(e.host) !== undefined)) {
      // Addresses only: no lookup to wait for.
      f.addr.set(Addr.bound(entries.map((e) => toAddress(parseIpLiteral(e.host) as string, e))));
      return;
    }
    void this.#resolveAll(entries).then(
      (addrs) => {
        if (generation === f.generation) f.addr.set(Addr.bound(addrs));
      },
      (e: Error) => {
        if (generation === f.generation) f.addr.set(Addr.failed(`${rel}: ${e.message}`));
      },
    );
  }

  async #resolveAll(
    entries: readonly { host: string; port: number; weight: number | undefined }[],
  ): Promise<Address[]> {
    const out: Address[] = [];
    for (const e of entries) {
      const literal = parseIpLiteral(e.host);
      const ips = literal !== undefined ? [literal] : await this.#lookup(e.host);
      for (const ip of ips) out.push(toAddress(ip, e));
    }
    return out;
  }
}

function toAddress(ip: string, e: { port: number; weight: number | undefined }): Address {
  return Addr.address(ip, e.port, e.weight === undefined ? {} : { [WEIGHT_META_KEY]: e.weight });
}
