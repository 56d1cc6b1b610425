#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from tests/vectors/*.jsonl.

Files are named by the SHA-1 of their content, as libFuzzer names them.
Run from anywhere: python3 fuzz/make_corpus.py
"""
import hashlib
import json
import os
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEC = os.path.join(ROOT, "tests", "vectors")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    updates = [json.loads(l) for l in open(os.path.join(VEC, "updates.jsonl")) if l.strip()]
    for s in updates:
        for key, target in (("v1", "fuzz_update_v1"), ("v2", "fuzz_update_v2")):
            b = bytes.fromhex(s[key])
            if len(b) <= 300:
                put(target, b)
        if s["txns_v1"]:
            put("fuzz_update_v1", bytes.fromhex(s["txns_v1"][-1]))
            put("fuzz_update_v2", bytes.fromhex(s["txns_v2"][-1]))
        if "gappy" in s and len(s["gappy"]) <= 600:
            put("fuzz_update_v1", bytes.fromhex(s["gappy"]))
            put("fuzz_update_v2", bytes.fromhex(s["gappy_conv"]))
    for c in (json.loads(l) for l in open(os.path.join(VEC, "lib0.jsonl")) if l.strip()):
        if c["op"] == "any":
            put("fuzz_any", bytes.fromhex(c["hex"]))
        elif c["op"] in ("json", "json_parse"):
            put("fuzz_any", c["text"].encode("utf-8"))
    # y-protocols messages made by the real npm packages (tests/vectors/sync.json).
    sync = json.load(open(os.path.join(VEC, "sync.json")))
    for v in sync["sync"]:
        put("fuzz_sync_message", bytes.fromhex(v["frame"].replace(" ", "")))
        if "step1" in v:
            put("fuzz_sync_message", bytes.fromhex(v["step1"].replace(" ", "")))
    for v in sync["awareness"]:
        if v.get("apply"):
            a = bytes.fromhex(v["apply"].replace(" ", ""))
            put("fuzz_sync_message", bytes([1]) + varuint(len(a)) + a)
        if v.get("states"):  # a whole awareness frame
            put("fuzz_sync_message", bytes.fromhex(v["states"].replace(" ", "")))
        if v.get("event") and v["event"].get("broadcast"):
            put("fuzz_sync_message", bytes.fromhex(v["event"]["broadcast"].replace(" ", "")))
    put("fuzz_sync_message", bytes([3]))  # query awareness
    for s in updates:
        b = bytes.fromhex(s["v1"])
        if len(b) <= 200:
            put("fuzz_sync_message", bytes([0, 2]) + varuint(len(b)) + b)
    ws_frame_corpus()


def ws_frame(opcode, payload, fin=True, rsv1=False, mask=b"\x12\x34\x56\x78", length_form=None):
    """One client frame (masked unless mask is None); length_form forces 126/127."""
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    m = 0x80 if mask is not None else 0
    if length_form == 127 or n > 0xFFFF:
        head = bytes([b0, m | 127]) + n.to_bytes(8, "big")
    elif length_form == 126 or n >= 126:
        head = bytes([b0, m | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, m | n])
    if mask is None:
        return head + payload
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def deflated(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4]


def ws_frame_corpus():
    """fuzz_ws_frame: byte 0 = flags (bit 0 deflate, bits 1-7 read size), then client bytes."""
    t = "fuzz_ws_frame"
    update = bytes([0, 2, 5, 1, 1, 0, 0, 0])
    text = "héllo wörld ".encode() * 20
    close = ws_frame(8, (1000).to_bytes(2, "big") + b"bye")
    cases = [
        (0, ws_frame(2, update) + ws_frame(1, b"hi") + close),
        (0, ws_frame(2, b"ab", fin=False) + ws_frame(9, b"ping") + ws_frame(0, b"cd", fin=False) + ws_frame(0, b"ef")),
        (0, ws_frame(10, b"") + ws_frame(9, b"x" * 125) + ws_frame(8, b"")),
        (1, ws_frame(2, deflated(text * 3), rsv1=True) + ws_frame(2, update) + close),
        (1, ws_frame(1, deflated(text)[:10], fin=False, rsv1=True) + ws_frame(0, deflated(text)[10:])),
        (1, ws_frame(2, deflated(bytes(100000)), rsv1=True)),  # inflates past the limit
        (0, ws_frame(2, b"x" * 300, length_form=127)),  # length not minimal
        (0, ws_frame(2, b"x" * 5000)),  # over the limit
        (0, ws_frame(2, b"unmasked", mask=None)),
        (0, bytes([0xA2, 0x80]) + b"\0\0\0\0"),  # RSV2
        (0, ws_frame(3, b"")),  # reserved opcode
        (0, ws_frame(1, b"\xc0\xaf")),  # overlong UTF-8
        (0, ws_frame(0, b"orphan")),
        (0, ws_frame(9, b"", fin=False)),
        (0, ws_frame(8, (1005).to_bytes(2, "big"))),
        (1, ws_frame(2, b"\xff\xff\xff", rsv1=True)),  # corrupt deflate data
    ]
    for flags, data in cases:
        for step in (0, 3):
            put(t, bytes([flags | (step << 1)]) + data)


def varuint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


if __name__ == "__main__":
    main()
