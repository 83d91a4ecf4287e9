package io.spool.sys;

import java.net.SocketException;

/**
 * A stream read found the connection reset (ECONNRESET, or EPIPE), as the
 * JDK's sun.net.ConnectionResetException: an error, thrown, never a status.
 * Channels catch it to remember the reset and throw the exception the
 * JDK's channel throws.
 */
public final class ConnectionResetException extends SocketException {
    private static final long serialVersionUID = 1L;

    public ConnectionResetException() {
        super("Connection reset");
    }
}
