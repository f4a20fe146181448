package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: writes are admitted only while the data directory keeps its free-space watermark, also
 * between two measurements, and again as soon as space returns. Method: a fake probe sets the
 * free bytes and write failures; the thresholds are checked against exact numbers. (The real
 * file system, filled for real, is {@code DiskFullTest}'s job.)
 */
class DiskSpaceTest {
  private static final long MIB = 1 << 20;

  private static final class FakeProbe implements DiskSpace.Probe {
    long free;
    IOException writeFailure;

    @Override
    public long usableBytes() {
      return free;
    }

    @Override
    public void writeTest() throws IOException {
      if (writeFailure != null) {
        throw writeFailure;
      }
    }
  }

  @Test
  void writesBetweenMeasurementsReserveAgainstTheWatermark() {
    FakeProbe probe = new FakeProbe();
    probe.free = 10 * MIB;
    DiskSpace d = new DiskSpace(probe, 4 * MIB, 3);
    d.measure();
    long cost = 2 * MIB + DiskSpace.WRITE_OVERHEAD_BYTES;
    assertThat(d.admit(MIB)).isNull(); // 10 - 2 = 8 MiB left
    assertThat(d.admit(MIB)).isNull(); // 6 MiB left (minus overheads)
    assertThat(d.admit(MIB)).as("a third 1 MiB write would leave less than 4 MiB").isNotNull()
        .satisfies(e -> assertThat(e.retryAfterSeconds()).isEqualTo(3));
    assertThat(d.admit(0)).as("a small write still fits").isNull();
    probe.free = 10 * MIB - 2 * cost; // the two writes landed: the file system now says so itself
    DiskSpace.Reading r = d.measure();
    assertThat(r.freeBytes()).isEqualTo(10 * MIB - 2 * cost);
    assertThat(r.ok()).as("above the watermark, but a refused 1 MiB write would not fit: %s", r).isFalse();
    assertThat(r.problem()).contains("too close to disk-free-bytes-min");
    assertThat(d.admit(0)).as("while low, every write is refused").isNotNull();
    r = d.measure();
    assertThat(r.ok()).as("the refused write was small enough to fit now: %s", r).isTrue();
    assertThat(d.admit(0)).isNull();
  }

  @Test
  void belowTheWatermarkEveryWriteIsRefusedUntilSpaceReturns() {
    FakeProbe probe = new FakeProbe();
    probe.free = 3 * MIB;
    DiskSpace d = new DiskSpace(probe, 4 * MIB, 1);
    assertThat(d.measure().ok()).isFalse();
    assertThat(d.admit(1)).hasMessageContaining("below disk-free-bytes-min");
    probe.free = 64 * MIB;
    assertThat(d.measure().ok()).isTrue();
    assertThat(d.admit(MIB)).isNull();
  }

  @Test
  void anUnwritableDirectoryRefusesWrites() {
    FakeProbe probe = new FakeProbe();
    probe.free = 64 * MIB;
    probe.writeFailure = new IOException("Read-only file system");
    DiskSpace d = new DiskSpace(probe, MIB, 1);
    assertThat(d.measure().problem()).contains("cannot be written").contains("Read-only file system");
    assertThat(d.admit(1)).isNotNull();
  }

  @Test
  void theRealProbeMeasuresTheDataDirectory(@TempDir Path dir) {
    DiskSpace d = new DiskSpace(dir, MIB, 1);
    DiskSpace.Reading r = d.measure();
    assertThat(r.ok()).as("a temp directory with more than 1 MiB free: %s", r).isTrue();
    assertThat(r.freeBytes()).isGreaterThan(MIB);
    assertThat(dir.resolve(".write-probe")).doesNotExist();
  }
}
