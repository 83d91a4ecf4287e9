package io.spool.conformance;

import static io.spool.conformance.Scenarios.LO4;
import static io.spool.conformance.Scenarios.LO6;
import static io.spool.conformance.Scenarios.addr;
import static io.spool.conformance.Scenarios.bytes;
import static io.spool.conformance.Scenarios.sleep;
import static io.spool.conformance.Scenarios.str;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/** The conformance scenarios of DatagramChannel and its socket adaptor. */
final class DatagramScenarios {
    private DatagramScenarios() {
    }

    static DatagramChannel bound(ProtocolFamily f, InetAddress a) throws Exception {
        DatagramChannel dc = DatagramChannel.open(f);
        dc.bind(new InetSocketAddress(a, 0));
        return dc;
    }

    static ByteBuffer direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer d = ByteBuffer.allocateDirect(b.length);
        d.put(b).flip();
        return d;
    }

    /** A blocking receive on another thread, and what it ended with. */
    static Thread receiver(DatagramChannel dc, AtomicReference<String> r) {
        Thread th = new Thread(() -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(16);
                SocketAddress sa = dc.receive(b);
                r.set("returned " + Transcript.show(sa) + " " + str(b));
            } catch (Throwable e) {
                r.set(Transcript.exception(e) + " interrupted=" + Thread.currentThread().isInterrupted());
            }
        });
        th.start();
        return th;
    }

    static void sendReceive(Transcript t, ProtocolFamily f, InetAddress lo) throws Exception {
        try (DatagramChannel a = bound(f, lo); DatagramChannel b = DatagramChannel.open(f)) {
            SocketAddress to = a.getLocalAddress();
            t.call("b local before", b::getLocalAddress);
            t.call("send heap", () -> b.send(bytes("hello"), to));
            t.call("b local after send (bound)", b::getLocalAddress);
            ByteBuffer heap = ByteBuffer.allocate(32);
            t.call("receive heap", () -> a.receive(heap));
            t.call("heap data", () -> str(heap));
            t.call("send direct", () -> b.send(direct("direct"), to));
            ByteBuffer dir = ByteBuffer.allocateDirect(32);
            t.call("receive direct", () -> a.receive(dir));
            t.call("direct data", () -> str(dir));
            t.call("send long", () -> b.send(bytes("0123456789"), to));
            ByteBuffer small = ByteBuffer.allocate(4);
            t.call("receive truncated", () -> a.receive(small));
            t.call("truncated data", () -> str(small));
            t.call("send empty", () -> b.send(ByteBuffer.allocate(0), to));
            ByteBuffer e = ByteBuffer.allocate(8);
            t.call("receive empty", () -> a.receive(e));
            t.call("empty position", e::position);
            t.call("send to full buffer", () -> b.send(bytes("x"), to));
            t.call("receive into full buffer", () -> a.receive(ByteBuffer.allocate(0)));
            a.configureBlocking(false);
            t.call("receive none nb", () -> a.receive(ByteBuffer.allocate(8)));
            t.call("receive read-only", () -> a.receive(ByteBuffer.allocate(8).asReadOnlyBuffer()));
            t.call("send port 0", () -> b.send(bytes("x"), new InetSocketAddress(lo, 0)));
            t.call("send null", () -> b.send(bytes("x"), null));
            t.call("send null buffer", () -> b.send(null, to));
            t.call("send unresolved", () -> b.send(bytes("x"), InetSocketAddress.createUnresolved("nowhere.invalid", 9)));
            t.call("send foreign", () -> b.send(bytes("x"), new SocketAddress() { }));
            t.call("read unconnected", () -> b.read(ByteBuffer.allocate(8)));
            t.call("write unconnected", () -> b.write(bytes("x")));
            t.call("read[] unconnected", () -> b.read(new ByteBuffer[] {ByteBuffer.allocate(8)}));
            t.call("write[] unconnected", () -> b.write(new ByteBuffer[] {bytes("x")}));
            t.call("isConnected", b::isConnected);
            t.call("remote", b::getRemoteAddress);
        }
    }

    static void addTo(Map<String, Scenarios.Scenario> all) {
        all.put("dgram.open", t -> {
            SelectorProvider p = SelectorProvider.provider();
            t.call("INET", () -> { try (DatagramChannel c = p.openDatagramChannel(StandardProtocolFamily.INET)) { return c.isOpen(); } });
            t.call("INET6", () -> { try (DatagramChannel c = p.openDatagramChannel(StandardProtocolFamily.INET6)) { return c.isOpen(); } });
            t.call("null family", () -> p.openDatagramChannel(null));
            t.call("UNIX family", () -> p.openDatagramChannel(StandardProtocolFamily.UNIX));
            try (DatagramChannel c = DatagramChannel.open()) {
                t.call("provider", () -> c.provider() == p);
                t.call("validOps", c::validOps);
                t.call("isBlocking", c::isBlocking);
                t.call("isConnected", c::isConnected);
                t.call("isRegistered", c::isRegistered);
                t.call("local", c::getLocalAddress);
                t.call("remote", c::getRemoteAddress);
                t.call("socket same", () -> c.socket() == c.socket());
                t.call("socket channel", () -> c.socket().getChannel() == c);
            }
        });
        all.put("dgram.bind", t -> {
            try (DatagramChannel c = DatagramChannel.open(); DatagramChannel c4 = DatagramChannel.open(StandardProtocolFamily.INET)) {
                t.call("bind null", () -> c.bind(null).getLocalAddress());
                t.call("bind again", () -> c.bind(null));
                t.call("INET bind null", () -> c4.bind(null).getLocalAddress());
            }
            try (DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET)) {
                t.call("INET bind v6", () -> c.bind(new InetSocketAddress(LO6, 0)));
                t.call("bind foreign", () -> c.bind(new SocketAddress() { }));
                t.call("bind unresolved", () -> c.bind(InetSocketAddress.createUnresolved("nowhere.invalid", 0)));
                t.call("bind loopback", () -> c.bind(new InetSocketAddress(LO4, 0)).getLocalAddress());
            }
            try (DatagramChannel a = bound(StandardProtocolFamily.INET6, LO4); DatagramChannel b = DatagramChannel.open()) {
                t.call("v6 socket bound to 127.0.0.1", a::getLocalAddress);
                t.call("bind in use", () -> b.bind(a.getLocalAddress()));
                t.call("bound after failure", b::getLocalAddress);
            }
            try (DatagramChannel a = DatagramChannel.open(); DatagramChannel b = DatagramChannel.open()) {
                a.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                b.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                a.bind(new InetSocketAddress(LO4, 0));
                t.call("bind shared with SO_REUSEADDR", () -> b.bind(a.getLocalAddress()).getLocalAddress().equals(a.getLocalAddress()));
            }
        });
        all.put("dgram.sendReceive4", t -> sendReceive(t, StandardProtocolFamily.INET, LO4));
        all.put("dgram.sendReceive6", t -> sendReceive(t, StandardProtocolFamily.INET6, LO6));
        all.put("dgram.sendReceiveMapped", t -> {
            // an IPv4 sender seen by an IPv6 socket: the JDK shows it as IPv4
            try (DatagramChannel a = bound(StandardProtocolFamily.INET6, addr("::")); DatagramChannel b = DatagramChannel.open(StandardProtocolFamily.INET)) {
                int port = ((InetSocketAddress) a.getLocalAddress()).getPort();
                t.call("send", () -> b.send(bytes("v4"), new InetSocketAddress(LO4, port)));
                ByteBuffer buf = ByteBuffer.allocate(8);
                t.call("receive", () -> a.receive(buf));
                t.call("data", () -> str(buf));
                t.call("reply", () -> a.send(bytes("back"), new InetSocketAddress(LO4, ((InetSocketAddress) b.getLocalAddress()).getPort())));
                ByteBuffer back = ByteBuffer.allocate(8);
                t.call("receive reply", () -> b.receive(back));
                t.call("INET send v6", () -> b.send(bytes("x"), new InetSocketAddress(LO6, port)));
            }
        });
        all.put("dgram.connected", t -> {
            try (DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
                    DatagramChannel b = DatagramChannel.open(StandardProtocolFamily.INET);
                    DatagramChannel other = bound(StandardProtocolFamily.INET, LO4)) {
                SocketAddress to = a.getLocalAddress();
                t.call("connect port 0", () -> b.connect(new InetSocketAddress(LO4, 0)));
                t.call("connect null", () -> b.connect(null));
                t.call("connect unresolved", () -> b.connect(InetSocketAddress.createUnresolved("nowhere.invalid", 9)));
                t.call("connect foreign", () -> b.connect(new SocketAddress() { }));
                t.call("connect", () -> b.connect(to).isConnected());
                t.call("remote", () -> b.getRemoteAddress().equals(to));
                t.call("local is bound", () -> b.getLocalAddress() != null);
                SocketAddress bLocal = b.getLocalAddress();
                t.call("connect again", () -> b.connect(to));
                t.call("write heap", () -> b.write(bytes("one")));
                ByteBuffer r1 = ByteBuffer.allocate(16);
                t.call("a receive", () -> a.receive(r1).equals(bLocal));
                t.call("a data", () -> str(r1));
                t.call("write direct", () -> b.write(direct("two")));
                ByteBuffer r2 = ByteBuffer.allocateDirect(16);
                t.call("a receive 2", () -> a.receive(r2).equals(bLocal));
                t.call("a data 2", () -> str(r2));
                t.call("gather", () -> b.write(new ByteBuffer[] {bytes("ab"), ByteBuffer.allocate(0), direct("cd"), bytes("e")}, 0, 4));
                ByteBuffer r3 = ByteBuffer.allocate(16);
                t.call("a receive gathered", () -> a.receive(r3) != null);
                t.call("gathered", () -> str(r3));
                t.call("send to peer", () -> b.send(bytes("via send"), to));
                ByteBuffer r4 = ByteBuffer.allocate(16);
                t.call("a receive sent", () -> a.receive(r4) != null);
                t.call("send to other", () -> b.send(bytes("x"), other.getLocalAddress()));
                t.call("write empty", () -> b.write(ByteBuffer.allocate(0)));
                // from the peer, read and scatter
                t.call("a send", () -> a.send(bytes("reply"), bLocal));
                ByteBuffer rd = ByteBuffer.allocate(16);
                t.call("read heap", () -> b.read(rd));
                t.call("read data", () -> str(rd));
                t.call("a send direct", () -> a.send(bytes("reply2"), bLocal));
                ByteBuffer rdd = ByteBuffer.allocateDirect(16);
                t.call("read direct", () -> b.read(rdd));
                t.call("a send for scatter", () -> a.send(bytes("0123456789"), bLocal));
                ByteBuffer s1 = ByteBuffer.allocate(3);
                ByteBuffer s2 = ByteBuffer.allocateDirect(4);
                ByteBuffer s3 = ByteBuffer.allocate(10);
                t.call("scatter", () -> b.read(new ByteBuffer[] {s1, s2, s3}));
                t.call("scattered", () -> str(s1) + "|" + str(s2) + "|" + str(s3));
                // not from the peer: filtered out by the connect
                t.call("other send", () -> other.send(bytes("stranger"), bLocal));
                t.call("a send last", () -> a.send(bytes("last"), bLocal));
                ByteBuffer rl = ByteBuffer.allocate(16);
                t.call("read filters stranger", () -> b.read(rl));
                t.call("last", () -> str(rl));
                t.call("a send empty", () -> a.send(ByteBuffer.allocate(0), bLocal));
                t.call("read empty datagram", () -> b.read(ByteBuffer.allocate(8)));
                t.call("read into nothing", () -> b.read(ByteBuffer.allocate(0)));
                t.call("scatter into nothing", () -> b.read(new ByteBuffer[] {ByteBuffer.allocate(0)}));
                t.call("read read-only", () -> b.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
                t.call("read[] bad offset", () -> b.read(new ByteBuffer[1], 1, 1));
                t.call("write[] bad length", () -> b.write(new ByteBuffer[1], 0, 2));
                b.configureBlocking(false);
                t.call("read none nb", () -> b.read(ByteBuffer.allocate(8)));
                t.call("receive none nb", () -> b.receive(ByteBuffer.allocate(8)));
                t.call("disconnect", () -> b.disconnect().isConnected());
                t.call("local kept", () -> b.getLocalAddress().equals(bLocal));
                t.call("remote after", b::getRemoteAddress);
                t.call("read after disconnect", () -> b.read(ByteBuffer.allocate(8)));
                t.call("disconnect again", () -> b.disconnect().isConnected());
                t.call("reconnect", () -> b.connect(to).isConnected());
            }
        });
        all.put("dgram.connectBeforeBind", t -> {
            // connect drops what arrived before it
            try (DatagramChannel a = bound(StandardProtocolFamily.INET, LO4); DatagramChannel b = bound(StandardProtocolFamily.INET, LO4)) {
                t.call("a send early", () -> a.send(bytes("early"), b.getLocalAddress()));
                sleep(50);
                t.call("connect", () -> b.connect(a.getLocalAddress()).isConnected());
                b.configureBlocking(false);
                t.call("read after connect", () -> b.read(ByteBuffer.allocate(8)));
            }
            try (DatagramChannel c = DatagramChannel.open()) {
                t.call("connect unbound", () -> c.connect(new InetSocketAddress(LO6, 9)).getLocalAddress() != null);
                t.call("disconnect unbound-connect", () -> c.disconnect().getLocalAddress() != null);
            }
        });
        all.put("dgram.portUnreachable", t -> {
            InetSocketAddress dead;
            try (DatagramChannel x = bound(StandardProtocolFamily.INET, LO4)) {
                dead = (InetSocketAddress) x.getLocalAddress();
            }
            try (DatagramChannel b = DatagramChannel.open(StandardProtocolFamily.INET)) {
                b.connect(dead);
                t.call("write", () -> b.write(bytes("x")));
                sleep(100);
                b.configureBlocking(false);
                t.call("read", () -> b.read(ByteBuffer.allocate(8)));
                t.call("write again", () -> b.write(bytes("x")));
                sleep(100);
                t.call("receive", () -> b.receive(ByteBuffer.allocate(8)));
                t.call("still open", b::isOpen);
            }
            try (DatagramChannel b = DatagramChannel.open(StandardProtocolFamily.INET)) {
                t.call("send unconnected", () -> b.send(bytes("x"), dead));
                sleep(100);
                b.configureBlocking(false);
                t.call("receive unconnected", () -> b.receive(ByteBuffer.allocate(8)));
                t.call("send again", () -> b.send(bytes("x"), dead));
            }
        });
        all.put("dgram.options", t -> {
            for (ProtocolFamily f : new ProtocolFamily[] {StandardProtocolFamily.INET, StandardProtocolFamily.INET6}) {
                try (DatagramChannel c = DatagramChannel.open(f)) {
                    TreeSet<String> names = new TreeSet<>();
                    for (SocketOption<?> o : c.supportedOptions()) {
                        names.add(o.name());
                    }
                    t.call(f + " supported", () -> names);
                    for (String n : names) {
                        for (SocketOption<?> o : c.supportedOptions()) {
                            if (o.name().equals(n)) {
                                t.call(f + " default " + n, () -> c.getOption(o));
                            }
                        }
                    }
                    t.call("set SO_SNDBUF", () -> c.setOption(StandardSocketOptions.SO_SNDBUF, 16384).getOption(StandardSocketOptions.SO_SNDBUF));
                    t.call("set SO_RCVBUF", () -> c.setOption(StandardSocketOptions.SO_RCVBUF, 16384).getOption(StandardSocketOptions.SO_RCVBUF));
                    t.call("set SO_RCVBUF tiny", () -> c.setOption(StandardSocketOptions.SO_RCVBUF, 1).getOption(StandardSocketOptions.SO_RCVBUF));
                    t.call("set SO_RCVBUF -1", () -> c.setOption(StandardSocketOptions.SO_RCVBUF, -1));
                    t.call("set SO_REUSEADDR", () -> c.setOption(StandardSocketOptions.SO_REUSEADDR, true).getOption(StandardSocketOptions.SO_REUSEADDR));
                    t.call("set SO_REUSEPORT", () -> c.setOption(StandardSocketOptions.SO_REUSEPORT, true).getOption(StandardSocketOptions.SO_REUSEPORT));
                    t.call("set SO_BROADCAST", () -> c.setOption(StandardSocketOptions.SO_BROADCAST, true).getOption(StandardSocketOptions.SO_BROADCAST));
                    t.call("set IP_TOS", () -> c.setOption(StandardSocketOptions.IP_TOS, 0x10).getOption(StandardSocketOptions.IP_TOS));
                    t.call("set IP_TOS 256", () -> c.setOption(StandardSocketOptions.IP_TOS, 256));
                    t.call("set IP_MULTICAST_TTL", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 7).getOption(StandardSocketOptions.IP_MULTICAST_TTL));
                    t.call("set IP_MULTICAST_TTL 256", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 256));
                    t.call("set IP_MULTICAST_LOOP", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, false).getOption(StandardSocketOptions.IP_MULTICAST_LOOP));
                    NetworkInterface lo = NetworkInterface.getByInetAddress(LO4);
                    t.call("set IP_MULTICAST_IF lo", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo).getOption(StandardSocketOptions.IP_MULTICAST_IF).getName());
                    t.call("set IP_MULTICAST_IF null", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_IF, null));
                    t.call("set TCP_NODELAY", () -> c.setOption(StandardSocketOptions.TCP_NODELAY, true));
                    t.call("get TCP_NODELAY", () -> c.getOption(StandardSocketOptions.TCP_NODELAY));
                    t.call("get SO_LINGER", () -> c.getOption(StandardSocketOptions.SO_LINGER));
                    t.call("set null name", () -> c.setOption(null, 1));
                    t.call("get null name", () -> c.getOption(null));
                    for (SocketOption<?> o : new java.util.TreeMap<>(byName(c)).values()) {
                        if (o.name().equals("SO_INCOMING_NAPI_ID")) {
                            @SuppressWarnings("unchecked")
                            SocketOption<Integer> napi = (SocketOption<Integer>) o;
                            t.call("set SO_INCOMING_NAPI_ID", () -> c.setOption(napi, 1));
                        }
                        if (o.name().equals("IP_DONTFRAGMENT")) {
                            @SuppressWarnings("unchecked")
                            SocketOption<Boolean> df = (SocketOption<Boolean>) o;
                            t.call("set IP_DONTFRAGMENT", () -> c.setOption(df, true).getOption(df));
                            t.call("unset IP_DONTFRAGMENT", () -> c.setOption(df, false).getOption(df));
                        }
                    }
                    c.close();
                    t.call("closed set", () -> c.setOption(StandardSocketOptions.SO_SNDBUF, 1));
                    t.call("closed get", () -> c.getOption(StandardSocketOptions.SO_SNDBUF));
                    t.call("closed supported", () -> c.supportedOptions().size() > 0);
                }
            }
        });
        all.put("dgram.blocking", t -> {
            try (DatagramChannel a = bound(StandardProtocolFamily.INET6, LO6); DatagramChannel b = bound(StandardProtocolFamily.INET6, LO6)) {
                AtomicReference<String> r = new AtomicReference<>();
                Thread th = receiver(a, r);
                sleep(200);
                t.call("still waiting", () -> r.get());
                b.send(bytes("late"), a.getLocalAddress());
                th.join(5000);
                t.call("blocking receive", r::get);
                b.connect(a.getLocalAddress());
                Thread th2 = new Thread(() -> {
                    try {
                        ByteBuffer buf = ByteBuffer.allocate(8);
                        r.set("read " + b.read(buf) + " " + str(buf));
                    } catch (Throwable e) {
                        r.set(Transcript.exception(e));
                    }
                });
                th2.start();
                sleep(200);
                a.send(bytes("late2"), b.getLocalAddress());
                th2.join(5000);
                t.call("blocking read", r::get);
                t.call("configure nb", () -> a.configureBlocking(false).isBlocking());
                t.call("configure b", () -> a.configureBlocking(true).isBlocking());
            }
        });
        all.put("dgram.asyncCloseReceive", t -> {
            DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = receiver(a, r);
            sleep(200);
            a.close();
            th.join(5000);
            t.call("receive", r::get);
            t.call("isOpen", a::isOpen);
        });
        all.put("dgram.asyncCloseRead", t -> {
            DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
            a.connect(new InetSocketAddress(LO4, 9));
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    r.set("returned " + a.read(ByteBuffer.allocate(4)));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th.start();
            sleep(200);
            a.close();
            th.join(5000);
            t.call("read", r::get);
        });
        all.put("dgram.interruptReceive", t -> {
            DatagramChannel a = bound(StandardProtocolFamily.INET6, LO6);
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = receiver(a, r);
            sleep(200);
            th.interrupt();
            th.join(5000);
            t.call("receive", r::get);
            t.call("isOpen", a::isOpen);
        });
        all.put("dgram.interruptedBefore", t -> {
            DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    r.set("returned " + a.send(bytes("x"), new InetSocketAddress(LO4, 9)));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e) + " interrupted=" + Thread.currentThread().isInterrupted());
                }
            });
            th.start();
            th.join(5000);
            t.call("send", r::get);
            t.call("isOpen", a::isOpen);
        });
        all.put("dgram.closed", t -> {
            for (boolean blocking : new boolean[] {true, false}) {
                String m = blocking ? "b " : "nb ";
                DatagramChannel c = DatagramChannel.open();
                c.configureBlocking(blocking);
                c.close();
                closedCalls(t, m, c);
                DatagramChannel cc = DatagramChannel.open();
                cc.configureBlocking(blocking);
                cc.connect(new InetSocketAddress(LO6, 9));
                cc.close();
                closedCalls(t, m + "connected ", cc);
            }
        });
        all.put("dgram.selector", t -> {
            try (Selector sel = Selector.open();
                    DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
                    DatagramChannel b = bound(StandardProtocolFamily.INET, LO4)) {
                t.call("register blocking", () -> a.register(sel, SelectionKey.OP_READ));
                a.configureBlocking(false);
                t.call("register OP_ACCEPT", () -> a.register(sel, SelectionKey.OP_ACCEPT));
                SelectionKey k = a.register(sel, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                t.call("interestOps(OP_CONNECT)", () -> k.interestOps(SelectionKey.OP_CONNECT));
                t.call("selectNow", sel::selectNow);
                t.call("ready", k::readyOps);
                sel.selectedKeys().clear();
                k.interestOps(SelectionKey.OP_READ);
                t.call("selectNow nothing", sel::selectNow);
                b.send(bytes("ping"), a.getLocalAddress());
                t.call("select", () -> sel.select(2000));
                t.call("readable", k::isReadable);
                ByteBuffer buf = ByteBuffer.allocate(8);
                t.call("receive", () -> a.receive(buf) != null);
                sel.selectedKeys().clear();
                t.call("selectNow after receive", sel::selectNow);
                t.call("configureBlocking registered", () -> a.configureBlocking(true));
                a.close();
                t.call("key valid after close", k::isValid);
                t.call("selectNow after close", sel::selectNow);
                t.call("keys", () -> sel.keys().size());
            }
        });
        all.put("dgram.multicastMisuse", t -> {
            try (DatagramChannel c4 = DatagramChannel.open(StandardProtocolFamily.INET)) {
                NetworkInterface lo = NetworkInterface.getByInetAddress(LO4);
                t.call("join unicast", () -> c4.join(LO4, lo));
                t.call("INET join v6 group", () -> c4.join(addr("ff02::1"), lo));
                t.call("join source wildcard", () -> c4.join(addr("239.1.2.3"), lo, addr("0.0.0.0")));
                t.call("join source multicast", () -> c4.join(addr("239.1.2.3"), lo, addr("239.1.2.4")));
                t.call("join source other family", () -> c4.join(addr("239.1.2.3"), lo, LO6));
                t.call("join null group", () -> c4.join(null, lo));
                t.call("join null source", () -> c4.join(addr("239.1.2.3"), lo, null));
                c4.close();
                t.call("closed join", () -> c4.join(addr("239.1.2.3"), lo));
            }
        });
        all.put("dgram.multicastSocket", t -> {
            // what needs no multicast route; MulticastTest has the rest, in a namespace of its own
            for (ProtocolFamily f : new ProtocolFamily[] {StandardProtocolFamily.INET, StandardProtocolFamily.INET6}) {
                try (DatagramChannel dc = DatagramChannel.open(f)) {
                    t.call(f + " is a MulticastSocket", () -> dc.socket() instanceof MulticastSocket);
                    MulticastSocket ms = (MulticastSocket) dc.socket();
                    t.call("getNetworkInterface", () -> ms.getNetworkInterface().getName() + " "
                            + ms.getNetworkInterface().getIndex());
                    t.call("getInterface", ms::getInterface);
                    t.call("getTimeToLive", ms::getTimeToLive);
                    t.call("setTimeToLive 3", () -> {
                        ms.setTimeToLive(3);
                        return ms.getTimeToLive() + " " + dc.getOption(StandardSocketOptions.IP_MULTICAST_TTL);
                    });
                    t.call("getLoopbackMode", ms::getLoopbackMode);
                    t.call("setLoopbackMode true", () -> {
                        ms.setLoopbackMode(true);
                        return dc.getOption(StandardSocketOptions.IP_MULTICAST_LOOP);
                    });
                    t.call("setInterface 127.0.0.1", () -> {
                        ms.setInterface(LO4);
                        return ms.getInterface() + " " + ms.getNetworkInterface().getName();
                    });
                    t.call("leaveGroup, not a member", () -> {
                        ms.leaveGroup(new InetSocketAddress(addr("239.1.2.3"), 0), null);
                        return "ok";
                    });
                    ms.close();
                    t.call("closed getTimeToLive", ms::getTimeToLive);
                    t.call("closed getNetworkInterface", ms::getNetworkInterface);
                }
            }
        });
        all.put("dgram.adaptor", t -> {
            try (DatagramChannel a = DatagramChannel.open(StandardProtocolFamily.INET); DatagramChannel b = bound(StandardProtocolFamily.INET, LO4)) {
                DatagramSocket s = a.socket();
                t.call("isBound", s::isBound);
                t.call("local port unbound", s::getLocalPort);
                t.call("local address unbound", () -> s.getLocalAddress());
                t.call("local sa unbound", s::getLocalSocketAddress);
                t.call("isConnected", s::isConnected);
                t.call("inet address", s::getInetAddress);
                t.call("port", s::getPort);
                t.call("remote sa", s::getRemoteSocketAddress);
                t.call("bind foreign", () -> { s.bind(new SocketAddress() { }); return "ok"; });
                t.call("bind", () -> { s.bind(new InetSocketAddress(LO4, 0)); return s.getLocalSocketAddress(); });
                t.call("bind again", () -> { s.bind(new InetSocketAddress(LO4, 0)); return "ok"; });
                t.call("channel bound", () -> a.getLocalAddress().equals(s.getLocalSocketAddress()));
                t.call("soTimeout", s::getSoTimeout);
                t.call("soTimeout -1", () -> { s.setSoTimeout(-1); return "ok"; });
                t.call("sendBufferSize 0", () -> { s.setSendBufferSize(0); return "ok"; });
                t.call("receiveBufferSize 0", () -> { s.setReceiveBufferSize(0); return "ok"; });
                t.call("sendBufferSize", () -> { s.setSendBufferSize(16384); return s.getSendBufferSize(); });
                t.call("receiveBufferSize", () -> { s.setReceiveBufferSize(16384); return s.getReceiveBufferSize(); });
                t.call("reuseAddress", () -> { s.setReuseAddress(true); return s.getReuseAddress(); });
                t.call("broadcast", () -> { s.setBroadcast(true); return s.getBroadcast(); });
                t.call("trafficClass", () -> { s.setTrafficClass(0x20); return s.getTrafficClass(); });
                t.call("trafficClass 300", () -> { s.setTrafficClass(300); return "ok"; });
                t.call("supportedOptions", () -> s.supportedOptions().equals(a.supportedOptions()));
                t.call("option", () -> s.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 3).getOption(StandardSocketOptions.IP_MULTICAST_TTL));
                s.setSoTimeout(200);
                t.call("soTimeout set", s::getSoTimeout);
                byte[] buf = new byte[32];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                t.call("receive timeout", () -> { s.receive(p); return "got"; });
                t.call("still open", () -> !s.isClosed());
                SocketAddress to = s.getLocalSocketAddress();
                b.send(bytes("hi"), to);
                t.call("receive", () -> { s.receive(p); return p.getLength() + " " + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8) + " from " + Transcript.show(p.getSocketAddress()); });
                b.send(bytes("a longer datagram"), to);
                t.call("receive into reused packet", () -> { s.receive(p); return p.getLength() + " " + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8); });
                p.setLength(4);
                b.send(bytes("truncated here"), to);
                t.call("receive after setLength(4)", () -> { s.receive(p); return p.getLength() + " " + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8); });
                byte[] off = new byte[16];
                DatagramPacket po = new DatagramPacket(off, 3, 5);
                b.send(bytes("offset!"), to);
                t.call("receive with offset", () -> { s.receive(po); return po.getOffset() + " " + po.getLength() + " " + new String(off, 3, po.getLength(), StandardCharsets.UTF_8); });
                DatagramPacket out = new DatagramPacket("out".getBytes(StandardCharsets.UTF_8), 3, b.getLocalAddress());
                t.call("send", () -> { s.send(out); return "sent"; });
                ByteBuffer got = ByteBuffer.allocate(8);
                t.call("peer receive", () -> Transcript.show(b.receive(got)) + " " + str(got));
                DatagramPacket noAddr = new DatagramPacket(new byte[1], 1);
                t.call("send no address", () -> { s.send(noAddr); return "sent"; });
                t.call("connect null", () -> { s.connect(null); return "ok"; });
                t.call("connect", () -> { s.connect(b.getLocalAddress()); return s.isConnected() + " " + Transcript.show(s.getRemoteSocketAddress()) + " " + (s.getPort() > 0); });
                t.call("channel connected", a::isConnected);
                t.call("connect again (no error)", () -> { s.connect(b.getLocalAddress()); return s.isConnected(); });
                t.call("send no address connected", () -> { s.send(noAddr); return Transcript.show(noAddr.getSocketAddress()); });
                t.call("send other address", () -> { s.send(new DatagramPacket(new byte[1], 1, new InetSocketAddress(LO4, 9))); return "sent"; });
                t.call("disconnect", () -> { s.disconnect(); return s.isConnected(); });
                a.configureBlocking(false);
                t.call("receive non-blocking channel", () -> { s.receive(p); return "got"; });
                t.call("send non-blocking channel", () -> { s.send(out); return "sent"; });
                a.configureBlocking(true);
                t.call("joinGroup null", () -> { s.joinGroup(null, null); return "ok"; });
                t.call("joinGroup unresolved", () -> { s.joinGroup(InetSocketAddress.createUnresolved("nowhere.invalid", 0), null); return "ok"; });
                t.call("joinGroup unicast", () -> { s.joinGroup(new InetSocketAddress(LO4, 0), null); return "ok"; });
                t.call("leaveGroup unicast", () -> { s.leaveGroup(new InetSocketAddress(LO4, 0), null); return "ok"; });
                s.close();
                t.call("isClosed", s::isClosed);
                t.call("channel closed", () -> !a.isOpen());
                t.call("closed receive", () -> { s.receive(p); return "got"; });
                t.call("closed send", () -> { s.send(out); return "sent"; });
                t.call("closed local port", s::getLocalPort);
                t.call("closed local address", s::getLocalAddress);
                t.call("closed local sa", s::getLocalSocketAddress);
                t.call("closed soTimeout", s::getSoTimeout);
                t.call("closed sendBufferSize", s::getSendBufferSize);
                t.call("closed connect", () -> { s.connect(b.getLocalAddress()); return "ok"; });
                t.call("closed bind", () -> { s.bind(null); return "ok"; });
                t.call("close again", () -> { s.close(); return "ok"; });
            }
        });
        all.put("dgram.adaptorAsyncClose", t -> {
            DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
            DatagramSocket s = a.socket();
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    s.receive(new DatagramPacket(new byte[8], 8));
                    r.set("returned");
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th.start();
            sleep(200);
            s.close();
            th.join(5000);
            t.call("receive", r::get);
        });
        all.put("dgram.adaptorInterrupt", t -> {
            DatagramChannel a = bound(StandardProtocolFamily.INET, LO4);
            DatagramSocket s = a.socket();
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    s.setSoTimeout(5000);
                    s.receive(new DatagramPacket(new byte[8], 8));
                    r.set("returned");
                } catch (Throwable e) {
                    r.set(Transcript.exception(e) + " interrupted=" + Thread.currentThread().isInterrupted());
                }
            });
            th.start();
            sleep(200);
            th.interrupt();
            th.join(5000);
            t.call("receive", r::get);
            t.call("closed", s::isClosed);
        });
    }

    /** The supported options by name: a set's order differs between JVMs. */
    private static Map<String, SocketOption<?>> byName(DatagramChannel c) {
        Map<String, SocketOption<?>> m = new java.util.TreeMap<>();
        for (SocketOption<?> o : c.supportedOptions()) {
            m.put(o.name(), o);
        }
        return m;
    }

    private static void closedCalls(Transcript t, String m, DatagramChannel c) {
        InetSocketAddress to = new InetSocketAddress(LO6, 9);
        t.call(m + "receive", () -> c.receive(ByteBuffer.allocate(1)));
        t.call(m + "send", () -> c.send(ByteBuffer.allocate(1), to));
        t.call(m + "read", () -> c.read(ByteBuffer.allocate(1)));
        t.call(m + "write", () -> c.write(ByteBuffer.allocate(1)));
        t.call(m + "read[]", () -> c.read(new ByteBuffer[] {ByteBuffer.allocate(1)}));
        t.call(m + "write[]", () -> c.write(new ByteBuffer[] {ByteBuffer.allocate(1)}));
        t.call(m + "connect", () -> c.connect(to));
        t.call(m + "disconnect", () -> c.disconnect() == c);
        t.call(m + "bind", () -> c.bind(null));
        t.call(m + "local", c::getLocalAddress);
        t.call(m + "remote", c::getRemoteAddress);
        t.call(m + "isConnected", c::isConnected);
        t.call(m + "configureBlocking", () -> c.configureBlocking(false));
        t.call(m + "register", () -> { try (Selector s = Selector.open()) { return c.register(s, 0); } });
        t.call(m + "socket closed", () -> c.socket().isClosed());
        t.call(m + "close again", () -> { c.close(); return "ok"; });
    }
}
