// The original Flask frontend's reading of GET /chain, line for line in TypeScript: for every tx of every
// block it copies the block's index and previous_hash onto the tx, splits `data` at the FIRST `|` into
// item and receiver PEM (Python: `item, receiver = tx["data"].split("|", 1)`, a ValueError without a
// `|`), and looks the receiver PEM up in its own hard-coded address book (a KeyError on a miss). Either
// error is a 500 for every visitor of that frontend. Posts are sorted newest first, as it does.

export interface LegacyPost {
  index: number
  hash: string
  item: string
  receiver: string
  timestamp: number
  senderPK: string
}

export class LegacyFrontendCrash extends Error {
  override readonly name = 'LegacyFrontendCrash'
}

export function readChainAsLegacyFrontend (chainResponse: unknown, addressBook: ReadonlyMap<string, string>): LegacyPost[] {
  const content: LegacyPost[] = []
  const { chain } = chainResponse as { chain: Array<{ index: number, previous_hash: string, transactions: Array<Record<string, unknown>> }> }
  for (const block of chain) {
    for (const tx of block.transactions) {
      const data = tx.data as string
      const bar = data.indexOf('|')
      if (bar < 0) throw new LegacyFrontendCrash(`ValueError: not enough values to unpack (data ${JSON.stringify(data.slice(0, 40))})`)
      const item = data.slice(0, bar)
      const receiverPem = data.slice(bar + 1)
      const receiver = addressBook.get(receiverPem)
      if (receiver === undefined) throw new LegacyFrontendCrash(`KeyError: ${JSON.stringify(receiverPem.slice(0, 60))}`)
      content.push({ index: block.index, hash: block.previous_hash, item, receiver, timestamp: tx.timestamp as number, senderPK: tx.senderPK as string })
    }
  }
  return content.sort((a, b) => b.timestamp - a.timestamp)
}
