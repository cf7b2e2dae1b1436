// Reads a whole (small) request body on node:http's server side, with a limit, for the admin and control APIs.

import type { IncomingMessage } from "node:http";

/**
 * The body as UTF-8 text. Past `maxBytes` it rejects with `tooLarge()` and stops reading: `pause` leaves the
 * connection open for an answer, `destroy` cuts it.
 */
export function readBodyText(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
  onExcess: "pause" | "destroy",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(tooLarge());
        if (onExcess === "pause") req.pause();
        else req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
