package io.spool.sys;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ProtocolException;
import java.net.SocketException;

/**
 * The one mapping from errno to exceptions, matching the JDK's default
 * provider (sun.nio.ch Net.c handleSocketError, IOUtil convertReturnVal).
 * The message is always the C library's strerror text, as the JDK's.
 */
public final class NativeErrors {
    private NativeErrors() {
    }

    /** The C library's text for an errno, as JNU_ThrowByNameWithLastError uses. */
    public static String message(int errno) {
        String s = Native.C.strerror(errno);
        return s != null ? s : "errno " + errno;
    }

    /**
     * A socket call failed (bind, connect, listen, accept, options...):
     * the JDK's handleSocketError.
     */
    public static IOException socket(int errno) {
        Counters.ERRORS.increment();
        String msg = message(errno);
        if (errno == Errno.ECONNREFUSED || errno == Errno.ETIMEDOUT || errno == Errno.ENOTCONN) {
            return new ConnectException(msg);
        }
        if (errno == Errno.EHOSTUNREACH) {
            return new NoRouteToHostException(msg);
        }
        if (errno == Errno.EADDRINUSE || errno == Errno.EADDRNOTAVAIL || errno == Errno.EACCES) {
            return new BindException(msg);
        }
        if (errno == Errno.EPROTO) {
            return new ProtocolException(msg);
        }
        return new SocketException(msg);
    }

    /** A read or write failed: the JDK's convertReturnVal throws a plain IOException. */
    public static IOException io(int errno) {
        Counters.ERRORS.increment();
        return new IOException(message(errno));
    }

    /** A datagram call failed: ECONNREFUSED means ICMP port unreachable. */
    public static IOException datagram(int errno) {
        if (errno == Errno.ECONNREFUSED) {
            Counters.ERRORS.increment();
            return new PortUnreachableException();
        }
        return socket(errno);
    }

    /** True for the errors the JDK reports on a stream read as "Connection reset". */
    public static boolean isConnectionReset(int errno) {
        return errno == Errno.ECONNRESET || errno == Errno.EPIPE;
    }
}
