package io.spool.conformance;

import static io.spool.conformance.Scenarios.addr;
import static io.spool.conformance.Scenarios.bytes;
import static io.spool.conformance.Scenarios.sleep;

import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The multicast scenarios: group membership through DatagramChannel.join
 * and MembershipKey, the multicast options, and DatagramChannel.socket()
 * as a MulticastSocket, for IPv4 groups (on IPv4 and IPv6 sockets) and
 * IPv6 groups. They need the network namespace {@link MulticastTest}
 * makes: "lo" up with multicast on, routes for 224.0.0.0/4 and ff00::/8
 * through it, and fd00::2 as a second IPv6 source. Every delivery is
 * real: what a receiver gets is what the kernel delivered to it.
 */
final class MulticastScenarios {
    private MulticastScenarios() {
    }

    /** One family's groups and two sources on "lo". */
    static final class Net {
        final String name;
        final ProtocolFamily family; // of the sockets
        final InetAddress group;
        final InetAddress group2;
        final InetAddress source1;
        final InetAddress source2;
        final InetAddress otherFamily; // a unicast address of the other family
        final InetAddress wildcard;

        Net(String name, ProtocolFamily family, String group, String group2, String source1, String source2,
                String otherFamily, String wildcard) {
            this.name = name;
            this.family = family;
            this.group = addr(group);
            this.group2 = addr(group2);
            this.source1 = addr(source1);
            this.source2 = addr(source2);
            this.otherFamily = addr(otherFamily);
            this.wildcard = addr(wildcard);
        }
    }

    static final Net V4 = new Net("4", StandardProtocolFamily.INET, "239.1.2.3", "239.1.2.4", "127.0.0.1",
            "127.0.0.2", "::1", "0.0.0.0");
    static final Net V6 = new Net("6", StandardProtocolFamily.INET6, "ff02::1:3", "ff02::1:4", "::1", "fd00::2",
            "127.0.0.1", "::");
    /** IPv4 groups on IPv6 sockets: the JDK joins them with the IPv4 calls. */
    static final Net V4_ON_6 = new Net("4on6", StandardProtocolFamily.INET6, "239.1.2.5", "239.1.2.6",
            "127.0.0.1", "127.0.0.2", "::1", "0.0.0.0");

    private static final Map<String, Scenarios.Scenario> ALL = new LinkedHashMap<>();

    static Map<String, Scenarios.Scenario> all() {
        return ALL;
    }

    public static void main(String[] args) throws Exception {
        ScenarioRunner.run(ALL, args);
    }

    static NetworkInterface lo() throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        if (lo == null) {
            throw new IllegalStateException("no interface lo");
        }
        return lo;
    }

    /** Receives on a port of its own, on every address, sharing it (SO_REUSEADDR). */
    static DatagramChannel receiver(ProtocolFamily f, int port) throws Exception {
        DatagramChannel dc = DatagramChannel.open(f);
        dc.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        dc.bind(new InetSocketAddress(port));
        return dc;
    }

    static int port(DatagramChannel dc) throws Exception {
        return ((InetSocketAddress) dc.getLocalAddress()).getPort();
    }

    /** Sends to groups through "lo", from one of its addresses. */
    static DatagramChannel sender(ProtocolFamily f, InetAddress source) throws Exception {
        DatagramChannel dc = DatagramChannel.open(f);
        dc.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo());
        dc.bind(new InetSocketAddress(source, 0));
        return dc;
    }

    static void send(DatagramChannel s, String text, InetAddress group, int port) throws Exception {
        s.send(bytes(text), new InetSocketAddress(group, port));
    }

    /**
     * What the receiver gets, sorted: waits (up to 5 s) for {@code expect}
     * datagrams, then 150 ms more for any that should not come. On "lo"
     * the kernel delivers within the send, so the wait is for the thread.
     */
    static String got(DatagramChannel r, int expect) throws Exception {
        boolean blocking = r.isBlocking();
        r.configureBlocking(false);
        try {
            List<String> l = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            long settle = 0;
            for (;;) {
                ByteBuffer b = ByteBuffer.allocate(64);
                SocketAddress from = r.receive(b);
                if (from != null) {
                    b.flip();
                    l.add(StandardCharsets.UTF_8.decode(b) + " from "
                            + ((InetSocketAddress) from).getAddress().getHostAddress());
                    continue;
                }
                long now = System.nanoTime();
                if (settle == 0 && (l.size() >= expect || now > deadline)) {
                    settle = now + 150_000_000L;
                }
                if (settle != 0 && now > settle) {
                    break;
                }
                sleep(5);
            }
            Collections.sort(l);
            return l.toString();
        } finally {
            r.configureBlocking(blocking);
        }
    }

    /** A step that returns nothing. */
    interface Action {
        void run() throws Exception;
    }

    /** Records "ok", or the step's exception. */
    static void ok(Transcript t, String label, Action a) {
        t.call(label, () -> {
            a.run();
            return "ok";
        });
    }

    static String describe(NetworkInterface ni) {
        if (ni == null) {
            return "null";
        }
        List<String> addrs = Collections.list(ni.getInetAddresses()).stream().map(InetAddress::getHostAddress)
                .sorted().collect(Collectors.toList());
        return ni.getName() + " index " + ni.getIndex() + " " + addrs;
    }

    // ---- any-source membership through the channel

    static void anySource(Transcript t, Net n) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel r = receiver(n.family, 0);
                DatagramChannel by = receiver(n.family, port(r));
                DatagramChannel s1 = sender(n.family, n.source1);
                DatagramChannel s2 = sender(n.family, n.source2)) {
            int port = port(r);
            MembershipKey key = (MembershipKey) t.call("join", () -> r.join(n.group, lo));
            t.call("valid", key::isValid);
            t.call("group", key::group);
            t.call("interface", () -> key.networkInterface().getName());
            t.call("source", key::sourceAddress);
            t.call("channel", () -> key.channel() == r);
            t.call("join again: the same key", () -> r.join(n.group, lo) == key);
            t.call("join source-specific as well", () -> r.join(n.group, lo, n.source1));
            send(s1, "a", n.group, port);
            t.call("receive after join", () -> got(r, 1));
            t.call("a socket on the port that did not join", () -> got(by, 0));
            t.call("block", () -> key.block(n.source2) == key);
            t.call("block again", () -> key.block(n.source2) == key);
            send(s1, "b", n.group, port);
            send(s2, "c", n.group, port);
            t.call("receive, one source blocked", () -> got(r, 1));
            t.call("block wildcard", () -> key.block(n.wildcard));
            t.call("block multicast", () -> key.block(n.group2));
            t.call("block other family", () -> key.block(n.otherFamily));
            t.call("block null", () -> key.block(null));
            t.call("unblock one not blocked", () -> key.unblock(n.source1));
            t.call("unblock", () -> key.unblock(n.source2) == key);
            t.call("unblock again", () -> key.unblock(n.source2));
            send(s2, "d", n.group, port);
            t.call("receive, unblocked", () -> got(r, 1));
            MembershipKey key2 = (MembershipKey) t.call("join a second group", () -> r.join(n.group2, lo));
            send(s1, "e", n.group2, port);
            t.call("receive from the second group", () -> got(r, 1));
            t.call("drop", () -> {
                key.drop();
                return key.isValid();
            });
            t.call("drop again", () -> {
                key.drop();
                return key.isValid();
            });
            send(s1, "f", n.group, port);
            send(s1, "g", n.group2, port);
            t.call("receive after drop", () -> got(r, 1));
            t.call("block after drop", () -> key.block(n.source1));
            t.call("unblock after drop", () -> key.unblock(n.source2));
            MembershipKey key3 = (MembershipKey) t.call("join after drop", () -> r.join(n.group, lo));
            t.call("a new key", () -> key3 != key && key3.isValid());
            send(s1, "h", n.group, port);
            t.call("receive after joining again", () -> got(r, 1));
            r.close();
            t.call("keys after close", () -> key3.isValid() + " " + key2.isValid());
            ok(t, "drop after close", () -> key3.drop());
            t.call("block after close", () -> key2.block(n.source1));
            t.call("join after close", () -> r.join(n.group, lo));
        }
    }

    // ---- source-specific membership through the channel

    static void sourceSpecific(Transcript t, Net n) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel r = receiver(n.family, 0);
                DatagramChannel s1 = sender(n.family, n.source1);
                DatagramChannel s2 = sender(n.family, n.source2)) {
            int port = port(r);
            MembershipKey k1 = (MembershipKey) t.call("join from source1", () -> r.join(n.group, lo, n.source1));
            t.call("source", k1::sourceAddress);
            t.call("join any-source as well", () -> r.join(n.group, lo));
            t.call("join from source1 again: the same key", () -> r.join(n.group, lo, n.source1) == k1);
            t.call("block", () -> k1.block(n.source2));
            t.call("unblock", () -> k1.unblock(n.source2));
            send(s1, "a", n.group, port);
            send(s2, "b", n.group, port);
            t.call("receive from source1 only", () -> got(r, 1));
            MembershipKey k2 = (MembershipKey) t.call("join from source2", () -> r.join(n.group, lo, n.source2));
            send(s1, "c", n.group, port);
            send(s2, "d", n.group, port);
            t.call("receive from both", () -> got(r, 2));
            k1.drop();
            t.call("dropped", () -> k1.isValid() + " " + k2.isValid());
            send(s1, "e", n.group, port);
            send(s2, "f", n.group, port);
            t.call("receive after dropping source1", () -> got(r, 1));
            k2.drop();
            send(s1, "g", n.group, port);
            send(s2, "h", n.group, port);
            t.call("receive after dropping both", () -> got(r, 0));
            t.call("join any-source after", () -> r.join(n.group, lo).sourceAddress());
            t.call("join source wildcard", () -> r.join(n.group2, lo, n.wildcard));
            t.call("join source multicast", () -> r.join(n.group2, lo, n.group));
            t.call("join source other family", () -> r.join(n.group2, lo, n.otherFamily));
            t.call("join source null", () -> r.join(n.group2, lo, null));
            t.call("join group null", () -> r.join(null, lo, n.source1));
            t.call("join interface null", () -> r.join(n.group2, null, n.source1));
        }
    }

    // ---- the multicast options

    static void options(Transcript t, Net n) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel c = DatagramChannel.open(n.family)) {
            t.call("IP_MULTICAST_IF default", () -> c.getOption(StandardSocketOptions.IP_MULTICAST_IF));
            t.call("IP_MULTICAST_TTL default", () -> c.getOption(StandardSocketOptions.IP_MULTICAST_TTL));
            t.call("IP_MULTICAST_LOOP default", () -> c.getOption(StandardSocketOptions.IP_MULTICAST_LOOP));
            t.call("set IP_MULTICAST_IF lo", () -> describe(c.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo)
                    .getOption(StandardSocketOptions.IP_MULTICAST_IF)));
            t.call("set IP_MULTICAST_IF null", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_IF, null));
            for (int ttl : new int[] {0, 1, 32, 255, 256, -1}) {
                t.call("set IP_MULTICAST_TTL " + ttl, () -> c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, ttl)
                        .getOption(StandardSocketOptions.IP_MULTICAST_TTL));
            }
            t.call("set IP_MULTICAST_LOOP false", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, false)
                    .getOption(StandardSocketOptions.IP_MULTICAST_LOOP));
            t.call("set IP_MULTICAST_LOOP true", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true)
                    .getOption(StandardSocketOptions.IP_MULTICAST_LOOP));
            t.call("bind to source1", () -> c.bind(new InetSocketAddress(n.source1, 0)).getLocalAddress());
            t.call("IP_MULTICAST_IF bound", () -> describe(c.getOption(StandardSocketOptions.IP_MULTICAST_IF)));
            t.call("IP_MULTICAST_TTL bound", () -> c.getOption(StandardSocketOptions.IP_MULTICAST_TTL));
            t.call("socket's network interface", () -> describe(((MulticastSocket) c.socket()).getNetworkInterface()));
            c.close();
            t.call("closed get IP_MULTICAST_IF", () -> c.getOption(StandardSocketOptions.IP_MULTICAST_IF));
            t.call("closed set IP_MULTICAST_IF", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo));
            t.call("closed set IP_MULTICAST_TTL", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 2));
        }
        // a TTL and the loop flag on the sender: the datagram still comes back through lo
        try (DatagramChannel r = receiver(n.family, 0); DatagramChannel s = sender(n.family, n.source1)) {
            r.join(n.group, lo);
            s.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 5);
            send(s, "ttl5", n.group, port(r));
            t.call("receive, TTL 5", () -> got(r, 1));
        }
    }

    // ---- DatagramChannel.socket() as a MulticastSocket

    static String receive(MulticastSocket ms, int timeout) throws Exception {
        ms.setSoTimeout(timeout);
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        ms.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8) + " from "
                + p.getAddress().getHostAddress();
    }

    @SuppressWarnings("deprecation")
    static void adaptor(Transcript t, Net n) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel dc = receiver(n.family, 0); DatagramChannel s = sender(n.family, n.source1)) {
            int port = port(dc);
            t.call("is a MulticastSocket", () -> dc.socket() instanceof MulticastSocket);
            MulticastSocket ms = (MulticastSocket) dc.socket();
            t.call("getNetworkInterface, none set", () -> describe(ms.getNetworkInterface()));
            t.call("the same each time", () -> ms.getNetworkInterface().equals(ms.getNetworkInterface()));
            t.call("getInterface, none set", ms::getInterface);
            t.call("getTimeToLive default", ms::getTimeToLive);
            t.call("getTTL default", ms::getTTL);
            t.call("setTimeToLive 5", () -> {
                ms.setTimeToLive(5);
                return ms.getTimeToLive() + " " + dc.getOption(StandardSocketOptions.IP_MULTICAST_TTL);
            });
            t.call("setTTL 200", () -> {
                ms.setTTL((byte) 200);
                return ms.getTimeToLive() + " " + ms.getTTL();
            });
            ok(t, "setTimeToLive 256", () -> ms.setTimeToLive(256));
            ok(t, "setTimeToLive -1", () -> ms.setTimeToLive(-1));
            ms.setTimeToLive(1);
            t.call("getLoopbackMode default", ms::getLoopbackMode);
            t.call("setLoopbackMode true", () -> {
                ms.setLoopbackMode(true);
                return ms.getLoopbackMode() + " " + dc.getOption(StandardSocketOptions.IP_MULTICAST_LOOP);
            });
            ms.setLoopbackMode(false);

            SocketAddress g = new InetSocketAddress(n.group, 0);
            ok(t, "joinGroup", () -> ms.joinGroup(g, lo));
            ok(t, "joinGroup again", () -> ms.joinGroup(g, lo));
            MembershipKey key = (MembershipKey) t.call("the channel's key", () -> dc.join(n.group, lo));
            send(s, "a", n.group, port);
            t.call("receive", () -> receive(ms, 5000));
            t.call("leaveGroup", () -> {
                ms.leaveGroup(g, lo);
                return key.isValid();
            });
            ok(t, "leaveGroup again", () -> ms.leaveGroup(g, lo));
            send(s, "b", n.group, port);
            t.call("receive after leaveGroup", () -> receive(ms, 300));

            // the deprecated forms: the default interface (none set: "any")
            ok(t, "joinGroup(InetAddress)", () -> ms.joinGroup(n.group));
            ok(t, "joinGroup(InetAddress) again", () -> ms.joinGroup(n.group));
            t.call("its key", () -> dc.join(n.group, ms.getNetworkInterface()).networkInterface().getIndex());
            send(s, "c", n.group, port);
            t.call("receive, joined on any interface", () -> receive(ms, 5000));
            ok(t, "leaveGroup(InetAddress)", () -> ms.leaveGroup(n.group));
            ok(t, "leaveGroup(InetAddress) again", () -> ms.leaveGroup(n.group));
            ok(t, "joinGroup(InetAddress) unicast", () -> ms.joinGroup(n.source1));
            InetAddress otherGroup = n.family == StandardProtocolFamily.INET ? V6.group : V4.group;
            t.call("joinGroup(InetAddress) of the other family", () -> {
                try {
                    ms.joinGroup(otherGroup);
                    return "ok";
                } catch (java.net.SocketException e) {
                    return Transcript.exception(e) + ", cause " + Transcript.exception(e.getCause());
                }
            });
            ok(t, "leaveGroup(InetAddress) of the other family", () -> ms.leaveGroup(otherGroup));
            ok(t, "joinGroup(null)", () -> ms.joinGroup((InetAddress) null));
            ok(t, "joinGroup unresolved",
                    () -> ms.joinGroup(InetSocketAddress.createUnresolved("nowhere.invalid", 0), lo));
            ok(t, "joinGroup foreign address", () -> ms.joinGroup(new SocketAddress() { }, lo));

            // the outgoing interface
            ok(t, "setInterface null", () -> ms.setInterface(null));
            InetAddress nowhere = n.family == StandardProtocolFamily.INET ? addr("10.9.9.9") : addr("fd00::99");
            ok(t, "setInterface of no interface", () -> ms.setInterface(nowhere));
            t.call("setInterface source1", () -> {
                ms.setInterface(n.source1);
                return ms.getInterface() + " " + describe(ms.getNetworkInterface());
            });
            t.call("setNetworkInterface lo", () -> {
                ms.setNetworkInterface(lo);
                return ms.getInterface() + " " + describe(ms.getNetworkInterface());
            });
            ok(t, "setNetworkInterface null", () -> ms.setNetworkInterface(null));
            t.call("joinGroup, no interface given: the outgoing one", () -> {
                ms.joinGroup(g, null);
                return dc.join(n.group, lo).isValid();
            });
            send(s, "d", n.group, port);
            t.call("receive", () -> receive(ms, 5000));
            t.call("send with a TTL", () -> {
                ms.send(new DatagramPacket(new byte[] {'e'}, 1, new InetSocketAddress(n.group, port)), (byte) 7);
                return ms.getTimeToLive();
            });
            t.call("receive it", () -> receive(ms, 5000));
            try (DatagramChannel other = receiver(n.family, 0)) {
                MulticastSocket ms2 = (MulticastSocket) other.socket();
                t.call("another socket: setNetworkInterface, then getInterface", () -> {
                    ms2.setNetworkInterface(lo);
                    InetAddress ia = ms2.getInterface();
                    return lo.inetAddresses().anyMatch(ia::equals) + " " + (ms2.getInterface() == ia);
                });
            }
            ms.close();
            t.call("closed", ms::isClosed);
            ok(t, "closed joinGroup", () -> ms.joinGroup(g, lo));
            ok(t, "closed joinGroup, no interface given", () -> ms.joinGroup(g, null));
            ok(t, "closed leaveGroup", () -> ms.leaveGroup(g, lo));
            t.call("closed getNetworkInterface", ms::getNetworkInterface);
            t.call("closed getInterface", ms::getInterface);
            t.call("closed getTimeToLive", ms::getTimeToLive);
            ok(t, "closed setLoopbackMode", () -> ms.setLoopbackMode(true));
            t.call("closed key", key::isValid);
        }
    }

    // ---- a selector waits for a multicast datagram

    static void selector(Transcript t, Net n) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel r = receiver(n.family, 0); DatagramChannel s = sender(n.family, n.source1);
                Selector sel = Selector.open()) {
            r.join(n.group, lo);
            r.configureBlocking(false);
            SelectionKey k = r.register(sel, SelectionKey.OP_READ);
            t.call("selectNow, nothing sent", sel::selectNow);
            Thread th = new Thread(() -> {
                sleep(100);
                try {
                    send(s, "sel", n.group, port(r));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            th.start();
            t.call("select", () -> sel.select(5000));
            t.call("readable", () -> k.isReadable());
            t.call("receive", () -> got(r, 1));
            th.join();
            sel.selectedKeys().clear();
            r.close();
            t.call("select after close", sel::selectNow);
        }
    }

    // ---- connect and disconnect keep the membership (Linux: the socket is only bound again);
    // an IPv6 socket receives no IPv6 group after that, on either provider

    static void disconnect(Transcript t, Net n) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel r = receiver(n.family, 0); DatagramChannel s = sender(n.family, n.source1);
                DatagramChannel peer = sender(n.family, n.source2)) {
            int port = port(r);
            MembershipKey key = r.join(n.group, lo);
            r.connect(peer.getLocalAddress());
            send(s, "a", n.group, port);
            t.call("receive while connected elsewhere", () -> got(r, 0));
            r.disconnect();
            t.call("same port after disconnect", () -> port(r) == port);
            send(s, "b", n.group, port);
            t.call("receive after disconnect", () -> got(r, 1));
            t.call("key", key::isValid);
        }
    }

    // ---- the kernel's limits, and close

    /** One attempt of several: the step's index. */
    interface Attempt {
        void run(int i) throws Exception;
    }

    /** Makes n attempts: the outcomes, each once, and the index of the last one's first occurrence. */
    static String attempts(int n, Attempt a) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                a.run(i);
                l.add("ok");
            } catch (Exception e) {
                l.add(Transcript.exception(e));
            }
        }
        return l.stream().distinct().collect(Collectors.toList()) + " from " + l.indexOf(l.get(n - 1));
    }

    static void limits(Transcript t) throws Exception {
        NetworkInterface lo = lo();
        try (DatagramChannel c4 = DatagramChannel.open(StandardProtocolFamily.INET);
                DatagramChannel c6 = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            // net.ipv4.igmp_max_memberships (20) groups a socket
            t.call("22 IPv4 groups", () -> attempts(22, i -> c4.join(addr("239.3.0." + (i + 1)), lo)));
            // net.ipv4.igmp_max_msf (10) sources blocked a group
            MembershipKey k4 = c4.join(addr("239.3.0.1"), lo);
            t.call("12 IPv4 sources blocked", () -> attempts(12, i -> k4.block(addr("10.0.0." + (i + 1)))));
            // net.ipv6.mld_max_msf (64) sources
            MembershipKey k6 = c6.join(addr("ff02::3:1"), lo);
            t.call("66 IPv6 sources blocked",
                    () -> attempts(66, i -> k6.block(addr("fd00::1:" + Integer.toHexString(i + 1)))));
            t.call("join on the placeholder interface (index 0)", () -> {
                try (DatagramChannel d = DatagramChannel.open(StandardProtocolFamily.INET6)) {
                    NetworkInterface any = ((MulticastSocket) d.socket()).getNetworkInterface();
                    return c6.join(addr("ff02::3:2"), any) + " " + c6.join(addr("239.3.1.1"), any);
                }
            });
            t.call("join interface null, IPv4 group", () -> c4.join(addr("239.3.1.2"), null));
            t.call("join interface null, IPv6 group", () -> c6.join(addr("ff02::3:3"), null));
            t.call("join interface null, IPv4 group on IPv6", () -> c6.join(addr("239.3.1.3"), null));
        }
    }

    static void closeInvalidates(Transcript t) throws Exception {
        NetworkInterface lo = lo();
        DatagramChannel blocking = DatagramChannel.open(StandardProtocolFamily.INET6);
        MembershipKey a = blocking.join(V6.group, lo);
        MembershipKey b = blocking.join(V4.group, lo, V4.source1);
        blocking.close();
        t.call("blocking channel closed", () -> a.isValid() + " " + b.isValid());
        try (Selector sel = Selector.open()) {
            DatagramChannel nb = DatagramChannel.open(StandardProtocolFamily.INET);
            MembershipKey c = nb.join(V4.group, lo);
            nb.configureBlocking(false);
            nb.register(sel, SelectionKey.OP_READ);
            nb.close();
            t.call("registered channel closed", c::isValid);
            ok(t, "drop", () -> c.drop());
            t.call("unblock", () -> c.unblock(V4.source2));
            t.call("block", () -> c.block(V4.source2));
            sel.selectNow();
            t.call("after the selector let go", c::isValid);
        }
    }

    static {
        for (Net n : new Net[] {V4, V6, V4_ON_6}) {
            ALL.put("mcast.anySource" + n.name, t -> anySource(t, n));
            ALL.put("mcast.sourceSpecific" + n.name, t -> sourceSpecific(t, n));
            ALL.put("mcast.options" + n.name, t -> options(t, n));
            ALL.put("mcast.adaptor" + n.name, t -> adaptor(t, n));
            ALL.put("mcast.selector" + n.name, t -> selector(t, n));
            ALL.put("mcast.disconnect" + n.name, t -> disconnect(t, n));
        }
        ALL.put("mcast.limits", MulticastScenarios::limits);
        ALL.put("mcast.closeInvalidates", MulticastScenarios::closeInvalidates);
    }
}
