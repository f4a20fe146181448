package io.tributary.bench;

import io.netty.channel.EventLoop;
import io.tributary.bench.client.ClientLoops;
import io.tributary.bench.client.Endpoint;
import io.tributary.bench.report.CpuMeter;
import io.tributary.bench.report.Recorder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every workload needs: the servers, the route prefix, a run id that makes stream names
 * unique, the client event loops with one {@link Recorder} per loop, and the CPU meters. Built and
 * closed by the main thread; each recorder belongs to its loop.
 */
final class BenchContext implements AutoCloseable {
  final List<Endpoint> endpoints;
  final String prefix;
  final String runId;
  final String label;
  final ClientLoops loops;
  final CpuMeter clientCpu = CpuMeter.self();
  final CpuMeter serverCpu;
  private final Map<EventLoop, Recorder> recorders = new IdentityHashMap<>();

  BenchContext(List<Endpoint> endpoints, String prefix, String runId, String label, int eventLoops, List<Long> serverPids) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one --url is needed");
    }
    this.endpoints = List.copyOf(endpoints);
    this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    this.runId = runId;
    this.label = label;
    this.loops = new ClientLoops(eventLoops);
    for (EventLoop l : loops.loops()) {
      recorders.put(l, new Recorder());
    }
    this.serverCpu = new CpuMeter(serverPids);
  }

  /** The endpoint for the i-th stream / connection: round-robin, so stream i always goes to the same node. */
  Endpoint endpoint(int i) {
    return endpoints.get(Math.floorMod(i, endpoints.size()));
  }

  /** The request target of a stream: prefix + run id + workload tag + index. */
  String target(String tag, int index) {
    return prefix + runId + "-" + tag + "-" + index;
  }

  Recorder recorder(EventLoop loop) {
    return recorders.get(loop);
  }

  List<String> urls() {
    List<String> out = new ArrayList<>();
    endpoints.forEach(e -> out.add(e.url()));
    return out;
  }

  /** Starts a measured window on every loop. */
  void startRecording() {
    loops.onEachLoop(l -> recorders.get(l).start());
  }

  /** Ends the window on every loop and returns the merged counts. */
  Recorder.Snapshot stopRecording() {
    List<Recorder.Snapshot> parts = new ArrayList<>();
    for (EventLoop l : loops.loops()) {
      parts.add(ClientLoops.call(l, () -> {
        Recorder r = recorders.get(l);
        r.stop();
        return r.snapshot();
      }));
    }
    return Recorder.Snapshot.merge(parts);
  }

  /** Merged counts without ending the window. */
  Recorder.Snapshot peek() {
    List<Recorder.Snapshot> parts = new ArrayList<>();
    for (EventLoop l : loops.loops()) {
      parts.add(ClientLoops.call(l, () -> recorders.get(l).snapshot()));
    }
    return Recorder.Snapshot.merge(parts);
  }

  @Override
  public void close() {
    loops.close();
  }
}
