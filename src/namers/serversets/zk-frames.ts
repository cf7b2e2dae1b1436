// Splits the bytes of a ZooKeeper connection into its length-prefixed frames, copying only what spans reads.

/**
 * ZooKeeper's wire format is a stream of frames, each a 4-byte big-endian length and that many bytes. Frames
 * that arrive whole within a read are handed out as views of it, without a copy; a frame split over reads is
 * joined once, when its last byte is there. (The library's own splitter copies the rest of a read for each
 * frame in it: with thousands of small answers per read, that is quadratic and leaves the process hundreds of
 * megabytes larger after reading a large serverset.)
 */
export class FrameSplitter {
  #chunks: Buffer[] = [];
  #length = 0;

  /**
   * Adds the bytes of one read and calls `frame` with each frame now complete (length prefix included), in
   * order. Returns false when the stream cannot be ZooKeeper's (a negative length): the connection should go.
   */
  push(chunk: Buffer, frame: (frame: Buffer) => void): boolean {
    if (chunk.length === 0) return true;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    for (;;) {
      if (this.#length < 4) return true;
      let head = this.#chunks[0] as Buffer;
      if (head.length < 4) {
        head = Buffer.concat(this.#chunks, this.#length);
        this.#chunks = [head];
      }
      const size = head.readInt32BE(0);
      if (size < 0) return false;
      const end = 4 + size;
      if (this.#length < end) return true;
      const all = this.#chunks.length === 1 ? head : Buffer.concat(this.#chunks, this.#length);
      const rest = all.subarray(end);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#length = rest.length;
      frame(all.subarray(0, end));
    }
  }

  /** Bytes held for a frame not complete yet. */
  get pending(): number {
    return this.#length;
  }
}
