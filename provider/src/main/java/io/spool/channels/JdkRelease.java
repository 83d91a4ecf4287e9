package io.spool.channels;

import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;

/**
 * The default provider's behaviours that changed between JDK releases.
 * The running JDK's version is read here, once; the channels ask this class
 * instead of testing versions themselves.
 */
final class JdkRelease {
    private JdkRelease() {
    }

    /** The running JDK's feature release: 17, 21, 25... */
    static final int FEATURE = Runtime.version().feature();

    /**
     * JDK 23 (JDK-8329190) checks for a closed channel before begin() in the
     * blocking accept, connect, finishConnect, pipe read/write and datagram
     * send/receive/read/write: a call on a closed channel throws
     * ClosedChannelException. Up to JDK 22 the same call throws
     * AsynchronousCloseException (end() sees the channel closed). Checked
     * with a probe on 17 and 25, and in the JDK 21 sources.
     */
    static final boolean CLOSED_CHECKED_FIRST = FEATURE >= 23;

    /**
     * DatagramSocket.receive on a channel's socket adaptor, interrupted:
     * JDK 17 reports SocketException "Socket closed", later JDKs rethrow the
     * ClosedByInterruptException (the adaptor's catch added with virtual
     * threads, JDK 19). Checked with the conformance suite on 17 and 25.
     */
    static final boolean ADAPTOR_RETHROWS_CLOSED_BY_INTERRUPT = FEATURE >= 19;

    /** The JDK 23+ ensureOpen() at the start of those operations; nothing before. */
    static void ensureOpenFirst(Channel ch) throws ClosedChannelException {
        if (CLOSED_CHECKED_FIRST && !ch.isOpen()) {
            throw new ClosedChannelException();
        }
    }
}
