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

    /**
     * MulticastSocket.setInterface with an address of no interface: JDKs
     * with jdk.internal.util.Exceptions (25, and the later updates of 17
     * and 21, which took the same change) say "No network interface found
     * with address", naming the address only when jdk.includeInExceptions
     * allows it (Temurin 25's java.security does, hostInfoExclSocket);
     * earlier ones "No network interface with address ADDR". Checked with
     * the multicast scenarios on 17.0.15 and 25.
     */
    static final boolean FILTERED_INTERFACE_MESSAGE =
            io.spool.sys.Privileged.run(() -> hasClass("jdk.internal.util.Exceptions"));

    /**
     * MulticastSocket.getInterface when the interface set has no address:
     * up to JDK 23 a SocketException "Network interface has no IP
     * address", from JDK 24 (the SecurityManager's code gone) null.
     */
    static final boolean INTERFACE_WITHOUT_ADDRESS_IS_NULL = FEATURE >= 24;

    private static boolean hasClass(String name) {
        try {
            Class.forName(name, false, null);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * A new IPv6 datagram socket gets IPV6_MULTICAST_ALL off from JDK 22
     * (JDK-8241800): before, one that did not join an IPv6 group still
     * receives it when another socket of the host joined it, on the same
     * port. (JDK 17 clears IP_MULTICAST_ALL on IPv4 sockets only.) Checked
     * with the multicast scenarios on 17 and 25.
     */
    static final boolean IPV6_MULTICAST_ALL_OFF = FEATURE >= 22;

    /**
     * DatagramChannel.join with a null interface fails where the JDK first
     * uses it, with the JVM's helpful message naming the variable: for an
     * IPv4 group inside Net.anyInet4Address, whose PrivilegedAction (an
     * anonymous class up to JDK 23) captured it as "this.val$interf", from
     * JDK 24 a plain "interf"; for an IPv6 group "interf" in innerJoin.
     * With -XX:-ShowCodeDetailsInExceptionMessages there is no message.
     */
    static NullPointerException nullInterface(boolean ipv4Group) {
        String method = ipv4Group ? "getInetAddresses()" : "getIndex()";
        String variable = ipv4Group && FEATURE < 24 ? "this.val$interf" : "interf";
        return new NullPointerException(HELPFUL_NPE
                ? "Cannot invoke \"java.net.NetworkInterface." + method + "\" because \"" + variable + "\" is null"
                : null);
    }

    /** Whether this JVM gives implicit NullPointerExceptions a message (JEP 358, on by default). */
    private static final boolean HELPFUL_NPE = helpfulNullPointerMessages();

    @SuppressWarnings("null")
    private static boolean helpfulNullPointerMessages() {
        try {
            Object o = null;
            return o.hashCode() == 0;
        } catch (NullPointerException e) {
            return e.getMessage() != null;
        }
    }
}
