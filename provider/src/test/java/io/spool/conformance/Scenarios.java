package io.spool.conformance;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/** The conformance scenarios. Each one only uses the public NIO API. */
public final class Scenarios {
    /** One scenario: records what it observes. */
    public interface Scenario {
        void run(Transcript t) throws Exception;
    }

    private static final Map<String, Scenario> ALL = new LinkedHashMap<>();

    static Map<String, Scenario> all() {
        return ALL;
    }

    private static void add(String name, Scenario s) {
        ALL.put(name, s);
    }

    static final InetAddress LO4 = addr("127.0.0.1");
    static final InetAddress LO6 = addr("::1");

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static ServerSocketChannel server(InetAddress a) throws Exception {
        ServerSocketChannel ssc = ServerSocketChannel.open();
        ssc.bind(new InetSocketAddress(a, 0));
        return ssc;
    }

    static SocketChannel[] pair(InetAddress a) throws Exception {
        try (ServerSocketChannel ssc = server(a)) {
            SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
            SocketChannel s = ssc.accept();
            return new SocketChannel[] {c, s};
        }
    }

    /**
     * Writes without blocking until the socket takes no more (the peer does
     * not read), then makes the channel blocking again.
     */
    static void fillSendPath(SocketChannel ch) throws Exception {
        ch.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(256 * 1024);
        for (int idle = 0; idle < 20; ) {
            chunk.clear();
            if (ch.write(chunk) == 0) {
                idle++;
                sleep(10);
            } else {
                idle = 0;
            }
        }
        ch.configureBlocking(true);
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static String str(ByteBuffer b) {
        b.flip();
        return StandardCharsets.UTF_8.decode(b).toString();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A free port with nothing listening on it. */
    static InetSocketAddress refused(InetAddress a) throws Exception {
        try (ServerSocketChannel s = server(a)) {
            return (InetSocketAddress) s.getLocalAddress();
        }
    }

    static {
        // ---- provider
        add("provider.families", t -> {
            SelectorProvider p = SelectorProvider.provider();
            t.call("socket INET", () -> { try (SocketChannel c = p.openSocketChannel(StandardProtocolFamily.INET)) { return c.isOpen(); } });
            t.call("socket INET6", () -> { try (SocketChannel c = p.openSocketChannel(StandardProtocolFamily.INET6)) { return c.isOpen(); } });
            t.call("server INET", () -> { try (ServerSocketChannel c = p.openServerSocketChannel(StandardProtocolFamily.INET)) { return c.isOpen(); } });
            t.call("socket null", () -> p.openSocketChannel(null));
            t.call("inherited", () -> p.inheritedChannel());
            t.call("same provider", () -> { try (Selector s = Selector.open()) { return s.provider() == p; } });
        });

        // ---- selector
        add("selector.selectNow.empty", t -> {
            try (Selector s = Selector.open()) {
                t.call("selectNow", s::selectNow);
                t.call("select(10)", () -> s.select(10));
                t.call("keys", () -> s.keys().size());
                t.call("selectedKeys", () -> s.selectedKeys().size());
                t.call("isOpen", s::isOpen);
            }
        });
        add("selector.closed", t -> {
            Selector s = Selector.open();
            s.close();
            t.call("close again", () -> { s.close(); return "ok"; });
            t.call("isOpen", s::isOpen);
            t.call("select", s::select);
            t.call("selectNow", s::selectNow);
            t.call("select(1)", () -> s.select(1));
            t.call("select(action)", () -> s.select(k -> { }));
            t.call("keys", s::keys);
            t.call("selectedKeys", s::selectedKeys);
            t.call("wakeup", () -> s.wakeup() == s);
            try (SocketChannel c = SocketChannel.open()) {
                c.configureBlocking(false);
                t.call("register", () -> c.register(s, SelectionKey.OP_READ));
            }
        });
        add("selector.badArgs", t -> {
            try (Selector s = Selector.open(); SocketChannel c = SocketChannel.open()) {
                t.call("select(-1)", () -> s.select(-1));
                t.call("select(null)", () -> s.select((java.util.function.Consumer<SelectionKey>) null));
                t.call("select(action,-1)", () -> s.select(k -> { }, -1));
                t.call("register blocking", () -> c.register(s, SelectionKey.OP_READ));
                c.configureBlocking(false);
                t.call("register OP_ACCEPT", () -> c.register(s, SelectionKey.OP_ACCEPT));
                SelectionKey k = c.register(s, SelectionKey.OP_CONNECT);
                t.call("interestOps(OP_ACCEPT)", () -> k.interestOps(SelectionKey.OP_ACCEPT));
                t.call("interestOpsOr(OP_ACCEPT)", () -> k.interestOpsOr(SelectionKey.OP_ACCEPT));
                t.call("configureBlocking(true) registered", () -> c.configureBlocking(true));
                t.call("selectedKeys add", () -> s.selectedKeys().add(k));
                t.call("keys add", () -> s.keys().add(k));
                t.call("keys remove", () -> s.keys().remove(k));
                t.call("validOps", c::validOps);
            }
        });
        add("selector.foreignChannel", t -> {
            try (Selector s = Selector.open(); ForeignChannel f = new ForeignChannel()) {
                f.configureBlocking(false);
                t.call("foreign channel, our selector", () -> f.register(s, SelectionKey.OP_READ));
                t.call("keys", () -> s.keys().size());
                t.call("registered", f::isRegistered);
            }
        });
        add("selector.cancel", t -> {
            try (Selector s = Selector.open(); ServerSocketChannel ssc = server(LO4)) {
                ssc.configureBlocking(false);
                SelectionKey k = ssc.register(s, SelectionKey.OP_ACCEPT, "att");
                t.call("attachment", k::attachment);
                t.call("keyFor", () -> ssc.keyFor(s) == k);
                t.call("isRegistered", ssc::isRegistered);
                k.cancel();
                t.call("isValid", k::isValid);
                t.call("keys before select", () -> s.keys().size());
                t.call("interestOps", k::interestOps);
                t.call("interestOps(0)", () -> k.interestOps(0));
                t.call("readyOps", k::readyOps);
                t.call("interestOpsOr", () -> k.interestOpsOr(0));
                t.call("interestOpsAnd", () -> k.interestOpsAnd(0));
                t.call("re-register before select", () -> ssc.register(s, SelectionKey.OP_ACCEPT));
                t.call("selectNow", s::selectNow);
                t.call("keys after select", () -> s.keys().size());
                t.call("isRegistered", ssc::isRegistered);
                t.call("keyFor", () -> ssc.keyFor(s));
                SelectionKey k2 = ssc.register(s, SelectionKey.OP_ACCEPT);
                t.call("new key valid", k2::isValid);
                t.call("new key same", () -> k2 == k);
                t.call("cancel twice", () -> { k2.cancel(); k2.cancel(); return "ok"; });
            }
        });
        add("selector.bufferedThenWritable", t -> {
            // bytes already taken off the socket (read-ahead) and a writable
            // report in the same select: the key is readable and writable
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel s = p[1]; Selector sel = Selector.open()) {
                s.configureBlocking(false);
                SelectionKey k = s.register(sel, SelectionKey.OP_READ);
                c.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
                t.call("readable", () -> {
                    int n = 0;
                    for (int i = 0; i < 50 && n == 0; i++) {
                        n = sel.select(100);
                    }
                    return n;
                });
                t.call("ready", k::readyOps);
                sel.selectedKeys().clear();
                k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                t.call("select read+write", () -> sel.select(1000));
                t.call("ready read+write", k::readyOps);
                sel.selectedKeys().clear();
                t.call("select(Consumer)", () -> {
                    StringBuilder sb = new StringBuilder();
                    int n = sel.select(key -> sb.append(key.readyOps()), 1000);
                    return n + " " + sb;
                });
                ByteBuffer b = ByteBuffer.allocate(16);
                t.call("read", () -> s.read(b));
            }
        });
        add("selector.acceptReady", t -> {
            try (Selector s = Selector.open(); ServerSocketChannel ssc = server(LO4)) {
                ssc.configureBlocking(false);
                SelectionKey k = ssc.register(s, SelectionKey.OP_ACCEPT);
                t.call("selectNow none", s::selectNow);
                t.call("accept none", ssc::accept);
                SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
                t.call("select", s::select);
                t.call("selected contains", () -> s.selectedKeys().contains(k));
                t.call("readyOps", k::readyOps);
                t.call("select again (already selected)", () -> s.select(50));
                SocketChannel a = ssc.accept();
                t.call("accepted blocking", a::isBlocking);
                t.call("accepted connected", a::isConnected);
                t.call("accepted local", a::getLocalAddress);
                t.call("accepted remote", () -> Transcript.show(a.getRemoteAddress()));
                t.call("remote == client local", () -> a.getRemoteAddress().equals(c.getLocalAddress()));
                s.selectedKeys().clear();
                t.call("selectNow after accept", s::selectNow);
                a.close();
                c.close();
            }
        });
        add("selector.readWriteReady", t -> {
            SocketChannel[] p = pair(LO4);
            try (Selector s = Selector.open(); SocketChannel c = p[0]; SocketChannel a = p[1]) {
                a.configureBlocking(false);
                SelectionKey k = a.register(s, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                t.call("select", () -> s.select(1000));
                t.call("readyOps", k::readyOps);
                s.selectedKeys().clear();
                k.interestOps(SelectionKey.OP_READ);
                t.call("selectNow read only", s::selectNow);
                c.write(bytes("hello"));
                t.call("select read", () -> s.select(1000));
                t.call("readyOps", k::readyOps);
                t.call("isReadable", k::isReadable);
                t.call("isWritable", k::isWritable);
                ByteBuffer b = ByteBuffer.allocate(16);
                t.call("read", () -> a.read(b));
                t.call("data", () -> str(b));
                s.selectedKeys().clear();
                t.call("selectNow drained", s::selectNow);
                c.close();
                t.call("select on EOF", () -> s.select(1000));
                t.call("readyOps EOF", k::readyOps);
                t.call("read EOF", () -> a.read(ByteBuffer.allocate(4)));
            }
        });
        add("selector.consumer", t -> {
            SocketChannel[] p = pair(LO4);
            try (Selector s = Selector.open(); SocketChannel c = p[0]; SocketChannel a = p[1]) {
                a.configureBlocking(false);
                c.configureBlocking(false);
                a.register(s, SelectionKey.OP_READ, "a");
                c.register(s, SelectionKey.OP_WRITE, "c");
                List<String> seen = new ArrayList<>();
                t.call("selectNow(action)", () -> s.selectNow(k -> seen.add(k.attachment() + ":" + k.readyOps())));
                t.call("seen", () -> new TreeSet<>(seen));
                t.call("selectedKeys", () -> s.selectedKeys().size());
                c.write(bytes("x"));
                seen.clear();
                t.call("select(action,1000)", () -> s.select(k -> seen.add(k.attachment() + ":" + k.readyOps()), 1000));
                t.call("seen", () -> new TreeSet<>(seen));
                seen.clear();
                t.call("select(action)", () -> s.select(k -> seen.add(k.attachment() + ":" + k.readyOps())));
                t.call("action throws", () -> s.selectNow(k -> { throw new IllegalStateException("boom"); }));
                t.call("action closes selector", () -> s.selectNow(k -> { try { s.close(); } catch (Exception e) { throw new RuntimeException(e); } }));
            }
        });
        add("selector.wakeupBefore", t -> {
            try (Selector s = Selector.open()) {
                s.wakeup();
                s.wakeup();
                long t0 = System.nanoTime();
                t.call("select after wakeup", s::select);
                t.call("fast", () -> System.nanoTime() - t0 < 2_000_000_000L);
                t.call("select(100) not woken again", () -> s.select(100));
                s.wakeup();
                t.call("selectNow clears", s::selectNow);
                long t1 = System.nanoTime();
                t.call("select(200) waits", () -> s.select(200));
                t.call("waited", () -> System.nanoTime() - t1 >= 150_000_000L);
            }
        });
        add("selector.wakeupDuring", t -> {
            try (Selector s = Selector.open()) {
                Thread w = new Thread(() -> { sleep(200); s.wakeup(); });
                w.start();
                long t0 = System.nanoTime();
                t.call("select woken", s::select);
                t.call("took >= 150ms", () -> System.nanoTime() - t0 >= 150_000_000L);
                w.join();
            }
        });
        add("selector.interrupt", t -> {
            try (Selector s = Selector.open()) {
                Thread self = Thread.currentThread();
                Thread w = new Thread(() -> { sleep(200); self.interrupt(); });
                w.start();
                t.call("select interrupted", s::select);
                t.call("interrupted flag", () -> Thread.interrupted());
                t.call("isOpen", s::isOpen);
                w.join();
            }
        });
        add("selector.closeWhileSelecting", t -> {
            Selector s = Selector.open();
            ServerSocketChannel ssc = server(LO4);
            ssc.configureBlocking(false);
            SelectionKey k = ssc.register(s, SelectionKey.OP_ACCEPT);
            AtomicReference<String> r = new AtomicReference<>();
            Thread sel = new Thread(() -> {
                try {
                    r.set("returned " + s.select());
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            sel.start();
            sleep(200);
            s.close();
            sel.join(5000);
            t.call("selecting thread", r::get);
            t.call("key valid", k::isValid);
            t.call("channel registered", ssc::isRegistered);
            t.call("channel open", ssc::isOpen);
            ssc.close();
        });
        add("selector.interestOpsFromOtherThread", t -> {
            SocketChannel[] p = pair(LO4);
            try (Selector s = Selector.open(); SocketChannel c = p[0]; SocketChannel a = p[1]) {
                a.configureBlocking(false);
                SelectionKey k = a.register(s, 0);
                AtomicReference<Object> r = new AtomicReference<>();
                Thread sel = new Thread(() -> {
                    try {
                        r.set(s.select(5000));
                    } catch (Throwable e) {
                        r.set(Transcript.exception(e));
                    }
                });
                sel.start();
                sleep(200);
                k.interestOps(SelectionKey.OP_WRITE);
                s.wakeup();
                sel.join();
                t.call("first select", r::get);
                t.call("select sees new interest", () -> s.select(2000));
                t.call("readyOps", k::readyOps);
            }
        });
        add("selector.channelClosedWhileRegistered", t -> {
            SocketChannel[] p = pair(LO4);
            try (Selector s = Selector.open(); SocketChannel c = p[0]) {
                SocketChannel a = p[1];
                a.configureBlocking(false);
                SelectionKey k = a.register(s, SelectionKey.OP_READ);
                a.close();
                t.call("key valid", k::isValid);
                t.call("registered", a::isRegistered);
                t.call("keys", () -> s.keys().size());
                ByteBuffer b = ByteBuffer.allocate(4);
                // the JDK shuts output down when a registered channel is closed
                t.call("peer read", () -> { c.socket().setSoTimeout(2000); return c.socket().getInputStream().read(); });
                t.call("selectNow", s::selectNow);
                t.call("keys after", () -> s.keys().size());
                t.call("registered after", a::isRegistered);
            }
        });

        // ---- server socket channel
        add("server.bindAccept", t -> {
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                t.call("local unbound", ssc::getLocalAddress);
                t.call("accept unbound", ssc::accept);
                ssc.configureBlocking(false);
                t.call("accept unbound nb", ssc::accept);
                t.call("bind", () -> ssc.bind(new InetSocketAddress(LO4, 0), 10) == ssc);
                t.call("local", ssc::getLocalAddress);
                t.call("bind again", () -> ssc.bind(null));
                t.call("accept none nb", ssc::accept);
                t.call("validOps", ssc::validOps);
                t.call("toString unbound-ish", () -> ssc.toString().startsWith("sun.nio.ch") || ssc.toString().startsWith("java.nio"));
            }
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                t.call("bind null", () -> ssc.bind(null).getLocalAddress());
                t.call("local wildcard", ssc::getLocalAddress);
            }
            try (ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
                t.call("INET bind null", () -> ssc.bind(null).getLocalAddress());
                t.call("INET local wildcard", ssc::getLocalAddress);
                t.call("INET bind v6", () -> ssc.bind(new InetSocketAddress(LO6, 0)));
            }
            ServerSocketChannel c = ServerSocketChannel.open();
            c.close();
            t.call("closed bind", () -> c.bind(null));
            t.call("closed accept", c::accept);
            t.call("closed local", c::getLocalAddress);
            t.call("closed setOption", () -> c.setOption(StandardSocketOptions.SO_REUSEADDR, true));
            t.call("closed configureBlocking", () -> c.configureBlocking(false));
        });
        add("server.addressErrors", t -> {
            try (ServerSocketChannel ssc = ServerSocketChannel.open(); ServerSocketChannel busy = server(LO4)) {
                t.call("unresolved", () -> ssc.bind(InetSocketAddress.createUnresolved("nowhere.invalid", 80)));
                t.call("foreign type", () -> ssc.bind(new SocketAddress() { }));
                t.call("in use", () -> ssc.bind(busy.getLocalAddress()));
                t.call("not local", () -> ssc.bind(new InetSocketAddress(addr("192.0.2.1"), 0)));
            }
        });
        add("server.options", t -> {
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                options(t, ssc);
                t.call("set SO_RCVBUF", () -> ssc.setOption(StandardSocketOptions.SO_RCVBUF, 32768) == ssc);
                t.call("set SO_REUSEADDR false", () -> ssc.setOption(StandardSocketOptions.SO_REUSEADDR, false).getOption(StandardSocketOptions.SO_REUSEADDR));
                t.call("TCP_NODELAY", () -> ssc.getOption(StandardSocketOptions.TCP_NODELAY));
                t.call("set null value", () -> ssc.setOption(StandardSocketOptions.SO_RCVBUF, null));
                t.call("get null", () -> ssc.getOption(null));
            }
        });
        add("server.blockingAccept", t -> {
            try (ServerSocketChannel ssc = server(LO4)) {
                Thread c = new Thread(() -> {
                    sleep(100);
                    try (SocketChannel sc = SocketChannel.open(ssc.getLocalAddress())) {
                        sc.write(bytes("hi"));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                c.start();
                SocketChannel a = ssc.accept();
                t.call("accepted", () -> a != null);
                ByteBuffer b = ByteBuffer.allocate(8);
                t.call("read", () -> a.read(b));
                t.call("data", () -> str(b));
                a.close();
                c.join();
            }
        });
        add("server.asyncCloseAccept", t -> {
            ServerSocketChannel ssc = server(LO4);
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    r.set("returned " + ssc.accept());
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th.start();
            sleep(200);
            ssc.close();
            th.join(5000);
            t.call("accept", r::get);
            t.call("isOpen", ssc::isOpen);
        });
        add("server.interruptAccept", t -> {
            ServerSocketChannel ssc = server(LO4);
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    r.set("returned " + ssc.accept());
                } catch (Throwable e) {
                    r.set(Transcript.exception(e) + " interrupted=" + Thread.currentThread().isInterrupted());
                }
            });
            th.start();
            sleep(200);
            th.interrupt();
            th.join(5000);
            t.call("accept", r::get);
            t.call("isOpen", ssc::isOpen);
        });
        add("server.interruptedBefore", t -> {
            ServerSocketChannel ssc = server(LO4);
            Thread.currentThread().interrupt();
            t.call("accept", ssc::accept);
            t.call("interrupted", Thread::interrupted);
            t.call("isOpen", ssc::isOpen);
        });

        // ---- socket channel
        add("socket.states", t -> {
            try (SocketChannel c = SocketChannel.open()) {
                t.call("isConnected", c::isConnected);
                t.call("isConnectionPending", c::isConnectionPending);
                t.call("local", c::getLocalAddress);
                t.call("remote", c::getRemoteAddress);
                t.call("read", () -> c.read(ByteBuffer.allocate(1)));
                t.call("write", () -> c.write(ByteBuffer.allocate(1)));
                t.call("read[]", () -> c.read(new ByteBuffer[] {ByteBuffer.allocate(1)}));
                t.call("write[]", () -> c.write(new ByteBuffer[] {ByteBuffer.allocate(1)}));
                t.call("finishConnect", c::finishConnect);
                t.call("shutdownInput", c::shutdownInput);
                t.call("shutdownOutput", c::shutdownOutput);
                t.call("validOps", c::validOps);
                t.call("isBlocking", c::isBlocking);
                t.call("connect null", () -> c.connect(null));
                t.call("connect unresolved", () -> c.connect(InetSocketAddress.createUnresolved("nowhere.invalid", 80)));
                t.call("connect foreign", () -> c.connect(new SocketAddress() { }));
                t.call("bind foreign", () -> c.bind(new SocketAddress() { }));
                t.call("toString", c::toString);
            }
            SocketChannel x = SocketChannel.open();
            x.close();
            t.call("closed read", () -> x.read(ByteBuffer.allocate(1)));
            t.call("closed write", () -> x.write(ByteBuffer.allocate(1)));
            t.call("closed connect", () -> x.connect(new InetSocketAddress(LO4, 1)));
            t.call("closed finishConnect", x::finishConnect);
            t.call("closed bind", () -> x.bind(null));
            t.call("closed local", x::getLocalAddress);
            t.call("closed remote", x::getRemoteAddress);
            t.call("closed shutdownInput", x::shutdownInput);
            t.call("closed getOption", () -> x.getOption(StandardSocketOptions.SO_LINGER));
            t.call("closed configureBlocking", () -> x.configureBlocking(false));
            t.call("closed register", () -> { try (Selector s = Selector.open()) { return x.register(s, 0); } });
            t.call("closed toString", x::toString);
            t.call("close again", () -> { x.close(); return "ok"; });
        });
        add("socket.connectBlocking", t -> {
            try (ServerSocketChannel ssc = server(LO4); SocketChannel c = SocketChannel.open()) {
                t.call("connect", () -> c.connect(ssc.getLocalAddress()));
                t.call("isConnected", c::isConnected);
                t.call("finishConnect", c::finishConnect);
                t.call("connect again", () -> c.connect(ssc.getLocalAddress()));
                t.call("bind after connect", () -> c.bind(null));
                t.call("local", c::getLocalAddress);
                t.call("remote", c::getRemoteAddress);
                t.call("toString", () -> c.toString().replaceAll("\\d{4,5}", "PORT"));
                SocketChannel a = ssc.accept();
                t.call("accepted remote port", () -> ((InetSocketAddress) a.getRemoteAddress()).getPort() == ((InetSocketAddress) c.getLocalAddress()).getPort());
                a.close();
            }
        });
        add("socket.connectNonBlocking", t -> {
            try (ServerSocketChannel ssc = server(LO4); SocketChannel c = SocketChannel.open(); Selector s = Selector.open()) {
                c.configureBlocking(false);
                Object r = t.call("connect", () -> c.connect(ssc.getLocalAddress()));
                if (Boolean.FALSE.equals(r)) {
                    t.call("pending", c::isConnectionPending);
                    t.call("connect while pending", () -> c.connect(ssc.getLocalAddress()));
                    t.call("bind while pending", () -> c.bind(null));
                    t.call("read while pending", () -> c.read(ByteBuffer.allocate(1)));
                    SelectionKey k = c.register(s, SelectionKey.OP_CONNECT);
                    t.call("select", () -> s.select(2000));
                    t.call("readyOps", k::readyOps);
                    t.call("finishConnect", c::finishConnect);
                    t.call("isConnected", c::isConnected);
                    t.call("pending", c::isConnectionPending);
                    k.interestOps(SelectionKey.OP_CONNECT);
                    s.selectedKeys().clear();
                    t.call("select OP_CONNECT after connect", s::selectNow);
                } else {
                    t.log("connected at once");
                }
                t.call("finishConnect again", c::finishConnect);
            }
        });
        add("socket.connectRefused", t -> {
            InetSocketAddress dead = refused(LO4);
            SocketChannel c = SocketChannel.open();
            t.call("blocking connect", () -> c.connect(dead));
            t.call("isOpen after", c::isOpen);
            SocketChannel n = SocketChannel.open();
            n.configureBlocking(false);
            Object r = t.call("nb connect", () -> n.connect(dead));
            sleep(100);
            t.call("finishConnect", n::finishConnect);
            t.call("isOpen after", n::isOpen);
            t.call("static open", () -> SocketChannel.open(dead));
            try (SocketChannel b = SocketChannel.open()) {
                b.configureBlocking(false);
                b.connect(dead);
                b.configureBlocking(true);
                t.call("blocking finishConnect", b::finishConnect);
            }
        });
        add("socket.connectRefused6", t -> {
            InetSocketAddress dead = refused(LO6);
            t.call("connect", () -> SocketChannel.open(dead));
        });
        add("socket.readWrite", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                t.call("write heap", () -> c.write(bytes("hello ")));
                ByteBuffer d = ByteBuffer.allocateDirect(5);
                d.put("world".getBytes(StandardCharsets.UTF_8)).flip();
                t.call("write direct", () -> c.write(d));
                t.call("write empty", () -> c.write(ByteBuffer.allocate(0)));
                ByteBuffer b = ByteBuffer.allocate(11);
                while (b.hasRemaining()) {
                    a.read(b);
                }
                t.call("data", () -> str(b));
                t.call("read full buffer", () -> a.read(ByteBuffer.allocate(0)));
                t.call("read read-only", () -> a.read(ByteBuffer.allocate(4).asReadOnlyBuffer()));
                t.call("read null", () -> a.read((ByteBuffer) null));
                ByteBuffer[] g = {bytes("ab"), ByteBuffer.allocate(0), bytes("cde"), bytes("f")};
                t.call("gather", () -> c.write(g));
                t.call("gather positions", () -> g[0].position() + "," + g[2].position() + "," + g[3].position());
                ByteBuffer[] sc = {ByteBuffer.allocate(1), ByteBuffer.allocateDirect(2), ByteBuffer.allocate(10)};
                long got = 0;
                while (got < 6) {
                    got += a.read(sc);
                }
                final long total = got;
                t.call("scatter", () -> total);
                t.call("scatter 0", () -> str(sc[0]));
                sc[1].flip();
                byte[] x = new byte[sc[1].remaining()];
                sc[1].get(x);
                t.call("scatter 1", () -> new String(x, StandardCharsets.UTF_8));
                t.call("scatter 2", () -> str(sc[2]));
                t.call("scatter bad offset", () -> a.read(sc, 2, 5));
                t.call("gather bad offset", () -> c.write(g, -1, 1));
                a.configureBlocking(false);
                t.call("nb read nothing", () -> a.read(ByteBuffer.allocate(4)));
                t.call("nb read[] nothing", () -> a.read(new ByteBuffer[] {ByteBuffer.allocate(4)}));
                c.close();
                sleep(50);
                t.call("read EOF", () -> a.read(ByteBuffer.allocate(4)));
                t.call("read EOF again", () -> a.read(ByteBuffer.allocate(4)));
            }
        });
        add("socket.readWrite6", t -> {
            SocketChannel[] p = pair(LO6);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                t.call("local", c::getLocalAddress);
                t.call("remote", c::getRemoteAddress);
                t.call("write", () -> c.write(bytes("six")));
                ByteBuffer b = ByteBuffer.allocate(3);
                while (b.hasRemaining()) {
                    a.read(b);
                }
                t.call("data", () -> str(b));
            }
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                ssc.bind(new InetSocketAddress(0));
                int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
                try (SocketChannel c = SocketChannel.open(new InetSocketAddress(LO4, port)); SocketChannel a = ssc.accept()) {
                    t.call("v4 client to dual-stack server: accepted local", a::getLocalAddress);
                    t.call("accepted remote", a::getRemoteAddress);
                }
            }
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET)) {
                t.call("INET connect v6", () -> c.connect(new InetSocketAddress(LO6, 80)));
            }
        });
        add("socket.largeTransfer", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                byte[] data = new byte[4 * 1024 * 1024];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) (i * 31 + 7);
                }
                Thread w = new Thread(() -> {
                    try {
                        c.write(ByteBuffer.wrap(data));
                        c.shutdownOutput();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                w.start();
                ByteBuffer b = ByteBuffer.allocate(data.length + 10);
                while (a.read(b) >= 0) {
                    // until EOF
                }
                w.join();
                b.flip();
                t.call("size", b::remaining);
                t.call("equal", () -> ByteBuffer.wrap(data).equals(b));
            }
        });
        add("socket.shutdown", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                t.call("shutdownOutput", () -> c.shutdownOutput() == c);
                t.call("write after shutdownOutput", () -> c.write(bytes("x")));
                t.call("peer read EOF", () -> a.read(ByteBuffer.allocate(4)));
                t.call("shutdownInput", () -> a.shutdownInput() == a);
                t.call("read after shutdownInput", () -> a.read(ByteBuffer.allocate(4)));
                t.call("shutdownInput again", () -> a.shutdownInput() == a);
                t.call("toString", () -> a.toString().replaceAll("\\d{4,5}", "PORT"));
                t.call("socket isInputShutdown", () -> a.socket().isInputShutdown());
                t.call("socket isOutputShutdown", () -> c.socket().isOutputShutdown());
                t.call("write on half-open", () -> a.write(bytes("back")));
                ByteBuffer b = ByteBuffer.allocate(4);
                t.call("read on other half", () -> c.read(b));
            }
        });
        add("socket.reset", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                a.setOption(StandardSocketOptions.SO_LINGER, 0);
                a.close(); // RST
                sleep(100);
                t.call("read after RST", () -> c.read(ByteBuffer.allocate(4)));
                t.call("read again", () -> c.read(ByteBuffer.allocate(4)));
                t.call("write after RST", () -> c.write(bytes("x")));
            }
            SocketChannel[] q = pair(LO4);
            try (SocketChannel c = q[0]; SocketChannel a = q[1]) {
                a.close();
                sleep(50);
                t.call("write to closed peer", () -> c.write(bytes("x")));
                sleep(50);
                Object r = null;
                for (int i = 0; i < 10 && r == null; i++) {
                    try {
                        c.write(bytes("x"));
                        sleep(20);
                    } catch (Exception e) {
                        r = Transcript.exception(e);
                    }
                }
                final Object rr = r;
                t.call("write eventually fails", () -> rr);
            }
        });
        add("socket.options", t -> {
            try (SocketChannel c = SocketChannel.open()) {
                options(t, c);
                t.call("set TCP_NODELAY", () -> c.setOption(StandardSocketOptions.TCP_NODELAY, true).getOption(StandardSocketOptions.TCP_NODELAY));
                t.call("set SO_KEEPALIVE", () -> c.setOption(StandardSocketOptions.SO_KEEPALIVE, true).getOption(StandardSocketOptions.SO_KEEPALIVE));
                t.call("set SO_LINGER 5", () -> c.setOption(StandardSocketOptions.SO_LINGER, 5).getOption(StandardSocketOptions.SO_LINGER));
                t.call("set SO_LINGER -7", () -> c.setOption(StandardSocketOptions.SO_LINGER, -7).getOption(StandardSocketOptions.SO_LINGER));
                t.call("set SO_LINGER 70000", () -> c.setOption(StandardSocketOptions.SO_LINGER, 70000).getOption(StandardSocketOptions.SO_LINGER));
                t.call("set SO_SNDBUF -1", () -> c.setOption(StandardSocketOptions.SO_SNDBUF, -1));
                t.call("set SO_RCVBUF 0", () -> c.setOption(StandardSocketOptions.SO_RCVBUF, 0).getOption(StandardSocketOptions.SO_RCVBUF));
                t.call("set SO_SNDBUF 65536", () -> c.setOption(StandardSocketOptions.SO_SNDBUF, 65536).getOption(StandardSocketOptions.SO_SNDBUF));
                t.call("set IP_TOS 300", () -> c.setOption(StandardSocketOptions.IP_TOS, 300));
                t.call("set IP_TOS 0x10", () -> c.setOption(StandardSocketOptions.IP_TOS, 0x10).getOption(StandardSocketOptions.IP_TOS));
                t.call("set SO_REUSEADDR", () -> c.setOption(StandardSocketOptions.SO_REUSEADDR, true).getOption(StandardSocketOptions.SO_REUSEADDR));
                t.call("set SO_REUSEPORT", () -> c.setOption(StandardSocketOptions.SO_REUSEPORT, true).getOption(StandardSocketOptions.SO_REUSEPORT));
                t.call("set IP_MULTICAST_TTL", () -> c.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 1));
                t.call("set wrong type", () -> c.setOption((SocketOption) StandardSocketOptions.SO_LINGER, "x"));
                List<SocketOption<?>> sorted = new ArrayList<>(c.supportedOptions());
                sorted.sort(java.util.Comparator.comparing(SocketOption::name));
                for (SocketOption<?> o : sorted) {
                    if (o.name().startsWith("TCP_KEEP")) {
                        @SuppressWarnings("unchecked")
                        SocketOption<Integer> io = (SocketOption<Integer>) o;
                        t.call("set " + o.name() + " 30", () -> c.setOption(io, 30).getOption(io));
                    }
                    if (o.name().equals("TCP_QUICKACK")) {
                        @SuppressWarnings("unchecked")
                        SocketOption<Boolean> bo = (SocketOption<Boolean>) o;
                        t.call("set TCP_QUICKACK false", () -> c.setOption(bo, false).getOption(bo));
                    }
                    if (o.name().equals("SO_INCOMING_NAPI_ID")) {
                        @SuppressWarnings("unchecked")
                        SocketOption<Integer> io = (SocketOption<Integer>) o;
                        t.call("set SO_INCOMING_NAPI_ID", () -> c.setOption(io, 1));
                    }
                }
            }
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET)) {
                t.call("INET IP_TOS 0x20", () -> c.setOption(StandardSocketOptions.IP_TOS, 0x20).getOption(StandardSocketOptions.IP_TOS));
            }
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                t.call("accepted TCP_NODELAY", () -> a.getOption(StandardSocketOptions.TCP_NODELAY));
                t.call("accepted SO_LINGER", () -> a.getOption(StandardSocketOptions.SO_LINGER));
                t.call("accepted SO_REUSEADDR", () -> a.getOption(StandardSocketOptions.SO_REUSEADDR));
            }
        });
        add("socket.blockingSwitch", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]; Selector s = Selector.open()) {
                t.call("configureBlocking(false)", () -> a.configureBlocking(false) == a);
                t.call("isBlocking", a::isBlocking);
                t.call("read nb", () -> a.read(ByteBuffer.allocate(4)));
                SelectionKey k = a.register(s, SelectionKey.OP_READ);
                t.call("configureBlocking(true) registered", () -> a.configureBlocking(true));
                k.cancel();
                t.call("configureBlocking(true) cancelled not flushed", () -> a.configureBlocking(true));
                s.selectNow();
                t.call("configureBlocking(true) after flush", () -> a.configureBlocking(true).isBlocking());
                t.call("blockingLock", () -> a.blockingLock() != null);
                Thread w = new Thread(() -> { sleep(150); try { c.write(bytes("late")); } catch (Exception e) { throw new RuntimeException(e); } });
                w.start();
                ByteBuffer b = ByteBuffer.allocate(4);
                t.call("blocking read waits", () -> a.read(b));
                w.join();
            }
        });
        add("socket.asyncCloseRead", t -> {
            SocketChannel[] p = pair(LO4);
            SocketChannel c = p[0];
            SocketChannel a = p[1];
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
            t.call("peer sees EOF", () -> c.read(ByteBuffer.allocate(4)));
            c.close();
        });
        add("socket.interruptRead", t -> {
            SocketChannel[] p = pair(LO4);
            SocketChannel c = p[0];
            SocketChannel a = p[1];
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    r.set("returned " + a.read(ByteBuffer.allocate(4)));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e) + " interrupted=" + Thread.currentThread().isInterrupted());
                }
            });
            th.start();
            sleep(200);
            th.interrupt();
            th.join(5000);
            t.call("read", r::get);
            t.call("isOpen", a::isOpen);
            t.call("peer sees EOF", () -> c.read(ByteBuffer.allocate(4)));
            c.close();
        });
        add("socket.asyncCloseWrite", t -> {
            SocketChannel[] p = pair(LO4);
            SocketChannel c = p[0];
            SocketChannel a = p[1];
            // The peer never reads and the socket is full, so the blocking
            // write below is blocked with nothing written when the close
            // comes, whatever the machine's speed.
            fillSendPath(a);
            AtomicReference<String> r = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread th = new Thread(() -> {
                try {
                    ByteBuffer more = ByteBuffer.allocate(1024 * 1024);
                    started.countDown();
                    r.set("returned " + a.write(more));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th.start();
            started.await();
            sleep(300);
            a.close();
            th.join(5000);
            t.call("write", r::get);
            c.close();
        });
        add("socket.interruptWrite", t -> {
            SocketChannel[] p = pair(LO4);
            SocketChannel c = p[0];
            SocketChannel a = p[1];
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    r.set("returned " + a.write(ByteBuffer.allocate(64 * 1024 * 1024)));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th.start();
            sleep(300);
            th.interrupt();
            th.join(5000);
            t.call("write", r::get);
            t.call("isOpen", a::isOpen);
            c.close();
        });
        add("socket.interruptConnect", t -> {
            // a listener whose accept queue is full drops SYNs: a connect to it stays pending,
            // on this machine (no traffic leaves it; TEST-NET-1 may be routed, even be the gateway)
            try (ServerSocketChannel full = ServerSocketChannel.open()) {
                full.bind(new InetSocketAddress(LO4, 0), 1);
                List<SocketChannel> fill = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    SocketChannel f = SocketChannel.open();
                    f.configureBlocking(false);
                    f.connect(full.getLocalAddress());
                    fill.add(f);
                }
                sleep(200);
                SocketChannel c = SocketChannel.open();
                AtomicReference<String> r = new AtomicReference<>();
                Thread th = new Thread(() -> {
                    try {
                        r.set("returned " + c.connect(full.getLocalAddress()));
                    } catch (Throwable e) {
                        r.set(e.getClass().getName());
                    }
                });
                th.start();
                sleep(300);
                th.interrupt();
                th.join(5000);
                t.call("connect", r::get);
                t.call("isOpen", c::isOpen);
                for (SocketChannel f : fill) {
                    f.close();
                }
            }
        });
        add("socket.shutdownWakesRead", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
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
                a.shutdownInput();
                th.join(5000);
                t.call("read", r::get);
            }
        });

        // ---- adaptors and streams
        add("adaptor.socket", t -> {
            try (ServerSocketChannel ssc = server(LO4); SocketChannel c = SocketChannel.open()) {
                Socket s = c.socket();
                t.call("same adaptor", () -> c.socket() == s);
                t.call("getChannel", () -> s.getChannel() == c);
                t.call("toString", s::toString);
                t.call("isConnected", s::isConnected);
                t.call("isBound", s::isBound);
                t.call("getLocalPort", s::getLocalPort);
                t.call("getPort", s::getPort);
                t.call("getInetAddress", s::getInetAddress);
                t.call("getLocalAddress", s::getLocalAddress);
                t.call("getInputStream unconnected", s::getInputStream);
                t.call("getOutputStream unconnected", s::getOutputStream);
                t.call("connect null", () -> { s.connect(null); return "ok"; });
                t.call("connect -1", () -> { s.connect(ssc.getLocalAddress(), -1); return "ok"; });
                t.call("connect", () -> { s.connect(ssc.getLocalAddress(), 2000); return "ok"; });
                t.call("isConnected", s::isConnected);
                t.call("getPort matches", () -> s.getPort() == ((InetSocketAddress) ssc.getLocalAddress()).getPort());
                t.call("getInetAddress", s::getInetAddress);
                t.call("getRemoteSocketAddress", s::getRemoteSocketAddress);
                t.call("getLocalSocketAddress", s::getLocalSocketAddress);
                t.call("tcpNoDelay", () -> { s.setTcpNoDelay(true); return s.getTcpNoDelay(); });
                t.call("soLinger", () -> { s.setSoLinger(true, 3); return s.getSoLinger(); });
                t.call("soLinger off", () -> { s.setSoLinger(false, 3); return s.getSoLinger(); });
                t.call("keepAlive", () -> { s.setKeepAlive(true); return s.getKeepAlive(); });
                t.call("oobInline", () -> { s.setOOBInline(true); return s.getOOBInline(); });
                t.call("trafficClass", () -> { s.setTrafficClass(0x08); return s.getTrafficClass(); });
                t.call("sendBufferSize 0", () -> { s.setSendBufferSize(0); return "ok"; });
                t.call("receiveBufferSize 0", () -> { s.setReceiveBufferSize(0); return "ok"; });
                t.call("soTimeout -1", () -> { s.setSoTimeout(-1); return "ok"; });
                t.call("soTimeout", () -> { s.setSoTimeout(300); return s.getSoTimeout(); });
                SocketChannel a = ssc.accept();
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                long t0 = System.nanoTime();
                t.call("read times out", in::read);
                t.call("after >= 250ms", () -> System.nanoTime() - t0 >= 250_000_000L);
                t.call("still open", () -> !s.isClosed());
                a.write(bytes("abc"));
                byte[] buf = new byte[8];
                sleep(50);
                t.call("available", in::available);
                t.call("read", () -> in.read(buf));
                t.call("read 0 len", () -> in.read(buf, 0, 0));
                out.write("xyz".getBytes(StandardCharsets.UTF_8));
                out.write('!');
                ByteBuffer b = ByteBuffer.allocate(4);
                while (b.hasRemaining()) {
                    a.read(b);
                }
                t.call("peer got", () -> str(b));
                t.call("sendUrgentData", () -> { s.sendUrgentData(1); return "ok"; });
                c.configureBlocking(false);
                t.call("stream read non-blocking", () -> in.read(buf));
                t.call("stream write non-blocking", () -> { out.write(1); return "ok"; });
                c.configureBlocking(true);
                s.shutdownOutput();
                t.call("getOutputStream after shutdown", s::getOutputStream);
                t.call("peer EOF", () -> a.read(ByteBuffer.allocate(1)));
                s.shutdownInput();
                t.call("getInputStream after shutdown", s::getInputStream);
                t.call("read after shutdownInput", in::read);
                in.close();
                t.call("isClosed", s::isClosed);
                t.call("channel open", c::isOpen);
                t.call("read closed", in::read);
                t.call("getInputStream closed", s::getInputStream);
                t.call("soTimeout closed", () -> { s.setSoTimeout(1); return "ok"; });
                t.call("getTcpNoDelay closed", s::getTcpNoDelay);
                t.call("bind closed", () -> { s.bind(null); return "ok"; });
                t.call("toString closed", s::toString);
                a.close();
            }
        });
        add("adaptor.socketConnectRefused", t -> {
            InetSocketAddress dead = refused(LO4);
            SocketChannel c = SocketChannel.open();
            t.call("connect", () -> { c.socket().connect(dead, 1000); return "ok"; });
            t.call("closed", c.socket()::isClosed);
            SocketChannel d = SocketChannel.open();
            t.call("connect no timeout", () -> { d.socket().connect(dead); return "ok"; });
            SocketChannel e = SocketChannel.open();
            e.configureBlocking(false);
            t.call("connect non-blocking", () -> { e.socket().connect(dead); return "ok"; });
            e.close();
        });
        add("adaptor.serverSocket", t -> {
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                ServerSocket ss = ssc.socket();
                t.call("same", () -> ssc.socket() == ss);
                t.call("toString unbound", ss::toString);
                t.call("isBound", ss::isBound);
                t.call("getLocalPort", ss::getLocalPort);
                t.call("getInetAddress", ss::getInetAddress);
                t.call("accept unbound", ss::accept);
                t.call("reuseAddress", ss::getReuseAddress);
                t.call("bind", () -> { ss.bind(new InetSocketAddress(LO4, 0), 5); return "ok"; });
                t.call("bind again", () -> { ss.bind(new InetSocketAddress(LO4, 0)); return "ok"; });
                t.call("isBound", ss::isBound);
                t.call("getInetAddress", ss::getInetAddress);
                t.call("getLocalSocketAddress", ss::getLocalSocketAddress);
                t.call("soTimeout", () -> { ss.setSoTimeout(200); return ss.getSoTimeout(); });
                t.call("accept times out", ss::accept);
                t.call("still open", () -> !ss.isClosed());
                t.call("receiveBufferSize", () -> { ss.setReceiveBufferSize(4096); return ss.getReceiveBufferSize() > 0; });
                t.call("receiveBufferSize 0", () -> { ss.setReceiveBufferSize(0); return "ok"; });
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress())) {
                    Socket s = ss.accept();
                    t.call("accepted", () -> s.getChannel() != null);
                    t.call("accepted connected", s::isConnected);
                    t.call("accepted port", () -> s.getPort() == ((InetSocketAddress) c.getLocalAddress()).getPort());
                    s.close();
                }
                ssc.configureBlocking(false);
                t.call("accept non-blocking", ss::accept);
                ss.close();
                t.call("isClosed", ss::isClosed);
                t.call("channel open", ssc::isOpen);
                t.call("soTimeout closed", () -> { ss.setSoTimeout(1); return "ok"; });
                t.call("accept closed", ss::accept);
                t.call("reuseAddress closed", ss::getReuseAddress);
            }
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                t.call("bind null", () -> { ssc.socket().bind(null); return ssc.socket().getInetAddress(); });
            }
        });
        add("adaptor.serverSocketNonBlocking", t -> {
            // the JDK's adaptor hands over a pending connection even when the
            // channel is non-blocking (SO_TIMEOUT 0), and throws only when none is there
            try (ServerSocketChannel ssc = server(LO4); Selector sel = Selector.open()) {
                ssc.configureBlocking(false);
                ServerSocket ss = ssc.socket();
                t.call("none pending", ss::accept);
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress())) {
                    ssc.register(sel, SelectionKey.OP_ACCEPT);
                    t.call("acceptable", () -> sel.select(5000));
                    Socket s = ss.accept();
                    t.call("accepted", () -> s.getChannel() != null && s.isConnected());
                    t.call("accepted blocking", () -> s.getChannel().isBlocking());
                    t.call("accepted port", () -> s.getPort() == ((InetSocketAddress) c.getLocalAddress()).getPort());
                    s.close();
                    t.call("none left", ss::accept);
                }
                t.call("with timeout", () -> { ss.setSoTimeout(100); return ss.accept(); });
            }
        });
        add("socket.shutdownOutputWakesWriter", t -> {
            // a blocking write stuck on a full socket, and shutdownOutput from
            // another thread: the JDK returns the count written so far, or
            // throws AsynchronousCloseException; never "Broken pipe"
            for (int round = 0; round < 5; round++) {
                SocketChannel[] p = pair(LO4);
                try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                    c.setOption(StandardSocketOptions.SO_SNDBUF, 16384);
                    AtomicReference<String> r = new AtomicReference<>();
                    CountDownLatch started = new CountDownLatch(1);
                    Thread w = new Thread(() -> {
                        started.countDown();
                        // which of the two depends on timing (where the write is when the shutdown
                        // comes; under emulation either happens on either provider): both are "woken"
                        try {
                            long n = c.write(ByteBuffer.allocate(8 << 20));
                            r.set(n > 0 ? "woken" : "returned " + n);
                        } catch (java.nio.channels.AsynchronousCloseException e) {
                            r.set("woken");
                        } catch (Exception e) {
                            r.set(e.getClass().getName());
                        }
                    });
                    w.start();
                    started.await();
                    Thread.sleep(300);
                    c.shutdownOutput();
                    w.join(10_000);
                    t.call("round " + round, r::get);
                }
            }
        });
        add("streams.channels", t -> {
            SocketChannel[] p = pair(LO4);
            try (SocketChannel c = p[0]; SocketChannel a = p[1]) {
                OutputStream out = Channels.newOutputStream(c);
                InputStream in = Channels.newInputStream(a);
                out.write("stream data".getBytes(StandardCharsets.UTF_8));
                byte[] buf = new byte[11];
                int n = 0;
                while (n < 11) {
                    n += in.read(buf, n, 11 - n);
                }
                t.call("data", () -> new String(buf, StandardCharsets.UTF_8));
                t.call("available", in::available);
                a.configureBlocking(false);
                t.call("read non-blocking", in::read);
                a.configureBlocking(true);
                out.close();
                t.call("channel closed by stream", c::isOpen);
                t.call("read EOF", in::read);
                t.call("write closed", () -> { out.write(1); return "ok"; });
            }
        });

        // ---- pipe
        add("pipe.basic", t -> {
            Pipe p = Pipe.open();
            try (Pipe.SinkChannel sink = p.sink(); Pipe.SourceChannel src = p.source(); Selector s = Selector.open()) {
                t.call("sink validOps", sink::validOps);
                t.call("source validOps", src::validOps);
                t.call("write", () -> sink.write(bytes("pipe!")));
                ByteBuffer b = ByteBuffer.allocate(16);
                t.call("read", () -> src.read(b));
                t.call("data", () -> str(b));
                src.configureBlocking(false);
                sink.configureBlocking(false);
                t.call("read empty nb", () -> src.read(ByteBuffer.allocate(4)));
                SelectionKey rk = src.register(s, SelectionKey.OP_READ);
                SelectionKey wk = sink.register(s, SelectionKey.OP_WRITE);
                t.call("select", () -> s.select(1000));
                t.call("sink ready", () -> s.selectedKeys().contains(wk) ? wk.readyOps() : -1);
                t.call("source ready", () -> s.selectedKeys().contains(rk));
                s.selectedKeys().clear();
                sink.write(new ByteBuffer[] {bytes("a"), bytes("b")});
                t.call("select read", () -> s.select(1000));
                t.call("source ready", () -> s.selectedKeys().contains(rk) ? rk.readyOps() : -1);
                ByteBuffer[] sc = {ByteBuffer.allocate(1), ByteBuffer.allocate(1)};
                t.call("scatter", () -> src.read(sc));
                long total = 0;
                ByteBuffer big = ByteBuffer.allocate(1 << 20);
                long w;
                while ((w = sink.write(big)) > 0) {
                    total += w;
                    big.clear();
                }
                final long filled = total;
                final long lastWrite = w;
                t.call("nb write full returns 0", () -> lastWrite);
                t.call("filled some", () -> filled > 0);
                sink.close();
                ByteBuffer drain = ByteBuffer.allocate(1 << 20);
                long got = 0;
                long r;
                while ((r = src.read(drain)) > 0) {
                    got += r;
                    drain.clear();
                }
                final long gotf = got;
                final long rf = r;
                t.call("drained all", () -> gotf == filled);
                t.call("read after sink closed", () -> rf);
            }
        });
        add("pipe.blocking", t -> {
            Pipe p = Pipe.open();
            Pipe.SourceChannel src = p.source();
            Pipe.SinkChannel sink = p.sink();
            AtomicReference<String> r = new AtomicReference<>();
            Thread th = new Thread(() -> {
                try {
                    r.set("returned " + src.read(ByteBuffer.allocate(4)));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th.start();
            sleep(150);
            sink.write(bytes("z"));
            th.join(5000);
            t.call("blocking read", r::get);
            Thread th2 = new Thread(() -> {
                try {
                    r.set("returned " + src.read(ByteBuffer.allocate(4)));
                } catch (Throwable e) {
                    r.set(Transcript.exception(e));
                }
            });
            th2.start();
            sleep(150);
            src.close();
            th2.join(5000);
            t.call("async close", r::get);
            t.call("write to closed reader", () -> sink.write(bytes("x")));
            sink.close();
            t.call("write closed", () -> sink.write(bytes("x")));
            Pipe q = Pipe.open();
            Thread self = Thread.currentThread();
            Thread in = new Thread(() -> { sleep(150); self.interrupt(); });
            in.start();
            t.call("interrupted read", () -> q.source().read(ByteBuffer.allocate(1)));
            t.call("interrupted flag", Thread::interrupted);
            t.call("source open", q.source()::isOpen);
            t.call("sink open", q.sink()::isOpen);
            in.join();
            q.sink().close();
        });
    }

    /** Prints supported options (by name) and their default values. */
    static void options(Transcript t, java.nio.channels.NetworkChannel ch) {
        TreeSet<String> names = new TreeSet<>();
        for (SocketOption<?> o : ch.supportedOptions()) {
            names.add(o.name());
        }
        t.log("supportedOptions " + names);
        for (String n : names) {
            for (SocketOption<?> o : ch.supportedOptions()) {
                if (o.name().equals(n)) {
                    t.call("get " + n, () -> ch.getOption(o));
                }
            }
        }
        t.call("unsupported IP_MULTICAST_LOOP", () -> ch.getOption(StandardSocketOptions.IP_MULTICAST_LOOP));
    }

    static {
        DatagramScenarios.addTo(ALL);
        UnixScenarios.addTo(ALL);
        add("server.toString", t -> {
            // the class name differs (the JDK's is internal): the part in brackets
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                t.call("unbound", () -> ssc.toString().replaceAll("^[^\\[]*", ""));
                ssc.bind(new InetSocketAddress(LO4, 0));
                t.call("bound", () -> Transcript.show(ssc.toString().replaceAll("^[^\\[]*", "")));
                ssc.close();
                t.call("closed", () -> ssc.toString().replaceAll("^[^\\[]*", ""));
            }
        });
    }

    /** A channel of no provider we know: selectors must refuse it. */
    static final class ForeignChannel extends java.nio.channels.spi.AbstractSelectableChannel {
        ForeignChannel() {
            super(SelectorProvider.provider());
        }

        @Override
        public int validOps() {
            return SelectionKey.OP_READ;
        }

        @Override
        protected void implCloseSelectableChannel() {
        }

        @Override
        protected void implConfigureBlocking(boolean block) {
        }
    }

    private Scenarios() {
    }
}
