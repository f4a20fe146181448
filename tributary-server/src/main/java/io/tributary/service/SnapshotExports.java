package io.tributary.service;

import io.tributary.group.RaftHost;
import io.tributary.state.SnapshotTransfer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A group's latest snapshot as a byte stream description, for peers that must install it. Thread-safe. */
public final class SnapshotExports {
  private final RaftHost host;

  public SnapshotExports(RaftHost host) {
    this.host = host;
  }

  /** Bytes to send: {@code header}, then each part's prefix followed by a file range. */
  public record Stream(byte[] header, List<Part> parts, long totalBytes) {}

  /** A small prefix, then {@code length} bytes of {@code file} from {@code offset}. */
  public record Part(byte[] prefix, Path file, long offset, long length) {}

  /** The stream for group {@code g}, or null when that group has no snapshot yet. */
  public Stream export(int g) throws IOException {
    if (g < 0 || g >= host.groupCount()) {
      throw new BadRequestException("no group " + g);
    }
    SnapshotTransfer.Export e = host.group(g).stateMachine().exportLatestSnapshot();
    if (e == null) {
      return null;
    }
    List<Part> parts = new ArrayList<>();
    for (SnapshotTransfer.Part p : e.parts()) {
      parts.add(new Part(p.prefix(), p.file(), p.offset(), p.length()));
    }
    return new Stream(e.header(), parts, e.totalBytes());
  }
}
