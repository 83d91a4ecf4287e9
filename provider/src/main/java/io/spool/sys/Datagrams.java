package io.spool.sys;

import static io.spool.sys.Native.C;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.PortUnreachableException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Datagram-socket calls: send and receive with the sender's address, read
 * and write on a connected socket with the JDK's DatagramDispatcher
 * results (an empty datagram reads as EOF, ECONNREFUSED is a
 * PortUnreachableException), disconnect, and the multicast interface.
 */
public final class Datagrams {
    /** A zeroed sockaddr (family AF_UNSPEC) for disconnect; never written. */
    private static final ByteBuffer UNSPEC = Memory.allocate(SockAddr.SIZE);

    private Datagrams() {
    }

    /** struct msghdr (56 bytes) and its one struct iovec (16), per thread. */
    private static final int MSGHDR_SIZE = 56;
    private static final ThreadLocal<ByteBuffer> MSG =
            ThreadLocal.withInitial(() -> Memory.allocate(MSGHDR_SIZE + 16));

    /** A msghdr for one buffer and the address buffer {@code name} of {@code namelen} bytes. */
    private static long msghdr(long address, int len, long name, int namelen) {
        ByteBuffer m = MSG.get();
        long base = Memory.address(m);
        m.putLong(0, name);
        m.putLong(8, namelen); // socklen_t and its padding
        m.putLong(16, base + MSGHDR_SIZE);
        m.putLong(24, 1);
        m.putLong(32, 0);
        m.putLong(40, 0);
        m.putLong(48, 0);
        m.putLong(MSGHDR_SIZE, address);
        m.putLong(MSGHDR_SIZE + 8, len);
        return base;
    }

    /**
     * recvmsg(2) of one datagram into native memory (truncated to len); the
     * sender is then in {@link SockAddr#local()}. Returns the size or
     * {@link IO#UNAVAILABLE}. ECONNREFUSED (an ICMP error of an earlier
     * send) is skipped when not connected and a PortUnreachableException
     * when connected, as the JDK's receive0.
     */
    public static int receive(int fd, long address, int len, boolean connected) throws IOException {
        SockAddr sa = SockAddr.local();
        for (;;) {
            long msg = msghdr(address, len, sa.address(), SockAddr.SIZE);
            Counters.call();
            long n = C.recvmsg(fd, msg, 0);
            if (n >= 0) {
                Counters.BYTES_READ.add(n);
                return (int) n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR || (e == Errno.ECONNREFUSED && !connected)) {
                continue;
            }
            if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.datagram(e);
        }
    }

    /** sendmsg(2) of one datagram to ia:port; the size or {@link IO#UNAVAILABLE}. */
    public static int send(int fd, long address, int len, int family, InetAddress ia, int port)
            throws IOException {
        SockAddr sa = SockAddr.local();
        int alen = sa.encode(family, ia, port);
        for (;;) {
            long msg = msghdr(address, len, sa.address(), alen);
            Counters.call();
            long n = C.sendmsg(fd, msg, Linux.MSG_NOSIGNAL);
            if (n >= 0) {
                Counters.BYTES_WRITTEN.add(n);
                return (int) n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                return IO.UNAVAILABLE;
            }
            throw NativeErrors.datagram(e);
        }
    }

    /** read(2) of one datagram: a count, {@link IO#EOF} for an empty one, or {@link IO#UNAVAILABLE}. */
    public static int read(int fd, long address, int len) throws IOException {
        for (;;) {
            Counters.call();
            long n = C.read(fd, address, len);
            if (n > 0) {
                Counters.BYTES_READ.add(n);
                return (int) n;
            }
            if (n == 0) {
                return IO.EOF; // the JDK's convertReturnVal: 0 read is EOF, even for a datagram
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                return IO.UNAVAILABLE;
            }
            throw error(e);
        }
    }

    /** write(2) of one datagram: the count or {@link IO#UNAVAILABLE}. */
    public static int write(int fd, long address, int len) throws IOException {
        for (;;) {
            Counters.call();
            long n = C.write(fd, address, len);
            if (n >= 0) {
                Counters.BYTES_WRITTEN.add(n);
                return (int) n;
            }
            int e = Native.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN || e == Errno.EWOULDBLOCK) {
                return IO.UNAVAILABLE;
            }
            throw error(e);
        }
    }

    private static IOException error(int e) {
        if (e == Errno.ECONNREFUSED) {
            return new PortUnreachableException();
        }
        return NativeErrors.io(e);
    }

    /** connect(2) to AF_UNSPEC: dissolves the association (the JDK's disconnect0). */
    public static void disconnect(int fd, boolean ipv6) throws IOException {
        Counters.call();
        if (C.connect(fd, Memory.address(UNSPEC), ipv6 ? 28 : 16) < 0) {
            throw NativeErrors.socket(Native.errno());
        }
    }

    /** IP_MULTICAST_IF: the interface's IPv4 address (an in_addr, network order). */
    public static void setInterface4(int fd, Inet4Address ia) throws IOException {
        int v = ByteBuffer.wrap(ia.getAddress()).order(ByteOrder.nativeOrder()).getInt();
        Sockets.setInt(fd, Linux.IPPROTO_IP, Linux.IP_MULTICAST_IF, v);
    }

    /** IP_MULTICAST_IF as set, or null for the default (INADDR_ANY). */
    public static Inet4Address getInterface4(int fd) throws IOException {
        int v = Sockets.getInt(fd, Linux.IPPROTO_IP, Linux.IP_MULTICAST_IF);
        if (v == 0) {
            return null;
        }
        byte[] a = new byte[4];
        ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).putInt(v);
        try {
            return (Inet4Address) InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** IPV6_MULTICAST_IF: an interface index, 0 for the default. */
    public static void setInterface6(int fd, int index) throws IOException {
        Sockets.setInt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_MULTICAST_IF, index);
    }

    public static int getInterface6(int fd) throws IOException {
        return Sockets.getInt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_MULTICAST_IF);
    }
}
