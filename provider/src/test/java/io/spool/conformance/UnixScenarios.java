package io.spool.conformance;

import static io.spool.conformance.Scenarios.str;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * UNIX domain stream sockets (StandardProtocolFamily.UNIX): addresses,
 * binding, errors, options, blocking and selected transfers. Socket files
 * live in a fresh directory per scenario; the transcript names them
 * relative to it, so both providers' runs compare.
 */
final class UnixScenarios {
    private UnixScenarios() {
    }

    /** A fresh directory for one scenario's socket files, removed after. */
    static final class Dir implements AutoCloseable {
        final Path path;

        Dir() throws IOException {
            path = Files.createTempDirectory("spool-unix");
        }

        UnixDomainSocketAddress at(String name) {
            return UnixDomainSocketAddress.of(path.resolve(name));
        }

        /** An address as the transcript shows it: relative to this directory. */
        String show(SocketAddress a) {
            if (a == null) {
                return "null";
            }
            if (!(a instanceof UnixDomainSocketAddress)) {
                return Transcript.show(a);
            }
            Path p = ((UnixDomainSocketAddress) a).getPath();
            if (p.toString().isEmpty()) {
                return "unix:<unnamed>";
            }
            return "unix:" + (p.startsWith(path) ? "DIR/" + path.relativize(p) : p.toString());
        }

        @Override
        public void close() throws IOException {
            try (Stream<Path> s = Files.walk(path)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static String names(java.util.Set<SocketOption<?>> options) {
        TreeSet<String> s = new TreeSet<>();
        for (SocketOption<?> o : options) {
            s.add(o.name());
        }
        return s.toString();
    }

    static ServerSocketChannel listener(UnixDomainSocketAddress a) throws IOException {
        ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ssc.bind(a);
        return ssc;
    }

    static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    static void addTo(Map<String, Scenarios.Scenario> all) {
        all.put("unix.basics", t -> {
            try (Dir d = new Dir()) {
                UnixDomainSocketAddress a = d.at("s");
                SelectorProvider p = SelectorProvider.provider();
                try (ServerSocketChannel ssc = p.openServerSocketChannel(StandardProtocolFamily.UNIX)) {
                    t.call("server options", () -> names(ssc.supportedOptions()));
                    t.call("server local before bind", () -> d.show(ssc.getLocalAddress()));
                    t.call("server socket()", ssc::socket);
                    t.call("server set SO_REUSEADDR", () -> ssc.setOption(StandardSocketOptions.SO_REUSEADDR, true));
                    t.call("server rcvbuf > 0", () -> ssc.getOption(StandardSocketOptions.SO_RCVBUF) > 0);
                    t.call("bind", () -> d.show(ssc.bind(a).getLocalAddress()));
                    t.call("socket file exists", () -> Files.exists(a.getPath()));
                    t.call("bind again", () -> ssc.bind(d.at("t")));
                    t.call("validOps", ssc::validOps);
                    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        t.call("client options", () -> names(c.supportedOptions()));
                        t.call("client local before connect", () -> d.show(c.getLocalAddress()));
                        t.call("client remote before connect", () -> d.show(c.getRemoteAddress()));
                        t.call("connect", () -> c.connect(a));
                        t.call("isConnected", c::isConnected);
                        t.call("client local", () -> d.show(c.getLocalAddress()));
                        t.call("client remote", () -> d.show(c.getRemoteAddress()));
                        t.call("client socket()", c::socket);
                        t.call("client TCP_NODELAY", () -> c.setOption(StandardSocketOptions.TCP_NODELAY, true));
                        t.call("client SO_KEEPALIVE", () -> c.getOption(StandardSocketOptions.SO_KEEPALIVE));
                        t.call("client SO_LINGER", () -> c.getOption(StandardSocketOptions.SO_LINGER));
                        t.call("client set SO_LINGER 5", () -> c.setOption(StandardSocketOptions.SO_LINGER, 5)
                                .getOption(StandardSocketOptions.SO_LINGER));
                        t.call("client set SO_SNDBUF", () -> c.setOption(StandardSocketOptions.SO_SNDBUF, 65536)
                                .getOption(StandardSocketOptions.SO_SNDBUF));
                        t.call("client set SO_SNDBUF -1", () -> c.setOption(StandardSocketOptions.SO_SNDBUF, -1));
                        t.call("client toString", () -> c.toString().replace(d.path.toString(), "DIR"));
                        t.call("listener toString", () -> ssc.toString().replace(d.path.toString(), "DIR")
                                .replaceAll("^[^\\[]*", ""));
                        try (SocketChannel s = ssc.accept()) {
                            t.call("accepted toString", () -> s.toString().replace(d.path.toString(), "DIR"));
                            t.call("accepted local", () -> d.show(s.getLocalAddress()));
                            t.call("accepted remote", () -> d.show(s.getRemoteAddress()));
                            t.call("accepted options", () -> names(s.supportedOptions()));
                            t.call("accepted isBlocking", s::isBlocking);
                            t.call("peer credentials", () -> {
                                jdk.net.UnixDomainPrincipal pr = s.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
                                return pr.user().getName() + "/" + pr.group().getName() + " equals the JDK's lookup: "
                                        + pr.user().equals(java.nio.file.FileSystems.getDefault()
                                                .getUserPrincipalLookupService()
                                                .lookupPrincipalByName(System.getProperty("user.name")));
                            });
                            t.call("client peer credentials same", () -> c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED)
                                    .equals(s.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED)));
                            t.call("set SO_PEERCRED", () -> s.setOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED,
                                    s.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED)));
                            t.call("write", () -> c.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8))));
                            ByteBuffer b = ByteBuffer.allocate(16);
                            t.call("read", () -> s.read(b));
                            t.call("data", () -> str(b));
                            t.call("shutdownOutput", () -> s.shutdownOutput() == s);
                            t.call("client reads EOF", () -> c.read(ByteBuffer.allocate(4)));
                            t.call("client writes after peer shutdown", () -> c.write(ByteBuffer.wrap(new byte[] {1})));
                            t.call("server still reads", () -> s.read(ByteBuffer.allocate(4)));
                        }
                    }
                    t.call("socket file after close", () -> Files.exists(a.getPath()));
                }
                t.call("socket file after listener close", () -> Files.exists(a.getPath()));
                t.call("open(address) after close", () -> SocketChannel.open(a));
            }
        });

        all.put("unix.bindForms", t -> {
            try (Dir d = new Dir()) {
                try (ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ssc.bind(null);
                    Path got = ((UnixDomainSocketAddress) ssc.getLocalAddress()).getPath();
                    t.call("bind(null) dir is java.io.tmpdir",
                            () -> got.getParent().equals(Path.of(System.getProperty("java.io.tmpdir"))));
                    t.call("bind(null) name", () -> got.getFileName().toString().replaceAll("[0-9]+$", "N"));
                    t.call("bind(null) file exists", () -> Files.exists(got));
                    // the JDK's address of convenience: open(address) picks the family
                    try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
                            SocketChannel s = ssc.accept()) {
                        t.call("open(address) connected", c::isConnected);
                        t.call("accepted remote", () -> d.show(s.getRemoteAddress()));
                    }
                    Files.deleteIfExists(got);
                }
                try (ServerSocketChannel ssc = listener(d.at("srv"))) {
                    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        t.call("client bind(null)", () -> d.show(c.bind(null).getLocalAddress()));
                        t.call("client bind again", () -> c.bind(d.at("x")));
                    }
                    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        t.call("client bind(\"\")", () -> d.show(c.bind(UnixDomainSocketAddress.of("")).getLocalAddress()));
                    }
                    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        t.call("client bind(named)", () -> d.show(c.bind(d.at("cli")).getLocalAddress()));
                        t.call("connect", () -> c.connect(ssc.getLocalAddress()));
                        try (SocketChannel s = ssc.accept()) {
                            t.call("accepted remote of a named client", () -> d.show(s.getRemoteAddress()));
                        }
                    }
                }
                try (ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    t.call("server bind(\"\")", () -> ssc.bind(UnixDomainSocketAddress.of("")));
                }
                // a relative path is relative to the working directory, and shown as given
                String rel = "spool-rel-" + ProcessHandle.current().pid();
                try (ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    t.call("relative bind", () -> ssc.bind(UnixDomainSocketAddress.of(rel)).getLocalAddress()
                            .toString().equals(rel));
                    t.call("relative connect", () -> {
                        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(rel))) {
                            return d.show(c.getRemoteAddress()).equals("unix:" + rel);
                        }
                    });
                } finally {
                    Files.deleteIfExists(Path.of(rel));
                }
            }
        });

        all.put("unix.errors", t -> {
            try (Dir d = new Dir()) {
                t.call("connect to no file", () -> SocketChannel.open(d.at("none")));
                Path plain = Files.createFile(d.path.resolve("plain"));
                t.call("connect to a plain file", () -> SocketChannel.open(UnixDomainSocketAddress.of(plain)));
                t.call("connect to a directory", () -> SocketChannel.open(UnixDomainSocketAddress.of(d.path)));
                t.call("bind on a plain file", () -> listener(UnixDomainSocketAddress.of(plain)));
                t.call("bind in a missing directory", () -> listener(d.at("no/such")));
                String longName = "x".repeat(120);
                t.call("bind too long", () -> listener(d.at(longName)));
                t.call("connect too long", () -> SocketChannel.open(d.at(longName)));
                t.call("connect to \"\"", () -> SocketChannel.open(UnixDomainSocketAddress.of("")));
                try (ServerSocketChannel ssc = listener(d.at("s"))) {
                    t.call("bind in use", () -> listener(d.at("s")));
                }
                t.call("connect after listener closed", () -> SocketChannel.open(d.at("s")));
                try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    t.call("UNIX connect(inet)", () -> c.connect(new InetSocketAddress("127.0.0.1", 1)));
                    t.call("UNIX bind(inet)", () -> c.bind(new InetSocketAddress("127.0.0.1", 0)));
                    t.call("UNIX connect(null)", () -> c.connect(null));
                    t.call("UNIX read unconnected", () -> c.read(ByteBuffer.allocate(1)));
                    t.call("UNIX finishConnect unconnected", c::finishConnect);
                }
                try (ServerSocketChannel ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    t.call("UNIX server bind(inet)", () -> ssc.bind(new InetSocketAddress("127.0.0.1", 0)));
                    t.call("UNIX accept unbound", ssc::accept);
                }
                try (SocketChannel c = SocketChannel.open()) {
                    t.call("INET connect(unix)", () -> c.connect(d.at("s")));
                    t.call("INET bind(unix)", () -> c.bind(d.at("s")));
                }
                try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
                    t.call("INET server bind(unix)", () -> ssc.bind(d.at("s")));
                }
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.close();
                t.call("closed getLocalAddress", c::getLocalAddress);
                t.call("closed connect", () -> c.connect(d.at("s")));
            }
        });

        all.put("unix.selected", t -> {
            // a non-blocking echo of 3 MiB through one selector, both ends selected
            try (Dir d = new Dir();
                    Selector sel = Selector.open();
                    ServerSocketChannel ssc = listener(d.at("echo"))) {
                ssc.configureBlocking(false);
                ssc.register(sel, SelectionKey.OP_ACCEPT);
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                boolean now = c.connect(ssc.getLocalAddress());
                c.register(sel, now ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT);
                byte[] out = new byte[3 << 20];
                new java.util.Random(7).nextBytes(out);
                byte[] back = new byte[out.length];
                int sent = 0;
                int got = 0;
                SocketChannel s = null;
                ByteBuffer echo = ByteBuffer.allocateDirect(64 * 1024);
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (got < out.length && System.nanoTime() < deadline) {
                    sel.select(1000);
                    for (SelectionKey k : sel.selectedKeys()) {
                        if (k.isAcceptable()) {
                            s = ssc.accept();
                            t.call("accepted remote", d.show(s.getRemoteAddress())::toString);
                            s.configureBlocking(false);
                            s.register(sel, SelectionKey.OP_READ);
                        } else if (k.channel() == c && k.isConnectable()) {
                            c.finishConnect();
                            k.interestOps(SelectionKey.OP_WRITE);
                        } else if (k.channel() == c) {
                            if (k.isWritable() && sent < out.length) {
                                sent += c.write(ByteBuffer.wrap(out, sent, Math.min(100_000, out.length - sent)));
                                if (sent == out.length) {
                                    k.interestOps(SelectionKey.OP_READ);
                                } else {
                                    k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                                }
                            }
                            if (k.isValid() && k.isReadable()) {
                                int n = c.read(ByteBuffer.wrap(back, got, back.length - got));
                                if (n > 0) {
                                    got += n;
                                }
                            }
                        } else if (k.isReadable()) {
                            SocketChannel sc = (SocketChannel) k.channel();
                            if (echo.position() == 0 && sc.read(echo) < 0) {
                                k.cancel();
                            }
                            echo.flip();
                            sc.write(echo);
                            echo.compact();
                            k.interestOps(echo.position() > 0 ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                        } else if (k.isWritable()) {
                            SocketChannel sc = (SocketChannel) k.channel();
                            echo.flip();
                            sc.write(echo);
                            echo.compact();
                            k.interestOps(echo.position() > 0 ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                        }
                    }
                    sel.selectedKeys().clear();
                }
                final int fgot = got;
                t.call("echoed", () -> fgot);
                t.call("same bytes", () -> crc(out, 0, out.length) == crc(back, 0, fgot));
                c.close();
                if (s != null) {
                    SocketChannel fs = s;
                    sel.close(); // deregisters, so that the channel may block
                    fs.configureBlocking(true);
                    t.call("server reads EOF after client close", () -> fs.read(ByteBuffer.allocate(8)));
                    s.close();
                }
            }
        });

        all.put("unix.blocking", t -> {
            // 8 MiB one way between threads, then a reader woken by close
            try (Dir d = new Dir(); ServerSocketChannel ssc = listener(d.at("b"))) {
                byte[] out = new byte[8 << 20];
                new java.util.Random(11).nextBytes(out);
                try (SocketChannel c = SocketChannel.open(ssc.getLocalAddress()); SocketChannel s = ssc.accept()) {
                    Thread w = new Thread(() -> {
                        try {
                            ByteBuffer b = ByteBuffer.wrap(out);
                            while (b.hasRemaining()) {
                                c.write(b);
                            }
                            c.shutdownOutput();
                        } catch (IOException e) {
                            t.log("writer !! " + Transcript.exception(e));
                        }
                    });
                    w.start();
                    byte[] in = new byte[out.length];
                    int got = 0;
                    for (int n; got < in.length
                            && (n = s.read(ByteBuffer.wrap(in, got, Math.min(in.length - got, 70_000)))) > 0; ) {
                        got += n;
                    }
                    t.call("then EOF", () -> s.read(ByteBuffer.allocate(1)));
                    w.join();
                    final int fgot = got;
                    t.call("received", () -> fgot);
                    t.call("same bytes", () -> crc(out, 0, out.length) == crc(in, 0, fgot));
                    AtomicReference<String> r = new AtomicReference<>();
                    Thread blocked = new Thread(() -> {
                        try {
                            c.read(ByteBuffer.allocate(8));
                            r.set("returned");
                        } catch (IOException e) {
                            r.set(e.getClass().getName());
                        }
                    });
                    blocked.start();
                    Thread.sleep(200);
                    c.close();
                    blocked.join(10_000);
                    t.call("reader blocked then closed", r::get);
                }
            }
        });

        all.put("unix.manyClients", t -> {
            // 50 clients connect before the server accepts: accept-ahead on the spool backend
            try (Dir d = new Dir(); Selector sel = Selector.open(); ServerSocketChannel ssc = listener(d.at("m"))) {
                SocketChannel[] cs = new SocketChannel[50];
                for (int i = 0; i < cs.length; i++) {
                    cs[i] = SocketChannel.open(ssc.getLocalAddress());
                    cs[i].write(ByteBuffer.wrap(("client " + i).getBytes(StandardCharsets.UTF_8)));
                }
                ssc.configureBlocking(false);
                ssc.register(sel, SelectionKey.OP_ACCEPT);
                AtomicLong sum = new AtomicLong();
                int accepted = 0;
                int read = 0;
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (read < cs.length && System.nanoTime() < deadline) {
                    sel.select(1000);
                    for (SelectionKey k : sel.selectedKeys()) {
                        if (k.isAcceptable()) {
                            for (SocketChannel s; (s = ssc.accept()) != null; ) {
                                accepted++;
                                if (!d.show(s.getRemoteAddress()).equals("unix:<unnamed>")) {
                                    t.log("odd remote " + d.show(s.getRemoteAddress()));
                                }
                                s.configureBlocking(false);
                                s.register(sel, SelectionKey.OP_READ);
                            }
                        } else if (k.isReadable()) {
                            ByteBuffer b = ByteBuffer.allocate(32);
                            SocketChannel s = (SocketChannel) k.channel();
                            if (s.read(b) > 0) {
                                sum.addAndGet(Integer.parseInt(str(b).substring(7)));
                                read++;
                                k.cancel();
                                s.close();
                            }
                        }
                    }
                    sel.selectedKeys().clear();
                }
                final int fa = accepted;
                t.call("accepted", () -> fa);
                t.call("sum of client numbers", sum::get);
                for (SocketChannel c : cs) {
                    c.close();
                }
            }
        });
    }
}
