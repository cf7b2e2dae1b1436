// namerctl's pretty form of a dtab, as `trellis dtab get` prints it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { prettyDentries } from "./dtab-remote.ts";

test("aligns the arrows on the longest prefix and ends each entry with ' ;', as namerctl", () => {
  assert.equal(
    prettyDentries([
      { prefix: "/svc", dst: "/#/io.l5d.fs" },
      { prefix: "/svc/pong", dst: "/$/inet/127.1/8002" },
    ]),
    "/svc       => /#/io.l5d.fs ;\n/svc/pong  => /$/inet/127.1/8002 ;\n",
  );
  assert.equal(prettyDentries([]), "");
});
