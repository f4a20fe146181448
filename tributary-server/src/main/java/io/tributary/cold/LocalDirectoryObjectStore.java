package io.tributary.cold;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An {@link ObjectStore} in a directory: the object {@code a/b/c} is the file {@code <root>/a/b/c}.
 * The default store of a single node ({@code <data-dir>/objects}); a cluster may use it only on a
 * directory that every node mounts (NFS and the like), since every replica reads what the leader
 * uploaded.
 *
 * <p>Publication is atomic and durable: the bytes go to a temp file beside the target
 * ({@code .<name>.<random>.tmp}; keys never have a segment starting with '.', so temp files never
 * collide with objects and listings skip them), which is fsync'd and renamed over the target,
 * then the directory is fsync'd (and every directory the put created, with its parent). A crash
 * leaves the old object or the new one, plus perhaps a stray temp file that the next put of that
 * key does not trip over. Deleting the last object of a directory removes the directory and
 * empty parents below the root; a put that races with that removal recreates the directories
 * and retries.
 *
 * <p>Errors: a missing file is {@link ObjectNotFoundException}; permission errors and a key
 * that collides with a directory (or a directory with a file) are
 * {@link ObjectStoreRejectedException}; every other I/O error is
 * {@link ObjectStoreUnavailableException} (a shared mount that went away may come back).
 *
 * <p>Threads: thread-safe without locks (each call works on its own temp file, and rename is
 * atomic); calls block on disk I/O, so run them on a cold-tier pool. The root is created on the
 * first put, so constructing a store has no side effect.
 */
public final class LocalDirectoryObjectStore implements ObjectStore {
  /** Attempts of a put whose directory is removed concurrently by a delete of its last object. */
  private static final int PUT_ATTEMPTS_MAX = 5;
  private static final int COPY_BUFFER_BYTES = 256 * 1024;

  private final Path root;

  public LocalDirectoryObjectStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  @Override
  public void put(String key, byte[] bytes) {
    put(key, ByteBuffer.wrap(bytes));
  }

  @Override
  public void put(String key, ByteBuffer bytes) {
    publish(key, "put", ch -> {
      ByteBuffer b = bytes.duplicate();
      while (b.hasRemaining()) {
        ch.write(b);
      }
    });
  }

  @Override
  public void putFile(String key, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("putFile " + key + ": " + file + " is not a regular file");
    }
    publish(key, "put of file " + file, ch -> {
      try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
        long size = in.size();
        long done = 0;
        while (done < size) {
          long n = in.transferTo(done, size - done, ch);
          if (n <= 0) {
            // transferTo may return 0 on some file systems; fall back to a plain copy
            copy(in, done, ch);
            break;
          }
          done += n;
        }
      }
    });
  }

  private static void copy(FileChannel in, long from, FileChannel out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(COPY_BUFFER_BYTES);
    long pos = from;
    while (in.read(buf, pos) > 0) {
      buf.flip();
      pos += buf.remaining();
      while (buf.hasRemaining()) {
        out.write(buf);
      }
      buf.clear();
    }
  }

  /** Writes the object's bytes into an open temp file. */
  @FunctionalInterface
  private interface Writer {
    void write(FileChannel ch) throws IOException;
  }

  private void publish(String key, String what, Writer writer) {
    Path target = path(key);
    Path dir = target.getParent();
    for (int attempt = 1; ; attempt++) {
      Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      try {
        createDirectories(dir);
        if (Files.isDirectory(target)) {
          throw new ObjectStoreRejectedException(describe() + ": " + what + " " + key + ": a directory of other keys has this name", null);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          writer.write(ch);
          ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(dir);
        return;
      } catch (NoSuchFileException e) {
        deleteQuietly(tmp);
        if (attempt >= PUT_ATTEMPTS_MAX) {
          throw failure(what, key, e, false);
        }
        // a delete removed the (then empty) directory between createDirectories and the write: again
      } catch (IOException e) {
        deleteQuietly(tmp);
        throw failure(what, key, e, false);
      } catch (RuntimeException e) {
        deleteQuietly(tmp);
        throw e;
      }
    }
  }

  /** Creates {@code dir} and missing parents below the root, fsyncing each new entry's parent. */
  private void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    List<Path> missing = new ArrayList<>();
    for (Path d = dir; d != null && !Files.isDirectory(d); d = d.getParent()) {
      missing.add(d);
    }
    for (int i = missing.size() - 1; i >= 0; i--) {
      Path d = missing.get(i);
      try {
        Files.createDirectory(d);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(d)) {
          throw new ObjectStoreRejectedException(describe() + ": " + d + " exists and is not a directory (an object cannot also be a directory of keys)", e);
        }
        continue; // a concurrent put created it
      }
      fsyncDirectory(d.getParent());
    }
  }

  @Override
  public byte[] get(String key) {
    Path p = path(key);
    try (FileChannel ch = openObject(p, key)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE - 8) {
        throw new ObjectStoreRejectedException(describe() + ": get " + key + ": " + size + " bytes do not fit in an array", null);
      }
      return readFully(ch, 0, (int) size, key);
    } catch (IOException e) {
      throw failure("get", key, e, true);
    }
  }

  @Override
  public byte[] getRange(String key, long offset, int lengthBytes) {
    if (offset < 0 || lengthBytes < 0) {
      throw new IllegalArgumentException("bad range offset " + offset + " length " + lengthBytes + " of " + key);
    }
    Path p = path(key);
    try (FileChannel ch = openObject(p, key)) {
      long size = ch.size();
      int n = (int) Math.max(0, Math.min(lengthBytes, size - offset));
      return readFully(ch, offset, n, key);
    } catch (IOException e) {
      throw failure("get range", key, e, true);
    }
  }

  private FileChannel openObject(Path p, String key) throws IOException {
    FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
    if (!Files.isRegularFile(p)) {
      ch.close();
      throw new ObjectNotFoundException(describe() + ": no object " + key + " (a directory of keys has that name)");
    }
    return ch;
  }

  private byte[] readFully(FileChannel ch, long offset, int lengthBytes, String key) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(lengthBytes);
    while (buf.hasRemaining()) {
      if (ch.read(buf, offset + buf.position()) < 0) {
        // objects are immutable and replaced by rename, so an open file cannot shrink
        throw new IOException("unexpected end of " + key + " at " + (offset + buf.position()));
      }
    }
    return buf.array();
  }

  @Override
  public ObjectInfo head(String key) {
    Path p = path(key);
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      if (!a.isRegularFile()) {
        throw new ObjectNotFoundException(describe() + ": " + key + " is a directory of keys, not an object");
      }
      return new ObjectInfo(key, a.size(), a.lastModifiedTime().toMillis());
    } catch (IOException e) {
      throw failure("head", key, e, true);
    }
  }

  @Override
  public List<ObjectInfo> list(String prefix, String startAfter, int keysMax) {
    ObjectKeys.validatePrefix(prefix);
    if (keysMax < 1 || keysMax > LIST_KEYS_MAX) {
      throw new IllegalArgumentException("keysMax " + keysMax + " outside 1.." + LIST_KEYS_MAX);
    }
    int slash = prefix.lastIndexOf('/');
    Path base = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
    List<ObjectInfo> out = new ArrayList<>();
    try {
      walk(base, prefix, startAfter == null ? "" : startAfter, out);
    } catch (IOException e) {
      throw failure("list", prefix, e, false);
    }
    // a directory walk is not in key order: sort what matched, then cut the page
    out.sort((a, b) -> a.key().compareTo(b.key()));
    return out.size() > keysMax ? List.copyOf(out.subList(0, keysMax)) : out;
  }

  private void walk(Path dir, String prefix, String startAfter, List<ObjectInfo> out) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(children::add);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return; // no such directory, or it went away with its last object: nothing under it
    }
    for (Path f : children) {
      if (f.getFileName().toString().startsWith(".")) {
        continue; // temp files of puts in progress
      }
      String key = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(f, BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        continue; // deleted while we listed
      }
      if (a.isDirectory()) {
        String asPrefix = key + "/";
        if (asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix)) {
          walk(f, prefix, startAfter, out);
        }
      } else if (a.isRegularFile() && key.startsWith(prefix) && key.compareTo(startAfter) > 0) {
        out.add(new ObjectInfo(key, a.size(), a.lastModifiedTime().toMillis()));
      }
    }
  }

  @Override
  public void delete(String key) {
    Path p = path(key);
    try {
      if (Files.isDirectory(p)) {
        return; // no object has this key (it names a directory of other keys)
      }
      if (Files.deleteIfExists(p)) {
        Path dir = p.getParent();
        fsyncDirectory(dir);
        removeEmptyDirectories(dir);
      }
    } catch (IOException e) {
      if (absent(e)) {
        return; // a parent of the key is an object, so this key cannot exist
      }
      throw failure("delete", key, e, false);
    }
  }

  /** Removes {@code dir} and its parents below the root while they are empty (best effort). */
  private void removeEmptyDirectories(Path dir) throws IOException {
    for (Path d = dir; d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
      try {
        Files.delete(d);
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        return; // still used (or removed by a concurrent delete): done
      }
      fsyncDirectory(d.getParent());
    }
  }

  @Override
  public void check() {
    Path p = root;
    while (p != null && !Files.exists(p)) {
      p = p.getParent(); // the root is created on the first put, so its nearest existing parent must allow that
    }
    if (p == null || !Files.isDirectory(p)) {
      throw new ObjectStoreRejectedException(describe() + ": " + p + " is not a directory", null);
    }
    if (!Files.isWritable(p)) {
      throw new ObjectStoreRejectedException(describe() + ": directory " + p + " is not writable", null);
    }
  }

  @Override
  public String describe() {
    return "dir:" + root;
  }

  @Override
  public void close() {
    // nothing held open between calls
  }

  @Override
  public String toString() {
    return describe();
  }

  private Path path(String key) {
    ObjectKeys.validate(key);
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || p.equals(root)) {
      throw new IllegalArgumentException("object key escapes the store root: " + key); // ObjectKeys forbids it already
    }
    return p;
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void deleteQuietly(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException e) {
      // a stray temp file is harmless (listings skip it); the original failure is what we report
    }
  }

  /** The path does not exist, or one of its parents is a file (ENOTDIR): no object has that key. */
  private static boolean absent(IOException e) {
    return e instanceof NoSuchFileException || e instanceof NotDirectoryException
        || (e instanceof FileSystemException f && f.getReason() != null && f.getReason().contains("Not a directory"));
  }

  /** Maps an I/O error; a missing file means "not found" only when reading ({@code read}). */
  private ObjectStoreException failure(String what, String key, IOException e, boolean read) {
    String msg = describe() + ": " + what + " " + key + " failed: " + e;
    if (read && absent(e)) {
      return new ObjectNotFoundException(describe() + ": no object " + key);
    }
    if (e instanceof AccessDeniedException || absent(e) && !(e instanceof NoSuchFileException)) {
      // permissions, or a put below a key that is an object
      return new ObjectStoreRejectedException(msg, e);
    }
    if (e instanceof FileSystemException f && f.getReason() != null && f.getReason().contains("Is a directory")) {
      return new ObjectStoreRejectedException(msg, e);
    }
    return new ObjectStoreUnavailableException(msg, e);
  }
}
