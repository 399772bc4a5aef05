// Random connected topologies for a devnet: who connects to whom.

/** An undirected link between nodes a < b (indices). */
export type Edge = readonly [number, number]

/**
 * A random connected graph on `n` nodes where every node has `degree` links (clamped to n - 1), but one
 * node one fewer when n x degree is odd: a random Hamiltonian path (connected, degree <= 2), random
 * extra links between nodes still below `degree`, then link swaps where the pairing got stuck.
 * `degree` >= 2 (a connected graph of more than two nodes needs it).
 */
export function randomConnectedTopology (n: number, degree: number, random: () => number): Edge[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('randomConnectedTopology: "n" must be a positive integer')
  if (!Number.isSafeInteger(degree) || degree < 1) throw new RangeError('randomConnectedTopology: "degree" must be a positive integer')
  if (degree < 2 && n > 2) throw new RangeError('randomConnectedTopology: "degree" must be at least 2 for a connected graph of more than 2 nodes')
  const d = Math.min(degree, n - 1)
  const order = shuffle(Array.from({ length: n }, (_, i) => i), random)
  const links = new Set<string>()
  const degrees = new Array<number>(n).fill(0)
  const edges: Edge[] = []
  const add = (x: number, y: number): boolean => {
    const [a, b] = x < y ? [x, y] : [y, x]
    const key = `${a},${b}`
    if (a === b || links.has(key) || degrees[a] >= d || degrees[b] >= d) return false
    links.add(key)
    degrees[a]++
    degrees[b]++
    edges.push([a, b])
    return true
  }
  const remove = (index: number): void => {
    const [a, b] = edges[index]
    links.delete(`${a},${b}`)
    degrees[a]--
    degrees[b]--
    edges.splice(index, 1)
  }
  const linked = (x: number, y: number): boolean => links.has(x < y ? `${x},${y}` : `${y},${x}`)
  for (let i = 1; i < n; i++) add(order[i - 1], order[i])
  // Extra links: pair random nodes that still have room.
  for (let attempts = 0; attempts < n * d * 4; attempts++) {
    const open = degrees.flatMap((k, i) => k < d ? [i] : [])
    if (open.length < 2) break
    add(open[Math.floor(random() * open.length)], open[Math.floor(random() * open.length)])
  }
  // Stuck (the nodes with room are already linked to each other, or one node has two free slots):
  // replace a random link u-v by x-u and y-v (x may be y). Every degree rises or stays; the graph stays
  // connected (u reaches x, v reaches y, and x and y were connected).
  for (let attempts = 0; attempts < n * d * 4; attempts++) {
    const open = degrees.flatMap((k, i) => k < d ? [i] : [])
    const slots = open.reduce((sum, i) => sum + d - degrees[i], 0)
    if (slots < 2) break
    const x = open[Math.floor(random() * open.length)]
    const rest = open.filter(i => i !== x)
    const y = degrees[x] <= d - 2 && (rest.length === 0 || random() < 0.5) ? x : rest[Math.floor(random() * rest.length)]
    if (y === undefined) break
    const index = Math.floor(random() * edges.length)
    const [u, v] = edges[index]
    if (u === x || u === y || v === x || v === y || linked(x, u) || linked(y, v)) continue
    remove(index)
    add(x, u)
    add(y, v)
  }
  return edges.sort((p, q) => p[0] - q[0] || p[1] - q[1])
}

/** Neighbours of every node. */
export function adjacency (n: number, edges: readonly Edge[]): number[][] {
  const out = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of edges) {
    out[a].push(b)
    out[b].push(a)
  }
  return out
}

/** Longest shortest path in hops (Infinity when the graph is not connected). */
export function diameter (n: number, edges: readonly Edge[]): number {
  const next = adjacency(n, edges)
  let worst = 0
  for (let s = 0; s < n; s++) {
    const dist = new Array<number>(n).fill(-1)
    dist[s] = 0
    const queue = [s]
    for (let q = 0; q < queue.length; q++) {
      for (const t of next[queue[q]]) if (dist[t] < 0) { dist[t] = dist[queue[q]] + 1; queue.push(t) }
    }
    if (dist.some(x => x < 0)) return Number.POSITIVE_INFINITY
    worst = Math.max(worst, ...dist)
  }
  return worst
}

function shuffle<T> (items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}
