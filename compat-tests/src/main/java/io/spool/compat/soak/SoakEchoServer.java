package io.spool.compat.soak;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The echo server of the soak: the loop of
 * {@link io.spool.compat.servers.NioEchoServerMain} (one thread, one
 * Selector, non-blocking channels, every byte read written back, a partial
 * write waits for OP_WRITE, an IOException closes that one channel), on the
 * JVM's default provider, so on SPOOL when the JVM runs with the -D flag.
 * Three things differ, none in how it uses NIO: it counts what it does, it
 * can be stopped, and each connection's buffer has a random size (64 bytes
 * to 32 KiB instead of always 16 KiB), so that reads smaller than what the
 * provider read ahead, and writes of every size, happen.
 *
 * Anything thrown out of the per-key handling other than an IOException
 * (which the original turns into closing the channel) ends the loop; it is
 * kept in {@link #escaped} and fails the soak.
 */
final class SoakEchoServer implements Runnable {
    private final Selector selector;
    private final ServerSocketChannel server;
    private final SplittableRandom rnd;
    private final Thread thread;

    private volatile boolean stop;
    volatile Throwable escaped;

    final AtomicLong accepted = new AtomicLong();
    final AtomicLong eofCloses = new AtomicLong();
    final AtomicLong errorCloses = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicInteger open = new AtomicInteger();
    /** The IOExceptions that closed a channel, by "class: message". */
    private final Map<String, Long> errors = new TreeMap<>();

    SoakEchoServer(long seed) throws IOException {
        rnd = new SplittableRandom(seed);
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this, "soak-echo-server");
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    String providerClass() {
        return selector.provider().getClass().getName();
    }

    void start() {
        thread.start();
    }

    /** Stops the loop; it closes every channel, the listener and the selector. */
    boolean stop(long millis) throws InterruptedException {
        stop = true;
        selector.wakeup();
        thread.join(millis);
        return !thread.isAlive();
    }

    synchronized String errors() {
        return errors.toString();
    }

    private synchronized void error(IOException e) {
        errors.merge(e.getClass().getSimpleName() + ": " + e.getMessage(), 1L, Long::sum);
    }

    @Override
    public void run() {
        try {
            while (!stop) {
                selector.select();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    try {
                        if (key.isAcceptable()) {
                            accept();
                        } else {
                            echo(key);
                        }
                    } catch (IOException e) {
                        error(e);
                        errorCloses.incrementAndGet();
                        open.decrementAndGet();
                        key.cancel();
                        key.channel().close();
                    }
                }
            }
        } catch (Throwable t) {
            escaped = t;
        } finally {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException | RuntimeException e) {
                    if (escaped == null) {
                        escaped = e;
                    }
                }
            }
            try {
                selector.close();
                server.close();
            } catch (IOException e) {
                if (escaped == null) {
                    escaped = e;
                }
            }
        }
    }

    /**
     * Mostly 4 to 32 KiB; one connection in 16 gets 64 to 512 bytes and
     * three in 16 up to 4 KiB. (Not smaller: a connection echoes at most its
     * buffer per select, and under emulation a select takes a few
     * milliseconds, so a 1-byte buffer would need hours for a megabyte.)
     */
    private int bufferSize() {
        int r = rnd.nextInt(16);
        if (r == 0) {
            return 64 + rnd.nextInt(449);
        } else if (r < 4) {
            return 512 + rnd.nextInt(3585);
        }
        return 4096 + rnd.nextInt(28 << 10);
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            accepted.incrementAndGet();
            open.incrementAndGet();
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ, ByteBuffer.allocateDirect(bufferSize()));
        }
    }

    /** Reads what is there and writes it back; a partial write waits for OP_WRITE. */
    private void echo(SelectionKey key) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        ByteBuffer buf = (ByteBuffer) key.attachment();
        if (key.isWritable()) {
            ch.write(buf);
            if (buf.hasRemaining()) {
                return;
            }
            buf.clear();
            key.interestOps(SelectionKey.OP_READ);
        }
        if (!key.isReadable()) {
            return;
        }
        int n = ch.read(buf);
        if (n < 0) {
            eofCloses.incrementAndGet();
            open.decrementAndGet();
            key.cancel();
            ch.close();
            return;
        }
        bytes.addAndGet(n);
        buf.flip();
        ch.write(buf);
        if (buf.hasRemaining()) {
            buf.compact().flip();
            key.interestOps(SelectionKey.OP_WRITE);
        } else {
            buf.clear();
        }
    }
}
