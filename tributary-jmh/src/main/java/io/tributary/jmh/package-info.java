/**
 * JMH microbenchmarks of server internals (offsets, JSON framing, SSE framing, the group commit, segment writes). Opt-in module
 * (profile {@code jmh}); each benchmark state is used by the single JMH worker thread.
 */
package io.tributary.jmh;
