package io.tributary.config;

/**
 * Disk-space admission: writes are refused (507) while the data directory's file system has less
 * than {@code freeBytesMin} free; measured every {@code checkIntervalMillis}. The background scrub
 * re-reads local segments at {@code scrubBytesPerSecond} (0 = off). With {@code reclaim}, a node
 * that does not tier deletes whole segment files of garbage every {@code reclaimIntervalMillis}, and
 * compacts sealed segments whose unreclaimed garbage is at least {@code compactGarbagePercentMin}
 * percent of their size (0: no compaction).
 */
public record DiskConfig(long freeBytesMin, long checkIntervalMillis, long scrubBytesPerSecond, boolean reclaim,
    long reclaimIntervalMillis, int compactGarbagePercentMin) {}
