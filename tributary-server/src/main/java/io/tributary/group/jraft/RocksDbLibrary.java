package io.tributary.group.jraft;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.CRC32;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library (SOFAJRaft's log store) from one copy per library build instead
 * of a fresh one per process. RocksDB's own loader extracts its 14 MB library from the jar into a
 * new randomly named temp file at every JVM start and deletes it only at a clean exit: a node that
 * is killed (SIGKILL, power loss, OOM) leaves it behind, and a test run that starts and kills a few
 * hundred nodes filled 3.7 GB of /tmp that way. Here the library goes to
 * {@code <java.io.tmpdir>/tributary-rocksdbjni-<user>-<crc32 of the jar's name, size and time>/}
 * once (written to a temp name and renamed, so concurrent starts never load a half-written file),
 * and every later start loads that without reading the jar.
 * When anything about it fails, RocksDB's own loader runs as before.
 *
 * <p>Threads: called by the main thread before the first SOFAJRaft group starts; synchronized.
 */
final class RocksDbLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(RocksDbLibrary.class);
  private static boolean loaded;

  private RocksDbLibrary() {}

  static synchronized void load() {
    if (loaded) {
      return;
    }
    try {
      // the name in the jar, and the name RocksDB.loadLibrary(paths) looks for in a directory
      String resource = Environment.getJniLibraryFileName("rocksdb");
      String expected = Environment.getJniLibraryFileName("rocksdbjni");
      // the copy is named after the jar it comes from (name, size, modification time), so a start
      // that finds it reads nothing from the jar: the 14 MB are read and written once per build
      Path jar = Path.of(RocksDB.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      CRC32 crc = new CRC32();
      crc.update((jar.getFileName() + "/" + Files.size(jar) + "/" + Files.getLastModifiedTime(jar).toMillis())
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Path dir = Path.of(System.getProperty("java.io.tmpdir"),
          "tributary-rocksdbjni-" + System.getProperty("user.name", "user") + "-" + Long.toHexString(crc.getValue()));
      Path file = dir.resolve(expected);
      if (!Files.isRegularFile(file)) {
        byte[] lib;
        try (InputStream in = RocksDB.class.getResourceAsStream("/" + resource)) {
          if (in == null) {
            throw new IOException("no " + resource + " in the rocksdbjni jar for this platform");
          }
          lib = in.readAllBytes();
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, expected, ".tmp");
        try {
          Files.write(tmp, lib);
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      RocksDB.loadLibrary(List.of(dir.toString()));
    } catch (IOException | java.net.URISyntaxException | RuntimeException | UnsatisfiedLinkError e) {
      LOG.warn("RocksDB library not loaded from a shared copy ({}); RocksDB extracts its own", e.toString());
      RocksDB.loadLibrary();
    }
    loaded = true;
  }
}
