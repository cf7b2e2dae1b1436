// Turns schema-validation issues into ConfigProblems whose messages a person can act on.

import type { BaseIssue } from "valibot";
import { type ConfigProblem, keyPath } from "./config-error.ts";

const ARTICLE: Record<string, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  strict_object: "a mapping",
  loose_object: "a mapping",
  record: "a mapping",
};

function pathOf(issue: BaseIssue<unknown>): (string | number)[] {
  return (issue.path ?? []).map((p) => p.key as string | number);
}

/** Our own messages start lower-case and say what was expected; valibot's defaults start with "Invalid". */
function isOurs(message: string): boolean {
  return !/^Invalid /.test(message);
}

function messageOf(issue: BaseIssue<unknown>): string {
  if (isOurs(issue.message)) return issue.message;
  if (issue.type === "strict_object" && issue.expected === "never") return "unknown key";
  const got = issue.received;
  if (got === "undefined" && (issue.path?.length ?? 0) > 0) return "missing (this key is required)";
  const expected = ARTICLE[issue.type];
  if (expected !== undefined) return `expected ${expected}, got ${got}`;
  if (issue.type === "picklist" || issue.type === "literal" || issue.type === "variant") {
    return `expected ${issue.expected?.replaceAll("|", "or").replace(/^\((.*)\)$/, "$1")}, got ${got}`;
  }
  return issue.message;
}

/** Every issue as a problem at its key path; an issue nested in a union reports its deepest cause. */
export function toProblems(issues: readonly BaseIssue<unknown>[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const nested = (issue as { issues?: BaseIssue<unknown>[] }).issues;
    if (issue.type === "union" && nested && nested.length > 0) {
      out.push(...toProblems(nested));
      continue;
    }
    const problem = { path: keyPath(pathOf(issue)), message: messageOf(issue) };
    const key = `${problem.path}\n${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(problem);
    }
  }
  return out;
}
