package io.spool.compat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens N connections to a server and holds them open, silent, until it is
 * killed: the idle connections of `make bench`'s scale row.
 *
 * <pre>java -cp compat-tests.jar io.spool.compat.IdleClients PORT N [SOURCES]</pre>
 *
 * Connects to 127.0.0.1:PORT from the source addresses 127.0.0.2 to
 * 127.0.0.(1 + SOURCES) in turn (default 8), each with its own ~28,000
 * ephemeral ports, so that N can pass what one address pair allows. Prints
 * "IDLE N" once every connection is made (connected: the server may not have
 * accepted them all yet), then waits. Exits 1 with a message when one fails.
 */
public final class IdleClients {
    private IdleClients() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: IdleClients PORT N [SOURCES]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        int sources = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        List<SocketChannel> open = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open();
                open.add(ch);
                ch.bind(new InetSocketAddress(InetAddress.getByAddress(
                        new byte[] {127, 0, 0, (byte) (2 + i % sources)}), 0));
                ch.connect(server);
            }
        } catch (IOException e) {
            System.err.println("IdleClients: connection " + (open.size()) + " of " + n + ": " + e);
            System.exit(1);
        }
        System.out.println("IDLE " + open.size());
        System.out.flush();
        Thread.currentThread().join(); // holds them until killed
    }
}
