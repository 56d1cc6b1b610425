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


if __name__ == "__main__":
    main()
