package io.tributary.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Making file-system changes survive a power loss. A file's fsync covers its bytes, not its
 * name: a file created, renamed or deleted is durable only once its directory is fsync'd too,
 * and state that depends on it (a snapshot that lets the Raft log behind it be purged) must not
 * be relied on before. Stateless; blocking I/O (never on an event loop).
 */
public final class DurableFiles {
  private DurableFiles() {}

  /** Fsyncs {@code dir}'s entries (the names created, renamed or deleted in it). */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Creates {@code dir} and its missing parents so that they survive a power loss: each directory
   * this call creates has its parent fsync'd after it (an existing {@code dir} costs one check).
   */
  public static void createDirectories(Path dir) throws IOException {
    Path d = dir.toAbsolutePath();
    java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
    for (Path p = d; p != null && !Files.isDirectory(p); p = p.getParent()) {
      missing.push(p);
    }
    if (missing.isEmpty()) {
      return;
    }
    Files.createDirectories(d);
    for (Path created : missing) {
      fsyncDirectory(created.getParent());
    }
  }

  /** Fsyncs {@code file}'s bytes. */
  public static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Renames {@code from} onto {@code to} atomically (replacing it) and fsyncs the target's directory. */
  public static void moveDurably(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(to.toAbsolutePath().getParent());
  }

  /**
   * Replaces {@code target} with {@code content}, all or nothing across a crash: a temp file
   * beside it is written and fsync'd, renamed onto it, and the directory fsync'd. A reader finds
   * either the old file or the whole new one, never a torn one.
   */
  public static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    moveDurably(tmp, target);
  }
}
