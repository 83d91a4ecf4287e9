package io.spool.conformance;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Blocking channel operations on virtual threads (JDK 21 and later), run
 * with one carrier thread ({@code -Djdk.virtualThreadScheduler.parallelism=1
 * -Djdk.virtualThreadScheduler.maxPoolSize=1}): an operation that holds its
 * carrier while it waits stops every other virtual thread, so the step that
 * would unblock it never runs and the step reports TIMEOUT. Figures go to
 * standard error ("figure: ..."), never into the transcript.
 */
final class VirtualThreadScenarios {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();

    private VirtualThreadScenarios() {
    }

    static void run(Transcript t) throws Exception {
        ExecutorService vt = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        try {
            heartbeat(t, vt);
            echo(t, vt);
            eachBlockingCall(t, vt);
        } finally {
            vt.shutdownNow();
        }
    }

    /** A step on a virtual thread, bounded: its value, its exception, or TIMEOUT. */
    private static void step(Transcript t, ExecutorService vt, String label, Callable<Object> c) {
        t.call(label, () -> {
            Future<Object> f = vt.submit(c);
            try {
                return f.get(20, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                return "TIMEOUT";
            } catch (java.util.concurrent.ExecutionException e) {
                throw (Exception) e.getCause();
            }
        });
    }

    /** 2,000 virtual threads blocked in read on idle connections; a heartbeat keeps ticking. */
    private static void heartbeat(Transcript t, ExecutorService vt) throws Exception {
        int n = 2000;
        List<SocketChannel> all = new ArrayList<>();
        AtomicInteger reading = new AtomicInteger();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(n);
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(new InetSocketAddress(LO, 0), n);
            for (int i = 0; i < n; i++) {
                SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
                SocketChannel a = ssc.accept();
                all.add(c);
                all.add(a);
                vt.submit(() -> {
                    reading.incrementAndGet();
                    try {
                        return a.read(ByteBuffer.allocate(1));
                    } finally {
                        finished.countDown();
                    }
                });
            }
            long until = System.nanoTime() + 10_000_000_000L;
            while (reading.get() < n && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            Thread.sleep(200); // the last ones are inside read
            AtomicInteger ticks = new AtomicInteger();
            Future<?> hb = vt.submit(() -> {
                for (;;) {
                    Thread.sleep(10);
                    ticks.incrementAndGet();
                }
            });
            Thread.sleep(1000);
            hb.cancel(true);
            int perSecond = ticks.get();
            System.err.println("figure: heartbeat " + perSecond + " ticks/s with " + n + " virtual threads blocked in read");
            t.call("readers started", () -> reading.get() == n);
            t.call("heartbeat ticks (at least 20/s)", () -> perSecond >= 20);
        } finally {
            for (SocketChannel c : all) {
                c.close();
            }
            // the readers end before the next part measures (slow under emulation)
            finished.await(60, TimeUnit.SECONDS);
        }
    }

    /** A thread-per-connection echo server on virtual threads: 40 idle clients, 4 busy ones. */
    private static void echo(Transcript t, ExecutorService vt) throws Exception {
        List<SocketChannel> clients = new ArrayList<>();
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(new InetSocketAddress(LO, 0));
            vt.submit(() -> {
                for (;;) {
                    SocketChannel a = ssc.accept();
                    vt.submit(() -> {
                        try (SocketChannel ch = a) {
                            ByteBuffer b = ByteBuffer.allocate(256);
                            while (ch.read(b) >= 0) {
                                b.flip();
                                while (b.hasRemaining()) {
                                    ch.write(b);
                                }
                                b.clear();
                            }
                        }
                        return null;
                    });
                }
            });
            for (int i = 0; i < 40; i++) {
                clients.add(SocketChannel.open(ssc.getLocalAddress()));
            }
            AtomicLong trips = new AtomicLong();
            long end = System.nanoTime() + 2_000_000_000L;
            List<Thread> busy = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
                clients.add(c);
                Thread th = new Thread(() -> {
                    ByteBuffer out = ByteBuffer.allocate(64);
                    ByteBuffer in = ByteBuffer.allocate(64);
                    try {
                        while (System.nanoTime() < end) {
                            out.clear();
                            c.write(out);
                            in.clear();
                            while (in.hasRemaining()) {
                                if (c.read(in) < 0) {
                                    return;
                                }
                            }
                            trips.incrementAndGet();
                        }
                    } catch (java.io.IOException e) {
                        // counted as far as it got
                    }
                });
                th.setDaemon(true);
                busy.add(th);
                th.start();
            }
            for (Thread th : busy) {
                th.join(10_000);
            }
            long perSecond = trips.get() / 2;
            System.err.println("figure: echo " + perSecond + " round trips/s on virtual threads (40 idle, 4 busy)");
            t.call("echo round trips (at least 20/s)", () -> perSecond >= 20);
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
        }
    }

    /** Each kind of blocking call parks its virtual thread, and is woken by what should wake it. */
    private static void eachBlockingCall(Transcript t, ExecutorService vt) throws Exception {
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(new InetSocketAddress(LO, 0));
            SocketAddress addr = ssc.getLocalAddress();
            step(t, vt, "accept, then a connect", () -> {
                Future<SocketChannel> f = vt.submit(() -> SocketChannel.open(addr));
                try (SocketChannel a = ssc.accept(); SocketChannel c = f.get()) {
                    return a.isConnected() && c.isConnected();
                }
            });
            step(t, vt, "read, then a write", () -> {
                try (SocketChannel c = SocketChannel.open(addr); SocketChannel a = ssc.accept()) {
                    vt.submit(() -> {
                        Thread.sleep(50);
                        return c.write(ByteBuffer.wrap(new byte[] {7}));
                    });
                    return a.read(ByteBuffer.allocate(4));
                }
            });
            step(t, vt, "write on a full socket, then the peer reads", () -> {
                try (SocketChannel c = SocketChannel.open(addr); SocketChannel a = ssc.accept()) {
                    int total = 4 << 20;
                    Future<Long> reader = vt.submit(() -> {
                        Thread.sleep(100);
                        ByteBuffer b = ByteBuffer.allocate(65536);
                        long got = 0;
                        while (got < total) {
                            b.clear();
                            got += a.read(b);
                        }
                        return got;
                    });
                    ByteBuffer big = ByteBuffer.allocate(total);
                    while (big.hasRemaining()) {
                        c.write(big);
                    }
                    return reader.get();
                }
            });
            step(t, vt, "adaptor read timeout", () -> {
                try (SocketChannel c = SocketChannel.open(addr); SocketChannel a = ssc.accept()) {
                    Socket s = a.socket();
                    s.setSoTimeout(200);
                    InputStream in = s.getInputStream();
                    return in.read();
                }
            });
            step(t, vt, "close wakes a reader", () -> {
                try (SocketChannel c = SocketChannel.open(addr); SocketChannel a = ssc.accept()) {
                    vt.submit(() -> {
                        Thread.sleep(100);
                        a.close();
                        return null;
                    });
                    return a.read(ByteBuffer.allocate(4));
                }
            });
            step(t, vt, "interrupt wakes a reader", () -> {
                try (SocketChannel c = SocketChannel.open(addr); SocketChannel a = ssc.accept()) {
                    Thread me = Thread.currentThread();
                    vt.submit(() -> {
                        Thread.sleep(100);
                        me.interrupt();
                        return null;
                    });
                    try {
                        return a.read(ByteBuffer.allocate(4));
                    } finally {
                        Thread.interrupted();
                    }
                }
            });
        }
        step(t, vt, "pipe read, then a write", () -> {
            Pipe p = Pipe.open();
            try (Pipe.SourceChannel src = p.source(); Pipe.SinkChannel sink = p.sink()) {
                vt.submit(() -> {
                    Thread.sleep(50);
                    return sink.write(ByteBuffer.wrap(new byte[] {1, 2}));
                });
                return src.read(ByteBuffer.allocate(4));
            }
        });
        step(t, vt, "datagram receive, then a send", () -> {
            try (DatagramChannel r = DatagramChannel.open(); DatagramChannel s = DatagramChannel.open()) {
                r.bind(new InetSocketAddress(LO, 0));
                SocketAddress to = r.getLocalAddress();
                vt.submit(() -> {
                    Thread.sleep(50);
                    return s.send(ByteBuffer.wrap(new byte[] {9}), to);
                });
                ByteBuffer b = ByteBuffer.allocate(4);
                r.receive(b);
                return b.position();
            }
        });
    }
}
