"""Holds N idle event streams open on one vireod, for the memory figure of
tests/bench/run.sh: prints "ready N" once every stream was answered 200 and
gave its opening, then waits until killed.
Usage: streams.py PORT N  (the API token comes on stdin, not the command line)"""

import socket
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    token = sys.stdin.readline().strip()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Authorization: Bearer %s\r\n\r\n" % token).encode())
        socks.append(s)
    for s in socks:
        s.settimeout(30)
        head = b""
        while b"retry:" not in head:
            chunk = s.recv(4096)
            if not chunk:
                sys.exit("a stream closed: %r" % head[:200])
            head += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            sys.exit("a stream was refused: %r" % head[:200])
    print("ready %d" % len(socks), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
