package io.tributary.cold;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key layout of every object Tributary writes (docs/on-disk-format.md, "Key layout"), and the
 * reverse: which group and stream a key belongs to and what it holds.
 *
 * <pre>
 *   g&lt;GGG&gt;/s&lt;streamId&gt;/&lt;start&gt;-&lt;end&gt;.chunk                     a cold chunk: stream bytes [start, end)
 *   snapshots/g&lt;GGG&gt;/s&lt;streamId&gt;/&lt;offset&gt;-&lt;sha256 hex&gt;.blob    an application snapshot blob
 * </pre>
 *
 * Group 3 digits, ids and offsets 20, all zero-padded, so key order is numeric order and a group's
 * objects sit under two prefixes ({@link #chunkGroupPrefix}, {@link #snapshotGroupPrefix}) that no
 * other group's keys start with. Every key is a function of what the object holds. {@link #parse}
 * accepts exactly the keys the builders produce: anything else (an operator's file, a future
 * layout) is nobody's orphan. Stateless.
 */
public final class ObjectLayout {
  private static final Pattern CHUNK = Pattern.compile("g(\\d{3})/s(\\d{20})/(\\d{20})-(\\d{20})\\.chunk");
  private static final Pattern SNAPSHOT = Pattern.compile("snapshots/g(\\d{3})/s(\\d{20})/(\\d{20})-([0-9a-f]{64})\\.blob");

  private ObjectLayout() {}

  /** What a key of this layout holds; {@link #group} and {@link #streamId} say who owns it. */
  public sealed interface Parsed {
    int group();

    long streamId();
  }

  /** A cold chunk: bytes {@code [start, end)} of stream {@code streamId}. */
  public record Chunk(int group, long streamId, long start, long end) implements Parsed {}

  /** An application snapshot blob of stream {@code streamId} at {@code offset}, named by its SHA-256. */
  public record SnapshotBlob(int group, long streamId, long offset, String sha256Hex) implements Parsed {}

  /** The object key of stream {@code streamId}'s range {@code [start, end)} in group {@code group}. */
  public static String chunkKey(int group, long streamId, long start, long end) {
    return String.format("g%03d/s%020d/%020d-%020d.chunk", group, streamId, start, end);
  }

  /** The key prefix of every chunk of one stream. */
  public static String chunkStreamPrefix(int group, long streamId) {
    return String.format("g%03d/s%020d/", group, streamId);
  }

  /** The key prefix of every chunk of one group (and of no other group's). */
  public static String chunkGroupPrefix(int group) {
    return String.format("g%03d/", group);
  }

  /** The key of a snapshot blob: a function of what it holds, so an identical re-publish writes the same object. */
  public static String snapshotKey(int group, long streamId, long offset, String sha256Hex) {
    return String.format("snapshots/g%03d/s%020d/%020d-%s.blob", group, streamId, offset, sha256Hex);
  }

  /** The key prefix of every snapshot blob of one group (and of no other group's). */
  public static String snapshotGroupPrefix(int group) {
    return String.format("snapshots/g%03d/", group);
  }

  /** What {@code key} holds, or null when it is not a key of this layout. */
  public static Parsed parse(String key) {
    try {
      Matcher m = CHUNK.matcher(key);
      if (m.matches()) {
        Chunk c = new Chunk(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
            Long.parseLong(m.group(4)));
        return chunkKey(c.group(), c.streamId(), c.start(), c.end()).equals(key) ? c : null;
      }
      m = SNAPSHOT.matcher(key);
      if (m.matches()) {
        SnapshotBlob b = new SnapshotBlob(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
            m.group(4));
        return snapshotKey(b.group(), b.streamId(), b.offset(), b.sha256Hex()).equals(key) ? b : null;
      }
    } catch (NumberFormatException e) {
      return null; // 20 digits beyond Long.MAX_VALUE: no id or offset of ours
    }
    return null;
  }
}
