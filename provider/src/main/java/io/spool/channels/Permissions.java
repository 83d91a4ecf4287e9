package io.spool.channels;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetPermission;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * The SecurityManager's checks, where and as the JDK's channels make them
 * (sun.nio.ch.Net, UnixDomainSockets, InheritedChannel, SocketChannelImpl
 * and the rest): connect, listen, accept, multicast, UNIX domain socket
 * access, and the local address revealed only to code that may resolve
 * it. A denial is the SecurityException the SecurityManager throws
 * (AccessControlException), before any system call, as the JDK's.
 *
 * <p>The other side, what SPOOL does for itself, is
 * {@link io.spool.sys.Privileged}.
 *
 * <p>The SecurityManager exists up to JDK 23; on 24 and later
 * System.getSecurityManager() is always null.
 */
@SuppressWarnings("removal")
final class Permissions {
    private Permissions() {
    }

    private static final NetPermission UNIX = new NetPermission("accessUnixDomainSocket");

    static SecurityManager manager() {
        return System.getSecurityManager();
    }

    /** Net.checkAddress's caller checks: may this code connect to isa? */
    static void checkConnect(InetSocketAddress isa) {
        SecurityManager sm = manager();
        if (sm != null) {
            sm.checkConnect(isa.getAddress().getHostAddress(), isa.getPort());
        }
    }

    /** May this code listen on (bind to) port? */
    static void checkListen(int port) {
        SecurityManager sm = manager();
        if (sm != null) {
            sm.checkListen(port);
        }
    }

    /** May this code accept a connection from peer? */
    static void checkAccept(InetSocketAddress peer) {
        SecurityManager sm = manager();
        if (sm != null) {
            sm.checkAccept(peer.getAddress().getHostAddress(), peer.getPort());
        }
    }

    /** May this code use a multicast group? */
    static void checkMulticast(InetAddress group) {
        SecurityManager sm = manager();
        if (sm != null) {
            sm.checkMulticast(group);
        }
    }

    /** UnixDomainSockets.checkPermission: may this code use UNIX domain sockets? */
    static void checkUnix() {
        SecurityManager sm = manager();
        if (sm != null) {
            sm.checkPermission(UNIX);
        }
    }

    /** InheritedChannel.checkAccess. */
    static void checkInheritedChannel() {
        SecurityManager sm = manager();
        if (sm != null) {
            sm.checkPermission(new RuntimePermission("inheritedChannel"));
        }
    }

    /**
     * Net.getRevealedLocalAddress: the local address, or the loopback
     * address with its port when this code may not resolve it.
     */
    static InetSocketAddress revealed(InetSocketAddress isa) {
        SecurityManager sm = manager();
        if (isa != null && sm != null) {
            try {
                sm.checkConnect(isa.getAddress().getHostAddress(), -1);
            } catch (SecurityException e) {
                return new InetSocketAddress(InetAddress.getLoopbackAddress(), isa.getPort());
            }
        }
        return isa;
    }

    /**
     * A channel's local address as its toString shows it. Up to JDK 23
     * (Net and UnixDomainSockets.getRevealedLocalAddressAsString): with a
     * SecurityManager, the loopback address and the port for TCP, and
     * the path for UNIX; without one, the address for TCP and nothing
     * for UNIX. From JDK 24 a socket shows its address, and a listener
     * shows a UNIX path but nothing for TCP.
     */
    static String localAsString(SocketAddress addr, boolean unix, boolean listener) {
        if (JdkRelease.FEATURE >= 24) {
            return listener && !unix ? "" : addr.toString();
        }
        if (unix) {
            return manager() != null ? addr.toString() : "";
        }
        if (manager() == null) {
            return addr.toString();
        }
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), ((InetSocketAddress) addr).getPort()).toString();
    }

    /**
     * A channel's local address as getLocalAddress gives it: for UNIX,
     * UnixDomainSockets.getRevealedLocalAddress, which gives the unnamed
     * address, even for an unbound socket, to code without the UNIX
     * permission; for TCP, {@link #revealed(InetSocketAddress)}.
     */
    static SocketAddress revealed(SocketAddress sa, boolean unix) {
        if (unix) {
            if (manager() != null) {
                try {
                    checkUnix();
                } catch (SecurityException e) {
                    return UnixDomainSocketAddress.of("");
                }
            }
            return sa;
        }
        return revealed((InetSocketAddress) sa);
    }
}
