// Starts the Durable Streams reference server (@durable-streams/server) for bench/compare.
//
//   node bench/ref-server.mjs --port 21460 [--host 127.0.0.1] [--data-dir DIR] [--long-poll-timeout-ms 30000]
//
// Without --data-dir it is the in-memory store; with it, the file-backed store (log files +
// LMDB metadata, fdatasync on every append). Prints "reference server listening on http://HOST:PORT
// (memory|file)" once serving; stops on SIGTERM/SIGINT.
import { DurableStreamTestServer } from "@durable-streams/server";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg("--port", "4437"));
const host = arg("--host", "127.0.0.1");
const dataDir = arg("--data-dir", undefined);
const longPollTimeout = Number(arg("--long-poll-timeout-ms", "30000"));

// compression stays on (the default) but our client never sends Accept-Encoding, so no response
// is compressed; the numbers compare storage and protocol work, not gzip
const server = new DurableStreamTestServer({ port, host, dataDir, longPollTimeout });
await server.start();
console.log(`reference server listening on http://${host}:${port} (${dataDir ? "file" : "memory"})`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
