package io.tributary.group.jraft;

import com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage;
import com.alipay.sofa.jraft.util.StorageOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;

/**
 * Sizes the RocksDB that holds each group's Raft log so a restart after a crash has little
 * write-ahead log to replay. SOFAJRaft's defaults (64 MiB memtables, up to 3 per group, and up to
 * 1 GiB of WAL before RocksDB forces a flush) keep a group's whole recent log in memtables and
 * the WAL; after SIGKILL, opening the log replays all of it. Measured (RestartTimeTest, 8 groups,
 * 256 MiB stored): 1-2 s per group to open its log, 14.4 s from process start to listening. Our
 * entries leave the log at the next snapshot anyway (the data lives in the segment files), so
 * small memtables cost a few more flushes and bound both the replay and the memory per group.
 *
 * The memtable size is {@code log-memtable-bytes}; at most two are held per column family, so a
 * node's log memory is bounded by groups x 2 x that (SOFAJRaft's defaults let 8 groups hold up to
 * 1.5 GiB of native memory: a node's RSS grew past 600 MiB under load with a 512 MiB heap limit),
 * and the WAL by twice that per group.
 *
 * <p>SOFAJRaft reads these options from a process-wide registry keyed by class, which refuses a
 * second registration: {@link #registerOnce} registers them on the first call in the JVM only (a
 * second node in the same JVM with another size is told so in the log).
 *
 * <p>Threads: any; called from {@code JRaftHost.start} before any group opens its log.
 */
final class RocksDbLogTuning {
  /**
   * Past twice the memtable size of WAL, RocksDB flushes the memtables that keep the oldest WAL file alive. Needed
   * besides small memtables: SOFAJRaft's log has a second column family (configurations) whose
   * memtable hardly ever fills, and it alone kept every WAL file since the group's first entry
   * alive (seen with 8 MiB memtables and a 32 MiB bound: five 7 MiB WAL files next to flushed
   * SSTs, 33 MiB replayed per group; with 4 MiB and 8 MiB, 4 MiB and 0.14-0.34 s per group).
   */
  private static final int WAL_MEMTABLES = 2;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RocksDbLogTuning.class);
  /** The memtable size registered in this JVM; 0 before the first node starts. */
  private static long registered;

  private RocksDbLogTuning() {}

  static synchronized void registerOnce(long memtableBytes) {
    if (registered != 0) {
      if (registered != memtableBytes) {
        LOG.warn("log-memtable-bytes {} ignored: SOFAJRaft's RocksDB options are per JVM, and another node in this JVM "
            + "set {}", memtableBytes, registered);
      }
      return;
    }
    registered = memtableBytes;
    ColumnFamilyOptions cf = StorageOptionsFactory.getDefaultRocksDBColumnFamilyOptions();
    cf.setWriteBufferSize(memtableBytes);
    cf.setMaxWriteBufferNumber(2);
    cf.setMinWriteBufferNumberToMerge(1);
    StorageOptionsFactory.registerRocksDBColumnFamilyOptions(RocksDBLogStorage.class, cf);
    DBOptions db = StorageOptionsFactory.getDefaultRocksDBOptions();
    db.setMaxTotalWalSize(WAL_MEMTABLES * memtableBytes);
    StorageOptionsFactory.registerRocksDBOptions(RocksDBLogStorage.class, db);
  }
}
