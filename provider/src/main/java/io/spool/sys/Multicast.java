package io.spool.sys;

import static io.spool.sys.Native.C;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Multicast group membership and source filters: the setsockopt(2) calls
 * of the JDK's Net.c (joinOrDrop4, blockOrUnblock4, joinOrDrop6,
 * blockOrUnblock6) with its structures and its results, and the options
 * the JDK sets on every datagram socket it creates (socket0).
 *
 * <p>IPv4 groups use {@code struct ip_mreq} (any-source) and
 * {@code struct ip_mreq_source} (source-specific, block, unblock) at
 * IPPROTO_IP, on IPv4 sockets and on IPv6 ones alike: Linux takes IP_*
 * options on an AF_INET6 socket, and the JDK joins an IPv4 group on a
 * dual-stack socket that way. IPv6 groups use {@code struct ipv6_mreq}
 * (any-source) and {@code struct group_source_req} with two
 * {@code sockaddr_in6} (source-specific, block, unblock) at IPPROTO_IPV6.
 * Addresses are passed as the JDK passes them: an IPv4 address as an int
 * in host order, an IPv6 one as its 16 bytes. A join the kernel does not
 * offer (ENOPROTOOPT, EOPNOTSUPP) is {@link IO#UNAVAILABLE}, which the
 * channel turns into UnsupportedOperationException; so is a block.
 */
public final class Multicast {
    private Multicast() {
    }

    /** struct ip_mreq: the group, then the interface's address. */
    public static final int IP_MREQ_SIZE = 8;
    /** struct ip_mreq_source: group, interface, source (in that order on Linux). */
    public static final int IP_MREQ_SOURCE_SIZE = 12;
    public static final int IMR_MULTIADDR = 0;
    public static final int IMR_INTERFACE = 4;
    public static final int IMR_SOURCEADDR = 8;

    /** struct ipv6_mreq: the group's 16 bytes, then the interface index. */
    public static final int IPV6_MREQ_SIZE = 20;
    public static final int IPV6MR_INTERFACE = 16;

    /**
     * struct group_source_req on LP64 (x86-64, arm64): the index, then two
     * struct sockaddr_storage (128 bytes, aligned to 8).
     */
    public static final int GROUP_SOURCE_REQ_SIZE = 264;
    public static final int GSR_INTERFACE = 0;
    public static final int GSR_GROUP = 8;
    public static final int GSR_SOURCE = 136;

    /** struct sockaddr_in6: family, port, flow info, address, scope id. */
    public static final int SIN6_FAMILY = 0;
    public static final int SIN6_ADDR = 8;

    private static final int EOPNOTSUPP = Errno.EOPNOTSUPP;

    /** One request buffer per thread, as large as the largest structure. */
    private static final ThreadLocal<ByteBuffer> REQ =
            ThreadLocal.withInitial(() -> Memory.allocate(GROUP_SOURCE_REQ_SIZE));

    private static ByteBuffer request() {
        ByteBuffer b = REQ.get();
        for (int i = 0; i < GROUP_SOURCE_REQ_SIZE; i += 8) {
            b.putLong(i, 0);
        }
        return b;
    }

    /** An IPv4 address given as an int in host order, stored in network order. */
    private static void putInet4(ByteBuffer b, int offset, int address) {
        b.putInt(offset, b.order() == ByteOrder.BIG_ENDIAN ? address : Integer.reverseBytes(address));
    }

    private static void putInet6(ByteBuffer b, int offset, byte[] address) {
        for (int i = 0; i < 16; i++) {
            b.put(offset + i, address[i]);
        }
    }

    /** A sockaddr_in6 at offset with the address only, as the JDK's initGroupSourceReq. */
    private static void putSockaddr6(ByteBuffer b, int offset, byte[] address) {
        b.putShort(offset + SIN6_FAMILY, (short) Linux.AF_INET6);
        putInet6(b, offset + SIN6_ADDR, address);
    }

    /** setsockopt of the request buffer: 0, or the errno. */
    private static int setsockopt(int fd, int level, int name, ByteBuffer req, int len) {
        Counters.call();
        if (C.setsockopt(fd, level, name, Memory.address(req), len) < 0) {
            return Native.errno();
        }
        return 0;
    }

    /**
     * A call's result as the JDK's Net.c gives it: 0; {@link IO#UNAVAILABLE}
     * for an option the kernel lacks where the caller may say so (a join,
     * a block); else the exception of handleSocketError, or, with a
     * message, of handleSocketErrorWithMessage.
     */
    private static int result(int errno, boolean mayBeUnavailable, String message) throws IOException {
        if (errno == 0) {
            return 0;
        }
        if (mayBeUnavailable && (errno == Errno.ENOPROTOOPT || errno == EOPNOTSUPP)) {
            return IO.UNAVAILABLE;
        }
        throw message == null ? NativeErrors.socket(errno) : withMessage(errno, message);
    }

    /**
     * The JDK's handleSocketErrorWithMessage: the class handleSocketError
     * picks for the errno, with "strerror (message)".
     */
    private static IOException withMessage(int errno, String message) {
        IOException e = NativeErrors.socket(errno);
        String text = NativeErrors.message(errno) + " (" + message + ")";
        try {
            Constructor<? extends IOException> c = e.getClass().getConstructor(String.class);
            return c.newInstance(text);
        } catch (ReflectiveOperationException x) {
            return new SocketException(text);
        }
    }

    // ---- IPv4 groups

    /** Joins (or, join false, leaves) an IPv4 group, any-source when source is 0. */
    public static int joinOrDrop4(boolean join, int fd, int group, int interf, int source) throws IOException {
        ByteBuffer req = request();
        putInet4(req, IMR_MULTIADDR, group);
        putInet4(req, IMR_INTERFACE, interf);
        int opt;
        int len;
        if (source == 0) {
            opt = join ? Linux.IP_ADD_MEMBERSHIP : Linux.IP_DROP_MEMBERSHIP;
            len = IP_MREQ_SIZE;
        } else {
            putInet4(req, IMR_SOURCEADDR, source);
            opt = join ? Linux.IP_ADD_SOURCE_MEMBERSHIP : Linux.IP_DROP_SOURCE_MEMBERSHIP;
            len = IP_MREQ_SOURCE_SIZE;
        }
        return result(setsockopt(fd, Linux.IPPROTO_IP, opt, req, len), join, "setsockopt failed");
    }

    /** Blocks (or, block false, unblocks) a source of an any-source IPv4 membership. */
    public static int blockOrUnblock4(boolean block, int fd, int group, int interf, int source) throws IOException {
        ByteBuffer req = request();
        putInet4(req, IMR_MULTIADDR, group);
        putInet4(req, IMR_INTERFACE, interf);
        putInet4(req, IMR_SOURCEADDR, source);
        int opt = block ? Linux.IP_BLOCK_SOURCE : Linux.IP_UNBLOCK_SOURCE;
        return result(setsockopt(fd, Linux.IPPROTO_IP, opt, req, IP_MREQ_SOURCE_SIZE), block, null);
    }

    // ---- IPv6 groups

    /** Joins (or leaves) an IPv6 group on the interface index, any-source when source is null. */
    public static int joinOrDrop6(boolean join, int fd, byte[] group, int index, byte[] source) throws IOException {
        ByteBuffer req = request();
        int opt;
        int len;
        if (source == null) {
            putInet6(req, 0, group);
            req.putInt(IPV6MR_INTERFACE, index);
            opt = join ? Linux.IPV6_ADD_MEMBERSHIP : Linux.IPV6_DROP_MEMBERSHIP;
            len = IPV6_MREQ_SIZE;
        } else {
            groupSourceReq(req, group, index, source);
            opt = join ? Linux.MCAST_JOIN_SOURCE_GROUP : Linux.MCAST_LEAVE_SOURCE_GROUP;
            len = GROUP_SOURCE_REQ_SIZE;
        }
        return result(setsockopt(fd, Linux.IPPROTO_IPV6, opt, req, len), join, "setsockopt failed");
    }

    /** Blocks (or unblocks) a source of an any-source IPv6 membership. */
    public static int blockOrUnblock6(boolean block, int fd, byte[] group, int index, byte[] source)
            throws IOException {
        ByteBuffer req = request();
        groupSourceReq(req, group, index, source);
        int opt = block ? Linux.MCAST_BLOCK_SOURCE : Linux.MCAST_UNBLOCK_SOURCE;
        return result(setsockopt(fd, Linux.IPPROTO_IPV6, opt, req, GROUP_SOURCE_REQ_SIZE), block, null);
    }

    private static void groupSourceReq(ByteBuffer req, byte[] group, int index, byte[] source) {
        req.putInt(GSR_INTERFACE, index);
        putSockaddr6(req, GSR_GROUP, group);
        putSockaddr6(req, GSR_SOURCE, source);
    }

    // ---- a new datagram socket

    /**
     * What the JDK's socket0 sets on a datagram socket it creates, on
     * Linux: IP_MULTICAST_ALL off on an IPv4 socket (a socket receives
     * only the groups it joined itself, not every group joined on the
     * host); on an IPv6 socket IPV6_MULTICAST_HOPS 1 and, when
     * {@code ipv6MulticastAllOff} (the JDKs with JDK-8241800), also
     * IPV6_MULTICAST_ALL off. Only an old kernel may lack the *_ALL options
     * (ENOPROTOOPT), which is ignored. A failure is a SocketException with
     * the C library's text, as the JDK's.
     */
    public static void initDatagramSocket(int fd, boolean ipv6, boolean ipv6MulticastAllOff) throws IOException {
        ByteBuffer req = request();
        if (!ipv6) {
            int e = setsockopt(fd, Linux.IPPROTO_IP, Linux.IP_MULTICAST_ALL, req, 4);
            if (e != 0 && e != Errno.ENOPROTOOPT) {
                throw new SocketException(NativeErrors.message(e));
            }
            return;
        }
        req.putInt(0, 1);
        int e = setsockopt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_MULTICAST_HOPS, req, 4);
        if (e != 0) {
            throw new SocketException(NativeErrors.message(e));
        }
        if (ipv6MulticastAllOff) {
            req.putInt(0, 0);
            e = setsockopt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_MULTICAST_ALL, req, 4);
            if (e != 0 && e != Errno.ENOPROTOOPT) {
                throw new SocketException(NativeErrors.message(e));
            }
        }
    }
}
