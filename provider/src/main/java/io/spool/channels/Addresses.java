package io.spool.channels;

import io.spool.sys.Linux;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;

/** Address checks of the JDK's sun.nio.ch.Net. */
final class Addresses {
    private Addresses() {
    }

    static int linuxFamily(ProtocolFamily family) {
        if (family == StandardProtocolFamily.UNIX) {
            return Linux.AF_UNIX;
        }
        return family == StandardProtocolFamily.INET ? Linux.AF_INET : Linux.AF_INET6;
    }

    /** The JDK's UnixDomainSockets.checkAddress(sa). */
    static UnixDomainSocketAddress checkUnix(SocketAddress sa) {
        if (sa == null) {
            throw new NullPointerException();
        }
        if (!(sa instanceof UnixDomainSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        return (UnixDomainSocketAddress) sa;
    }

    /** The JDK's Net.checkAddress(sa, family). */
    static InetSocketAddress check(SocketAddress sa, ProtocolFamily family) {
        if (sa == null) {
            throw new NullPointerException();
        }
        if (!(sa instanceof InetSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        InetSocketAddress isa = (InetSocketAddress) sa;
        if (isa.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        InetAddress addr = isa.getAddress();
        if (!(addr instanceof Inet4Address || addr instanceof Inet6Address)) {
            throw new IllegalArgumentException("Invalid address type");
        }
        if (family == StandardProtocolFamily.INET && !(addr instanceof Inet4Address)) {
            throw new UnsupportedAddressTypeException();
        }
        return isa;
    }

    static InetAddress anyLocal(ProtocolFamily family) {
        try {
            return family == StandardProtocolFamily.INET
                    ? InetAddress.getByAddress(new byte[4])
                    : InetAddress.getByAddress(new byte[16]);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static InetAddress loopback(boolean v6) {
        try {
            if (v6) {
                byte[] b = new byte[16];
                b[15] = 1;
                return InetAddress.getByAddress(b);
            }
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
