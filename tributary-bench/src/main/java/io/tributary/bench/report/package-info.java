/**
 * Measuring and reporting: latency histograms and counters owned by the client event loops,
 * CPU time read from /proc, the JSON result line and its human summary, and the results-file
 * tools (comparison table, SVG charts). Imports HdrHistogram and Jackson; no Netty.
 */
package io.tributary.bench.report;
