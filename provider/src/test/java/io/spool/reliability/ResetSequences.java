package io.spool.reliability;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The peer resets the connection (SO_LINGER 0, close) after the writer's
 * last write, which SPOOL staged (the selecting thread, between selects) and
 * the JDK sent: what every later operation on the writer's channel does.
 * java.* only: runs on the JDK's provider in a JVM with only the test
 * classes ({@code ResetSequences} prints "=== name" and one line per step),
 * and on SPOOL in the test JVM; the transcripts must be equal.
 */
public final class ResetSequences {
    private ResetSequences() {
    }

    interface Step {
        Object run(SocketChannel ch, Selector sel) throws Exception;
    }

    static final Step WRITE = (ch, sel) -> "wrote " + ch.write(ByteBuffer.wrap(new byte[1000]));
    static final Step READ = (ch, sel) -> "read " + ch.read(ByteBuffer.allocate(1000));
    static final Step SELECT = (ch, sel) -> {
        int n = sel.select(2000);
        String r = "selected " + n;
        for (SelectionKey k : sel.selectedKeys()) {
            r += " ready " + k.readyOps();
        }
        sel.selectedKeys().clear();
        return r;
    };
    static final Step CLOSE = (ch, sel) -> {
        ch.close();
        return "closed";
    };

    /**
     * The one sequence where SPOOL cannot do as the JDK: a write right after
     * the reset, before any select or read, is staged (no system call, so
     * nothing can know of the reset yet) where the JDK's write fails; the
     * error comes with the first write after the next select instead.
     */
    static final String UNSEEN = "write, select, write, read, close";

    /** The sequences: what runs after the reset. */
    static Map<String, List<Step>> all() {
        Map<String, List<Step>> m = new LinkedHashMap<>();
        m.put("select, write, write, read, close", List.of(SELECT, WRITE, WRITE, READ, CLOSE));
        m.put(UNSEEN, List.of(WRITE, SELECT, WRITE, READ, CLOSE));
        m.put("read, write, select, write, close", List.of(READ, WRITE, SELECT, WRITE, CLOSE));
        m.put("close", List.of(CLOSE));
        return m;
    }

    /**
     * Runs one sequence. {@code staged} counts staged writes (SPOOL's
     * counter; the JDK's run passes a constant): the transcript says whether
     * the write before the reset was staged.
     */
    static List<String> run(SelectorProvider p, List<Step> steps, LongSupplier staged) throws Exception {
        List<String> t = new ArrayList<>();
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket ss = new ServerSocket(0, 5, lo); Selector sel = p.openSelector();
                SocketChannel ch = p.openSocketChannel()) {
            ch.connect(ss.getLocalSocketAddress());
            Socket peer = ss.accept();
            ch.configureBlocking(false);
            // this thread selects, the socket writable: SPOOL's cycle reports its send room, and
            // a write that fits it is staged; the interest is back to OP_READ for the steps
            SelectionKey key = ch.register(sel, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            sel.selectNow();
            sel.selectedKeys().clear();
            key.interestOps(SelectionKey.OP_READ);
            long s0 = staged.getAsLong();
            t.add("wrote " + ch.write(ByteBuffer.wrap(new byte[10_000])));
            long stagedWrites = staged.getAsLong() - s0;
            peer.setSoLinger(true, 0);
            peer.close(); // RST
            Thread.sleep(300);
            for (Step s : steps) {
                try {
                    t.add(String.valueOf(s.run(ch, sel)));
                } catch (Exception e) {
                    t.add(e.getClass().getName() + ": " + e.getMessage());
                }
            }
            t.add("open " + ch.isOpen());
            t.add("#staged " + stagedWrites); // not compared
        }
        return t;
    }

    public static void main(String[] args) throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        System.out.println("provider " + p.getClass().getName());
        for (Map.Entry<String, List<Step>> e : all().entrySet()) {
            System.out.println("=== " + e.getKey());
            for (String l : run(p, e.getValue(), () -> 0)) {
                System.out.println(l);
            }
        }
        System.out.println("=== END");
        System.out.flush();
        System.exit(0);
    }
}
