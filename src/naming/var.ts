// Var: a value that changes over time, observed by reference-counted subscriptions that release their sources.

/** Something that can be released; closing twice is harmless. */
export interface Closable {
  close(): void;
}

export type Observer<T> = (value: T) => void;

/**
 * A changing value. Observing it starts whatever feeds it (a watch, a poll); when the last observation is
 * closed, the feed is stopped, so a binding that is dropped leaves nothing behind. Observers get the current
 * value at once, then every change, synchronously and in order.
 */
export abstract class Var<T> {
  abstract observe(observer: Observer<T>): Closable;

  /** The current value: observes for a moment and lets go. */
  sample(): T {
    let value: T | undefined;
    let seen = false;
    const c = this.observe((v) => {
      value = v;
      seen = true;
    });
    c.close();
    if (!seen) throw new Error("Var did not produce a value when observed");
    return value as T;
  }

  map<U>(f: (value: T) => U): Var<U> {
    return new Derived<U>((emit) => this.observe((v) => emit(f(v))));
  }

  /** A Var that follows `f(value)` for the current value, switching (and releasing the old one) on each change. */
  flatMap<U>(f: (value: T) => Var<U>): Var<U> {
    return new Derived<U>((emit) => {
      let inner: Closable | undefined;
      let generation = 0;
      const outer = this.observe((v) => {
        const mine = ++generation;
        const previous = inner;
        inner = undefined;
        const next = f(v);
        const sub = next.observe((u) => {
          if (mine === generation) emit(u);
        });
        previous?.close();
        if (mine === generation) inner = sub;
        else sub.close();
      });
      return {
        close() {
          generation++;
          outer.close();
          inner?.close();
          inner = undefined;
        },
      };
    });
  }

  /** Emits only when the value differs from the last one emitted, by `equals` (default: `===`). */
  dedup(equals: (a: T, b: T) => boolean = Object.is): Var<T> {
    return new Derived<T>((emit) => {
      let has = false;
      let last: T | undefined;
      return this.observe((v) => {
        if (has && equals(last as T, v)) return;
        has = true;
        last = v;
        emit(v);
      });
    });
  }

  static value<T>(value: T): Var<T> {
    return new ConstVar(value);
  }

  /**
   * A Var fed by `start`, called when the first observer arrives with a function that sets the value; the
   * Closable it returns is closed when the last observer leaves. Until `start` sets a value, `initial` holds.
   */
  static async<T>(initial: T, start: (set: (value: T) => void) => Closable): Var<T> {
    return new AsyncVar(initial, start);
  }

  /** A Var of the values of all `vars`, in order; it changes when any of them does. */
  static collect<T>(vars: readonly Var<T>[]): Var<T[]> {
    if (vars.length === 0) return Var.value([]);
    return new Derived<T[]>((emit) => {
      const values: T[] = new Array(vars.length);
      const seen: boolean[] = new Array(vars.length).fill(false);
      let missing = vars.length;
      let ready = false;
      const subs = vars.map((v, i) =>
        v.observe((x) => {
          values[i] = x;
          if (!seen[i]) {
            seen[i] = true;
            missing--;
          }
          if (missing === 0 && ready) emit(values.slice());
        }),
      );
      ready = true;
      if (missing === 0) emit(values.slice());
      return {
        close() {
          for (const s of subs) s.close();
        },
      };
    });
  }
}

/** A Var that can be set directly: the source of a namer's or store's values. */
export class Cell<T> extends Var<T> {
  #value: T;
  readonly #observers = new Set<{ f: Observer<T> }>();

  constructor(initial: T) {
    super();
    this.#value = initial;
  }

  get(): T {
    return this.#value;
  }

  /** Sets the value and tells every observer, unless it is the very same value. */
  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    for (const o of [...this.#observers]) {
      if (this.#observers.has(o)) o.f(value);
    }
  }

  get observerCount(): number {
    return this.#observers.size;
  }

  override sample(): T {
    return this.#value;
  }

  observe(observer: Observer<T>): Closable {
    const entry = { f: observer };
    this.#observers.add(entry);
    try {
      observer(this.#value);
    } catch (e) {
      // An observer that throws on its first value never got its Closable: it must not stay subscribed.
      this.#observers.delete(entry);
      throw e;
    }
    return { close: () => this.#observers.delete(entry) };
  }
}

class ConstVar<T> extends Var<T> {
  readonly #value: T;
  constructor(value: T) {
    super();
    this.#value = value;
  }
  override sample(): T {
    return this.#value;
  }
  observe(observer: Observer<T>): Closable {
    observer(this.#value);
    return NOOP;
  }
}

const NOOP: Closable = { close() {} };

/**
 * A Var computed from upstream subscriptions, shared by all its observers: the upstream is opened by the
 * first observer and closed with the last, and late observers get the latest value at once.
 */
class Derived<T> extends Var<T> {
  readonly #connect: (emit: (value: T) => void) => Closable;
  readonly #observers = new Set<{ f: Observer<T> }>();
  #upstream: Closable | undefined;
  #has = false;
  #value: T | undefined;

  constructor(connect: (emit: (value: T) => void) => Closable) {
    super();
    this.#connect = connect;
  }

  observe(observer: Observer<T>): Closable {
    const entry = { f: observer };
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.#observers.delete(entry);
      if (this.#observers.size === 0) {
        const up = this.#upstream;
        this.#upstream = undefined;
        this.#has = false;
        this.#value = undefined;
        up?.close();
      }
    };
    this.#observers.add(entry);
    try {
      if (this.#observers.size === 1) {
        this.#has = false;
        this.#upstream = this.#connect((v) => {
          this.#has = true;
          this.#value = v;
          for (const o of [...this.#observers]) {
            if (this.#observers.has(o)) o.f(v);
          }
        });
      } else if (this.#has) {
        observer(this.#value as T);
      }
    } catch (e) {
      // The caller gets no Closable when observe throws: leave nothing subscribed behind.
      close();
      throw e;
    }
    return { close };
  }
}

class AsyncVar<T> extends Var<T> {
  readonly #initial: T;
  readonly #start: (set: (value: T) => void) => Closable;
  readonly #observers = new Set<{ f: Observer<T> }>();
  #value: T;
  #feed: Closable | undefined;

  constructor(initial: T, start: (set: (value: T) => void) => Closable) {
    super();
    this.#initial = initial;
    this.#value = initial;
    this.#start = start;
  }

  observe(observer: Observer<T>): Closable {
    const entry = { f: observer };
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.#observers.delete(entry);
      if (this.#observers.size === 0) {
        const feed = this.#feed;
        this.#feed = undefined;
        feed?.close();
      }
    };
    this.#observers.add(entry);
    try {
      if (this.#observers.size === 1) {
        this.#value = this.#initial;
        let live = true;
        observer(this.#value);
        const feed = this.#start((v) => {
          if (!live || Object.is(v, this.#value)) return;
          this.#value = v;
          for (const o of [...this.#observers]) {
            if (this.#observers.has(o)) o.f(v);
          }
        });
        this.#feed = {
          close() {
            live = false;
            feed.close();
          },
        };
      } else {
        observer(this.#value);
      }
    } catch (e) {
      // The caller gets no Closable when observe throws: leave nothing subscribed behind.
      close();
      throw e;
    }
    return { close };
  }
}
