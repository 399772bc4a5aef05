// The page's only way to the network: same-origin JSON requests to the node that served it (relative
// paths; the Content-Security-Policy allows no other host). The node's error body is
// {error, code}; a refused request becomes an ApiError carrying them.

export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor (message: string, readonly status: number, readonly code: string | undefined) {
    super(message)
  }
}

async function read<T> (res: Response): Promise<T> {
  const text = await res.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    throw new ApiError(`the node answered ${res.status} with a body that is not JSON`, res.status, undefined)
  }
  if (!res.ok) {
    const { error, code } = (body ?? {}) as { error?: unknown, code?: unknown }
    throw new ApiError(typeof error === 'string' ? error : `the node answered ${res.status}`, res.status, typeof code === 'string' ? code : undefined)
  }
  return body as T
}

export async function getJson<T> (path: string): Promise<T> {
  return await read<T>(await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' }))
}

export async function postJson<T> (path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  return await read<T>(await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store'
  }))
}

/** What the page needs of GET /node_info. */
export interface NodeInfo {
  peerId: string
  addresses: string[]
  network: string
  genesis: string
  head: { hash: string, index: number, work: string }
  pending: number
}
