// Entity names: the node's address book (GET /address_book, config addressBook) plus the wallets opened
// or created in this page (kept in memory only). Keys without a name are shown shortened.

export class Names {
  private readonly byKey = new Map<string, string>()
  private readonly listeners = new Set<() => void>()

  constructor (book: Record<string, string> = {}) {
    for (const [name, key] of Object.entries(book)) this.byKey.set(key, name)
  }

  /** Add or rename an entity (a wallet the page opened or created). */
  add (name: string, key: string): void {
    if (this.byKey.get(key) === name) return
    this.byKey.set(key, name)
    for (const listener of this.listeners) listener()
  }

  onChange (listener: () => void): void {
    this.listeners.add(listener)
  }

  /** The name of a key, if known. */
  nameOf (key: string): string | undefined {
    return this.byKey.get(key)
  }

  /** A name, or the key shortened (64-hex keys; legacy RSA PEMs become "RSA key ..."). */
  label (key: string | null): string {
    if (key === null) return '—'
    const name = this.byKey.get(key)
    if (name !== undefined) return name
    if (key.startsWith('-----BEGIN')) return `RSA key ${key.replace(/-----[A-Z ]+-----|\s/g, '').slice(-12, -4)}…`
    return key.length > 16 ? `${key.slice(0, 8)}…${key.slice(-6)}` : key
  }

  /** The key of a name. */
  keyOf (name: string): string | undefined {
    for (const [key, n] of this.byKey) if (n === name) return key
    return undefined
  }

  entries (): Array<{ name: string, key: string }> {
    return [...this.byKey].map(([key, name]) => ({ name, key })).sort((a, b) => a.name.localeCompare(b.name))
  }
}
