package io.tributary.durability;

import io.tributary.testing.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A simulated power loss for one node's data directory: what survives is what was fsync'd, and
 * nothing else.
 *
 * <p>How: the node's JVM runs with {@code src/test/c/durable_image.c} preloaded
 * ({@code LD_PRELOAD}, see {@link #env}), compiled here with {@code gcc}. That library wraps
 * {@code fsync} and {@code fdatasync}: after a successful call on a regular file under the data
 * directory it copies the file's whole content into the image (keyed by inode and birth time); on
 * a directory it records the directory's entries. At load it records the tree as it then is as
 * durable (the baseline). {@link #powerLoss} is the crash: after the node was SIGKILLed it moves
 * the directory as the node left it aside and rebuilds it from the image, starting at the data
 * directory's last recorded listing:
 * <ul>
 *   <li>a directory holds exactly the entries of its last fsync'd listing: a name created, renamed
 *       or deleted after that is undone (a renamed file is back under its old name, a deleted one
 *       is back); a sub-directory that was never listed itself comes back empty;
 *   <li>a listed file holds the content of its last fsync (under whichever name it had then); a
 *       listed file that was never fsync'd comes back <em>empty</em> — what a journaling file
 *       system that committed the name but not the data leaves. (Dropping it instead would be
 *       the other legal outcome; empty is the harder one for recovery code, which must not take
 *       an empty file for a valid one.)
 * </ul>
 *
 * <p>Not modelled: a file system persisting more than was fsync'd (any subset of the unsynced
 * writes may survive on real hardware; here none does), writes reordered within a file, torn
 * sectors, and data lost by a disk that acknowledged a flush it did not do. So this is the
 * strictest outcome a correct POSIX file system may produce with whole-write granularity, not
 * every outcome.
 *
 * <p>Threads: the test thread only, while the node is not running.
 */
final class PowerLossDisk {
  /** What one rebuild discarded, compared with the directory as the killed node left it. */
  record Rebuild(long bytesDiscarded, int filesRemoved, int filesEmptied, int filesShortened, int filesRestored,
      int dirsEmptied, int fsyncsRecorded, int dirFsyncsRecorded, Path report) {
    @Override
    public String toString() {
      return String.format("%d fsyncs and %d directory fsyncs recorded; rebuild discarded %d bytes: %d files"
              + " removed, %d emptied, %d cut back, %d brought back (names not yet durably removed or renamed),"
              + " %d directories emptied; details in %s", fsyncsRecorded, dirFsyncsRecorded, bytesDiscarded,
          filesRemoved, filesEmptied, filesShortened, filesRestored, dirsEmptied, report);
    }
  }

  private static final Path SOURCE = Path.of(System.getProperty("basedir", "."), "src", "test", "c",
      "durable_image.c");
  private static Path library;

  private final Path dataDir;
  private final Path image;
  private final Path crashes;

  /** @param work where the image ({@code image/}) and each crash's leftovers ({@code crash-N/}) go */
  PowerLossDisk(Path dataDir, Path work) throws IOException, InterruptedException {
    this.dataDir = dataDir.toAbsolutePath();
    this.image = work.resolve("image").toAbsolutePath();
    this.crashes = work.toAbsolutePath();
    compile();
    Files.createDirectories(this.dataDir);
    resetImage();
  }

  /** The child's environment that records its fsyncs into this image. */
  Map<String, String> env() {
    return Map.of("LD_PRELOAD", library.toString(), "TRIBUTARY_DURABLE_ROOT", dataDir.toString(),
        "TRIBUTARY_DURABLE_IMAGE", image.toString());
  }

  /** The records made so far by the current incarnation: one line per fsync ({@code file <path> ...}) or directory fsync. */
  List<String> journal() throws IOException {
    Path j = image.resolve("journal.log");
    return Files.exists(j) ? Files.readAllLines(j, StandardCharsets.UTF_8) : List.of();
  }

  /**
   * The power loss (call after SIGKILL): the directory as the node left it goes to
   * {@code crash-N/at-kill}, the image to {@code crash-N/image}, the data directory is rebuilt from
   * the image, and an empty image waits for the next start (whose baseline is the rebuilt tree).
   * {@link #discard} deletes the leftovers once the recovery was checked.
   */
  Rebuild powerLoss(int n) throws IOException {
    Path dir = crashes.resolve("crash-" + n);
    Path atKill = dir.resolve("at-kill");
    Path kept = dir.resolve("image");
    Files.createDirectories(dir);
    Files.move(dataDir, atKill, StandardCopyOption.ATOMIC_MOVE);
    Files.move(image, kept, StandardCopyOption.ATOMIC_MOVE);
    List<String> journal = Files.readAllLines(kept.resolve("journal.log"), StandardCharsets.UTF_8);
    if (journal.stream().anyMatch(l -> l.startsWith("unsupported "))) {
      throw new AssertionError("the node used a sync call the image does not model: "
          + journal.stream().filter(l -> l.startsWith("unsupported ")).distinct().toList() + " (" + kept + ")");
    }
    Map<String, List<String>> listings = new TreeMap<>();
    try (Stream<Path> lists = Files.list(kept.resolve("dirs"))) {
      for (Path l : lists.toList()) {
        String name = l.getFileName().toString();
        listings.put(unescape(name.substring(0, name.length() - ".list".length())),
            Files.readAllLines(l, StandardCharsets.UTF_8));
      }
    }
    Counts c = new Counts();
    rebuild(".", dataDir, listings, kept.resolve("content"), c);
    Rebuild r = compare(atKill, c, journal, dir.resolve("rebuild.txt"));
    resetImage();
    return r;
  }

  /** Deletes what {@link #powerLoss} kept of crash {@code n} (after its recovery was checked). */
  void discard(int n) throws IOException {
    Path dir = crashes.resolve("crash-" + n);
    io.tributary.testing.TestDirs.deleteTree(dir.resolve("at-kill"));
    io.tributary.testing.TestDirs.deleteTree(dir.resolve("image"));
  }

  private static final class Counts {
    final List<String> lines = new ArrayList<>();
    int emptied;
    int dirsEmptied;
    final Map<String, Boolean> rebuiltFromContent = new LinkedHashMap<>();
  }

  /** Creates {@code target} as directory {@code rel} of the image says, recursively. */
  private static void rebuild(String rel, Path target, Map<String, List<String>> listings, Path content, Counts c)
      throws IOException {
    Files.createDirectories(target);
    List<String> listing = listings.get(rel);
    if (listing == null) {
      c.dirsEmptied++;
      c.lines.add("directory " + rel + ": never fsync'd, comes back empty");
      return;
    }
    for (String line : listing) {
      String[] f = line.split(" ", 3);
      String childRel = rel.equals(".") ? f[2] : rel + "/" + f[2];
      Path child = target.resolve(f[2]);
      if (f[0].equals("d")) {
        rebuild(childRel, child, listings, content, c);
      } else {
        Path synced = content.resolve(f[1]);
        if (Files.exists(synced)) {
          Files.copy(synced, child);
          c.rebuiltFromContent.put(childRel, true);
        } else {
          Files.createFile(child);
          c.emptied++;
          c.rebuiltFromContent.put(childRel, false);
        }
      }
    }
  }

  /** Compares the rebuilt tree with the one at the kill, writes the per-file report, counts. */
  private Rebuild compare(Path atKill, Counts c, List<String> journal, Path report) throws IOException {
    Map<String, Path> before = files(atKill);
    Map<String, Path> after = files(dataDir);
    long discarded = 0;
    int removed = 0;
    int shortened = 0;
    int restored = 0;
    int emptiedWithData = 0;
    List<String> lines = new ArrayList<>(c.lines);
    for (Map.Entry<String, Path> e : before.entrySet()) {
      byte[] was = Files.readAllBytes(e.getValue());
      Path now = after.get(e.getKey());
      if (now == null) {
        removed++;
        discarded += was.length;
        lines.add(e.getKey() + ": removed (" + was.length + " bytes at the kill; its name was not durable)");
        continue;
      }
      byte[] is = Files.readAllBytes(now);
      int common = prefix(was, is);
      if (common == was.length && is.length == was.length) {
        continue;
      }
      discarded += was.length - common;
      if (Boolean.FALSE.equals(c.rebuiltFromContent.get(e.getKey()))) {
        emptiedWithData += was.length > 0 ? 1 : 0;
        lines.add(e.getKey() + ": emptied (" + was.length + " bytes at the kill, never fsync'd)");
      } else {
        shortened++;
        lines.add(e.getKey() + ": " + was.length + " bytes at the kill, " + is.length + " as last fsync'd"
            + (common < Math.min(was.length, is.length) ? ", differing from byte " + common : ""));
      }
    }
    for (String p : after.keySet()) {
      if (!before.containsKey(p)) {
        restored++;
        lines.add(p + ": brought back (" + Files.size(after.get(p)) + " bytes; created, renamed away or deleted"
            + " without a directory fsync)");
      }
    }
    int fileFsyncs = (int) journal.stream().filter(l -> l.startsWith("file ")).count();
    int dirFsyncs = (int) journal.stream().filter(l -> l.startsWith("dir ")).count();
    Files.write(report, lines, StandardCharsets.UTF_8);
    return new Rebuild(discarded, removed, emptiedWithData, shortened, restored, c.dirsEmptied, fileFsyncs,
        dirFsyncs, report);
  }

  private static int prefix(byte[] a, byte[] b) {
    int m = java.util.Arrays.mismatch(a, b);
    return m < 0 ? a.length : m;
  }

  /** Regular files under {@code root} by relative path. */
  private static Map<String, Path> files(Path root) throws IOException {
    Map<String, Path> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), p);
      }
    }
    return out;
  }

  private void resetImage() throws IOException {
    io.tributary.testing.TestDirs.deleteTree(image);
    Files.createDirectories(image);
  }

  private static String unescape(String s) {
    return s.replace("%2F", "/").replace("%25", "%");
  }

  /** Compiles the library once per test JVM into {@code target/durable-image/}. */
  private static synchronized void compile() throws IOException, InterruptedException {
    if (library != null) {
      return;
    }
    Path out = ServerProcess.defaultLogDir().resolveSibling("durable-image").resolve("libdurable_image.so")
        .toAbsolutePath();
    Files.createDirectories(out.getParent());
    List<String> cmd = List.of("gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out.toString(),
        SOURCE.toAbsolutePath().toString(), "-ldl", "-lpthread");
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("the power-loss test needs gcc on the PATH to build " + SOURCE, e);
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed:\n" + output);
    }
    library = out;
  }

  @Override
  public String toString() {
    return "power-loss image " + image + " of " + dataDir;
  }
}
