package io.spool.channels;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/** The JFR side of {@link SocketEvents}; loaded only where the jdk.jfr module is. */
final class JfrSocketEvents {
    private static final Read READ = new Read();
    private static final Write WRITE = new Write();

    private JfrSocketEvents() {
    }

    /** The peer's fields, as the JDK's socket events have them. */
    abstract static class PeerEvent extends Event {
        @Label("Remote Host")
        String host;
        @Label("Remote Address")
        String address;
        @Label("Remote Port")
        int port;

        /** As the JDK's socket events: a UNIX peer is "Unix domain socket", [path], port 0. */
        final void peer(SocketAddress remote) {
            if (remote instanceof InetSocketAddress) {
                InetSocketAddress isa = (InetSocketAddress) remote;
                host = isa.getHostString();
                InetAddress a = isa.getAddress();
                address = a == null ? null : a.getHostAddress();
                port = isa.getPort();
            } else if (remote instanceof UnixDomainSocketAddress) {
                host = "Unix domain socket";
                address = "[" + ((UnixDomainSocketAddress) remote).getPath() + "]";
                port = 0;
            }
        }
    }

    @Name("io.spool.SocketRead")
    @Label("SPOOL Socket Read")
    @Category({"Java Application", "Socket"})
    @Description("Reading data from a socket channel of the SPOOL provider")
    @Threshold("20 ms")
    @StackTrace(true)
    static final class Read extends PeerEvent {
        @Label("Timeout Value")
        @Timespan(Timespan.MILLISECONDS)
        long timeout;
        @Label("Bytes Read")
        @DataAmount
        long bytesRead;
        @Label("End of Stream")
        boolean endOfStream;
        @Label("From Read-Ahead")
        @Description("Served from bytes a cycle call received ahead: no system call of its own")
        boolean fromReadAhead;
    }

    @Name("io.spool.SocketWrite")
    @Label("SPOOL Socket Write")
    @Category({"Java Application", "Socket"})
    @Description("Writing data to a socket channel of the SPOOL provider")
    @Threshold("20 ms")
    @StackTrace(true)
    static final class Write extends PeerEvent {
        @Label("Bytes Written")
        @DataAmount
        long bytesWritten;
        @Label("Write-Behind")
        @Description("Staged for the next cycle call to send: no system call of its own")
        boolean staged;
    }

    static Object beginRead() {
        if (!READ.isEnabled()) {
            return null;
        }
        Read e = new Read();
        e.begin();
        return e;
    }

    static void endRead(Object o, SocketAddress remote, long n, boolean fromReadAhead, long timeoutMillis) {
        Read e = (Read) o;
        e.end();
        if (e.shouldCommit()) {
            e.peer(remote);
            e.timeout = timeoutMillis;
            e.bytesRead = Math.max(0, n);
            e.endOfStream = n < 0;
            e.fromReadAhead = fromReadAhead;
            e.commit();
        }
    }

    static Object beginWrite() {
        if (!WRITE.isEnabled()) {
            return null;
        }
        Write e = new Write();
        e.begin();
        return e;
    }

    static void endWrite(Object o, SocketAddress remote, long n, boolean staged) {
        Write e = (Write) o;
        e.end();
        if (e.shouldCommit()) {
            e.peer(remote);
            e.bytesWritten = Math.max(0, n);
            e.staged = staged;
            e.commit();
        }
    }
}
