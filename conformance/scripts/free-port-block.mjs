// Prints a base port whose nodes' client, Raft, peer data and admin ports (base + 10(i-1), +1, +2,
// +3) are all free now, for `tributary cluster --base-port`. Picked below the kernel's ephemeral
// range: a port inside it can be taken by any outgoing connection between this check and the
// node's bind (CI once failed that way: "Failed to bind to address :35710").
//
//   node conformance/scripts/free-port-block.mjs NODES
import net from "node:net"
import fs from "node:fs"

const nodes = Number(process.argv[2])
const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0])
const free = (port) => new Promise((ok) => {
  const s = net.createServer()
  s.once("error", () => ok(false))
  s.listen(port, "127.0.0.1", () => s.close(() => ok(true)))
})
for (let attempt = 0; attempt < 200; attempt++) {
  const base = 10000 + 10 * Math.floor(Math.random() * ((low - 10000 - 10 * nodes) / 10))
  let ok = true
  for (let i = 0; i < nodes && ok; i++) {
    for (let k = 0; k < 4 && ok; k++) ok = await free(base + 10 * i + k)
  }
  if (ok) {
    console.log(base)
    process.exit(0)
  }
}
process.exit(1)
