// Linkerd's HTTP response classifiers: failures by status, retryable by method, and the l5d-retryable header.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allSuccessful,
  nonRetryable5XX,
  ResponseClass,
  type ResponseClassifier,
  retryableAll5XX,
  retryableIdempotent5XX,
  retryableRead5XX,
  successClassValue,
} from "./response-classifier.ts";

const METHODS = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "POST", "PATCH"];
const no = false;
const yes = true;

/** The methods whose 503 a classifier calls retryable. */
function retriedOn503(c: ResponseClassifier): string[] {
  return METHODS.filter((m) => c.response(m, 503, no) === ResponseClass.retryableFailure);
}

describe("HTTP response classifiers", () => {
  it("retry 5XX by method as Linkerd's do", () => {
    assert.deepEqual(retriedOn503(nonRetryable5XX), []);
    assert.deepEqual(retriedOn503(retryableRead5XX), ["GET", "HEAD", "OPTIONS", "TRACE"]);
    assert.deepEqual(retriedOn503(retryableIdempotent5XX), [
      "GET",
      "HEAD",
      "OPTIONS",
      "TRACE",
      "PUT",
      "DELETE",
    ]);
    assert.deepEqual(retriedOn503(retryableAll5XX), METHODS);
    assert.deepEqual(retriedOn503(allSuccessful), []);
  });

  it("count every 5XX as a failure and everything else as a success, except allSuccessful", () => {
    for (const c of [nonRetryable5XX, retryableRead5XX, retryableIdempotent5XX, retryableAll5XX]) {
      assert.notEqual(c.response("POST", 500, no), ResponseClass.success, c.kind);
      assert.equal(c.response("GET", 404, no), ResponseClass.success, c.kind);
      assert.equal(c.response("GET", 200, no), ResponseClass.success, c.kind);
    }
    assert.equal(allSuccessful.response("GET", 503, yes), ResponseClass.success);
  });

  it("make a non-retryable 5XX retryable when it carries l5d-retryable: true, whatever the method", () => {
    assert.equal(nonRetryable5XX.response("POST", 502, yes), ResponseClass.retryableFailure);
    assert.equal(retryableRead5XX.response("POST", 503, yes), ResponseClass.retryableFailure);
    assert.equal(nonRetryable5XX.response("POST", 200, yes), ResponseClass.success);
  });

  it("classify attempts that got no response by method only", () => {
    assert.equal(nonRetryable5XX.failure("GET"), ResponseClass.failure);
    assert.equal(retryableRead5XX.failure("GET"), ResponseClass.retryableFailure);
    assert.equal(retryableRead5XX.failure("PUT"), ResponseClass.failure);
    assert.equal(retryableIdempotent5XX.failure("PUT"), ResponseClass.retryableFailure);
    assert.equal(retryableAll5XX.failure("POST"), ResponseClass.retryableFailure);
    assert.equal(allSuccessful.failure("GET"), ResponseClass.failure);
  });

  it("write l5d-success-class as Linkerd does", () => {
    assert.equal(successClassValue(ResponseClass.success), "1.0");
    assert.equal(successClassValue(ResponseClass.failure), "0.0");
    assert.equal(successClassValue(ResponseClass.retryableFailure), "0.0");
  });
});
