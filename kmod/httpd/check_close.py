#!/usr/bin/env python3
"""Connection-end checks for httpd_epoll/httpd_spool (used by kmod/vm/bench-c.sh).

  check_close.py PORT

Prints one line per check ("ok ..." or "FAIL ...") and exits 1 if any failed.
  1. request, then shutdown(SHUT_WR): one answer, then EOF from the server
  2. connect, shutdown(SHUT_WR) without a request: EOF from the server soon
     (spool: the fd is closed while registered; the stale registration
     must be dropped by the next cycle, not after the 1 s sweep)
  3. request, then RST (SO_LINGER 0): the server goes on serving
  4. 200 connections opened, each sends one request and closes with
     Connection: close; all get their answer and EOF
"""
import socket
import struct
import sys
import time

PORT = int(sys.argv[1])
REQ = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
failed = 0


def report(ok, msg):
    global failed
    print(("ok   " if ok else "FAIL ") + msg, flush=True)
    if not ok:
        failed += 1


def conn():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    return s


def read_all(s):
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b


def check(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report any failure
        report(False, f"{name}: {e!r}")


def half_close_after_request():
    s = conn()
    s.sendall(REQ)
    s.shutdown(socket.SHUT_WR)
    t = time.monotonic()
    data = read_all(s)
    dt = time.monotonic() - t
    s.close()
    n = data.count(b"HTTP/1.1 200 OK")
    report(n == 1 and dt < 0.9,
           f"request + shutdown(WR): {n} answer(s), EOF after {dt:.2f} s")


def half_close_idle():
    s = conn()
    time.sleep(0.2)
    s.shutdown(socket.SHUT_WR)
    t = time.monotonic()
    data = read_all(s)
    dt = time.monotonic() - t
    s.close()
    report(data == b"" and dt < 0.9,
           f"idle shutdown(WR): EOF after {dt:.2f} s, {len(data)} bytes")


def reset_then_serve():
    s = conn()
    s.sendall(REQ * 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    time.sleep(0.2)
    s = conn()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_all(s)
    s.close()
    report(data.startswith(b"HTTP/1.1 200 OK"),
           "RST with 20 requests in flight, then a new request is served")


def many_close():
    socks = [conn() for _ in range(200)]
    for s in socks:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    t = time.monotonic()
    good = 0
    for s in socks:
        d = read_all(s)
        good += d.startswith(b"HTTP/1.1 200 OK") and d.count(b"HTTP/1.1") == 1
        s.close()
    dt = time.monotonic() - t
    report(good == 200,
           f"200 connections with Connection: close: {good} answered and "
           f"closed in {dt:.2f} s")


check("half close", half_close_after_request)
check("idle half close", half_close_idle)
check("reset", reset_then_serve)
check("many close", many_close)
sys.exit(1 if failed else 0)
