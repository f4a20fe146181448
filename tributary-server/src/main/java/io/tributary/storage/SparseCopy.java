package io.tributary.storage;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Copies a segment's bytes into a new file without allocating its holes: a compacted segment's
 * garbage runs are holes (docs/on-disk-format.md) that arrive as zeros, and a block of zeros
 * reads the same whether written or not. Used when a replica installs a leader's snapshot.
 * Stateless; any thread (blocking I/O).
 */
public final class SparseCopy {
  private static final int BLOCK_BYTES = 4096;

  private SparseCopy() {}

  /** Copies {@code len} bytes of {@code source} into {@code out} (a file already {@code len} long), skipping all-zero blocks. */
  public static void copy(InputStream source, FileChannel out, long len) throws IOException {
    DataInputStream in = source instanceof DataInputStream d ? d : new DataInputStream(source);
    byte[] buf = new byte[1 << 16];
    for (long at = 0; at < len; ) {
      int want = (int) Math.min(buf.length, len - at);
      in.readFully(buf, 0, want);
      for (int from = 0; from < want; from += BLOCK_BYTES) {
        int blockEnd = Math.min(want, from + BLOCK_BYTES);
        if (!allZero(buf, from, blockEnd)) {
          ByteBuffer b = ByteBuffer.wrap(buf, from, blockEnd - from);
          while (b.hasRemaining()) {
            out.write(b, at + b.position());
          }
        }
      }
      at += want;
    }
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
