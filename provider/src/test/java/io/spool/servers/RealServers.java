package io.spool.servers;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Two servers nobody changed for SPOOL: a plain NIO echo server and the
 * JDK's HttpServer. Prints "ready provider echoPort httpPort" and serves
 * until stdin closes.
 */
public final class RealServers {
    public static void main(String[] args) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        ServerSocketChannel echo = ServerSocketChannel.open();
        echo.bind(new InetSocketAddress(lo, 0));
        Thread t = new Thread(() -> echoLoop(echo), "echo");
        t.setDaemon(true);
        t.start();

        HttpServer http = HttpServer.create(new InetSocketAddress(lo, 0), 50);
        http.createContext("/hello", ex -> {
            byte[] body = ("hello " + ex.getRequestURI().getQuery()).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        http.createContext("/echo", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        http.start();
        System.out.println("ready " + SelectorProvider.provider().getClass().getName() + " "
                + ((InetSocketAddress) echo.getLocalAddress()).getPort() + " " + http.getAddress().getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // serve until the test closes our stdin
        }
        http.stop(0);
        System.exit(0);
    }

    /** The textbook NIO echo loop. */
    static void echoLoop(ServerSocketChannel ssc) {
        try (Selector sel = Selector.open()) {
            ssc.configureBlocking(false);
            ssc.register(sel, SelectionKey.OP_ACCEPT);
            for (;;) {
                sel.select();
                Iterator<SelectionKey> it = sel.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k.isAcceptable()) {
                        SocketChannel c = ssc.accept();
                        if (c != null) {
                            c.configureBlocking(false);
                            c.register(sel, SelectionKey.OP_READ, ByteBuffer.allocate(8192));
                        }
                    } else if (k.isReadable() || k.isWritable()) {
                        SocketChannel c = (SocketChannel) k.channel();
                        ByteBuffer b = (ByteBuffer) k.attachment();
                        int n = k.isReadable() ? c.read(b) : 0;
                        if (n < 0) {
                            k.cancel();
                            c.close();
                            continue;
                        }
                        b.flip();
                        c.write(b);
                        b.compact();
                        k.interestOps(b.position() > 0 ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                    }
                }
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }
}
