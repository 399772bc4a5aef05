#!/usr/bin/env python3
"""Independent cross-check of gossipchain's known-answer vectors (test/vectors/*.json).

Recomputes, with code that shares nothing with src/core:
  - block header bytes (struct.pack) and SHA-256 hashes, leading zero bits (docs/design.md §3)
  - genesis hashes and network ids
  - Merkle roots with the RFC 6962 recursive definition (split at the largest power of two)
    and inclusion-proof verification with the RFC 9162 §2.1.3.2 algorithm
  - RFC 8785 canonical JSON of every tx, the ed25519 signing payload and ids (docs/design.md §2)
  - Ed25519 public keys, deterministic signatures and verification; RSA PKCS#1 v1.5 SHA-256
    verification of the legacy txs
Signatures use python3-cryptography when importable, else the `openssl` command line.
Exit status 0 when everything agrees; prints one line per failure otherwise.
Run with Debian's interpreter: /usr/bin/python3 test/crosscheck/crosscheck.py [--openssl] [vectors dir]
(--openssl: use the openssl command line even when python3-cryptography is present.)
"""
import base64
import decimal
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ARGS = [a for a in sys.argv[1:] if not a.startswith('--')]
FORCE_OPENSSL = '--openssl' in sys.argv[1:]
VECTORS = ARGS[0] if ARGS else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'vectors')
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)


def load(name):
    with open(os.path.join(VECTORS, name), encoding='utf-8') as f:
        return json.load(f)


def sha256(b):
    return hashlib.sha256(b).digest()


# ---------- RFC 8785 (JCS) for the value types the ledger uses ----------
def jcs_number(x):
    if isinstance(x, bool):
        raise TypeError('bool is not a number here')
    if isinstance(x, int):
        return str(x)
    if x != x or x in (float('inf'), float('-inf')):
        raise ValueError('non-finite number')
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    if not (1e-6 <= abs(x) < 1e16):
        raise ValueError('number outside the range where repr() matches ECMAScript: %r' % x)
    return repr(x)  # shortest round-trip, like ECMAScript Number::toString in this range


def jcs(v):
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, (int, float)):
        return jcs_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return '[' + ','.join(jcs(x) for x in v) + ']'
    if isinstance(v, dict):
        keys = sorted(v.keys(), key=lambda k: k.encode('utf-16-be'))  # RFC 8785 §3.2.3: UTF-16 code units
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + jcs(v[k]) for k in keys) + '}'
    raise TypeError('not JSON: %r' % (v,))


# ---------- docs/design.md §3 header ----------
def seconds_to_ms(t):
    ms = decimal.Decimal(repr(t)) * 1000
    if ms != ms.to_integral_value():
        raise ValueError('timestamp with more than 3 decimals: %r' % t)
    return int(ms)


def header_bytes(f):
    return struct.pack('>HQ32s32sQBQ', f['version'], f['index'], bytes.fromhex(f['previous_hash']),
                       bytes.fromhex(f['tx_root']), seconds_to_ms(f['timestamp']), f['bits'], f['nonce'])


def leading_zero_bits(h):
    n = int.from_bytes(h, 'big')
    return 256 - n.bit_length()


for case in load('headers.json'):
    hb = header_bytes(case['fields'])
    check(len(hb) == 91, 'header %s: length %d' % (case['name'], len(hb)))
    check(hb.hex() == case['headerHex'], 'header %s: bytes differ' % case['name'])
    h = sha256(hb)
    check(h.hex() == case['hash'], 'header %s: hash differs' % case['name'])
    check(leading_zero_bits(h) == case['leadingZeroBits'], 'header %s: leading zero bits' % case['name'])


# ---------- RFC 6962 Merkle tree ----------
def leaf_hash(data):
    return sha256(b'\x00' + data)


def node_hash(left, right):
    return sha256(b'\x01' + left + right)


def mth(leaf_hashes):
    """RFC 6962 §2.1 over already-hashed leaves: split at the largest power of two < n."""
    n = len(leaf_hashes)
    if n == 0:
        return sha256(b'')
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def verify_inclusion(leaf, index, size, path, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def tx_leaf(tx):
    return leaf_hash(sha256(jcs(tx).encode('utf-8')))


merkle = load('merkle.json')
ct = [leaf_hash(bytes.fromhex(d)) for d in merkle['rfc6962']['leafData']]
for n, root in enumerate(merkle['rfc6962']['roots']):
    check(mth(ct[:n]).hex() == root, 'rfc6962 root of size %d' % n)
for tree in merkle['trees']:
    leaves = [leaf_hash(bytes.fromhex(d)) for d in tree['leafData']]
    check(mth(leaves).hex() == tree['root'], 'merkle tree of %d leaves' % len(leaves))
for p in merkle['proofs']:
    proof = p['proof']
    ok = verify_inclusion(bytes.fromhex(p['leafHash']), proof['index'], proof['leafCount'],
                          [bytes.fromhex(s) for s in proof['siblings']], bytes.fromhex(p['root']))
    check(ok, 'merkle proof %d of %d' % (proof['index'], proof['leafCount']))
tx_leaves = [tx_leaf(tx) for tx in merkle['txRoot']['txs']]
check([h.hex() for h in tx_leaves] == merkle['txRoot']['leafHashes'], 'tx leaf hashes')
check(mth(tx_leaves).hex() == merkle['txRoot']['root'], 'tx root')


# ---------- genesis ----------
def genesis_hash(params):
    fields = {'version': 1, 'index': 0, 'previous_hash': '00' * 32, 'tx_root': sha256(b'').hex(),
              'timestamp': params['genesisTimestamp'], 'bits': params['bits'], 'nonce': 0}
    return sha256(header_bytes(fields)).hex()


genesis = load('genesis.json')
gh = genesis_hash(genesis['params'])
check(gh == genesis['hash'], 'genesis hash')
check(bytes.fromhex(genesis['headerHex']) == header_bytes(genesis['block']), 'genesis header bytes')
check(genesis['networkId'] == '%s-%s' % (genesis['params']['name'], gh[:8]), 'network id')
for other in genesis['others']:
    h = genesis_hash(other['params'])
    check(h == other['hash'] and other['networkId'] == '%s-%s' % (other['params']['name'], h[:8]),
          'genesis of %r' % (other['params'],))


# ---------- signatures ----------
ED25519_SPKI_PREFIX = bytes.fromhex('302a300506032b6570032100')
ED25519_PKCS8_PREFIX = bytes.fromhex('302e020100300506032b657004220420')


def pem(label, der):
    b64 = base64.b64encode(der).decode()
    return '-----BEGIN %s-----\n%s\n-----END %s-----\n' % (label, '\n'.join(b64[i:i + 64] for i in range(0, len(b64), 64)), label)


class CryptographyBackend:
    name = 'python3-cryptography'

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ed25519, padding
        from cryptography.hazmat.primitives import hashes, serialization
        self.ed25519, self.padding, self.hashes, self.serialization = ed25519, padding, hashes, serialization

    def ed25519_public(self, seed):
        key = self.ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        return key.public_key().public_bytes(self.serialization.Encoding.Raw, self.serialization.PublicFormat.Raw)

    def ed25519_sign(self, seed, msg):
        return self.ed25519.Ed25519PrivateKey.from_private_bytes(seed).sign(msg)

    def ed25519_verify(self, pub, msg, sig):
        try:
            self.ed25519.Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
            return True
        except Exception:
            return False

    def rsa_verify(self, spki_pem, msg, sig):
        key = self.serialization.load_pem_public_key(spki_pem.encode())
        try:
            key.verify(sig, msg, self.padding.PKCS1v15(), self.hashes.SHA256())
            return True
        except Exception:
            return False


class OpensslBackend:
    name = 'openssl command line'

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='gossipchain-crosscheck-')

    def _file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def _run(self, *args):
        return subprocess.run(['openssl', *args], capture_output=True)

    def ed25519_public(self, seed):
        key = self._file('k.pem', pem('PRIVATE KEY', ED25519_PKCS8_PREFIX + seed).encode())
        der = self._run('pkey', '-in', key, '-pubout', '-outform', 'DER').stdout
        return der[-32:]

    def ed25519_sign(self, seed, msg):
        key = self._file('k.pem', pem('PRIVATE KEY', ED25519_PKCS8_PREFIX + seed).encode())
        return self._run('pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', self._file('m', msg)).stdout

    def ed25519_verify(self, pub, msg, sig):
        key = self._file('p.pem', pem('PUBLIC KEY', ED25519_SPKI_PREFIX + pub).encode())
        r = self._run('pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', self._file('m', msg),
                      '-sigfile', self._file('s', sig))
        return r.returncode == 0

    def rsa_verify(self, spki_pem, msg, sig):
        r = self._run('dgst', '-sha256', '-verify', self._file('r.pem', spki_pem.encode()),
                      '-signature', self._file('s', sig), self._file('m', msg))
        return r.returncode == 0

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def pick_backend():
    if not FORCE_OPENSSL:
        try:
            return CryptographyBackend()
        except ImportError:
            pass
    if shutil.which('openssl'):
        probe = OpensslBackend()
        if len(probe.ed25519_public(bytes(32))) == 32:
            return probe
    return None


backend = pick_backend()
if backend is None:
    print('SKIP: neither python3-cryptography nor an openssl with Ed25519 is available')
    sys.exit(77)

txs = load('txs.json')
network = txs['network']
check(network == genesis['networkId'], 'tx vectors use the default network id')
for v in txs['ed25519']:
    tx = v['tx']
    seed = bytes.fromhex(v['seedHex'])
    pub = backend.ed25519_public(seed)
    check(pub.hex() == v['publicKey'] == tx['senderPK'], 'ed25519 %s: public key' % v['name'])
    unsigned = {k: tx[k] for k in ('scheme', 'senderPK', 'receiverPK', 'item', 'data', 'timestamp', 'nonce')}
    payload = ('gossipchain/tx/v1\n' + network + '\n' + jcs(unsigned)).encode('utf-8')
    check(payload.hex() == v['payloadHex'], 'ed25519 %s: signing payload' % v['name'])
    check(sha256(payload).hex() == tx['id'], 'ed25519 %s: id' % v['name'])
    sig = bytes.fromhex(tx['signature'])
    check(backend.ed25519_verify(pub, payload, sig), 'ed25519 %s: signature verifies' % v['name'])
    check(backend.ed25519_sign(seed, payload) == sig, 'ed25519 %s: deterministic signature' % v['name'])
    check(not backend.ed25519_verify(pub, payload + b' ', sig), 'ed25519 %s: tampered payload fails' % v['name'])
    check(jcs(tx) == v['jcs'], 'ed25519 %s: JCS of the tx' % v['name'])
    check(tx_leaf(tx).hex() == v['leafHash'], 'ed25519 %s: leaf hash' % v['name'])

keys = load('keys.json')
for v in txs['rsaLegacy']:
    tx, body = v['tx'], v['body']
    sig = body['signature'].encode('latin-1')
    msg = body['data'].encode('utf-8')
    check(backend.rsa_verify(body['senderPK'], msg, sig), 'legacy %s: RSA signature verifies' % v['name'])
    check(not backend.rsa_verify(body['senderPK'], msg + b'!', sig), 'legacy %s: tampered data fails' % v['name'])
    preimage = jcs({'scheme': 'rsa-legacy', 'senderPK': body['senderPK'], 'signature': body['signature'], 'data': body['data']})
    check(preimage == v['idPreimage'], 'legacy %s: id preimage' % v['name'])
    check(sha256(preimage.encode('utf-8')).hex() == tx['id'], 'legacy %s: id' % v['name'])
    check(seconds_to_ms(tx['timestamp']) == v['nowMs'], 'legacy %s: stamped timestamp' % v['name'])
    check(jcs(tx) == v['jcs'] and tx_leaf(tx).hex() == v['leafHash'], 'legacy %s: JCS and leaf' % v['name'])
check(keys['rsa2048']['publicKeyPem'] == txs['rsaLegacy'][0]['body']['senderPK'], 'legacy vectors use keys.json')

if isinstance(backend, OpensslBackend):
    backend.close()
for f in failures:
    print('MISMATCH:', f)
print('%s: %d checks, %d mismatches (signatures via %s)' % ('FAIL' if failures else 'OK', checks, len(failures), backend.name))
sys.exit(1 if failures else 0)
