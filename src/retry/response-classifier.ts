// Linkerd's HTTP response classifiers: which answers are failures, and which failures may be retried.

/** What a response (or a failed attempt) counts as. Numbers, so that classifying allocates nothing. */
export const ResponseClass = Object.freeze({
  success: 0,
  /** A failure that must not be retried (the request may have had an effect). */
  failure: 1,
  /** A failure that is safe to retry. */
  retryableFailure: 2,
} as const);
export type ResponseClass = (typeof ResponseClass)[keyof typeof ResponseClass];

/** Methods whose requests Linkerd retries under `io.l5d.http.retryableRead5XX`. */
const READ = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
/** ... and under `io.l5d.http.retryableIdempotent5XX` (RFC 7231's idempotent methods). */
const IDEMPOTENT = new Set([...READ, "PUT", "DELETE"]);

/**
 * A classifier. Responses are classified by their head (status, and `l5d-retryable`); an attempt that got no
 * response (connection refused or reset, timeout, malformed answer) is classified by `failure`.
 */
export interface ResponseClassifier {
  readonly kind: string;
  /** `retryableHeader`: whether the response carries `l5d-retryable: true` (only looked for on 5XX). */
  response(method: string, status: number, retryableHeader: boolean): ResponseClass;
  failure(method: string): ResponseClass;
}

/**
 * One of Linkerd's classifiers: `fails5XX` says whether 5XX responses are failures; `retryable` which methods'
 * failures may be retried (5XX responses and attempts without a response alike). As in Linkerd, a
 * non-retryable 5XX that carries `l5d-retryable: true` (an upstream Linkerd saying the request never reached
 * anything) becomes retryable, whatever the method.
 */
function classifier(kind: string, fails5XX: boolean, retryable: "none" | "all" | ReadonlySet<string>) {
  const canRetry =
    retryable === "none"
      ? () => false
      : retryable === "all"
        ? () => true
        : (method: string) => retryable.has(method);
  return {
    kind,
    response(method: string, status: number, retryableHeader: boolean): ResponseClass {
      if (status < 500 || !fails5XX) return ResponseClass.success;
      if (retryableHeader || canRetry(method)) return ResponseClass.retryableFailure;
      return ResponseClass.failure;
    },
    failure(method: string): ResponseClass {
      return canRetry(method) ? ResponseClass.retryableFailure : ResponseClass.failure;
    },
  } satisfies ResponseClassifier;
}

/** 5XX and failed attempts are failures, never retried (the default). */
export const nonRetryable5XX = classifier("io.l5d.http.nonRetryable5XX", true, "none");
/** ... retried for GET, HEAD, OPTIONS and TRACE. */
export const retryableRead5XX = classifier("io.l5d.http.retryableRead5XX", true, READ);
/** ... also for PUT and DELETE. */
export const retryableIdempotent5XX = classifier("io.l5d.http.retryableIdempotent5XX", true, IDEMPOTENT);
/** ... for every method, POST and PATCH included. */
export const retryableAll5XX = classifier("io.l5d.http.retryableAll5XX", true, "all");
/** Every response is a success (failed attempts are still failures, not retried). */
export const allSuccessful = classifier("io.l5d.http.allSuccessful", false, "none");

/** The value of `l5d-success-class` for a class, as Linkerd writes it (a fraction of success). */
export function successClassValue(c: ResponseClass): string {
  return c === ResponseClass.success ? "1.0" : "0.0";
}
