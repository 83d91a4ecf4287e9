package io.spool.channels;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;

/** The SocketImpl behind our adaptors: never used, every call fails (as the JDK's). */
final class DummySocketImpl extends SocketImpl {
    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException();
    }

    @Override protected void create(boolean stream) { throw unsupported(); }
    @Override protected void connect(String host, int port) { throw unsupported(); }
    @Override protected void connect(InetAddress address, int port) { throw unsupported(); }
    @Override protected void connect(SocketAddress address, int timeout) { throw unsupported(); }
    @Override protected void bind(InetAddress host, int port) { throw unsupported(); }
    @Override protected void listen(int backlog) { throw unsupported(); }
    @Override protected void accept(SocketImpl s) { throw unsupported(); }
    @Override protected InputStream getInputStream() { throw unsupported(); }
    @Override protected OutputStream getOutputStream() { throw unsupported(); }
    @Override protected int available() { throw unsupported(); }
    @Override protected void close() { throw unsupported(); }
    @Override protected void sendUrgentData(int data) { throw unsupported(); }
    @Override public void setOption(int optID, Object value) { throw unsupported(); }
    @Override public Object getOption(int optID) { throw unsupported(); }
}
