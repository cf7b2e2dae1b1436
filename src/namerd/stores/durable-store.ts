// io.trellis.durable: namespaces kept in one file on local disk, every write atomic and synced before it is acknowledged.

import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { open, rename } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Dtab, NameSyntaxError, readDtab } from "../../naming/index.ts";
import type { DtabStore } from "../core.ts";
import { LocalNamespaces, type Snapshot } from "./local-namespaces.ts";

export const DURABLE_STORE_KIND = "io.trellis.durable";

/** The file that holds every namespace. */
const DATA_FILE = "dtabs.json";
/** Says which process owns the directory. */
const LOCK_FILE = "lock";
const FORMAT = "trellis.dtabs/1";

/** The data directory cannot be used: locked by another process, unreadable, or its file is not ours. */
export class DurableStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DurableStoreError";
  }
}

interface FileShape {
  format: string;
  seq: string;
  namespaces: Record<string, { dtab: string; version: string }>;
}

/**
 * A single-node store on local disk. The whole state is one JSON file; a write makes the new state in a
 * temporary file, syncs it, renames it over the old one and syncs the directory, and only then is the write
 * acknowledged and seen by watchers. A crash at any point leaves either the old file or the new one, never a
 * mix, so every acknowledged write survives. Versions are a counter kept in the file, so they never repeat,
 * even for a namespace deleted and created again. One process at a time: the directory is locked by pid.
 */
export class DurableDtabStore implements DtabStore {
  readonly dir: string;
  readonly #namespaces: LocalNamespaces;
  #closed = false;
  #tmpCounter = 0;

  constructor(dir: string) {
    this.dir = resolve(dir);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new DurableStoreError(`cannot create the data directory ${this.dir}: ${(e as Error).message}`);
    }
    lock(this.dir);
    try {
      removeStaleTemporaries(this.dir);
      this.#namespaces = new LocalNamespaces(readSnapshot(this.dir), (_change, after) =>
        this.#persist(after),
      );
    } catch (e) {
      unlock(this.dir);
      throw e;
    }
  }

  describe(): string {
    return `${DURABLE_STORE_KIND} at ${join(this.dir, DATA_FILE)}`;
  }

  list() {
    return this.#namespaces.list();
  }
  observe(ns: string) {
    return this.#namespaces.observe(ns);
  }
  create(ns: string, dtab: Dtab) {
    return this.#namespaces.create(ns, dtab);
  }
  update(ns: string, dtab: Dtab, version: Uint8Array) {
    return this.#namespaces.update(ns, dtab, version);
  }
  put(ns: string, dtab: Dtab) {
    return this.#namespaces.put(ns, dtab);
  }
  delete(ns: string) {
    return this.#namespaces.delete(ns);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Writes already queued finish first; then the directory is free for another process.
    await this.#namespaces.settled();
    this.#closed = true;
    unlock(this.dir);
  }

  async #persist(after: Snapshot): Promise<void> {
    if (this.#closed) throw new DurableStoreError("the store is closed");
    const file: FileShape = { format: FORMAT, seq: after.seq.toString(), namespaces: {} };
    for (const ns of [...after.dtabs.keys()].sort()) {
      const e = after.dtabs.get(ns) as { dtab: Dtab; seq: bigint };
      file.namespaces[ns] = { dtab: e.dtab.show, version: e.seq.toString() };
    }
    const target = join(this.dir, DATA_FILE);
    const tmp = join(this.dir, `${DATA_FILE}.tmp-${process.pid}-${++this.#tmpCounter}`);
    const handle = await open(tmp, "w", 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 1)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function readSnapshot(dir: string): Snapshot {
  const path = join(dir, DATA_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { seq: 0n, dtabs: new Map() };
    throw new DurableStoreError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let data: FileShape;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DurableStoreError(
      `${path} is not valid JSON (${(e as Error).message}); restore it from a backup`,
    );
  }
  if (data?.format !== FORMAT || typeof data.namespaces !== "object" || data.namespaces === null) {
    throw new DurableStoreError(`${path} is not a trellis dtab file (format ${FORMAT})`);
  }
  const dtabs = new Map<string, { dtab: Dtab; seq: bigint }>();
  for (const [ns, e] of Object.entries(data.namespaces)) {
    try {
      dtabs.set(ns, { dtab: readDtab(e.dtab), seq: BigInt(e.version) });
    } catch (err) {
      const why = err instanceof NameSyntaxError ? err.message : String(err);
      throw new DurableStoreError(`${path}: namespace ${JSON.stringify(ns)} cannot be read: ${why}`);
    }
  }
  return { seq: BigInt(data.seq), dtabs };
}

function removeStaleTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`${DATA_FILE}.tmp-`)) unlinkSync(join(dir, name));
  }
}

/** Takes the directory's lock, or throws when a live process holds it; a lock left by a dead process is taken over. */
function lock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      fsyncSync(fd);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new DurableStoreError(`cannot lock the data directory ${dir}: ${(e as Error).message}`);
      }
    }
    const holder = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new DurableStoreError(`the data directory ${dir} is in use by process ${holder}`);
    }
    unlinkSync(path);
  }
  throw new DurableStoreError(`cannot lock the data directory ${dir}`);
}

function unlock(dir: string): void {
  try {
    const path = join(dir, LOCK_FILE);
    if (Number.parseInt(readFileSync(path, "utf8"), 10) === process.pid) unlinkSync(path);
  } catch {}
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
