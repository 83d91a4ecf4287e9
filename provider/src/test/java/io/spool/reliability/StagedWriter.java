package io.spool.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * The writing side of the write-behind tests (java.* only): a random
 * payload written in random-sized writes (plain and gathering) on the
 * selecting thread, between selects, as an event loop does; and the peer, a
 * java.net socket that counts and checksums what arrives and can pause.
 */
final class StagedWriter {
    private StagedWriter() {
    }

    static byte[] payload(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    /** A random write size: often small, often up to 32 KiB. */
    static int chunk(Random rnd, int left) {
        int n = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(100) : 1 + rnd.nextInt(32 << 10);
        return Math.min(n, left);
    }

    /** One write of data[pos, pos+n): a plain write, or a gathering write of up to 3 pieces. */
    static int write(SocketChannel ch, byte[] data, int pos, int n, Random rnd) throws IOException {
        if (n < 3 || rnd.nextInt(4) != 0) {
            return ch.write(ByteBuffer.wrap(data, pos, n));
        }
        int a = 1 + rnd.nextInt(n - 2);
        int b = 1 + rnd.nextInt(n - a - 1);
        ByteBuffer[] bufs = {ByteBuffer.wrap(data, pos, a), ByteBuffer.wrap(data, pos + a, b),
            ByteBuffer.wrap(data, pos + a + b, n - a - b)};
        return (int) ch.write(bufs, 0, 3);
    }

    /**
     * Writes data[from, to) on this (the selecting) thread: random-sized
     * writes, a select now and then between them, and a select with OP_WRITE
     * whenever a write takes less than offered. Returns when all is taken;
     * no select ran after the last write.
     */
    static void pump(SocketChannel ch, SelectionKey key, Selector sel, byte[] data, int from, int to, Random rnd)
            throws IOException {
        int pos = from;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (pos < to) {
            int n = chunk(rnd, to - pos);
            int w = write(ch, data, pos, n, rnd);
            pos += w;
            if (pos >= to) {
                break;
            }
            if (w < n) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no progress: " + pos + " of " + to + " bytes taken");
                }
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                sel.select(1000);
                sel.selectedKeys().clear();
                key.interestOps(SelectionKey.OP_READ);
            } else if (rnd.nextInt(4) == 0) {
                sel.selectNow();
                sel.selectedKeys().clear();
            }
        }
    }

    /**
     * The tail: once the peer has read everything written so far, one
     * select with OP_WRITE (SPOOL's cycle reports the socket's send room),
     * the peer paused, then small writes with no select at all, each of
     * which fits that room and is staged, up to 4 KiB or until a write is
     * not staged (it went straight out). Returns the new position.
     */
    static int tail(SocketChannel ch, SelectionKey key, Selector sel, byte[] data, int pos, int to, Random rnd,
            Peer peer, java.util.function.LongSupplier staged) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (peer.count < pos) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the peer is stuck at " + peer.count + " of " + pos + " bytes");
            }
            sel.select(10);
            sel.selectedKeys().clear();
        }
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        sel.select(1000);
        sel.selectedKeys().clear();
        key.interestOps(SelectionKey.OP_READ);
        peer.pauseNow();
        int end = Math.min(to, pos + 4096);
        while (pos < end) {
            long before = staged.getAsLong();
            int n = Math.min(end - pos, 1 + rnd.nextInt(512));
            pos += write(ch, data, pos, n, rnd);
            if (staged.getAsLong() == before) {
                break;
            }
        }
        return pos;
    }

    /** The peer: reads to EOF, counting and checksumming; can pause; can reply (count, crc) after EOF. */
    static final class Peer {
        final Socket s;
        final CRC32 crc = new CRC32();
        volatile long count;
        volatile boolean eof;
        volatile Throwable error;
        /** Stop reading once count reaches this, until resume(). */
        volatile long pauseAt = Long.MAX_VALUE;
        /** With pauseAt: resume by itself this long after pausing (0: only resume()). */
        volatile long autoResumeMillis;
        private final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch paused = new CountDownLatch(1);
        private final boolean reply;
        private final Thread thread;

        Peer(Socket s, boolean reply) {
            this.s = s;
            this.reply = reply;
            thread = new Thread(this::run, "peer");
            thread.setDaemon(true);
            thread.start();
        }

        void pauseNow() {
            pauseAt = 0;
        }

        void resume() {
            gate.countDown();
        }

        /** Resumes after the given delay, from another thread. */
        void resumeIn(long millis) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException ignore) {
                    // resume now
                }
                resume();
            }, "peer-resume");
            t.setDaemon(true);
            t.start();
        }

        private void run() {
            try {
                InputStream in = s.getInputStream();
                byte[] buf = new byte[16384];
                for (;;) {
                    long room = pauseAt - count;
                    if (room <= 0 && gate.getCount() > 0) {
                        paused.countDown();
                        long auto = autoResumeMillis;
                        if (auto > 0) {
                            gate.await(auto, TimeUnit.MILLISECONDS);
                        } else {
                            gate.await();
                        }
                        gate.countDown();
                        continue;
                    }
                    int max = gate.getCount() > 0 ? (int) Math.min(buf.length, room) : buf.length;
                    int n = in.read(buf, 0, max);
                    if (n < 0) {
                        eof = true;
                        break;
                    }
                    crc.update(buf, 0, n);
                    count += n;
                }
                if (reply) {
                    OutputStream out = s.getOutputStream();
                    out.write(ByteBuffer.allocate(16).putLong(count).putLong(crc.getValue()).array());
                    out.flush();
                    s.shutdownOutput();
                }
            } catch (Throwable e) {
                error = e;
            }
        }

        /** Waits for the end; false on timeout. */
        boolean join(long millis) throws InterruptedException {
            thread.join(millis);
            return !thread.isAlive();
        }

        String state() {
            return "peer got " + count + " bytes" + (eof ? " and EOF" : ", no EOF") + (error == null ? "" : ", error " + error);
        }
    }
}
