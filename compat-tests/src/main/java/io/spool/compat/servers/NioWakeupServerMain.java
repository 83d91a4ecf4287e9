package io.spool.compat.servers;

import io.spool.compat.Bodies;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A plain java.nio echo server in the shape NIO frameworks give their I/O
 * thread: the selector thread only reads; what it reads goes to a worker
 * thread, which makes the reply and hands it back through a queue, then calls
 * {@code selector.wakeup()}: once for every write it queues. The selector
 * thread drains the queue after each select and writes; what the socket does
 * not take waits for OP_WRITE. One worker, so that a connection's replies keep
 * their order. No framework.
 */
public final class NioWakeupServerMain {
    private static final int BUFFER = 16 << 10;
    /** Bytes read but not yet written back, past which a connection stops reading. */
    private static final int IN_FLIGHT_MAX = 1 << 20;

    /** One connection; its fields belong to the selector thread. */
    private static final class Conn {
        final SocketChannel ch;
        final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
        final Queue<ByteBuffer> out = new ArrayDeque<>();
        long inFlight;
        boolean eof;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }
    }

    /** A reply the worker made; an empty one after EOF closes the connection. */
    private record Reply(SelectionKey key, ByteBuffer data) {
    }

    private final Selector selector;
    private final Queue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "worker");
        t.setDaemon(true);
        return t;
    });

    private NioWakeupServerMain(Selector selector) {
        this.selector = selector;
    }

    public static void main(String[] args) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(Bodies.port(args)), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        System.out.println("READY " + ((InetSocketAddress) server.getLocalAddress()).getPort());
        new NioWakeupServerMain(selector).loop(server);
    }

    private void loop(ServerSocketChannel server) throws IOException {
        for (;;) {
            selector.select();
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                try {
                    if (key.isAcceptable()) {
                        accept(server);
                    } else {
                        if (key.isWritable()) {
                            flush(key);
                        }
                        if (key.isValid() && key.isReadable()) {
                            read(key);
                        }
                    }
                } catch (IOException e) {
                    close(key);
                }
            }
            Reply r;
            while ((r = replies.poll()) != null) {
                try {
                    queue(r);
                } catch (IOException e) {
                    close(r.key());
                }
            }
        }
    }

    private void accept(ServerSocketChannel server) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ, new Conn(ch));
        }
    }

    /** Reads what is there and hands a copy to the worker. */
    private void read(SelectionKey key) throws IOException {
        Conn c = (Conn) key.attachment();
        c.in.clear();
        int n = c.ch.read(c.in);
        if (n < 0) {
            // after every reply still with the worker
            c.eof = true;
            key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
            submit(key, ByteBuffer.allocate(0));
            return;
        }
        if (n == 0) {
            return;
        }
        c.in.flip();
        ByteBuffer copy = ByteBuffer.allocate(n).put(c.in).flip();
        c.inFlight += n;
        if (c.inFlight > IN_FLIGHT_MAX) {
            key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
        }
        submit(key, copy);
    }

    /** The worker's side: the reply (an echo), queued, then the selector woken. */
    private void submit(SelectionKey key, ByteBuffer request) {
        worker.execute(() -> {
            ByteBuffer reply = ByteBuffer.allocate(request.remaining()).put(request).flip();
            replies.add(new Reply(key, reply));
            selector.wakeup();
        });
    }

    /** The selector thread's side: a reply from the worker, written or queued for OP_WRITE. */
    private void queue(Reply r) throws IOException {
        SelectionKey key = r.key();
        if (!key.isValid()) {
            return;
        }
        Conn c = (Conn) key.attachment();
        if (!r.data().hasRemaining()) {
            if (c.out.isEmpty()) {
                close(key);
            } else {
                c.out.add(r.data());
            }
            return;
        }
        boolean idle = c.out.isEmpty();
        c.out.add(r.data());
        if (idle) {
            flush(key);
        }
    }

    /** Writes the queued replies; what the socket does not take waits for OP_WRITE. */
    private void flush(SelectionKey key) throws IOException {
        Conn c = (Conn) key.attachment();
        ByteBuffer b;
        while ((b = c.out.peek()) != null) {
            if (!b.hasRemaining()) {
                // the marker after EOF: every reply is out
                close(key);
                return;
            }
            c.inFlight -= c.ch.write(b);
            if (b.hasRemaining()) {
                key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                return;
            }
            c.out.poll();
        }
        int ops = SelectionKey.OP_READ;
        if (c.eof || c.inFlight > IN_FLIGHT_MAX) {
            ops = 0;
        }
        key.interestOps(ops);
    }

    private static void close(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
