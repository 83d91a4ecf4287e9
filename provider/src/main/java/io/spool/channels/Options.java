package io.spool.channels;

import io.spool.sys.Linux;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * Socket options, with the JDK's validation and conversions (sun.nio.ch.Net
 * setSocketOption/getSocketOption) and the JDK's supported-option sets on
 * Linux, including the jdk.net extended options this JDK has.
 */
final class Options {
    private Options() {
    }

    /** The JDK-internal SO_OOBINLINE the socket adaptor needs; ours has the same name and type. */
    static final SocketOption<Boolean> SO_OOBINLINE = new SocketOption<>() {
        @Override
        public String name() {
            return "SO_OOBINLINE";
        }

        @Override
        public Class<Boolean> type() {
            return Boolean.class;
        }

        @Override
        public String toString() {
            return name();
        }
    };

    static final SocketOption<Boolean> TCP_QUICKACK = ext("TCP_QUICKACK");
    static final SocketOption<Integer> TCP_KEEPIDLE = ext("TCP_KEEPIDLE");
    static final SocketOption<Integer> TCP_KEEPINTERVAL = ext("TCP_KEEPINTERVAL");
    static final SocketOption<Integer> TCP_KEEPCOUNT = ext("TCP_KEEPCOUNT");
    static final SocketOption<Integer> SO_INCOMING_NAPI_ID = ext("SO_INCOMING_NAPI_ID");
    static final SocketOption<Boolean> IP_DONTFRAGMENT = ext("IP_DONTFRAGMENT");
    static final SocketOption<Object> SO_PEERCRED = ext("SO_PEERCRED");

    @SuppressWarnings("unchecked")
    private static <T> SocketOption<T> ext(String field) {
        try {
            return (SocketOption<T>) Class.forName("jdk.net.ExtendedSocketOptions").getField(field).get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null; // not in this JDK
        }
    }

    private static void addIf(Set<SocketOption<?>> s, SocketOption<?> o) {
        if (o != null) {
            s.add(o);
        }
    }

    private static void addKeepAlive(Set<SocketOption<?>> s) {
        addIf(s, TCP_QUICKACK);
        addIf(s, TCP_KEEPIDLE);
        addIf(s, TCP_KEEPINTERVAL);
        addIf(s, TCP_KEEPCOUNT);
        addIf(s, SO_INCOMING_NAPI_ID);
    }

    static final Set<SocketOption<?>> SOCKET = socketOptions();
    static final Set<SocketOption<?>> SERVER = serverOptions();
    static final Set<SocketOption<?>> DATAGRAM = datagramOptions();
    /** A UNIX domain stream socket's (the JDK's defaultUnixOptions). */
    static final Set<SocketOption<?>> UNIX_SOCKET = unixSocketOptions();
    /** A UNIX domain listener's: the receive buffer only. */
    static final Set<SocketOption<?>> UNIX_SERVER = Set.of(StandardSocketOptions.SO_RCVBUF);

    private static Set<SocketOption<?>> unixSocketOptions() {
        Set<SocketOption<?>> s = new HashSet<>();
        s.add(StandardSocketOptions.SO_SNDBUF);
        s.add(StandardSocketOptions.SO_RCVBUF);
        s.add(StandardSocketOptions.SO_LINGER);
        addIf(s, SO_PEERCRED);
        return Collections.unmodifiableSet(s);
    }

    private static Set<SocketOption<?>> socketOptions() {
        Set<SocketOption<?>> s = new HashSet<>();
        s.add(StandardSocketOptions.SO_SNDBUF);
        s.add(StandardSocketOptions.SO_RCVBUF);
        s.add(StandardSocketOptions.SO_KEEPALIVE);
        s.add(StandardSocketOptions.SO_REUSEADDR);
        s.add(StandardSocketOptions.SO_REUSEPORT);
        s.add(StandardSocketOptions.SO_LINGER);
        s.add(StandardSocketOptions.TCP_NODELAY);
        s.add(StandardSocketOptions.IP_TOS);
        s.add(SO_OOBINLINE);
        addKeepAlive(s);
        return Collections.unmodifiableSet(s);
    }

    private static Set<SocketOption<?>> serverOptions() {
        Set<SocketOption<?>> s = new HashSet<>();
        s.add(StandardSocketOptions.SO_RCVBUF);
        s.add(StandardSocketOptions.SO_REUSEADDR);
        s.add(StandardSocketOptions.SO_REUSEPORT);
        addKeepAlive(s);
        return Collections.unmodifiableSet(s);
    }

    private static Set<SocketOption<?>> datagramOptions() {
        Set<SocketOption<?>> s = new HashSet<>();
        s.add(StandardSocketOptions.SO_SNDBUF);
        s.add(StandardSocketOptions.SO_RCVBUF);
        s.add(StandardSocketOptions.SO_REUSEADDR);
        s.add(StandardSocketOptions.SO_REUSEPORT);
        s.add(StandardSocketOptions.SO_BROADCAST);
        s.add(StandardSocketOptions.IP_TOS);
        s.add(StandardSocketOptions.IP_MULTICAST_IF);
        s.add(StandardSocketOptions.IP_MULTICAST_TTL);
        s.add(StandardSocketOptions.IP_MULTICAST_LOOP);
        addIf(s, SO_INCOMING_NAPI_ID);
        addIf(s, IP_DONTFRAGMENT);
        return Collections.unmodifiableSet(s);
    }

    /** Checks name and value the way every JDK channel's setOption does. */
    static void checkSet(Set<SocketOption<?>> supported, SocketOption<?> name, Object value) {
        java.util.Objects.requireNonNull(name);
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        if (!name.type().isInstance(value)) {
            throw new IllegalArgumentException("Invalid value '" + value + "'");
        }
    }

    static void checkGet(Set<SocketOption<?>> supported, SocketOption<?> name) {
        java.util.Objects.requireNonNull(name);
        if (!supported.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
    }

    /** setsockopt for a supported option; ipv6 is the socket's family. */
    static void set(int fd, boolean ipv6, SocketOption<?> name, Object value) throws IOException {
        if (name == SO_PEERCRED) {
            throw new SocketException("SO_PEERCRED cannot be set "); // sic, the JDK's message
        }
        if (name == StandardSocketOptions.SO_LINGER) {
            int i = (Integer) value;
            Sockets.setLinger(fd, i < 0 ? -1 : Math.min(i, 65535));
            return;
        }
        if (name == StandardSocketOptions.SO_RCVBUF || name == StandardSocketOptions.SO_SNDBUF) {
            int i = (Integer) value;
            if (i < 0) {
                throw new IllegalArgumentException("Invalid send/receive buffer size");
            }
            if (name == StandardSocketOptions.SO_RCVBUF && i < 1024) {
                value = 1024; // the JDK's NET_SetSockOpt minimum
            }
        }
        if (name == StandardSocketOptions.IP_TOS) {
            int i = (Integer) value;
            if (i < 0 || i > 255) {
                throw new IllegalArgumentException("Invalid IP_TOS value");
            }
            if (ipv6) {
                Sockets.setInt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_TCLASS, i);
            }
            Sockets.setInt(fd, Linux.IPPROTO_IP, Linux.IP_TOS, i);
            return;
        }
        if (name == StandardSocketOptions.IP_MULTICAST_TTL) {
            int i = (Integer) value;
            if (i < 0 || i > 255) {
                throw new IllegalArgumentException("Invalid TTL/hop value");
            }
        }
        if (name == SO_INCOMING_NAPI_ID) {
            throw new SocketException("Attempt to set read only option " + name);
        }
        if (name == StandardSocketOptions.IP_MULTICAST_IF) {
            throw new AssertionError("the datagram channel sets IP_MULTICAST_IF itself");
        }
        if (name == TCP_KEEPIDLE || name == TCP_KEEPINTERVAL || name == TCP_KEEPCOUNT) {
            int i = (Integer) value;
            if (i < 0) {
                throw new IllegalArgumentException("Invalid value '" + value + "'");
            }
        }
        int[] lo = levelName(name, ipv6);
        int v = value instanceof Boolean ? (((Boolean) value) ? 1 : 0) : (Integer) value;
        Sockets.setInt(fd, lo[0], lo[1], v);
        boolean ttl = name == StandardSocketOptions.IP_MULTICAST_TTL;
        if (ipv6 && (ttl || name == StandardSocketOptions.IP_MULTICAST_LOOP)) {
            // the IPv4 option too, for IPv4 groups on this socket: best effort, as the JDK on Linux
            try {
                Sockets.setInt(fd, Linux.IPPROTO_IP, ttl ? Linux.IP_MULTICAST_TTL : Linux.IP_MULTICAST_LOOP, v);
            } catch (IOException ignore) {
                // the IPv6 option is set
            }
        }
    }

    static Object get(int fd, boolean ipv6, SocketOption<?> name) throws IOException {
        if (name == SO_PEERCRED) {
            return PeerCredentials.of(fd);
        }
        if (name == StandardSocketOptions.SO_LINGER) {
            return Sockets.getLinger(fd);
        }
        if (name == StandardSocketOptions.IP_MULTICAST_IF) {
            throw new AssertionError("the datagram channel reads IP_MULTICAST_IF itself");
        }
        int[] lo = levelName(name, ipv6);
        int v = Sockets.getInt(fd, lo[0], lo[1]);
        if (name == StandardSocketOptions.SO_RCVBUF || name == StandardSocketOptions.SO_SNDBUF) {
            v /= 2; // Linux reports double what was set; the JDK halves it to look symmetric
        }
        if (name.type() == Boolean.class) {
            return v != 0;
        }
        return v;
    }

    private static int[] levelName(SocketOption<?> name, boolean ipv6) {
        if (name == StandardSocketOptions.SO_SNDBUF) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_SNDBUF};
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_RCVBUF};
        } else if (name == StandardSocketOptions.SO_KEEPALIVE) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_KEEPALIVE};
        } else if (name == StandardSocketOptions.SO_REUSEADDR) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_REUSEADDR};
        } else if (name == StandardSocketOptions.SO_REUSEPORT) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_REUSEPORT};
        } else if (name == StandardSocketOptions.SO_BROADCAST) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_BROADCAST};
        } else if (name == StandardSocketOptions.TCP_NODELAY) {
            return new int[] {Linux.IPPROTO_TCP, Linux.TCP_NODELAY};
        } else if (name == StandardSocketOptions.IP_TOS) {
            return ipv6 ? new int[] {Linux.IPPROTO_IPV6, Linux.IPV6_TCLASS}
                    : new int[] {Linux.IPPROTO_IP, Linux.IP_TOS};
        } else if (name == StandardSocketOptions.IP_MULTICAST_TTL) {
            return ipv6 ? new int[] {Linux.IPPROTO_IPV6, Linux.IPV6_MULTICAST_HOPS}
                    : new int[] {Linux.IPPROTO_IP, Linux.IP_MULTICAST_TTL};
        } else if (name == StandardSocketOptions.IP_MULTICAST_LOOP) {
            return ipv6 ? new int[] {Linux.IPPROTO_IPV6, Linux.IPV6_MULTICAST_LOOP}
                    : new int[] {Linux.IPPROTO_IP, Linux.IP_MULTICAST_LOOP};
        } else if (name == SO_OOBINLINE) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_OOBINLINE};
        } else if (name == TCP_QUICKACK) {
            return new int[] {Linux.IPPROTO_TCP, Linux.TCP_QUICKACK};
        } else if (name == TCP_KEEPIDLE) {
            return new int[] {Linux.IPPROTO_TCP, Linux.TCP_KEEPIDLE};
        } else if (name == TCP_KEEPINTERVAL) {
            return new int[] {Linux.IPPROTO_TCP, Linux.TCP_KEEPINTVL};
        } else if (name == TCP_KEEPCOUNT) {
            return new int[] {Linux.IPPROTO_TCP, Linux.TCP_KEEPCNT};
        } else if (name == SO_INCOMING_NAPI_ID) {
            return new int[] {Linux.SOL_SOCKET, Linux.SO_INCOMING_NAPI_ID};
        } else if (name == IP_DONTFRAGMENT) {
            return ipv6 ? new int[] {Linux.IPPROTO_IPV6, 23 /* IPV6_MTU_DISCOVER */}
                    : new int[] {Linux.IPPROTO_IP, 10 /* IP_MTU_DISCOVER */};
        }
        throw new UnsupportedOperationException("'" + name + "' not supported");
    }
}
