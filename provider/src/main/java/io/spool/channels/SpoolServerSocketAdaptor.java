package io.spool.channels;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** ServerSocketChannel.socket(): a java.net.ServerSocket view, as the JDK 17 ServerSocketAdaptor. */
final class SpoolServerSocketAdaptor extends ServerSocket {
    private final SpoolServerSocketChannel ssc;
    private volatile int timeout;

    private SpoolServerSocketAdaptor(SpoolServerSocketChannel ssc) throws IOException {
        super(new DummySocketImpl());
        this.ssc = ssc;
    }

    static ServerSocket create(SpoolServerSocketChannel ssc) {
        try {
            return new SpoolServerSocketAdaptor(ssc);
        } catch (IOException e) {
            throw new InternalError(e);
        }
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        bind(local, 50);
    }

    @Override
    public void bind(SocketAddress local, int backlog) throws IOException {
        if (local == null) {
            local = new InetSocketAddress(0);
        }
        try {
            ssc.bind(local, backlog);
        } catch (Exception x) {
            SpoolSocketAdaptor.translateException(x, false);
        }
    }

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress local = ssc.localAddress();
        return local == null ? null : Permissions.revealed(local).getAddress();
    }

    @Override
    public int getLocalPort() {
        InetSocketAddress local = ssc.localAddress();
        return local == null ? -1 : local.getPort();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return Permissions.revealed(ssc.localAddress());
    }

    @Override
    public Socket accept() throws IOException {
        SocketChannel sc = null;
        try {
            int to = timeout;
            if (to > 0) {
                sc = ssc.blockingAccept(TimeUnit.MILLISECONDS.toNanos(to));
            } else {
                // as the JDK's: a non-blocking channel still hands over a pending connection
                sc = ssc.accept();
                if (sc == null) {
                    throw new IllegalBlockingModeException();
                }
            }
        } catch (Exception e) {
            SpoolSocketAdaptor.translateException(e, false);
        }
        return sc.socket();
    }

    @Override
    public void close() throws IOException {
        ssc.close();
    }

    @Override
    public ServerSocketChannel getChannel() {
        return ssc;
    }

    @Override
    public boolean isBound() {
        return ssc.isBound();
    }

    @Override
    public boolean isClosed() {
        return !ssc.isOpen();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (!ssc.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        this.timeout = timeout;
    }

    @Override
    public int getSoTimeout() throws SocketException {
        if (!ssc.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return timeout;
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        try {
            ssc.setOption(StandardSocketOptions.SO_REUSEADDR, on);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
        }
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        try {
            return ssc.getOption(StandardSocketOptions.SO_REUSEADDR);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
            return false;
        }
    }

    @Override
    public String toString() {
        if (!isBound()) {
            return "ServerSocket[unbound]";
        }
        return "ServerSocket[addr=" + getInetAddress() + ",localport=" + getLocalPort() + "]";
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("size cannot be 0 or negative");
        }
        try {
            ssc.setOption(StandardSocketOptions.SO_RCVBUF, size);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
        }
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        try {
            return ssc.getOption(StandardSocketOptions.SO_RCVBUF);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
            return -1;
        }
    }

    @Override
    public <T> ServerSocket setOption(SocketOption<T> name, T value) throws IOException {
        ssc.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return ssc.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return ssc.supportedOptions();
    }
}
