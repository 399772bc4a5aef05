// The real `gossipchain` CLI in child processes: wallet new / show, tx sign, and its error paths.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { DEFAULT_CONFIG } from '../src/config.js'
import { networkId } from '../src/core/block.js'
import { parseTx, txSigningPayload, verifyTx } from '../src/core/tx.js'
import { createNodeVerifier } from '../src/crypto/node-verifier.js'
import { nodeSha256Hex } from '../src/crypto/sha256.js'
import type { Ed25519Tx } from '../src/core/types.js'
import { WALLET_LOCKED_MESSAGE } from '../src/wallet/errors.js'
import { openWallet } from '../src/wallet/wallet-file.js'
import { cleanEnv, expectOneLineError, killAllCli, runCli, type CliResult } from './helpers/cli.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const PYTHON = '/usr/bin/python3'

/** JCS (RFC 8785) for a tx's types: strings, finite numbers, null, flat objects; independent of src. */
function jcs (value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return `{${Object.keys(record).sort().map(key => `${JSON.stringify(key)}:${jcs(record[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** The docs/design.md §2 signing payload, built from the documentation rather than from src/core. */
function documentedPayload (tx: Ed25519Tx, network: string): Buffer {
  const { signature, id, ...unsigned } = tx
  return Buffer.from(`gossipchain/tx/v1\n${network}\n${jcs(unsigned)}`, 'utf8')
}

function pythonHasCryptography (): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import cryptography.hazmat.primitives.asymmetric.ed25519'], { stdio: 'ignore' }).status === 0
}

function opensslHasRawinEd25519 (): boolean {
  const help = spawnSync('openssl', ['pkeyutl', '-help'], { encoding: 'utf8' })
  return help.error === undefined && `${help.stdout}${help.stderr}`.includes('-rawin')
}

/** Independent Ed25519 verifiers available here: python3-cryptography and/or OpenSSL 3. */
function independentVerifiers (directory: string): Array<{ name: string, verify: (publicKeyHex: string, message: Buffer, signatureHex: string) => boolean }> {
  const verifiers = []
  if (pythonHasCryptography()) {
    verifiers.push({
      name: 'python3-cryptography',
      verify: (publicKeyHex: string, message: Buffer, signatureHex: string) => {
        const messagePath = join(directory, 'py-message.bin')
        writeFileSync(messagePath, message)
        const script = [
          'import sys',
          'from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey',
          'from cryptography.exceptions import InvalidSignature',
          'key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sys.argv[1]))',
          'try:',
          '    key.verify(bytes.fromhex(sys.argv[2]), open(sys.argv[3], "rb").read())',
          'except InvalidSignature:',
          '    sys.exit(3)'
        ].join('\n')
        const run = spawnSync(PYTHON, ['-c', script, publicKeyHex, signatureHex, messagePath], { encoding: 'utf8' })
        if (run.status !== 0 && run.status !== 3) throw new Error(`python3 failed: ${run.stderr}`)
        return run.status === 0
      }
    })
  }
  if (opensslHasRawinEd25519()) {
    verifiers.push({
      name: 'openssl pkeyutl -rawin',
      verify: (publicKeyHex: string, message: Buffer, signatureHex: string) => {
        const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyHex, 'hex')])
        const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`
        writeFileSync(join(directory, 'ossl-key.pem'), pem)
        writeFileSync(join(directory, 'ossl-message.bin'), message)
        writeFileSync(join(directory, 'ossl-signature.bin'), Buffer.from(signatureHex, 'hex'))
        const run = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'ossl-key.pem', '-rawin',
          '-in', 'ossl-message.bin', '-sigfile', 'ossl-signature.bin'], { cwd: directory, encoding: 'utf8' })
        if (run.error !== undefined) throw run.error
        return run.status === 0 && run.stdout.includes('Signature Verified Successfully')
      }
    })
  }
  return verifiers
}

describe('gossipchain CLI: wallet and tx', function () {
  this.timeout(60_000)
  const password = 'Grüße, supply chain!'
  let directory: string
  let walletPath: string
  let publicKey: string

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), 'gossipchain-cli-'))
    walletPath = join(directory, 'farm_A.json')
    const result = await runCli(['wallet', 'new', '--name', 'farm_A', '--out', walletPath], { GOSSIPCHAIN_PASSWORD: password })
    expect(result.code, result.stderr).to.equal(0)
    publicKey = /public key: ([0-9a-f]{64})/.exec(result.stdout)?.[1] ?? ''
  })

  after(function () {
    killAllCli()
    rmSync(directory, { recursive: true, force: true })
  })

  describe('wallet new', function () {
    it('writes a 0600 wallet that opens with the password and prints its public key', async function () {
      expect(publicKey).to.match(/^[0-9a-f]{64}$/)
      expect(statSync(walletPath).mode & 0o777).to.equal(0o600)
      const file = JSON.parse(readFileSync(walletPath, 'utf8'))
      expect(file.kdf.iterations).to.equal(600_000)
      const opened = await openWallet(file, password)
      expect(opened.publicKey).to.equal(publicKey)
      expect(opened.name).to.equal('farm_A')
    })

    it('reads the password from the first line of --password-file (it wins over the environment)', async function () {
      const passwordFile = join(directory, 'password.txt')
      writeFileSync(passwordFile, 'from the file\nsecond line is ignored\n')
      const out = join(directory, 'lot.json')
      const result = await runCli(['wallet', 'new', '--name', 'lot-7', '--out', out, '--password-file', passwordFile, '--json'],
        { GOSSIPCHAIN_PASSWORD: 'from the env' })
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout)).to.deep.include({ name: 'lot-7', file: out })
      await openWallet(JSON.parse(readFileSync(out, 'utf8')), 'from the file')
    })

    it('WALLET_EXISTS: refuses to overwrite, leaving the file as it was', async function () {
      const before = readFileSync(walletPath, 'utf8')
      const result = await runCli(['wallet', 'new', '--name', 'farm_A', '--out', walletPath], { GOSSIPCHAIN_PASSWORD: password })
      expectOneLineError(result, 'refusing to overwrite')
      expect(readFileSync(walletPath, 'utf8')).to.equal(before)
    })

    it('WALLET_WEAK_KDF: --iterations below 600000', async function () {
      expectOneLineError(await runCli(['wallet', 'new', '--name', 'x', '--out', join(directory, 'weak.json'), '--iterations', '1000'],
        { GOSSIPCHAIN_PASSWORD: password }), 'at least 600000')
      expect(existsSync(join(directory, 'weak.json'))).to.equal(false)
    })

    it('WALLET_BAD_ARGUMENT: a name outside [A-Za-z0-9_.-]', async function () {
      expectOneLineError(await runCli(['wallet', 'new', '--name', 'farm A', '--out', join(directory, 'bad.json')],
        { GOSSIPCHAIN_PASSWORD: password }), 'wallet name')
    })

    it('without --password-file, GOSSIPCHAIN_PASSWORD or a terminal it says how to give a password', async function () {
      expectOneLineError(await runCli(['wallet', 'new', '--name', 'x', '--out', join(directory, 'nopw.json')]), 'GOSSIPCHAIN_PASSWORD')
    })

    it('on a terminal it asks twice without echo', async function () {
      if (!existsSync(PYTHON)) this.skip() // the pty driver is a python3 script
      const out = join(directory, 'tty.json')
      const typed = 'typed-secret-123'
      const result = runOnTerminal(['wallet', 'new', '--name', 'tty_A', '--out', out], [typed, typed])
      expect(result.code, result.output).to.equal(0)
      expect(result.output).to.include('Password: ')
      expect(result.output).to.include('Repeat password: ')
      expect(result.output).to.not.include(typed)
      await openWallet(JSON.parse(readFileSync(out, 'utf8')), typed)

      const mismatch = runOnTerminal(['wallet', 'new', '--name', 'tty_B', '--out', join(directory, 'tty2.json')], [typed, 'other'])
      expect(mismatch.code).to.not.equal(0)
      expect(mismatch.output).to.include('gossipchain: the two passwords differ')
      expect(existsSync(join(directory, 'tty2.json'))).to.equal(false)
    })
  })

  describe('wallet show', function () {
    it('prints name, public key and KDF parameters without a password', async function () {
      const result = await runCli(['wallet', 'show', walletPath])
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.include('name:       farm_A')
      expect(result.stdout).to.include(`public key: ${publicKey}`)
      expect(result.stdout).to.include('600000 iterations')
      const json = JSON.parse((await runCli(['wallet', 'show', walletPath, '--json'])).stdout)
      expect(json).to.deep.include({ name: 'farm_A', publicKey })
      expect(json.kdf).to.deep.include({ name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000 })
    })

    it('--unlock opens the wallet first, then prints the description and that the password opens it', async function () {
      const result = await runCli(['wallet', 'show', walletPath, '--unlock'], { GOSSIPCHAIN_PASSWORD: password })
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.include(`public key: ${publicKey}`)
      expect(result.stdout).to.include('unlock:     ok')
      const json = await runCli(['wallet', 'show', walletPath, '--unlock', '--json'], { GOSSIPCHAIN_PASSWORD: password })
      expect(JSON.parse(json.stdout)).to.deep.include({ name: 'farm_A', publicKey, unlocked: true })
    })

    it('WALLET_LOCKED: --unlock with a wrong password', async function () {
      expectOneLineError(await runCli(['wallet', 'show', walletPath, '--unlock'], { GOSSIPCHAIN_PASSWORD: 'wrong' }), WALLET_LOCKED_MESSAGE)
    })

    it('WALLET_LOCKED: --unlock on a tampered file (name edited), the same line as a wrong password', async function () {
      const tampered = join(directory, 'tampered.json')
      writeFileSync(tampered, readFileSync(walletPath, 'utf8').replace('"farm_A"', '"farm_B"'))
      const result = await runCli(['wallet', 'show', tampered, '--unlock'], { GOSSIPCHAIN_PASSWORD: password })
      expectOneLineError(result, WALLET_LOCKED_MESSAGE)
      expect(result.stderr).to.equal(`gossipchain: ${WALLET_LOCKED_MESSAGE}\n`)
    })

    it('WALLET_NOT_FOUND: a missing file (with --unlock too, before any password is asked: not a modification)', async function () {
      expectOneLineError(await runCli(['wallet', 'show', join(directory, 'nope.json')]), 'wallet file not found')
      expectOneLineError(await runCli(['wallet', 'show', join(directory, 'nope.json'), '--unlock']), 'wallet file not found')
    })

    it('WALLET_MALFORMED: a file that is not a wallet', async function () {
      const notWallet = join(directory, 'tx.json')
      writeFileSync(notWallet, '{"scheme":"ed25519"}')
      expectOneLineError(await runCli(['wallet', 'show', notWallet]), 'not a wallet file')
      writeFileSync(notWallet, 'not json')
      expectOneLineError(await runCli(['wallet', 'show', notWallet]), 'not valid JSON')
    })

    it('WALLET_MALFORMED: without --unlock a modified format marker is named precisely; a weak KDF is described', async function () {
      const text = readFileSync(walletPath, 'utf8')
      const badFormat = join(directory, 'bad-format.json')
      writeFileSync(badFormat, text.replace('"gossipchain-wallet"', '"Gossipchain-wallet"'))
      expectOneLineError(await runCli(['wallet', 'show', badFormat]), 'not a wallet file: format must be "gossipchain-wallet"')
      const weak = join(directory, 'weak-kdf.json')
      writeFileSync(weak, text.replace('"iterations": 600000', '"iterations": 500000'))
      const shown = await runCli(['wallet', 'show', weak])
      expect(shown.code, shown.stderr).to.equal(0)
      expect(shown.stdout).to.include('500000 iterations (below 600000: too weak to open)')
    })
  })

  describe('tx sign', function () {
    const defaultNetwork = networkId(DEFAULT_CONFIG.network)

    async function sign (args: string[], env: Record<string, string> = { GOSSIPCHAIN_PASSWORD: password }): Promise<Ed25519Tx> {
      const result = await runCli(['tx', 'sign', '--wallet', walletPath, ...args], env)
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stderr).to.equal('')
      return JSON.parse(result.stdout) as Ed25519Tx
    }

    it('prints a tx that core verifyTx accepts on the default network', async function () {
      const before = Date.now()
      const tx = await sign(['--data', 'harvested 20 kg', '--item', 'lot-42'])
      expect(tx).to.deep.include({ scheme: 'ed25519', senderPK: publicKey, receiverPK: null, item: 'lot-42', data: 'harvested 20 kg' })
      expect(tx.nonce).to.match(/^[0-9a-f]{32}$/)
      expect(tx.timestamp * 1000).to.be.within(before - 1000, Date.now() + 1000)
      await verifyTx(parseTx(tx), { network: defaultNetwork, nowMs: Date.now(), verifier: createNodeVerifier() })
    })

    it('takes the network from --network, or from the network of --config', async function () {
      const receiver = 'ab'.repeat(32)
      const explicit = await sign(['--data', 'shipped', '--receiver', receiver, '--network', 'lab-0123abcd'])
      expect(explicit.receiverPK).to.equal(receiver)
      await verifyTx(parseTx(explicit), { network: 'lab-0123abcd', nowMs: Date.now(), verifier: createNodeVerifier() })

      const configPath = join(directory, 'lab.json')
      writeFileSync(configPath, JSON.stringify({ network: { name: 'lab', bits: 4 } }))
      const fromConfig = await sign(['--data', 'x', '--config', configPath])
      const labNetwork = networkId({ ...DEFAULT_CONFIG.network, name: 'lab', bits: 4 })
      await verifyTx(parseTx(fromConfig), { network: labNetwork, nowMs: Date.now(), verifier: createNodeVerifier() })
      let failed = false
      await verifyTx(parseTx(fromConfig), { network: defaultNetwork, nowMs: Date.now(), verifier: createNodeVerifier() }).catch(() => { failed = true })
      expect(failed, 'a tx signed for one network must not verify on another').to.equal(true)
    })

    it('the signature verifies with an independent Ed25519 library over the documented payload (docs/design.md §2)', async function () {
      const verifiers = independentVerifiers(directory)
      if (verifiers.length === 0) {
        console.warn('      skipped: neither /usr/bin/python3 with python3-cryptography nor openssl 3 (pkeyutl -rawin) is available')
        this.skip()
      }
      const tx = await sign(['--data', 'Ünïcode "quoted" \\ ✓ 🍅\n2nd line', '--item', 'lot/42 ü', '--receiver', 'cd'.repeat(32)])
      const payload = documentedPayload(tx, defaultNetwork)
      expect(Buffer.from(txSigningPayload(tx, defaultNetwork)).equals(payload), 'core payload = documented payload').to.equal(true)
      expect(nodeSha256Hex(payload)).to.equal(tx.id)
      for (const verifier of verifiers) {
        expect(verifier.verify(tx.senderPK, payload, tx.signature), verifier.name).to.equal(true)
        const altered = Buffer.from(payload)
        altered[altered.length - 2] ^= 1
        expect(verifier.verify(tx.senderPK, altered, tx.signature), `${verifier.name} rejects an altered payload`).to.equal(false)
      }
    })

    it('each run draws a fresh nonce, so the same record signed twice gives two ids', async function () {
      const [one, two] = await Promise.all([sign(['--data', 'same']), sign(['--data', 'same'])])
      expect(one.nonce).to.not.equal(two.nonce)
      expect(one.id).to.not.equal(two.id)
    })

    it('WALLET_LOCKED: a wrong password', async function () {
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x'], { GOSSIPCHAIN_PASSWORD: 'nope' }), WALLET_LOCKED_MESSAGE)
    })

    it('WALLET_NOT_FOUND: a missing wallet file', async function () {
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', join(directory, 'none.json'), '--data', 'x'], { GOSSIPCHAIN_PASSWORD: password }), 'not found')
    })

    it('TX_BAD_FORMAT: a bad --receiver or --item names the flag', async function () {
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x', '--receiver', 'abc'], { GOSSIPCHAIN_PASSWORD: password }), '--receiver')
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x', '--item', 'i'.repeat(129)], { GOSSIPCHAIN_PASSWORD: password }), '--item')
    })

    it('a --network that is not a network id', async function () {
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x', '--network', 'gossipchain-dev'], { GOSSIPCHAIN_PASSWORD: password }), '--network')
    })

    it('CONFIG_INVALID: a bad --config file or a bad GOSSIPCHAIN_* value', async function () {
      const bad = join(directory, 'bad-config.json')
      writeFileSync(bad, JSON.stringify({ network: { bits: 'many' } }))
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x', '--config', bad], { GOSSIPCHAIN_PASSWORD: password }), `network.bits in file ${bad}`)
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x', '--config', join(directory, 'absent.json')], { GOSSIPCHAIN_PASSWORD: password }), 'cannot read config file')
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath, '--data', 'x'], { GOSSIPCHAIN_PASSWORD: password, GOSSIPCHAIN_BITS: 'x' }), 'GOSSIPCHAIN_BITS')
    })
  })

  describe('opening a modified wallet: one byte flipped gives the wrong-password line (docs/design.md §8)', function () {
    /** The file made by `wallet new`, with the byte at `position` XORed with `xor`. */
    function flippedCopy (label: string, position: number, xor: number): string {
      const bytes = readFileSync(walletPath)
      expect(position, label).to.be.within(0, bytes.length - 1)
      bytes[position] ^= xor
      const path = join(directory, `flipped-${label}.json`)
      writeFileSync(path, bytes)
      return path
    }

    function flips (): Array<[string, string]> {
      const text = readFileSync(walletPath, 'latin1')
      const after = (marker: string): number => text.indexOf(marker) + marker.length
      const hexDigit = after('"ciphertext": "') + 10
      return [
        // Still a well-formed file: only the GCM tag can tell.
        ['ciphertext-hex-digit', flippedCopy('ciphertext', hexDigit, text.charCodeAt(hexDigit) ^ (text[hexDigit] === '0' ? 0x31 : 0x30))],
        // The JSON no longer parses.
        ['closing-brace', flippedCopy('brace', text.lastIndexOf('}'), 0x01)],
        // Not a wallet file any more, by its marker.
        ['format-marker', flippedCopy('format', after('"format": "'), 0x20)],
        // 600000 -> 500000: below the floor.
        ['iterations-digit', flippedCopy('iterations', after('"iterations": '), 0x36 ^ 0x35)],
        // A space becomes a tab: the same JSON value, other bytes.
        ['indent-space', flippedCopy('space', text.indexOf(' '), 0x20 ^ 0x09)]
      ]
    }

    it('WALLET_LOCKED: tx sign and wallet show --unlock print exactly the wrong-password line, exit non-zero', async function () {
      const env = { GOSSIPCHAIN_PASSWORD: password }
      const sign = async (wallet: string, environment = env): Promise<CliResult> =>
        await runCli(['tx', 'sign', '--wallet', wallet, '--data', 'x', '--network', 'lab-0123abcd'], environment)
      const unlock = async (wallet: string, environment = env): Promise<CliResult> =>
        await runCli(['wallet', 'show', wallet, '--unlock'], environment)
      const cases = flips()
      const [wrongSign, wrongUnlock, ...results] = await Promise.all([
        sign(walletPath, { GOSSIPCHAIN_PASSWORD: 'wrong password' }),
        unlock(walletPath, { GOSSIPCHAIN_PASSWORD: 'wrong password' }),
        ...cases.flatMap(([, path]) => [sign(path), unlock(path)])
      ])
      const lockedLine = `gossipchain: ${WALLET_LOCKED_MESSAGE}\n`
      expect(wrongSign.stderr).to.equal(lockedLine)
      expect(wrongUnlock.stderr).to.equal(lockedLine)
      for (const [i, [label]] of cases.entries()) {
        for (const [command, result, wrong] of [['tx sign', results[2 * i], wrongSign], ['wallet show --unlock', results[2 * i + 1], wrongUnlock]] as const) {
          expectOneLineError(result, WALLET_LOCKED_MESSAGE)
          expect(result.stderr, `${command}, ${label}`).to.equal(wrong.stderr)
          expect(result.code, `${command}, ${label}`).to.equal(wrong.code)
          expect(result.stdout, `${command}, ${label}`).to.equal('')
        }
      }
    })

    it('WALLET_LOCKED: GOSSIPCHAIN_DEBUG=1 adds what failed (meta.reason, the field) after the same line', async function () {
      const [, , [, formatFlipped], [, weak], [, space]] = flips()
      const debug = { GOSSIPCHAIN_PASSWORD: password, GOSSIPCHAIN_DEBUG: '1' }
      const [format, iterations, whitespace, wrong] = await Promise.all([
        runCli(['wallet', 'show', formatFlipped, '--unlock'], debug),
        runCli(['tx', 'sign', '--wallet', weak, '--data', 'x', '--network', 'lab-0123abcd'], debug),
        runCli(['wallet', 'show', space, '--unlock'], debug),
        runCli(['wallet', 'show', walletPath, '--unlock'], { ...debug, GOSSIPCHAIN_PASSWORD: 'wrong password' })
      ])
      for (const result of [format, iterations, whitespace, wrong]) {
        expect(result.code).to.not.equal(0)
        expect(result.stderr.split('\n')[0]).to.equal(`gossipchain: ${WALLET_LOCKED_MESSAGE}`)
      }
      expect(format.stderr).to.include('gossipchain: debug: WALLET_LOCKED {"reason":"malformed","field":"format"')
      expect(iterations.stderr).to.include('"reason":"weak-kdf","iterations":500000')
      expect(whitespace.stderr).to.include('"reason":"not-canonical"')
      expect(wrong.stderr).to.include('"reason":"decrypt"')
    })
  })

  describe('usage errors', function () {
    it('a missing required option, an unknown option, an unknown command, a bad number', async function () {
      expectOneLineError(await runCli(['wallet', 'new', '--out', join(directory, 'x.json')]), '--name')
      expectOneLineError(await runCli(['wallet', 'show', walletPath, '--bogus']), '--bogus')
      expectOneLineError(await runCli(['launch']), 'launch')
      expectOneLineError(await runCli(['wallet', 'new', '--name', 'x', '--out', join(directory, 'x.json'), '--iterations', 'lots']), '--iterations')
      expectOneLineError(await runCli(['tx', 'sign', '--wallet', walletPath]), '--data')
    })

    it('bin/gossipchain.js runs the same program (dist/cli.js, rebuilt when src/ changed)', async function () {
      const help = await runCli(['--help'], {}, ['bin/gossipchain.js'])
      expect(help.code, help.stderr).to.equal(0)
      expect(help.stdout).to.include('wallet')
      expect(help.stdout).to.include('tx')
      const show = await runCli(['wallet', 'show', walletPath], {}, ['bin/gossipchain.js'])
      expect(show.code, show.stderr).to.equal(0)
      expect(show.stdout).to.include(publicKey)
      expectOneLineError(await runCli(['wallet', 'show', join(directory, 'nope.json')], {}, ['bin/gossipchain.js']), 'not found')
    })
  })
})

/**
 * Runs the CLI on a pseudo-terminal (python3's pty module) and types `answers` at its password
 * prompts. Returns everything the terminal showed and the exit code.
 */
function runOnTerminal (args: string[], answers: string[]): { code: number, output: string } {
  const driver = `
import json, os, pty, select, sys, time
args = json.loads(sys.argv[1]); answers = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(${JSON.stringify(repoRoot)})
    os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, '--import', 'tsx', 'src/cli.ts'] + args)
output = b''
deadline = time.time() + 30
def read_some():
    global output
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        return True
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    if not chunk:
        return False
    output += chunk
    return True
for answer in answers:
    prompts_seen = output.count(b'assword: ')
    while output.count(b'assword: ') == prompts_seen and time.time() < deadline:
        if not read_some():
            break
    os.write(fd, answer.encode() + b'\\r')
while time.time() < deadline and read_some():
    pass
_, status = os.waitpid(pid, 0)
print(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': output.decode('utf-8', 'replace')}))
`
  const env = cleanEnv()
  const run = spawnSync(PYTHON, ['-c', driver, JSON.stringify(args), JSON.stringify(answers)], { env, encoding: 'utf8', timeout: 60_000 })
  if (run.status !== 0) throw new Error(`pty driver failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as { code: number, output: string }
}
