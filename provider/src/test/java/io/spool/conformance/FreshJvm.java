package io.spool.conformance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Scenarios that need a JVM of their own: what the first call in a JVM
 * does, or what the garbage collector does. Run as
 * {@code FreshJvm NAME}; prints a transcript, as ScenarioRunner does.
 */
public final class FreshJvm {
    public static void main(String[] args) throws Exception {
        Transcript t = new Transcript();
        switch (args[0]) {
            case "interruptedFirstCall" -> interruptedFirstCall(t);
            case "datagramCollected" -> datagramCollected(t);
            case "preferIPv4Stack" -> preferIPv4Stack(t);
            case "virtualThreads" -> VirtualThreadScenarios.run(t);
            case "threadChurn" -> threadChurn(t);
            case "hostInfo" -> hostInfo(t);
            case "jfr" -> jfr(t);
            case "whoServes" -> whoServes(t);
            case "securityManager" -> securityManager(t);
            case "inherited" -> {
                inherited(t);
                return; // printed before the close, which takes stdout away
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        for (String l : t.lines()) {
            System.out.println(l);
        }
    }

    /**
     * The first channel call in the JVM comes from a thread whose interrupt
     * status is set: it works, the status stays set, and later calls work.
     */
    static void interruptedFirstCall(Transcript t) throws Exception {
        Thread.currentThread().interrupt();
        t.call("open socket", () -> {
            try (SocketChannel c = SocketChannel.open()) {
                return c.isOpen();
            }
        });
        t.call("still interrupted", () -> Thread.currentThread().isInterrupted());
        t.call("selectNow interrupted", () -> {
            try (Selector s = Selector.open()) {
                return s.selectNow();
            }
        });
        Thread.interrupted();
        t.call("connect after", () -> {
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                ssc.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel a = ssc.accept()) {
                    return c.isConnected() && a.isConnected();
                }
            }
        });
    }

    /** Run with -Djava.net.preferIPv4Stack=true: no IPv6 sockets, IPv4 defaults. */
    static void preferIPv4Stack(Transcript t) throws Exception {
        t.call("socket INET6", () -> SocketChannel.open(StandardProtocolFamily.INET6));
        t.call("server INET6", () -> ServerSocketChannel.open(StandardProtocolFamily.INET6));
        t.call("datagram INET6", () -> DatagramChannel.open(StandardProtocolFamily.INET6));
        InetAddress lo6 = InetAddress.getByName("::1");
        t.call("bind ::1", () -> {
            try (SocketChannel c = SocketChannel.open()) {
                c.bind(new InetSocketAddress(lo6, 0));
                return Transcript.show(c.getLocalAddress());
            }
        });
        t.call("connect ::1", () -> {
            try (SocketChannel c = SocketChannel.open()) {
                return c.connect(new InetSocketAddress(lo6, 1));
            }
        });
        t.call("datagram send ::1", () -> {
            try (DatagramChannel d = DatagramChannel.open()) {
                return d.send(ByteBuffer.wrap(new byte[1]), new InetSocketAddress(lo6, 9));
            }
        });
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(null);
            t.call("server wildcard", () -> Transcript.show(ssc.getLocalAddress()));
            int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
            t.call("connect localhost", () -> {
                try (SocketChannel c = SocketChannel.open(new InetSocketAddress("localhost", port));
                        SocketChannel a = ssc.accept()) {
                    return Transcript.show(c.getLocalAddress()) + " " + Transcript.show(a.getRemoteAddress());
                }
            });
            t.call("connect INET", () -> {
                try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET)) {
                    c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                    try (SocketChannel a = ssc.accept()) {
                        return c.isConnected();
                    }
                }
            });
            t.call("adaptor", () -> {
                try (java.net.Socket s = SocketChannel.open().socket()) {
                    s.connect(new InetSocketAddress("localhost", port), 2000);
                    try (SocketChannel a = ssc.accept()) {
                        return Transcript.show(s.getLocalSocketAddress());
                    }
                }
            });
        }
        t.call("datagram wildcard", () -> {
            try (DatagramChannel d = DatagramChannel.open()) {
                d.bind(null);
                return Transcript.show(d.getLocalAddress());
            }
        });
    }

    /**
     * 3,000 short-lived platform threads each park once in a blocking read
     * (the adaptor's timed read); the process's descriptors are back near
     * their baseline without a GC.
     */
    static void threadChurn(Transcript t) throws Exception {
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel a = ssc.accept()) {
                java.net.Socket s = a.socket();
                s.setSoTimeout(1);
                readOnce(s); // loads what the first read loads
                int base = openFds();
                java.util.concurrent.atomic.AtomicInteger timedOut = new java.util.concurrent.atomic.AtomicInteger();
                for (int i = 0; i < 3000; i++) {
                    Thread th = new Thread(() -> {
                        if (readOnce(s)) {
                            timedOut.incrementAndGet();
                        }
                    });
                    th.start();
                    th.join();
                }
                int grown = openFds() - base;
                System.err.println("figure: threadChurn fds grown by " + grown + " after 3000 threads ("
                        + timedOut.get() + " parked reads)");
                t.call("parked reads", timedOut::get);
                t.call("fds grown by at most 16", () -> grown <= 16);
            }
        }
    }

    private static boolean readOnce(java.net.Socket s) {
        try {
            s.getInputStream().read();
            return false;
        } catch (java.net.SocketTimeoutException e) {
            return true;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Under a SecurityManager (JDK 17), with a policy that grants this code
     * (the test classes) connect, accept and listen on 127.0.0.1 ports
     * 1024 and up, listen on the ephemeral port and on port
     * spool.test.lowPort, and nothing else; the provider's jars, if any,
     * get every permission (FreshJvmTest.securityManager writes it). fd 0
     * is a TCP listener, so that inheritedChannel() has a channel to
     * refuse.
     */
    static void securityManager(Transcript t) throws Exception {
        t.call("security manager", () -> System.getSecurityManager() != null);
        InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        int lowPort = Integer.getInteger("spool.test.lowPort");
        try (Selector sel = Selector.open(); ServerSocketChannel ssc = ServerSocketChannel.open()) {
            t.call("bind ephemeral", () -> Transcript.show(ssc.bind(new InetSocketAddress(lo, 0)).getLocalAddress()));
            t.call("connect, accept, select", () -> {
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel a = ssc.accept()) {
                    c.write(ByteBuffer.wrap(new byte[] {42}));
                    a.configureBlocking(false);
                    a.register(sel, java.nio.channels.SelectionKey.OP_READ);
                    int n = sel.select(5000);
                    ByteBuffer b = ByteBuffer.allocate(1);
                    a.read(b);
                    return n + " ready, read " + b.get(0);
                }
            });
            t.call("accept from a port not granted", () -> {
                try (SocketChannel c = SocketChannel.open()) {
                    c.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
                    c.bind(new InetSocketAddress(lo, lowPort));
                    c.connect(ssc.getLocalAddress());
                    ssc.configureBlocking(true);
                    try {
                        ssc.accept();
                        return "accepted";
                    } catch (SecurityException e) {
                        c.socket().setSoTimeout(5000);
                        return Transcript.exception(e).replace(":" + lowPort + "\"", ":LOW\"")
                                + "; the client reads " + c.socket().getInputStream().read();
                    }
                }
            });
            t.call("adaptor local address", () -> ssc.socket().getInetAddress());
        }
        t.call("connect to a port not granted", () -> SocketChannel.open(new InetSocketAddress(lo, 80)));
        t.call("connect refused", () -> {
            try (ServerSocketChannel s = ServerSocketChannel.open()) {
                s.bind(new InetSocketAddress(lo, 0));
                SocketAddress a = s.getLocalAddress();
                s.close();
                return SocketChannel.open(a);
            }
        });
        t.call("listen on a port not granted", () -> ServerSocketChannel.open().bind(new InetSocketAddress(lo, 80)));
        try (ServerSocketChannel wild = ServerSocketChannel.open()) {
            // bound to the wildcard, which this code may not resolve: shown as loopback
            t.call("wildcard bind", () -> Transcript.show(wild.bind(new InetSocketAddress(0)).getLocalAddress()));
            t.call("wildcard adaptor", () -> wild.socket().getInetAddress() + " " + Transcript.show(wild.socket().getLocalSocketAddress()));
            try (SocketChannel c = SocketChannel.open()) {
                t.call("client wildcard bind", () -> Transcript.show(c.bind(new InetSocketAddress(0)).getLocalAddress()));
                t.call("client adaptor", () -> c.socket().getLocalAddress() + " " + Transcript.show(c.socket().getLocalSocketAddress()));
            }
        }
        try (DatagramChannel rx = DatagramChannel.open(StandardProtocolFamily.INET);
                DatagramChannel ok = DatagramChannel.open(StandardProtocolFamily.INET);
                DatagramChannel low = DatagramChannel.open(StandardProtocolFamily.INET)) {
            rx.bind(new InetSocketAddress(lo, 0));
            ok.bind(new InetSocketAddress(lo, 0));
            t.call("datagram bind on a port not granted", () -> DatagramChannel.open().bind(new InetSocketAddress(lo, 80)));
            t.call("datagram send to a port not granted", () -> ok.send(ByteBuffer.wrap(new byte[] {1}),
                    new InetSocketAddress(lo, 80)));
            t.call("datagram connect to a port not granted", () -> DatagramChannel.open().connect(
                    new InetSocketAddress(lo, 80)));
            t.call("datagram join", () -> DatagramChannel.open(StandardProtocolFamily.INET).join(
                    InetAddress.getByAddress(new byte[] {(byte) 239, 1, 2, 3}),
                    java.net.NetworkInterface.getByInetAddress(lo)));
            t.call("datagram from a sender not granted, then one granted", () -> {
                low.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
                low.bind(new InetSocketAddress(lo, lowPort));
                low.send(ByteBuffer.wrap(new byte[] {9}), rx.getLocalAddress());
                Thread.sleep(100);
                rx.configureBlocking(false);
                ByteBuffer b = ByteBuffer.allocate(4);
                SocketAddress first = rx.receive(b);
                ok.send(ByteBuffer.wrap(new byte[] {7}), rx.getLocalAddress());
                rx.configureBlocking(true);
                SocketAddress second = rx.receive(b);
                return first + ", then " + b.position() + " byte " + b.get(0) + " from a granted port: "
                        + second.equals(ok.getLocalAddress());
            });
            t.call("adaptor receive drops the sender not granted", () -> {
                low.send(ByteBuffer.wrap(new byte[] {9}), rx.getLocalAddress());
                ok.send(ByteBuffer.wrap(new byte[] {8}), rx.getLocalAddress());
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[4], 4);
                rx.socket().setSoTimeout(5000);
                rx.socket().receive(p);
                return p.getLength() + " byte " + p.getData()[0];
            });
        }
        try (DatagramChannel wild = DatagramChannel.open(StandardProtocolFamily.INET)) {
            wild.bind(new InetSocketAddress(0));
            t.call("datagram wildcard local", () -> Transcript.show(wild.getLocalAddress()));
            t.call("datagram adaptor wildcard local", () -> wild.socket().getLocalAddress() + " "
                    + Transcript.show(wild.socket().getLocalSocketAddress()));
        }
        t.call("UNIX listener", () -> ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(null));
        t.call("UNIX connect", () -> SocketChannel.open(StandardProtocolFamily.UNIX)
                .connect(java.net.UnixDomainSocketAddress.of("/nonexistent")));
        t.call("UNIX unbound local", () -> ServerSocketChannel.open(StandardProtocolFamily.UNIX).getLocalAddress());
        t.call("inheritedChannel", System::inheritedChannel);
    }

    /**
     * Started with a socket on fd 0 (src/test/resources/inherit.py). Prints
     * before it closes the channel, because the close puts /dev/null on
     * fds 0, 1 and 2; what it sees after goes to the file named by
     * spool.test.after.
     */
    static void inherited(Transcript t) throws Exception {
        java.nio.channels.Channel ch = System.inheritedChannel();
        t.call("same again", () -> System.inheritedChannel() == ch);
        t.call("kind", () -> ch == null ? "null" : ch instanceof SocketChannel ? "SocketChannel"
                : ch instanceof ServerSocketChannel ? "ServerSocketChannel"
                : ch instanceof DatagramChannel ? "DatagramChannel" : "other");
        if (ch instanceof SocketChannel) {
            SocketChannel sc = (SocketChannel) ch;
            t.call("blocking", sc::isBlocking);
            t.call("connected", sc::isConnected);
            t.call("remote", () -> Transcript.show(sc.getRemoteAddress()));
            t.call("read", () -> {
                ByteBuffer b = ByteBuffer.allocate(5);
                while (b.hasRemaining() && sc.read(b) > 0) {
                    // until 5 bytes
                }
                return new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.US_ASCII);
            });
            t.call("write", () -> sc.write(ByteBuffer.wrap("ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
            t.call("selectable", () -> {
                sc.configureBlocking(false);
                try (Selector s = Selector.open()) {
                    sc.register(s, java.nio.channels.SelectionKey.OP_WRITE);
                    return s.select(2000);
                }
            });
        } else if (ch instanceof ServerSocketChannel) {
            ServerSocketChannel ssc = (ServerSocketChannel) ch;
            t.call("blocking", ssc::isBlocking);
            t.call("local", () -> Transcript.show(ssc.getLocalAddress()));
            t.call("accept", () -> {
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel a = ssc.accept()) {
                    return a.isConnected() && a.getRemoteAddress().equals(c.getLocalAddress());
                }
            });
        } else if (ch instanceof DatagramChannel) {
            DatagramChannel dc = (DatagramChannel) ch;
            t.call("blocking", dc::isBlocking);
            t.call("local", () -> Transcript.show(dc.getLocalAddress()));
            t.call("receive", () -> {
                ByteBuffer b = ByteBuffer.allocate(16);
                dc.receive(b);
                return new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.US_ASCII);
            });
        }
        for (String l : t.lines()) {
            System.out.println(l);
        }
        System.out.flush();
        if (ch == null) {
            return;
        }
        ch.close();
        StringBuilder after = new StringBuilder();
        after.append("open after close -> ").append(ch.isOpen()).append('\n');
        for (int fd = 0; fd <= 2; fd++) {
            after.append("fd ").append(fd).append(" after close -> ")
                    .append(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd))).append('\n');
        }
        Files.writeString(Path.of(System.getProperty("spool.test.after")), after.toString());
    }

    /** Which provider serves this JVM, its backend, and that a connection works on it. */
    static void whoServes(Transcript t) throws Exception {
        java.nio.channels.spi.SelectorProvider p = java.nio.channels.spi.SelectorProvider.provider();
        t.call("provider", () -> p.getClass().getName());
        t.call("backend", () -> {
            try {
                return p.getClass().getMethod("backendName").invoke(p);
            } catch (NoSuchMethodException e) {
                return "none";
            }
        });
        t.call("round trip", () -> {
            try (ServerSocketChannel ssc = ServerSocketChannel.open(); Selector sel = Selector.open()) {
                ssc.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel a = ssc.accept()) {
                    c.write(ByteBuffer.wrap(new byte[] {42}));
                    ByteBuffer b = ByteBuffer.allocate(1);
                    a.read(b);
                    return b.get(0) == 42 && sel.selectNow() == 0;
                }
            }
        });
    }

    /**
     * A Flight Recorder recording with the socket events at threshold 0:
     * every channel read and write is an event (the JDK's jdk.Socket*, or
     * SPOOL's io.spool.Socket*), naming the peer and the bytes.
     */
    static void jfr(Transcript t) throws Exception {
        int rounds = 200;
        Path file = Files.createTempFile("spool-jfr", ".jfr");
        int peerPort;
        try (jdk.jfr.Recording r = new jdk.jfr.Recording()) {
            for (String e : new String[] {"jdk.SocketRead", "jdk.SocketWrite", "io.spool.SocketRead", "io.spool.SocketWrite"}) {
                r.enable(e).withThreshold(java.time.Duration.ZERO);
            }
            r.start();
            try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                ssc.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel a = ssc.accept()) {
                    peerPort = ((InetSocketAddress) c.getLocalAddress()).getPort();
                    ByteBuffer in = ByteBuffer.allocate(10);
                    for (int i = 0; i < rounds; i++) {
                        c.write(ByteBuffer.wrap(new byte[10]));
                        in.clear();
                        while (in.hasRemaining()) {
                            a.read(in);
                        }
                    }
                    c.close();
                    in.clear();
                    a.read(in); // end of stream
                }
            }
            r.stop();
            r.dump(file);
        }
        java.util.List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file);
        Files.delete(file);
        java.util.List<jdk.jfr.consumer.RecordedEvent> reads = new java.util.ArrayList<>();
        int writes = 0;
        for (jdk.jfr.consumer.RecordedEvent e : events) {
            String n = e.getEventType().getName();
            if (n.endsWith(".SocketRead")) {
                reads.add(e);
            } else if (n.endsWith(".SocketWrite") && e.getLong("bytesWritten") == 10) {
                writes++;
            }
        }
        int w = writes;
        t.call("write events of 10 bytes", () -> w >= rounds);
        t.call("read events", () -> reads.size() >= rounds + 1);
        t.call("a read names its peer", () -> {
            for (jdk.jfr.consumer.RecordedEvent e : reads) {
                if (e.getLong("bytesRead") > 0) {
                    return e.getString("address") + " " + (e.getInt("port") == peerPort) + " " + e.getLong("bytesRead");
                }
            }
            return "none";
        });
        t.call("end of stream recorded", () -> reads.stream().anyMatch(e -> e.getBoolean("endOfStream")));
    }

    /** Run with -Djdk.includeInExceptions=hostInfo: connect failures name the address. */
    static void hostInfo(Transcript t) throws Exception {
        InetSocketAddress refused = new InetSocketAddress("localhost", 1);
        t.call("open(addr)", () -> SocketChannel.open(refused));
        t.call("finishConnect", () -> {
            try (SocketChannel c = SocketChannel.open()) {
                c.configureBlocking(false);
                c.connect(refused);
                for (int i = 0; i < 100; i++) {
                    if (c.finishConnect()) {
                        return "connected";
                    }
                    Thread.sleep(10);
                }
                return "pending";
            }
        });
        t.call("adaptor", () -> {
            try (java.net.Socket s = SocketChannel.open().socket()) {
                s.connect(refused, 2000);
                return "connected";
            }
        });
    }

    /** Datagram channels dropped without close: their fds are released when they are collected. */
    static void datagramCollected(Transcript t) throws Exception {
        openAndDrop(1); // what the first channel loads (classes, native code) stays loaded
        System.gc();
        Thread.sleep(200);
        int base = openFds();
        openAndDrop(50);
        t.call("opened", () -> openFds() - base >= 50);
        long deadline = System.nanoTime() + 20_000_000_000L;
        int left;
        do {
            System.gc();
            Thread.sleep(50);
            left = openFds() - base;
        } while (left > 0 && System.nanoTime() < deadline);
        int l = left;
        t.call("left after gc", () -> Math.max(0, l));
    }

    private static void openAndDrop(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            DatagramChannel dc = DatagramChannel.open();
            dc.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }
    }

    private static int openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }
}
