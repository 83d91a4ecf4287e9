package io.spool.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.SpoolSelectorProvider;
import io.spool.sys.Counters;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The read-ahead ordering hazard: the kernel receives into the arena during
 * the cycle, the selector copies to the channel afterwards, and a worker
 * thread reading the socket directly in between would see later bytes
 * first. Here worker threads race the selecting thread on many short-lived
 * connections carrying a known byte sequence; every byte must arrive once,
 * in order. Reads and their checks are serialized per connection, so the
 * order of checks is the order of reads.
 */
@Tag("spool")
class ReadOrderHazardTest {
    static final long SECONDS = Long.getLong("spool.test.hazardSeconds", 4);

    static byte at(long k) {
        return (byte) ((k * 7 + (k >>> 8)) % 251);
    }

    static final class Conn {
        final SocketChannel ch;
        long received;
        boolean done;
        /**
         * A select reported it readable, so read-ahead has armed it: from
         * then on a worker's read races the selector. (A worker that read
         * first would stop it from ever being armed, and under some
         * schedules that happened to every connection.)
         */
        volatile boolean seen;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }

        /** One read and its check, serialized per connection. Returns false at EOF. */
        synchronized boolean readSome(ByteBuffer buf, AtomicReference<String> error) throws Exception {
            if (done) {
                return false;
            }
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) {
                done = true;
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (buf.get(i) != at(received + i)) {
                    error.compareAndSet(null, "byte " + (received + i) + " of " + ch + " out of order");
                    break;
                }
            }
            received += n;
            return true;
        }
    }

    @Test
    void workersRacingTheSelectorSeeEveryByteInOrder() throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        assertEquals(System.getProperty("spool.expectBackend", "spool"), ((SpoolSelectorProvider) p).backendName());
        InetAddress lo = InetAddress.getLoopbackAddress();
        AtomicReference<String> error = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Map<Integer, Long> sent = new ConcurrentHashMap<>(); // client local port -> bytes sent
        Map<Integer, Conn> conns = new ConcurrentHashMap<>(); // server's peer port -> conn
        List<Conn> live = new CopyOnWriteArrayList<>();
        AtomicLong connections = new AtomicLong();
        long disarms0 = Counters.WORKER_DISARMS.sum();
        long fromMemory0 = Counters.READS_FROM_MEMORY.sum();

        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), 200);
            ssc.configureBlocking(false);
            ssc.register(sel, SelectionKey.OP_ACCEPT);
            int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();

            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                Thread t = new Thread(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    try {
                        while (!stop.get()) {
                            try (Socket s = new Socket(lo, port)) {
                                long total = r.nextInt(1, 300_000);
                                OutputStream out = s.getOutputStream();
                                byte[] chunk = new byte[r.nextInt(1, 9000)];
                                for (long off = 0; off < total;) {
                                    int n = (int) Math.min(chunk.length, total - off);
                                    for (int i = 0; i < n; i++) {
                                        chunk[i] = at(off + i);
                                    }
                                    out.write(chunk, 0, n);
                                    off += n;
                                    if (r.nextInt(8) == 0) {
                                        Thread.yield();
                                    }
                                }
                                sent.put(s.getLocalPort(), total);
                                connections.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        error.compareAndSet(null, "client: " + e);
                    }
                }, "hazard-client-" + w);
                threads.add(t);
            }
            for (int w = 0; w < 2; w++) {
                Thread t = new Thread(() -> {
                    ByteBuffer buf = ByteBuffer.allocate(ThreadLocalRandom.current().nextInt(1, 20_000));
                    try {
                        while (!stop.get() || !live.isEmpty()) {
                            int n = live.size(); // once: the list shrinks concurrently
                            if (n == 0) {
                                Thread.sleep(1);
                                continue;
                            }
                            Conn c = live.get(ThreadLocalRandom.current().nextInt(n));
                            if (!c.seen) {
                                Thread.yield();
                                continue;
                            }
                            c.readSome(buf, error);
                        }
                    } catch (IndexOutOfBoundsException e) {
                        // the list shrank: fine
                    } catch (Exception e) {
                        error.compareAndSet(null, "worker: " + e);
                    }
                }, "hazard-worker-" + w);
                threads.add(t);
            }
            threads.forEach(Thread::start);

            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            // Runs on past SECONDS until a worker has raced an armed channel
            // at least once (how soon depends on the machine's timing), but
            // never past raceEnd; the assertions below then say which.
            long raceEnd = end + TimeUnit.SECONDS.toNanos(30);
            long hardEnd = raceEnd + TimeUnit.SECONDS.toNanos(120);
            ByteBuffer buf = ByteBuffer.allocate(16_384);
            while (System.nanoTime() < hardEnd && error.get() == null) {
                long now = System.nanoTime();
                if (now > end && (Counters.WORKER_DISARMS.sum() > disarms0 || now > raceEnd)) {
                    stop.set(true);
                    if (live.isEmpty() && threads.stream().limit(3).noneMatch(Thread::isAlive)) {
                        break;
                    }
                }
                sel.select(50);
                Iterator<SelectionKey> it = sel.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        SocketChannel ch;
                        while ((ch = ssc.accept()) != null) {
                            ch.configureBlocking(false);
                            Conn c = new Conn(ch);
                            conns.put(((InetSocketAddress) ch.getRemoteAddress()).getPort(), c);
                            ch.register(sel, SelectionKey.OP_READ, c);
                            live.add(c);
                        }
                    } else if (k.isReadable()) {
                        Conn c = (Conn) k.attachment();
                        c.seen = true;
                        if (!c.readSome(buf, error)) {
                            k.cancel();
                            live.remove(c);
                            c.ch.close();
                        }
                    }
                }
                // connections the workers finished
                for (Conn c : live) {
                    boolean d;
                    synchronized (c) {
                        d = c.done;
                    }
                    if (d) {
                        live.remove(c);
                        c.ch.close();
                    }
                }
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
        assertEquals(null, error.get());
        for (Map.Entry<Integer, Long> e : sent.entrySet()) {
            Conn c = conns.get(e.getKey());
            assertTrue(c != null, "connection from port " + e.getKey() + " was accepted");
            synchronized (c) {
                assertEquals(e.getValue().longValue(), c.received, "bytes of the connection from port " + e.getKey());
            }
        }
        long disarms = Counters.WORKER_DISARMS.sum() - disarms0;
        System.out.println("SPOOL-MEASURE hazard: " + connections.get() + " connections in " + SECONDS + " s, "
                + disarms + " worker disarms, " + (Counters.READS_FROM_MEMORY.sum() - fromMemory0)
                + " reads from memory, every byte in order");
        assertTrue(connections.get() >= 10, "enough connections: " + connections.get());
        assertTrue(disarms > 0, "workers raced armed channels");
    }
}
