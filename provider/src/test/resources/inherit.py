#!/usr/bin/python3
# Starts a command with a socket on its fd 0, as inetd or systemd socket
# activation do, for FreshJvm's "inherited" scenario:
#   inherit.py MODE COMMAND...
# MODE: connected (a TCP connection whose peer sent "hello" and prints what
# comes back), listener (a listening TCP socket), datagram (a UDP socket
# holding one datagram "ping"), unix-connected (a UNIX stream connection
# whose peer, bound to the path "peer", sent "hello"), unix-listener (a
# listening UNIX socket bound to the path "lsn"), none (stdin is /dev/null).
import os
import shutil
import socket
import sys
import tempfile

mode, cmd = sys.argv[1], sys.argv[2:]
keep = None
if mode == "connected":
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(1)
    keep = socket.create_connection(lsn.getsockname())
    conn, _ = lsn.accept()
    lsn.close()
    keep.sendall(b"hello")
    fd = conn.fileno()
elif mode == "listener":
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(8)
    fd = lsn.fileno()
elif mode == "datagram":
    rcv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rcv.bind(("127.0.0.1", 0))
    snd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    snd.sendto(b"ping", rcv.getsockname())
    snd.close()
    fd = rcv.fileno()
elif mode == "unix-connected":
    tmp = tempfile.mkdtemp(prefix="spool-inherit")
    lsn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsn.bind(os.path.join(tmp, "lsn"))
    lsn.listen(1)
    keep = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    keep.bind(os.path.join(tmp, "peer"))
    keep.connect(os.path.join(tmp, "lsn"))
    conn, _ = lsn.accept()
    lsn.close()
    keep.sendall(b"hello")
    fd = conn.fileno()
elif mode == "unix-listener":
    tmp = tempfile.mkdtemp(prefix="spool-inherit")
    lsn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsn.bind(os.path.join(tmp, "lsn"))
    lsn.listen(8)
    fd = lsn.fileno()
elif mode == "none":
    fd = os.open("/dev/null", os.O_RDONLY)
else:
    sys.exit("unknown mode " + mode)

pid = os.fork()
if pid == 0:
    os.dup2(fd, 0)
    if keep is not None:
        keep.close()
    os.execvp(cmd[0], cmd)
os.close(fd)
_, status = os.waitpid(pid, 0)
if keep is not None:
    keep.settimeout(10)
    got = b""
    try:
        while True:
            b = keep.recv(64)
            if not b:
                break
            got += b
    except OSError as e:
        got += ("<%s>" % type(e).__name__).encode()
    print("peer got -> " + got.decode(), flush=True)
if mode.startswith("unix-"):
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(os.waitstatus_to_exitcode(status))
