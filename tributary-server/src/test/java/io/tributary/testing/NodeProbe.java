package io.tributary.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a benchmark measures of a node from outside: heap (through {@code jcmd}), RSS
 * ({@code /proc/<pid>/status}), live {@code long[]} bytes, and the size of its newest metadata
 * snapshots on disk. Stateless; blocking (runs {@code jcmd}).
 */
public final class NodeProbe {
  private static final Pattern USED = Pattern.compile("used (\\d+)K");
  private static final Pattern LONG_ARRAYS = Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+\\[J\\b");
  private static final Pattern SNAPSHOT_FILE = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");

  private NodeProbe() {}

  /** Heap in use now, KiB. */
  public static long heapUsedKib(long pid) throws IOException, InterruptedException {
    Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** Heap in use after a full GC (what is live), KiB. */
  public static long liveHeapKib(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    return heapUsedKib(pid);
  }

  /** Resident set size, KiB. */
  public static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }

  /** Bytes of live {@code long[]} instances (the record index is two of them per stream) from a class histogram. */
  public static long longArrayBytes(long pid) throws IOException, InterruptedException {
    Matcher m = LONG_ARRAYS.matcher(jcmd(pid, "GC.class_histogram"));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** Bytes of the newest metadata snapshot of each group ({@code raft/<group>/sm/snapshot.<term>_<index>}), summed. */
  public static long snapshotBytes(Path dataDir) throws IOException {
    Map<Path, Path> newest = new HashMap<>();
    try (var files = Files.walk(dataDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (SNAPSHOT_FILE.matcher(f.getFileName().toString()).matches()) {
          newest.merge(f.getParent(), f, (a, b) -> index(a) >= index(b) ? a : b);
        }
      }
    }
    long sum = 0;
    for (Path f : newest.values()) {
      sum += Files.size(f);
    }
    return sum;
  }

  /** Bytes of every regular file under {@code dir}. */
  public static long diskBytes(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      long sum = 0;
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        sum += Files.size(f);
      }
      return sum;
    }
  }

  /**
   * Bytes the file system allocated under {@code dir} ({@code du -s -B1}): what the disk really
   * gives, so a sparse (compacted) segment counts its written blocks only, not its size.
   */
  public static long allocatedBytes(Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("du " + dir + ": " + out); // e.g. a file deleted while du walked: ask again
    }
    return Long.parseLong(out.strip().split("\\s+")[0]);
  }

  private static long index(Path snapshotFile) {
    Matcher m = SNAPSHOT_FILE.matcher(snapshotFile.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(2)) : -1;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid),
        command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
