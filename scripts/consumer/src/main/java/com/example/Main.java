package com.example;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An NIO echo over one Selector: a server and a client channel in one event
 * loop, as an unmodified application would write it. It prints what served
 * it, one "name=value" a line, for scripts/check-packaging.sh to check: the
 * provider and its module, the backend from the provider and from its MXBean.
 */
public final class Main {
    private static final byte[] MESSAGE = "hello from an application that does not know SPOOL\n"
            .repeat(100).getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        SelectorProvider provider = SelectorProvider.provider();
        byte[] echoed = echo();
        System.out.println("provider=" + provider.getClass().getName());
        System.out.println("providerModule=" + moduleName(provider.getClass().getModule()));
        System.out.println("appModule=" + moduleName(Main.class.getModule()));
        // an instance method of SPOOL's provider, reached without naming it:
        // this module requires java.base only
        System.out.println("backend=" + provider.getClass().getMethod("backendName").invoke(provider));
        System.out.println("echo=" + (Arrays.equals(echoed, MESSAGE) ? "ok" : "wrong bytes: " + echoed.length));
        System.out.println("mxbean=" + mxbeanBackend());
    }

    /**
     * The Backend attribute of SPOOL's MXBean, io.spool:type=Provider, through
     * java.management by reflection (this module requires java.base only);
     * the provider registers it on a thread of its own, so wait for it.
     */
    private static String mxbeanBackend() throws Exception {
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> server = Class.forName("javax.management.MBeanServer");
        Class<?> objectName = Class.forName("javax.management.ObjectName");
        Object mbeans = factory.getMethod("getPlatformMBeanServer").invoke(null);
        Object name = objectName.getConstructor(String.class).newInstance("io.spool:type=Provider");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!(Boolean) server.getMethod("isRegistered", objectName).invoke(mbeans, name)) {
            if (System.nanoTime() > deadline) {
                return "not registered within 10 s";
            }
            Thread.sleep(20);
        }
        return String.valueOf(server.getMethod("getAttribute", objectName, String.class)
                .invoke(mbeans, name, "Backend"));
    }

    private static String moduleName(Module m) {
        return m.isNamed() ? m.getName() : "unnamed";
    }

    /** Sends MESSAGE through a server that echoes it; returns what came back. */
    private static byte[] echo() throws IOException {
        ByteBuffer received = ByteBuffer.allocate(MESSAGE.length);
        try (Selector selector = Selector.open();
                ServerSocketChannel server = ServerSocketChannel.open()) {
            if (selector.provider() != SelectorProvider.provider()) {
                throw new IllegalStateException("the selector is not the system provider's");
            }
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            SocketChannel client = SocketChannel.open();
            client.configureBlocking(false);
            int ops = client.connect(server.getLocalAddress())
                    ? SelectionKey.OP_WRITE | SelectionKey.OP_READ
                    : SelectionKey.OP_CONNECT;
            client.register(selector, ops, ByteBuffer.wrap(MESSAGE));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (received.hasRemaining()) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("no echo within 10 s: " + received.position() + " bytes");
                }
                selector.select(1000);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isAcceptable()) {
                        SocketChannel peer = server.accept();
                        if (peer != null) {
                            peer.configureBlocking(false);
                            peer.register(selector, SelectionKey.OP_READ, ByteBuffer.allocate(4096));
                        }
                    } else if (key.channel() == client) {
                        serveClient(key, client, received);
                    } else if (key.isReadable()) {
                        echoBack(key);
                    }
                }
                selector.selectedKeys().clear();
            }
            client.close();
        }
        return received.array();
    }

    private static void serveClient(SelectionKey key, SocketChannel client, ByteBuffer received)
            throws IOException {
        ByteBuffer out = (ByteBuffer) key.attachment();
        if (key.isConnectable() && client.finishConnect()) {
            key.interestOps(SelectionKey.OP_WRITE | SelectionKey.OP_READ);
        }
        if (key.isValid() && key.isWritable()) {
            client.write(out);
            if (!out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }
        if (key.isValid() && key.isReadable() && client.read(received) < 0) {
            throw new IOException("the server closed after " + received.position() + " bytes");
        }
    }

    /** The server's side: what a connection sends goes back to it. */
    private static void echoBack(SelectionKey key) throws IOException {
        SocketChannel peer = (SocketChannel) key.channel();
        ByteBuffer buf = (ByteBuffer) key.attachment();
        if (peer.read(buf) < 0) {
            key.cancel();
            peer.close();
            return;
        }
        buf.flip();
        while (buf.hasRemaining()) {
            peer.write(buf); // a small echo: the loopback socket takes it
        }
        buf.clear();
    }
}
