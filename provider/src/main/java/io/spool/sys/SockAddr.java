package io.spool.sys;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * struct sockaddr_in / sockaddr_in6 / sockaddr_un in native memory, by
 * manual layout: family (host order u16), then for IPv4 and IPv6 the port
 * (network order u16), for IPv4 the address, for IPv6 flowinfo, the
 * address and scope_id; for UNIX the path (sun_path, 108 bytes). One per
 * thread, with room for a socklen_t behind it.
 */
public final class SockAddr {
    public static final int SIZE = 128;
    private static final int LEN_OFFSET = SIZE;

    private final ByteBuffer buf = Memory.allocate(SIZE + 8);
    private final long address = Memory.address(buf);

    private static final ThreadLocal<SockAddr> LOCAL = ThreadLocal.withInitial(SockAddr::new);

    /** This thread's sockaddr scratch space. */
    public static SockAddr local() {
        return LOCAL.get();
    }

    public long address() {
        return address;
    }

    /** Address of a socklen_t holding SIZE, for accept/getsockname/recvfrom. */
    public long lenAddress() {
        buf.putInt(LEN_OFFSET, SIZE);
        return address + LEN_OFFSET;
    }

    /**
     * Writes isa for a socket of the given family; an IPv4 address on an
     * AF_INET6 socket becomes IPv4-mapped. Returns the length.
     */
    public int encode(int family, InetAddress ia, int port) {
        for (int i = 0; i < 28; i++) {
            buf.put(i, (byte) 0);
        }
        if (family == Linux.AF_INET) {
            buf.putShort(0, (short) Linux.AF_INET);
            putPort(port);
            byte[] a = ia.getAddress();
            for (int i = 0; i < 4; i++) {
                buf.put(4 + i, a[i]);
            }
            return 16;
        }
        buf.putShort(0, (short) Linux.AF_INET6);
        putPort(port);
        byte[] a = ia.getAddress();
        if (a.length == 4 && ia.isAnyLocalAddress()) {
            // the JDK binds the IPv4 wildcard on a dual-stack socket as ::
            return 28;
        } else if (a.length == 4) {
            buf.put(18, (byte) 0xff);
            buf.put(19, (byte) 0xff);
            for (int i = 0; i < 4; i++) {
                buf.put(20 + i, a[i]);
            }
        } else {
            for (int i = 0; i < 16; i++) {
                buf.put(8 + i, a[i]);
            }
            if (ia instanceof Inet6Address) {
                buf.putInt(24, ((Inet6Address) ia).getScopeId());
            }
        }
        return 28;
    }

    private void putPort(int port) {
        buf.put(2, (byte) (port >> 8));
        buf.put(3, (byte) port);
    }

    /**
     * The longest UNIX socket path, in bytes, as the JDK takes it:
     * sizeof(sun_path) - 1, so that the path always ends in a NUL.
     */
    public static final int UNIX_PATH_MAX = 107;
    private static final int SUN_PATH = 2;

    /** The charset of file names, as the JDK's (sun.jnu.encoding). */
    private static final class Jnu {
        static final Charset CHARSET = charset();

        private static Charset charset() {
            try {
                return Charset.forName(Privileged.property("sun.jnu.encoding", null));
            } catch (RuntimeException e) {
                return Charset.defaultCharset();
            }
        }
    }

    /**
     * A path's bytes as the JDK passes them to the kernel
     * (getSunPathForSocketFile): the file-name encoding of its normal
     * form. The empty path stays empty: its sockaddr_un of 3 bytes names
     * the abstract socket "\0", as the JDK's does.
     */
    public static byte[] unixPathBytes(Path path) {
        return path.toString().getBytes(Jnu.CHARSET);
    }

    /**
     * Writes a sockaddr_un for path (bytes, without the NUL); returns its
     * length as the JDK gives it: the family, the path and the NUL.
     *
     * @throws SocketException the path is longer than {@link #UNIX_PATH_MAX}
     */
    public int encodeUnix(byte[] path) throws SocketException {
        if (path.length > UNIX_PATH_MAX) {
            throw new SocketException("Unix domain path too long");
        }
        for (int i = 0; i < SUN_PATH + UNIX_PATH_MAX + 1; i++) {
            buf.put(i, (byte) 0);
        }
        buf.putShort(0, (short) Linux.AF_UNIX);
        for (int i = 0; i < path.length; i++) {
            buf.put(SUN_PATH + i, path[i]);
        }
        return SUN_PATH + path.length + 1;
    }

    /**
     * Reads the sockaddr_un the kernel wrote, of the length it wrote
     * behind {@link #lenAddress()}: an unnamed socket (length 2) gives
     * the empty path, as the JDK's.
     */
    public UnixDomainSocketAddress decodeUnix() {
        return unixAddress(buf, 0, Math.min(buf.getInt(LEN_OFFSET), SIZE));
    }

    /**
     * The UNIX address in a sockaddr_un of len bytes at b[off]: the path
     * up to its first NUL (the JDK's sockaddrToUnixAddressBytes), or null
     * if it is not AF_UNIX.
     */
    public static UnixDomainSocketAddress unixAddress(ByteBuffer b, int off, int len) {
        if (len < SUN_PATH || (b.getShort(off) & 0xffff) != Linux.AF_UNIX) {
            return null;
        }
        int n = 0;
        while (SUN_PATH + n < len && b.get(off + SUN_PATH + n) != 0) {
            n++;
        }
        byte[] path = new byte[n];
        for (int i = 0; i < n; i++) {
            path[i] = b.get(off + SUN_PATH + i);
        }
        return UnixDomainSocketAddress.of(new String(path, Jnu.CHARSET));
    }

    /** Reads the address written by the kernel; IPv4-mapped IPv6 comes back as IPv4. */
    public InetSocketAddress decode() {
        int family = buf.getShort(0);
        int port = ((buf.get(2) & 0xff) << 8) | (buf.get(3) & 0xff);
        try {
            if (family == Linux.AF_INET) {
                byte[] a = new byte[4];
                for (int i = 0; i < 4; i++) {
                    a[i] = buf.get(4 + i);
                }
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            }
            if (family == Linux.AF_INET6) {
                byte[] a = new byte[16];
                for (int i = 0; i < 16; i++) {
                    a[i] = buf.get(8 + i);
                }
                int scope = buf.getInt(24);
                InetAddress ia = InetAddress.getByAddress(a); // mapped → Inet4Address
                if (ia instanceof Inet6Address && scope != 0) {
                    ia = Inet6Address.getByAddress(null, a, scope);
                }
                return new InetSocketAddress(ia, port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return null;
    }
}
