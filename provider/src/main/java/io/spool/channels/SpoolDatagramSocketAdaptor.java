package io.spool.channels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.DatagramSocketImpl;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

/**
 * DatagramChannel.socket(): a java.net.DatagramSocket view, as the JDK's
 * DatagramSocketAdaptor. It extends DatagramSocket, not MulticastSocket
 * (the JDK's does): a MulticastSocket cannot be made without a socket of
 * its own; joinGroup and leaveGroup throw UnsupportedOperationException.
 */
final class SpoolDatagramSocketAdaptor extends DatagramSocket {
    private final SpoolDatagramChannel dc;
    private volatile int timeout;

    private SpoolDatagramSocketAdaptor(SpoolDatagramChannel dc) {
        super(new NoImpl()); // delegates to a socket impl created lazily: never, here
        this.dc = dc;
    }

    static DatagramSocket create(SpoolDatagramChannel dc) {
        return new SpoolDatagramSocketAdaptor(dc);
    }

    // ---- a packet's buffer length

    /**
     * The JDK receives up to a packet's private bufLength, which a receive
     * leaves as it was while it sets the length. With only the public API
     * we remember it here, for as long as the packet is unchanged.
     */
    private static final Map<DatagramPacket, int[]> BUF_LENGTHS =
            Collections.synchronizedMap(new WeakHashMap<>());
    private static final Map<DatagramPacket, byte[]> BUF_DATA =
            Collections.synchronizedMap(new WeakHashMap<>());

    private static int bufLength(DatagramPacket p) {
        int[] r = BUF_LENGTHS.get(p);
        if (r != null && r[1] == p.getLength() && r[2] == p.getOffset() && BUF_DATA.get(p) == p.getData()) {
            return r[0];
        }
        return p.getLength();
    }

    /** After a receive of len bytes into p, whose buffer length was bufLength. */
    static void received(DatagramPacket p, int len, int bufLength) {
        p.setLength(len);
        BUF_LENGTHS.put(p, new int[] {bufLength, len, p.getOffset()});
        BUF_DATA.put(p, p.getData());
    }

    // ---- java.net.DatagramSocket

    private static InetSocketAddress asInetSocketAddress(SocketAddress sa) {
        if (!(sa instanceof InetSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        return (InetSocketAddress) sa;
    }

    private void connectInternal(SocketAddress remote) throws SocketException {
        try {
            dc.connect(remote, false);
        } catch (ClosedChannelException e) {
            // ignore, as the JDK
        } catch (Exception x) {
            SpoolSocketAdaptor.translateToSocketException(x);
        }
    }

    @Override
    public void bind(SocketAddress local) throws SocketException {
        if (local != null) {
            local = asInetSocketAddress(local);
        } else {
            local = new InetSocketAddress(0);
        }
        try {
            dc.bind(local);
        } catch (Exception x) {
            SpoolSocketAdaptor.translateToSocketException(x);
        }
    }

    @Override
    public void connect(InetAddress address, int port) {
        if (address == null) {
            throw new IllegalArgumentException("Address can't be null");
        }
        try {
            connectInternal(new InetSocketAddress(address, port));
        } catch (SocketException x) {
            throw new UncheckedIOException(x);
        }
    }

    @Override
    public void connect(SocketAddress remote) throws SocketException {
        if (remote == null) {
            throw new IllegalArgumentException("Address can't be null");
        }
        connectInternal(asInetSocketAddress(remote));
    }

    @Override
    public void disconnect() {
        try {
            dc.disconnect();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    @Override
    public boolean isBound() {
        return dc.localAddress() != null;
    }

    @Override
    public boolean isConnected() {
        return dc.remoteAddress() != null;
    }

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress remote = dc.remoteAddress();
        return remote != null ? remote.getAddress() : null;
    }

    @Override
    public int getPort() {
        InetSocketAddress remote = dc.remoteAddress();
        return remote != null ? remote.getPort() : -1;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return dc.remoteAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return isClosed() ? null : dc.localAddress();
    }

    private static SocketException closed(ClosedChannelException cause) {
        SocketException e = new SocketException("Socket closed");
        e.initCause(cause);
        return e;
    }

    @Override
    public void send(DatagramPacket p) throws IOException {
        try {
            synchronized (p) {
                dc.blockingSend(p);
            }
        } catch (AlreadyConnectedException e) {
            throw new IllegalArgumentException("Connected and packet address differ");
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public void receive(DatagramPacket p) throws IOException {
        try {
            synchronized (p) {
                dc.blockingReceive(p, bufLength(p), TimeUnit.MILLISECONDS.toNanos(timeout));
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (ClosedByInterruptException e) {
            if (JdkRelease.ADAPTOR_RETHROWS_CLOSED_BY_INTERRUPT) {
                throw e;
            }
            throw closed(e);
        } catch (ClosedChannelException e) {
            throw closed(e);
        }
    }

    @Override
    public InetAddress getLocalAddress() {
        if (isClosed()) {
            return null;
        }
        InetSocketAddress local = dc.localAddress();
        if (local == null) {
            local = new InetSocketAddress(0);
        }
        return local.getAddress();
    }

    @Override
    public int getLocalPort() {
        if (isClosed()) {
            return -1;
        }
        InetSocketAddress local = dc.localAddress();
        return local != null ? local.getPort() : 0;
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        this.timeout = timeout;
    }

    @Override
    public int getSoTimeout() throws SocketException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        return timeout;
    }

    private void setBooleanOption(SocketOption<Boolean> name, boolean value) throws SocketException {
        try {
            dc.setOption(name, value);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
        }
    }

    private void setIntOption(SocketOption<Integer> name, int value) throws SocketException {
        try {
            dc.setOption(name, value);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
        }
    }

    private boolean getBooleanOption(SocketOption<Boolean> name) throws SocketException {
        try {
            return dc.getOption(name);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
            return false;
        }
    }

    private int getIntOption(SocketOption<Integer> name) throws SocketException {
        try {
            return dc.getOption(name);
        } catch (IOException x) {
            SpoolSocketAdaptor.translateToSocketException(x);
            return -1;
        }
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid send size");
        }
        setIntOption(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return getIntOption(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid receive size");
        }
        setIntOption(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return getIntOption(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        setBooleanOption(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return getBooleanOption(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public void setBroadcast(boolean on) throws SocketException {
        setBooleanOption(StandardSocketOptions.SO_BROADCAST, on);
    }

    @Override
    public boolean getBroadcast() throws SocketException {
        return getBooleanOption(StandardSocketOptions.SO_BROADCAST);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        setIntOption(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return getIntOption(StandardSocketOptions.IP_TOS);
    }

    @Override
    public void close() {
        try {
            dc.close();
        } catch (IOException x) {
            throw new Error(x);
        }
    }

    @Override
    public boolean isClosed() {
        return !dc.isOpen();
    }

    @Override
    public DatagramChannel getChannel() {
        return dc;
    }

    @Override
    public <T> DatagramSocket setOption(SocketOption<T> name, T value) throws IOException {
        dc.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return dc.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return dc.supportedOptions();
    }

    /** The JDK's checkGroup: the argument checks before any multicast work. */
    private static void checkGroup(SocketAddress mcastaddr) throws SocketException {
        if (!(mcastaddr instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        InetAddress group = ((InetSocketAddress) mcastaddr).getAddress();
        if (group == null) {
            throw new IllegalArgumentException("Unresolved address");
        }
        if (!group.isMulticastAddress()) {
            throw new SocketException("Not a multicast address");
        }
    }

    @Override
    public void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        checkGroup(mcastaddr);
        throw new UnsupportedOperationException("SPOOL: multicast group membership is not supported yet");
    }

    @Override
    public void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        checkGroup(mcastaddr);
        throw new UnsupportedOperationException("SPOOL: multicast group membership is not supported yet");
    }

    /** The DatagramSocketImpl our adaptor hands its superclass: never used. */
    private static final class NoImpl extends DatagramSocketImpl {
        private static UnsupportedOperationException unsupported() {
            return new UnsupportedOperationException();
        }

        @Override protected void create() { throw unsupported(); }
        @Override protected void bind(int lport, InetAddress laddr) { throw unsupported(); }
        @Override protected void send(DatagramPacket p) { throw unsupported(); }
        @Override protected int peek(InetAddress i) { throw unsupported(); }
        @Override protected int peekData(DatagramPacket p) { throw unsupported(); }
        @Override protected void receive(DatagramPacket p) { throw unsupported(); }
        @Override @Deprecated protected void setTTL(byte ttl) { throw unsupported(); }
        @Override @Deprecated protected byte getTTL() { throw unsupported(); }
        @Override protected void setTimeToLive(int ttl) { throw unsupported(); }
        @Override protected int getTimeToLive() { throw unsupported(); }
        @Override protected void join(InetAddress inetaddr) { throw unsupported(); }
        @Override protected void leave(InetAddress inetaddr) { throw unsupported(); }
        @Override protected void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) { throw unsupported(); }
        @Override protected void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) { throw unsupported(); }
        @Override protected void close() { throw unsupported(); }
        @Override public void setOption(int optID, Object value) { throw unsupported(); }
        @Override public Object getOption(int optID) { throw unsupported(); }
    }
}
