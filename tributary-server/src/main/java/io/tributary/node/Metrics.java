package io.tributary.node;

import io.tributary.group.EngineHost;
import io.tributary.http.HttpServer;

/** Renders the node's gauges in the Prometheus text format. Called on an event loop; reads only published values. */
final class Metrics {
  private Metrics() {}

  static String render(EngineHost raft, HttpServer http) {
    StringBuilder sb = new StringBuilder(2048);
    sb.append("# TYPE tributary_connections gauge\ntributary_connections ").append(http.openConnections()).append('\n');
    sb.append("# TYPE tributary_sse_subscribers gauge\ntributary_sse_subscribers ").append(http.sseSubscribers()).append('\n');
    sb.append("# TYPE tributary_long_polls gauge\ntributary_long_polls ").append(http.longPolls()).append('\n');
    sb.append("# TYPE tributary_group_term gauge\n# TYPE tributary_group_commit_index gauge\n")
        .append("# TYPE tributary_group_applied_index gauge\n# TYPE tributary_group_leader gauge\n")
        .append("# TYPE tributary_group_apply_lag gauge\n")
        .append("# TYPE tributary_group_pending_appends gauge\n# TYPE tributary_group_entries_total counter\n")
        .append("# TYPE tributary_group_appends_total counter\n# TYPE tributary_group_streams gauge\n")
        .append("# TYPE tributary_group_segment_bytes gauge\n");
    for (int gi = 0; gi < raft.groupCount(); gi++) {
      io.tributary.group.GroupStatus s = raft.status(gi);
      io.tributary.group.AppendBatcher batcher = raft.batcher(gi);
      String g = "{group=\"" + gi + "\"}";
      sb.append("tributary_group_term").append(g).append(' ').append(s.term()).append('\n');
      sb.append("tributary_group_commit_index").append(g).append(' ').append(s.commitIndex()).append('\n');
      sb.append("tributary_group_applied_index").append(g).append(' ').append(s.appliedIndex()).append('\n');
      sb.append("tributary_group_apply_lag").append(g).append(' ').append(Math.max(0, s.commitIndex() - s.appliedIndex()))
          .append('\n');
      sb.append("tributary_group_leader").append(g).append(' ').append(s.role().equals("LEADER") ? 1 : 0).append('\n');
      sb.append("tributary_group_pending_appends").append(g).append(' ').append(batcher.queued()).append('\n');
      sb.append("tributary_group_entries_total").append(g).append(' ').append(batcher.entriesSubmitted()).append('\n');
      sb.append("tributary_group_appends_total").append(g).append(' ').append(batcher.commandsSubmitted()).append('\n');
      var state = raft.replica(gi).state();
      if (state != null) {
        sb.append("tributary_group_streams").append(g).append(' ').append(state.streamCount()).append('\n');
        sb.append("tributary_group_segment_bytes").append(g).append(' ').append(state.store().diskBytes()).append('\n');
      }
    }
    sb.append("# HELP tributary_cluster_feature_level the entry format every voter can apply (docs/operations.md, Rolling upgrades)\n")
        .append("# TYPE tributary_cluster_feature_level gauge\ntributary_cluster_feature_level ")
        .append(raft.clusterFeatureLevel()).append('\n');
    sb.append(raft.metrics().scrape());
    return sb.toString();
  }
}
