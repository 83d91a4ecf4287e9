package io.spool.compat.servers;

import io.spool.compat.Bodies;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * A plain java.nio echo server, the way the NIO tutorials write one: one
 * thread, one Selector, non-blocking channels; every byte read is written
 * back, and what the socket does not take waits for OP_WRITE. No framework.
 */
public final class NioEchoServerMain {
    private static final int BUFFER = 16 << 10;

    public static void main(String[] args) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(Bodies.port(args)), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        System.out.println("READY " + ((InetSocketAddress) server.getLocalAddress()).getPort());
        for (;;) {
            selector.select();
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                try {
                    if (key.isAcceptable()) {
                        accept(server, selector);
                    } else {
                        echo(key);
                    }
                } catch (IOException e) {
                    key.cancel();
                    key.channel().close();
                }
            }
        }
    }

    private static void accept(ServerSocketChannel server, Selector selector) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ, ByteBuffer.allocateDirect(BUFFER));
        }
    }

    /** Reads what is there and writes it back; a partial write waits for OP_WRITE. */
    private static void echo(SelectionKey key) throws IOException {
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
            key.cancel();
            ch.close();
            return;
        }
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
