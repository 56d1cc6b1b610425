#!/usr/bin/env python3
"""A v1 state of N clients with one struct each, each struct's origin the
previous client's (a document every session appends to, each session a new
client), written straight in the wire format (yjs src/utils/encoding.js):
the clients are listed in descending order, as yjs writes them, and client
1001's character is deleted. Weft once took a pass over all clients per
client for it (bench/RESULTS.md, Session 13).

    python3 bench/many_clients_gen.py 200000 /tmp/chain-200k.bin
    build/apps/weft bench tombstones /tmp/chain-200k.bin
    node bench/tombstones_yjs.mjs /tmp/chain-200k.bin
"""
import sys


def var_uint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def var_string(s):
    b = s.encode()
    return var_uint(len(b)) + b


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 2:
        sys.exit("usage: many_clients_gen.py N FILE  (N >= 2)")
    n, path = int(sys.argv[1]), sys.argv[2]
    out = bytearray(var_uint(n))
    for c in range(n, 0, -1):
        client = 1000 + c
        out += var_uint(1) + var_uint(client) + var_uint(0)  # one struct at clock 0
        if c == 1:
            out += bytes([4]) + var_uint(1) + var_string("text")  # string, parent: root "text"
        else:
            out += bytes([4 | 0x80]) + var_uint(client - 1) + var_uint(0)  # string with an origin
        out += var_string("é")
    out += var_uint(1) + var_uint(1001) + var_uint(1) + var_uint(0) + var_uint(1)  # delete set
    with open(path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
