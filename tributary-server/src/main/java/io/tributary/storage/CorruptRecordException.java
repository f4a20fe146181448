package io.tributary.storage;

import java.nio.file.Path;

/**
 * A record read from a segment file failed its check: its header names another stream or length
 * than the index expects, or its CRC32C does not match its bytes. Not a disk I/O error: the bytes
 * were read, and they are wrong. Carries where the damage is (segment file, global position) and,
 * once the reader knows it, which stream bytes the record held, so the caller can name the damaged
 * range, keep serving the intact ones and ask for a repair. Never retried against the same copy.
 */
public final class CorruptRecordException extends StorageException {
  private static final long serialVersionUID = 1L;
  /** {@link #streamFrom}/{@link #streamTo} when the stream range is not known (yet). */
  public static final long UNKNOWN = -1;

  private final transient Path segment;
  private final long position;
  private final long streamId;
  private final long streamFrom;
  private final long streamTo;
  private final String problem;

  public CorruptRecordException(Path segment, long position, long streamId, long streamFrom, long streamTo,
      String problem) {
    super("corrupt record at position " + position + " in " + segment + " (stream " + streamId
        + (streamFrom == UNKNOWN ? "" : ", bytes [" + streamFrom + ", " + streamTo + ")") + "): " + problem);
    this.segment = segment;
    this.position = position;
    this.streamId = streamId;
    this.streamFrom = streamFrom;
    this.streamTo = streamTo;
    this.problem = problem;
  }

  /** The same damage, naming the stream bytes {@code [from, to)} the record held. */
  public CorruptRecordException inStreamRange(long from, long to) {
    return new CorruptRecordException(segment, position, streamId, from, to, problem);
  }

  /** The segment file holding the damaged record. */
  public Path segment() {
    return segment;
  }

  /** Global position of the damaged record in its group's segment space. */
  public long position() {
    return position;
  }

  /** The stream the record should belong to (as the index says). */
  public long streamId() {
    return streamId;
  }

  /** First stream offset the record held, or {@link #UNKNOWN}. */
  public long streamFrom() {
    return streamFrom;
  }

  /** Stream offset after the record's last byte, or {@link #UNKNOWN}. */
  public long streamTo() {
    return streamTo;
  }

  /** What failed: the header or the checksum. */
  public String problem() {
    return problem;
  }
}
