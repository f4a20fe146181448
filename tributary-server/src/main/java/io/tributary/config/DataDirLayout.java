package io.tributary.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a data directory was created with and must keep: the number of Raft groups. Streams are
 * placed by {@code hash % groups}, so a node restarted with another count would look for every
 * stream in the wrong group and answer 404 for data it still holds. The count is recorded in
 * {@code <data-dir>/layout.properties} on first start (auto: 1 on a single node, 8 in a cluster); a directory from before that file is
 * recognised by its {@code groups/gNNN} directories. Stateless; file I/O on the starting thread.
 */
public final class DataDirLayout {
  static final String FILE = "layout.properties";
  /** Groups of a new single node: one log, so one fsync and one Raft pipeline for all appends. */
  static final int SINGLE_NODE_GROUPS = 1;
  /**
   * Groups of a new cluster: one per node, so each node leads one group and every Raft entry
   * carries a third of the concurrent appends rather than an eighth. Measured on SOFAJRaft, 3 nodes
   * on 2 cores, 500 streams: 3 groups gave 1.3-1.5x the appends/s of 8 at 0.69-0.76x the CPU per
   * append (docs/benchmarks.md, "SOFAJRaft: 8 groups or 3"). More groups only spread leaders; a
   * larger cluster can be created with --groups.
   */
  static final int CLUSTER_GROUPS = 3;
  private static final Pattern GROUP_DIR = Pattern.compile("g\\d{3}");

  private DataDirLayout() {}

  /**
   * The group count to run with: {@code configured} (0 = auto) checked against what the data
   * directory was created with; auto takes the recorded count, or the default for a new directory.
   *
   * @throws ConfigException when an explicit count differs from the recorded one
   */
  static int resolveGroups(Path dataDir, int configured, int nodes) {
    int recorded = recordedGroups(dataDir);
    if (recorded > 0 && configured > 0 && configured != recorded) {
      throw new ConfigException("--groups " + configured + ": the data directory " + dataDir + " was created with "
          + recorded + " groups, and the count is fixed when a data directory is created (omit --groups to use "
          + recorded + ")");
    }
    if (recorded > 0) {
      return recorded;
    }
    if (configured > 0) {
      return configured;
    }
    return nodes > 1 ? CLUSTER_GROUPS : SINGLE_NODE_GROUPS;
  }

  /** The recorded group count of {@code dataDir}; 0 for a new directory. */
  static int recordedGroups(Path dataDir) {
    Path file = dataDir.resolve(FILE);
    try {
      if (Files.exists(file)) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
          p.load(r);
        }
        String v = p.getProperty("groups", "");
        try {
          int n = Integer.parseInt(v.trim());
          if (n >= 1) {
            return n;
          }
        } catch (NumberFormatException e) {
          // fall through to the error below
        }
        throw new ConfigException(file + ": groups must be a positive number, got '" + v + "'");
      }
      Path groups = dataDir.resolve("groups");
      if (!Files.isDirectory(groups)) {
        return 0;
      }
      try (Stream<Path> dirs = Files.list(groups)) {
        return (int) dirs.filter(d -> GROUP_DIR.matcher(d.getFileName().toString()).matches()).count();
      }
    } catch (IOException e) {
      throw new ConfigException("cannot read the layout of data directory " + dataDir + ": " + e.getMessage());
    }
  }

  /** Records {@code groups} in {@code dataDir} unless it is recorded already (atomic and durable: temp file, fsync, rename, directory fsync). */
  public static void record(Path dataDir, int groups) {
    Path file = dataDir.resolve(FILE);
    if (Files.exists(file)) {
      return;
    }
    try {
      Files.createDirectories(dataDir);
      io.tributary.common.DurableFiles.writeAtomically(file, ("# fixed when this data directory was created: streams "
          + "are placed by hash % groups\ngroups=" + groups + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the layout of data directory " + dataDir, e);
    }
  }
}
