// Mints an HS256 JWT for the conformance runs: node mint-jwt.mjs <secret-file> <grant>...
// Claims: sub "conformance", the grants in tributary_grants, exp in two hours. Prints the token.
import { createHmac } from "node:crypto"
import { readFileSync } from "node:fs"

const [secretFile, ...grants] = process.argv.slice(2)
if (!secretFile || grants.length === 0) {
  console.error("usage: mint-jwt.mjs <secret-file> <grant>...")
  process.exit(2)
}
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url")
const now = Math.floor(Date.now() / 1000)
const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "conformance", iat: now, exp: now + 7200, tributary_grants: grants })}`
const sig = createHmac("sha256", readFileSync(secretFile, "utf8").trim()).update(unsigned).digest("base64url")
process.stdout.write(`${unsigned}.${sig}`)
