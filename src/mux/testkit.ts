// Test helpers for byte-level vectors: frames and thrift messages written as spaced hex in the tests.

/** Bytes from a spaced hex string; `'text'` stands for the text's ASCII bytes (text without quotes). */
export function hex(spec: string): Buffer {
  const parts: Buffer[] = [];
  for (const token of spec.match(/'[^']*'|[0-9a-f]{2}/g) ?? []) {
    parts.push(token.startsWith("'") ? Buffer.from(token.slice(1, -1), "latin1") : Buffer.from(token, "hex"));
  }
  return Buffer.concat(parts);
}
