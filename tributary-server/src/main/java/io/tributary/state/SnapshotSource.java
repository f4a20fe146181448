package io.tributary.state;

import java.io.IOException;
import java.io.InputStream;

/** Opens a snapshot stream ({@link SnapshotTransfer} format) of a group from another node. */
public interface SnapshotSource {
  /** The stream, or null when the peer has no snapshot of that group (yet). */
  InputStream open(String peerId, int group) throws IOException;
}
