#!/usr/bin/env python3
"""bench/seal_ids.py: what fangpin stores of an ID number (common/seal.c), for the benchmarks'
fixtures, which write people straight into the tables rather than through intake or
`fangpinctl ledger import`.

    seal_ids.py [--key FILE] <in >out     lines "TAG<TAB>ID" -> "TAG<TAB>id_hmac<TAB>id_sealed<TAB>id_masked"
    seal_ids.py [--key FILE] --check      the key's check value (table data_key)

The output is COPY text format ("\\\\x<hex>" for the two bytea columns), the same three fields
as fp_seal_copy_fields. The key is FILE, else $FANGPIN_DATA_KEY, else $FANGPIN_KEYS_DIR/data.key
(fp_seal_default_path). From it, as libsodium's crypto_kdf_derive_from_key does (BLAKE2b keyed
by the key, salt = the subkey id little-endian, personal = the context "fpidseal"; written from
the algorithm's definition as tests/integration/fp.py does), come subkey 1, the HMAC-SHA-256
matching key (id_hmac), subkey 2, the XChaCha20-Poly1305 sealing key (id_sealed: a random
24-byte nonce || ciphertext || tag, associated data "fangpin id number v1"), and subkey 3,
whose unkeyed 16-byte BLAKE2b is the check value. Sealing uses Debian's python3-nacl (PyNaCl).
Equal numbers give equal id_hmac, so screening matches these rows as it matches intake's.
"""
import argparse
import hashlib
import hmac
import os
import struct
import sys

AD = b"fangpin id number v1"


def key_path(path=None):
    if path:
        return path
    if os.environ.get("FANGPIN_DATA_KEY"):
        return os.environ["FANGPIN_DATA_KEY"]
    return os.path.join(os.environ.get("FANGPIN_KEYS_DIR") or "/var/lib/fangpin/keys", "data.key")


def _subkey(master, n):
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", n) + bytes(8),
                           person=b"fpidseal" + bytes(8)).digest()


class Sealer:
    def __init__(self, path=None):
        path = key_path(path)
        with open(path) as f:
            lines = f.read().split("\n")
        if lines[0] != "fangpin-data-key v1" or len(lines) < 2 or len(lines[1]) != 64:
            sys.exit(f"seal_ids.py: {path} is not a fangpin data key")
        master = bytes.fromhex(lines[1])
        self.hmac_key, self.aead_key = _subkey(master, 1), _subkey(master, 2)
        self.check = hashlib.blake2b(_subkey(master, 3), digest_size=16).hexdigest()
        import nacl.bindings as nb
        self._encrypt = nb.crypto_aead_xchacha20poly1305_ietf_encrypt
        self._nonces, self._at = b"", 0

    def hmac(self, idn):
        return hmac.digest(self.hmac_key, idn.encode(), "sha256")

    def seal(self, idn):
        # a random nonce each time, as randombytes_buf gives seal.c; drawn 4,096 at a time
        if self._at == len(self._nonces):
            self._nonces, self._at = os.urandom(24 * 4096), 0
        nonce = self._nonces[self._at:self._at + 24]
        self._at += 24
        return nonce + self._encrypt(idn.encode(), AD, nonce, self.aead_key)

    @staticmethod
    def mask(idn):
        return idn[:4] + "*" * (len(idn) - 8) + idn[-4:]

    def copy_fields(self, idn):
        """id_hmac, id_sealed, id_masked for COPY text format (fp_seal_copy_fields)."""
        return f"\\\\x{self.hmac(idn).hex()}\t\\\\x{self.seal(idn).hex()}\t{self.mask(idn)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    s = Sealer(a.key)
    if a.check:
        print(s.check)
        return
    out = sys.stdout
    buf = []
    for line in sys.stdin:
        tag, idn = line.rstrip("\n").split("\t")
        buf.append(f"{tag}\t{s.copy_fields(idn)}\n")
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


if __name__ == "__main__":
    main()
