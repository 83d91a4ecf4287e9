package io.spool.sys;

import static io.spool.sys.Native.C;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Socket system calls. Every descriptor is created non-blocking and
 * close-on-exec: blocking channel operations wait in poll(2) instead, so
 * that a close or an interrupt can wake them (see io.spool.channels).
 */
public final class Sockets {
    private static final ThreadLocal<ByteBuffer> OPT =
            ThreadLocal.withInitial(() -> Memory.allocate(16));

    private Sockets() {
    }

    private static final class Ipv6 {
        static final boolean AVAILABLE = probe();

        private static boolean probe() {
            if (Boolean.parseBoolean(Privileged.property("java.net.preferIPv4Stack", "false"))) {
                return false;
            }
            int fd = C.socket(Linux.AF_INET6, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return false; // a kernel without IPv6
            }
            IO.closeQuietly(fd);
            return true;
        }
    }

    /**
     * The JDK's Net.isIPv6Available(): the kernel has IPv6 and
     * -Djava.net.preferIPv4Stack=true was not given (read once, as the JDK).
     */
    public static boolean ipv6Available() {
        return Ipv6.AVAILABLE;
    }

    /** A new non-blocking socket; AF_INET6 ones are dual-stack, as the JDK's. */
    public static int socket(int family, int type) throws IOException {
        Counters.call();
        int fd = C.socket(family, type | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        if (family == Linux.AF_INET6) {
            try {
                setInt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_V6ONLY, 0);
            } catch (IOException e) {
                IO.closeQuietly(fd);
                throw e;
            }
        }
        return fd;
    }

    public static void bind(int fd, int family, InetAddress ia, int port) throws IOException {
        SockAddr sa = SockAddr.local();
        int len = sa.encode(family, ia, port);
        Counters.call();
        if (C.bind(fd, sa.address(), len) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
    }

    /** bind(2) of a UNIX socket to a path (see {@link SockAddr#unixPathBytes}). */
    public static void bindUnix(int fd, Path path) throws IOException {
        SockAddr sa = SockAddr.local();
        int len = sa.encodeUnix(SockAddr.unixPathBytes(path));
        Counters.call();
        if (C.bind(fd, sa.address(), len) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
    }

    /**
     * connect(2) of a UNIX socket, which never goes on in the background:
     * 1 when connected. When the listener's backlog is full the kernel
     * refuses a non-blocking socket with EAGAIN: for a blocking channel
     * this returns {@link IO#UNAVAILABLE} (try again later, as the JDK's
     * blocking connect waits), for a non-blocking one it throws, as the JDK.
     */
    public static int connectUnix(int fd, Path path, boolean blocking) throws IOException {
        SockAddr sa = SockAddr.local();
        int len = sa.encodeUnix(SockAddr.unixPathBytes(path));
        for (;;) {
            Counters.call();
            if (C.connect(fd, sa.address(), len) == 0) {
                return 1;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN && blocking) {
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.socket(e);
        }
    }

    /**
     * listen(2). Returns the backlog the kernel applies: {@code backlog},
     * capped at net.core.somaxconn as read when first needed (4,096, the
     * kernel's default since 5.4, if it cannot be read).
     */
    public static int listen(int fd, int backlog) throws IOException {
        Counters.call();
        if (C.listen(fd, backlog) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        return Math.min(backlog, Somaxconn.VALUE);
    }

    private static final class Somaxconn {
        static final int VALUE = read();

        private static int read() {
            try {
                return Integer.parseInt(Privileged.firstLine("/proc/sys/net/core/somaxconn"));
            } catch (IOException | RuntimeException e) {
                return 4096;
            }
        }
    }

    /**
     * accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC. Returns the new fd (its
     * peer is then in {@link SockAddr#local()}) or {@link IO#UNAVAILABLE}.
     * ECONNABORTED is retried, as the JDK does.
     */
    public static int accept(int fd) throws IOException {
        SockAddr sa = SockAddr.local();
        for (;;) {
            Counters.call();
            int nfd = C.accept4(fd, sa.address(), sa.lenAddress(),
                    Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC);
            if (nfd >= 0) {
                Counters.ACCEPTS.increment();
                return nfd;
            }
            int e = Native.errno();
            if (e == Errno.EINTR || e == Errno.ECONNABORTED) {
                continue;
            }
            if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.io(e);
        }
    }

    /** connect(2): 1 when connected, {@link IO#UNAVAILABLE} when in progress. */
    public static int connect(int fd, int family, InetAddress ia, int port) throws IOException {
        SockAddr sa = SockAddr.local();
        int len = sa.encode(family, ia, port);
        for (;;) {
            Counters.call();
            if (C.connect(fd, sa.address(), len) == 0) {
                return 1;
            }
            int e = Native.errno();
            if (e == Errno.EINPROGRESS) {
                return IO.UNAVAILABLE;
            }
            if (e == Errno.EINTR) {
                // the connection continues in the background
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.socket(e);
        }
    }

    /**
     * Whether a pending connect finished; throws its error if it failed
     * (the JDK's Net.pollConnectNow).
     */
    public static boolean pollConnect(int fd) throws IOException {
        int rev = IO.poll(fd, Linux.POLLOUT, -1, 0);
        if (rev == 0) {
            return false;
        }
        int err = getInt(fd, Linux.SOL_SOCKET, Linux.SO_ERROR);
        if (err != 0) {
            throw NativeErrors.socket(err);
        }
        return true;
    }

    public static InetSocketAddress localAddress(int fd) throws IOException {
        return sockName(fd).decode();
    }

    /** The peer's address, or null when not connected. */
    public static InetSocketAddress remoteAddress(int fd) throws IOException {
        SockAddr sa = peerName(fd);
        return sa == null ? null : sa.decode();
    }

    /** The local address of a UNIX socket (the empty path when unnamed). */
    public static UnixDomainSocketAddress unixLocalAddress(int fd) throws IOException {
        return sockName(fd).decodeUnix();
    }

    /** The peer's address of a UNIX socket, or null when not connected. */
    public static UnixDomainSocketAddress unixRemoteAddress(int fd) throws IOException {
        SockAddr sa = peerName(fd);
        return sa == null ? null : sa.decodeUnix();
    }

    /** getsockname(2) into this thread's {@link SockAddr}. */
    private static SockAddr sockName(int fd) throws IOException {
        SockAddr sa = SockAddr.local();
        Counters.call();
        if (C.getsockname(fd, sa.address(), sa.lenAddress()) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        return sa;
    }

    /** getpeername(2) into this thread's {@link SockAddr}; null when not connected. */
    private static SockAddr peerName(int fd) throws IOException {
        SockAddr sa = SockAddr.local();
        Counters.call();
        if (C.getpeername(fd, sa.address(), sa.lenAddress()) < 0) {
            int e = Native.errno();
            if (e == Errno.ENOTCONN) {
                return null;
            }
            throw NativeErrors.socket(e);
        }
        return sa;
    }

    /** shutdown(2); ENOTCONN is ignored, as the JDK does. */
    public static void shutdown(int fd, int how) throws IOException {
        Counters.call();
        if (C.shutdown(fd, how) < 0) {
            int e = Native.errno();
            if (e != Errno.ENOTCONN) {
                throw NativeErrors.socket(e);
            }
        }
    }

    public static void setInt(int fd, int level, int name, int value) throws IOException {
        ByteBuffer b = OPT.get();
        b.putInt(0, value);
        Counters.call();
        if (C.setsockopt(fd, level, name, Memory.address(b), 4) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
    }

    public static int getInt(int fd, int level, int name) throws IOException {
        ByteBuffer b = OPT.get();
        b.putInt(0, 0);
        b.putInt(8, 4);
        long a = Memory.address(b);
        Counters.call();
        if (C.getsockopt(fd, level, name, a, a + 8) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        return b.getInt(0);
    }

    /**
     * A socket's free send buffer as the kernel counts it
     * (sk_stream_wspace: SO_SNDBUF less the bytes queued with their
     * overhead), from SO_MEMINFO; its SO_SNDBUF into {@code sndbuf[0]}.
     */
    public static int sendBufferFree(int fd, int[] sndbuf) throws IOException {
        ByteBuffer b = MEMINFO.get();
        b.putInt(64, 64);
        long a = Memory.address(b);
        Counters.call();
        if (C.getsockopt(fd, Linux.SOL_SOCKET, Linux.SO_MEMINFO, a, a + 64) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        sndbuf[0] = b.getInt(3 * 4);
        return b.getInt(3 * 4) - b.getInt(5 * 4);
    }

    private static final ThreadLocal<ByteBuffer> MEMINFO = ThreadLocal.withInitial(() -> Memory.allocate(72));

    /**
     * SO_PEERCRED of a UNIX socket: the peer's credentials when it
     * connected, as the uid in the high 32 bits and the gid in the low
     * ones (the JDK's getSoPeerCred0).
     */
    public static long peerCredentials(int fd) throws IOException {
        ByteBuffer b = OPT.get();
        b.putLong(0, 0);
        b.putInt(8, 0);
        b.putInt(12, 12); // struct ucred: pid, uid, gid
        long a = Memory.address(b);
        Counters.call();
        if (C.getsockopt(fd, Linux.SOL_SOCKET, Linux.SO_PEERCRED, a, a + 12) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        return ((long) b.getInt(4) << 32) | (b.getInt(8) & 0xffffffffL);
    }

    /** SO_LINGER as the JDK reports it: -1 when off, else the seconds. */
    public static int getLinger(int fd) throws IOException {
        ByteBuffer b = OPT.get();
        b.putLong(0, 0);
        b.putInt(8, 8);
        long a = Memory.address(b);
        Counters.call();
        if (C.getsockopt(fd, Linux.SOL_SOCKET, Linux.SO_LINGER, a, a + 8) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
        return b.getInt(0) == 0 ? -1 : b.getInt(4);
    }

    /** SO_LINGER: a negative value turns it off. */
    public static void setLinger(int fd, int seconds) throws IOException {
        ByteBuffer b = OPT.get();
        b.putInt(0, seconds >= 0 ? 1 : 0);
        b.putInt(4, Math.max(seconds, 0));
        Counters.call();
        if (C.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_LINGER, Memory.address(b), 8) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
    }

    /**
     * Resets a TCP connection now, whatever other descriptors share the
     * socket: connect(2) with AF_UNSPEC disconnects it, and the kernel sends
     * a RST (tcp_disconnect).
     */
    public static void abort(int fd) throws IOException {
        ByteBuffer b = OPT.get();
        b.putLong(0, 0);
        b.putLong(8, 0);
        Counters.call();
        if (C.connect(fd, Memory.address(b), 16) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
    }

    /** Bytes waiting in the receive queue (FIONREAD). */
    public static int available(int fd) throws IOException {
        ByteBuffer b = OPT.get();
        b.putInt(0, 0);
        int r = IO.ioctl(fd, Linux.FIONREAD, Memory.address(b));
        if (r < 0) {
            throw NativeErrors.io(-r);
        }
        return b.getInt(0);
    }

    /** send(2) of one byte of urgent data. */
    public static int sendOOB(int fd, byte data) throws IOException {
        ByteBuffer b = OPT.get();
        b.put(0, data);
        for (;;) {
            Counters.call();
            long n = C.sendto(fd, Memory.address(b), 1, Linux.MSG_OOB, 0, 0);
            if (n >= 0) {
                return (int) n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN) {
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.socket(e);
        }
    }

    /**
     * recvfrom(2) of one datagram into native memory; the sender is then in
     * {@link SockAddr#local()}. Returns the size or {@link IO#UNAVAILABLE}.
     */
    public static int receive(int fd, long address, int len, boolean connected) throws IOException {
        SockAddr sa = SockAddr.local();
        for (;;) {
            Counters.call();
            long n = C.recvfrom(fd, address, len, 0, sa.address(), sa.lenAddress());
            if (n >= 0) {
                Counters.BYTES_READ.add(n);
                return (int) n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN) {
                return IO.UNAVAILABLE;
            }
            if (e == Errno.ECONNREFUSED && !connected) {
                continue; // ICMP error of an earlier send: the JDK ignores it here
            }
            throw NativeErrors.datagram(e);
        }
    }

    /** sendto(2) of one datagram; returns the size or {@link IO#UNAVAILABLE}. */
    public static int send(int fd, long address, int len, int family, InetAddress ia, int port)
            throws IOException {
        SockAddr sa = SockAddr.local();
        int alen = ia == null ? 0 : sa.encode(family, ia, port);
        for (;;) {
            Counters.call();
            long n = C.sendto(fd, address, len, 0, ia == null ? 0 : sa.address(), alen);
            if (n >= 0) {
                Counters.BYTES_WRITTEN.add(n);
                return (int) n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN) {
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.datagram(e);
        }
    }
}
