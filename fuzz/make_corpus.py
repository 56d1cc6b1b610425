#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from tests/vectors/*.jsonl.

Files are named by the SHA-1 of their content, as libFuzzer names them.
Run from anywhere: python3 fuzz/make_corpus.py
"""
import hashlib
import json
import os

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


def varuint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


if __name__ == "__main__":
    main()
