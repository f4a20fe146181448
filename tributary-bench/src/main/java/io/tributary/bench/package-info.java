/**
 * The load generator: workloads (append, fan-out, catch-up, long-poll) that speak the Durable
 * Streams HTTP protocol to any server, and their picocli commands ({@code tributary bench ...} or
 * {@code java -cp ... io.tributary.bench.BenchMain ...}). Threads: the main thread sets a run up,
 * times the warm-up and the measured window and reads results; everything that touches a
 * connection runs on the client event loops ({@code client}). Imports {@code client} and
 * {@code report}; never the server.
 */
package io.tributary.bench;
