package io.spool.channels;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.SocketAddress;
import java.security.Security;
import java.util.Locale;

/**
 * The JDK's enhanced exception text (jdk.internal.util.Exceptions, once
 * sun.net.util.SocketExceptions): with {@code hostInfo} in the system or
 * security property {@code jdk.includeInExceptions}, a failed connect
 * names the address it tried ("Connection refused: localhost/127.0.0.1:1").
 * Off by default, as the address may be sensitive.
 */
final class HostInfo {
    private static final boolean ENABLED = io.spool.sys.Privileged.run(() -> includes("hostinfo"));

    /**
     * Whether text that is not a socket's address (an interface's address,
     * say) goes into exceptions: {@code hostInfo} or, since the JDK has
     * jdk.internal.util.Exceptions, {@code hostInfoExclSocket}.
     */
    static final boolean NON_SOCKET = ENABLED
            || io.spool.sys.Privileged.run(() -> includes("hostinfoexclsocket"));

    private HostInfo() {
    }

    private static boolean includes(String category) {
        String v = System.getProperty("jdk.includeInExceptions");
        if (v == null) {
            v = Security.getProperty("jdk.includeInExceptions");
        }
        if (v == null) {
            return false;
        }
        for (String s : v.split(",")) {
            if (s.trim().toLowerCase(Locale.ROOT).equals(category)) {
                return true;
            }
        }
        return false;
    }

    /** The exception, or one of its class whose message ends with the address (the stack kept). */
    static IOException of(IOException e, SocketAddress addr) {
        String where;
        if (!ENABLED) {
            return e;
        } else if (addr instanceof InetSocketAddress) {
            where = addr.toString();
        } else if (addr instanceof UnixDomainSocketAddress) {
            where = ((UnixDomainSocketAddress) addr).getPath().toString();
        } else {
            return e;
        }
        try {
            Constructor<? extends IOException> c = e.getClass().getConstructor(String.class);
            IOException e1 = c.newInstance(e.getMessage() + ": " + where);
            e1.setStackTrace(e.getStackTrace());
            return e1;
        } catch (ReflectiveOperationException | RuntimeException x) {
            return e; // no message constructor (AsynchronousCloseException): as the JDK, unchanged
        }
    }
}
