// A process that starts a small devnet and then ends in the way argv[2] says, for test/devnet.test.ts:
//   exit    exits without stopping anything (the exit hook must kill the nodes)
//   wait    waits to be signalled (SIGTERM/SIGINT: the hooks stop the nodes cleanly) or SIGKILLed
//           (the nodes see their parent gone and stop themselves)
// It prints one JSON line {pids, ports} once the nodes serve.
import '../../src/polyfill.js'
import { startDevnet } from '../../src/devnet/index.js'

const mode = process.argv[2]
const net = await startDevnet({ nodes: 2, degree: 2, seed: 7 })
process.stdout.write(JSON.stringify({
  pids: net.nodes.map(n => n.pid),
  ports: net.nodes.flatMap(n => [n.httpPort, n.p2pPort]),
  dataRoot: net.dataRoot
}) + '\n')
if (mode === 'exit') process.exit(0)
setInterval(() => {}, 60_000)
