package io.tributary.group.jraft;

import com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage;
import com.alipay.sofa.jraft.util.StorageOptionsFactory;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>SOFAJRaft reads these options from a process-wide registry keyed by class, which refuses a
 * second registration: {@link #registerOnce} registers them on the first call in the JVM only.
 *
 * <p>Threads: any; called from {@code JRaftHost.start} before any group opens its log.
 */
final class RocksDbLogTuning {
  /** One memtable (SOFAJRaft: 64 MiB, up to 3). */
  static final long MEMTABLE_BYTES = 4L << 20;
  /**
   * Past this much WAL, RocksDB flushes the memtables that keep the oldest WAL file alive. Needed
   * besides small memtables: SOFAJRaft's log has a second column family (configurations) whose
   * memtable hardly ever fills, and it alone kept every WAL file since the group's first entry
   * alive (seen with 8 MiB memtables and a 32 MiB bound: five 7 MiB WAL files next to flushed
   * SSTs, 33 MiB replayed per group; with 4 MiB and 8 MiB, 4 MiB and 0.14-0.34 s per group).
   */
  static final long WAL_BYTES_MAX = 2 * MEMTABLE_BYTES;

  private static final AtomicBoolean REGISTERED = new AtomicBoolean();

  private RocksDbLogTuning() {}

  static void registerOnce() {
    if (!REGISTERED.compareAndSet(false, true)) {
      return;
    }
    ColumnFamilyOptions cf = StorageOptionsFactory.getDefaultRocksDBColumnFamilyOptions();
    cf.setWriteBufferSize(MEMTABLE_BYTES);
    StorageOptionsFactory.registerRocksDBColumnFamilyOptions(RocksDBLogStorage.class, cf);
    DBOptions db = StorageOptionsFactory.getDefaultRocksDBOptions();
    db.setMaxTotalWalSize(WAL_BYTES_MAX);
    StorageOptionsFactory.registerRocksDBOptions(RocksDBLogStorage.class, db);
  }
}
