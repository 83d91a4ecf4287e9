package io.spool.compat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The three measures of issue 12's first two bullets, for one provider in
 * one JVM (scripts/bench-vthreads.sh runs it A B A B against the JDK's
 * provider and writes the table):
 *
 * <ul>
 * <li>{@code heartbeat}: ticks per second of a virtual thread that sleeps
 *     10 ms in a loop, while 2,000 virtual threads are blocked in
 *     SocketChannel.read on idle connections;
 * <li>{@code echo}: round trips per second through a thread-per-connection
 *     echo server on virtual threads, with 40 idle clients and 4 busy ones
 *     (platform threads, one 64-byte message at a time);
 * <li>{@code fds}: open descriptors gained after 3,000 short-lived platform
 *     threads each did one blocking read, with no GC in between.
 * </ul>
 *
 * Prints one line: {@code heartbeat=N echo=N fds=N} (-1 for a measure not
 * run: a second argument names the only one to run). Needs JDK 21 or later
 * (virtual threads are found reflectively, so that this compiles for 17).
 */
public final class VirtualThreadBench {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();

    private VirtualThreadBench() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 5;
        String only = args.length > 1 ? args[1] : "all"; // one measure, for profiling
        ExecutorService vt = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        try {
            long fds = only.equals("all") || only.equals("fds") ? fdGrowth() : -1;
            long heartbeat = only.equals("all") || only.equals("heartbeat") ? heartbeat(vt, seconds) : -1;
            long echo = only.equals("all") || only.equals("echo") ? echo(vt, seconds) : -1;
            System.out.println("heartbeat=" + heartbeat + " echo=" + echo + " fds=" + fds);
        } finally {
            vt.shutdownNow();
        }
        System.exit(0);
    }

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** Descriptors gained by 3,000 threads that each block once in read. */
    static long fdGrowth() throws Exception {
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(new InetSocketAddress(LO, 0));
            SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
            SocketChannel a = ssc.accept();
            long before = openFds();
            for (int i = 0; i < 3000; i++) {
                Thread th = new Thread(() -> {
                    try {
                        a.read(ByteBuffer.allocate(1)); // blocks until the byte below
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                th.start();
                while (th.getState() != Thread.State.RUNNABLE && th.isAlive()) {
                    Thread.onSpinWait();
                }
                Thread.sleep(0, 100_000); // let it reach its wait
                c.write(ByteBuffer.wrap(new byte[] {1}));
                th.join();
            }
            long after = openFds();
            c.close();
            a.close();
            return after - before;
        }
    }

    /** Heartbeat ticks per second with 2,000 virtual threads blocked in read. */
    static long heartbeat(ExecutorService vt, long seconds) throws Exception {
        int n = 2000;
        List<SocketChannel> all = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(n);
        try (ServerSocketChannel ssc = ServerSocketChannel.open()) {
            ssc.bind(new InetSocketAddress(LO, 0), n);
            for (int i = 0; i < n; i++) {
                SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
                SocketChannel a = ssc.accept();
                all.add(c);
                all.add(a);
                vt.submit(() -> {
                    started.countDown();
                    try {
                        a.read(ByteBuffer.allocate(1)); // idle: until closed
                    } catch (IOException e) {
                        // closed at the end
                    }
                    return null;
                });
            }
            started.await(60, TimeUnit.SECONDS);
            Thread.sleep(200);
            AtomicLong ticks = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            var f = vt.submit(() -> {
                while (System.nanoTime() < end) {
                    Thread.sleep(10);
                    ticks.incrementAndGet();
                }
                return null;
            });
            try {
                f.get(seconds + 30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                f.cancel(true); // a stalled scheduler: the ticks so far
            }
            return ticks.get() / seconds;
        } finally {
            for (SocketChannel c : all) {
                c.close();
            }
        }
    }

    /** Round trips per second through a virtual-thread echo server: 40 idle clients, 4 busy. */
    static long echo(ExecutorService vt, long seconds) throws Exception {
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
            long start = System.nanoTime() + 1_000_000_000L; // a second of warm-up
            long end = start + seconds * 1_000_000_000L;
            List<Thread> busy = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                SocketChannel c = SocketChannel.open(ssc.getLocalAddress());
                clients.add(c);
                Thread th = new Thread(() -> {
                    ByteBuffer out = ByteBuffer.allocate(64);
                    ByteBuffer in = ByteBuffer.allocate(64);
                    try {
                        for (long now; (now = System.nanoTime()) < end; ) {
                            out.clear();
                            c.write(out);
                            in.clear();
                            while (in.hasRemaining()) {
                                if (c.read(in) < 0) {
                                    return;
                                }
                            }
                            if (now >= start) {
                                trips.incrementAndGet();
                            }
                        }
                    } catch (IOException e) {
                        // counted as far as it got
                    }
                });
                th.setDaemon(true);
                busy.add(th);
                th.start();
            }
            for (Thread th : busy) {
                th.join((seconds + 30) * 1000);
            }
            return trips.get() / seconds;
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
        }
    }
}
