// Activity: a Var of Pending | Ok(value) | Failed(error), the shape in which namers and bindings change over time.

import { type Closable, Var } from "./var.ts";

export type State<T> =
  | { readonly kind: "pending" }
  | { readonly kind: "ok"; readonly value: T }
  | { readonly kind: "failed"; readonly error: Error };

const PENDING: State<never> = Object.freeze({ kind: "pending" });

export const State = {
  pending: PENDING,
  ok<T>(value: T): State<T> {
    return { kind: "ok", value };
  },
  failed(error: Error): State<never> {
    return { kind: "failed", error };
  },
};

/** The error an Activity carries when it gave no value within a time limit. */
export class ActivityTimeoutError extends Error {
  constructor(ms: number) {
    super(`no value within ${ms} ms`);
    this.name = "ActivityTimeoutError";
  }
}

export class Activity<T> {
  readonly states: Var<State<T>>;

  constructor(states: Var<State<T>>) {
    this.states = states;
  }

  static value<T>(value: T): Activity<T> {
    return new Activity(Var.value(State.ok(value)));
  }

  static exception(error: Error): Activity<never> {
    return new Activity(Var.value(State.failed(error)));
  }

  static pending<T>(): Activity<T> {
    return new Activity<T>(Var.value(PENDING));
  }

  /** Ok values go through `f`; an exception thrown by `f` makes the state Failed. */
  map<U>(f: (value: T) => U): Activity<U> {
    return new Activity(
      this.states.map((s): State<U> => {
        if (s.kind !== "ok") return s;
        try {
          return State.ok(f(s.value));
        } catch (e) {
          return State.failed(asError(e));
        }
      }),
    );
  }

  flatMap<U>(f: (value: T) => Activity<U>): Activity<U> {
    return new Activity(
      this.states.flatMap((s): Var<State<U>> => {
        if (s.kind !== "ok") return Var.value(s);
        try {
          return f(s.value).states;
        } catch (e) {
          return Var.value(State.failed(asError(e)));
        }
      }),
    );
  }

  /** Rewrites every state, Pending and Failed included. */
  transform<U>(f: (state: State<T>) => Activity<U>): Activity<U> {
    return new Activity(
      this.states.flatMap((s): Var<State<U>> => {
        try {
          return f(s).states;
        } catch (e) {
          return Var.value(State.failed(asError(e)));
        }
      }),
    );
  }

  /** Turns a failure into a value; an exception thrown by `f` makes the state Failed. */
  handle(f: (error: Error) => T): Activity<T> {
    return new Activity(
      this.states.map((s): State<T> => {
        if (s.kind !== "failed") return s;
        try {
          return State.ok(f(s.error));
        } catch (e) {
          return State.failed(asError(e));
        }
      }),
    );
  }

  /** Ok when every one is Ok; else the first Failed, else Pending. */
  static collect<T>(activities: readonly Activity<T>[]): Activity<T[]> {
    return new Activity(
      Var.collect(activities.map((a) => a.states)).map((states): State<T[]> => {
        const values: T[] = [];
        for (const s of states) {
          if (s.kind === "failed") return s;
          if (s.kind === "pending") {
            const failed = states.find((x) => x.kind === "failed");
            return failed ?? PENDING;
          }
          values.push(s.value);
        }
        return State.ok(values);
      }),
    );
  }

  /** The current state, without waiting. */
  sample(): State<T> {
    return this.states.sample();
  }

  observe(f: (state: State<T>) => void): Closable {
    return this.states.observe(f);
  }

  /**
   * The first value that is not Pending, as a promise: resolves on Ok, rejects on Failed, and rejects with an
   * ActivityTimeoutError after `timeoutMs` (if given). The observation is closed once settled.
   */
  toPromise(timeoutMs?: number, timers: Timers = unrefTimers): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let sub: Closable | undefined;
      let timer: unknown;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) timers.clearTimeout(timer);
        fn();
        // `sub` is unset when the value came synchronously inside observe(); closed just below then.
        sub?.close();
      };
      sub = this.states.observe((s) => {
        if (s.kind === "ok") finish(() => resolve(s.value));
        else if (s.kind === "failed") finish(() => reject(s.error));
      });
      if (settled) {
        sub.close();
        return;
      }
      if (timeoutMs !== undefined) {
        timer = timers.setTimeout(() => finish(() => reject(new ActivityTimeoutError(timeoutMs))), timeoutMs);
      }
    });
  }
}

/** Timer functions, passed in (to an Activity's waits and to whatever keeps time) so tests can drive time themselves. */
export interface Timers {
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real timers, unref'd: a pending one never keeps the process alive. */
export const unrefTimers: Timers = {
  setTimeout: (f, ms) => {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
