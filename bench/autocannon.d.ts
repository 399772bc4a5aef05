// The part of autocannon 8's API the load client uses (the package ships no types).
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
      setupRequest?: (req: Record<string, unknown>, context: Record<string, any>) => Record<string, unknown>
      onResponse?: (status: number, body: string, context: Record<string, any>) => void
    }
    interface Options {
      url: string
      connections?: number
      amount?: number
      duration?: number
      overallRate?: number
      timeout?: number
      requests?: Request[]
    }
    interface Histogram { p50: number, p90: number, p99: number, max: number, average: number }
    interface Result {
      latency: Histogram
      requests: Histogram & { total: number }
      throughput: Histogram & { total: number }
      duration: number
      errors: number
      timeouts: number
      non2xx: number
    }
    interface Instance { stop: () => void }
  }
  function autocannon (opts: autocannon.Options, cb: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance
  export default autocannon
}
