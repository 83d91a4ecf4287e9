package io.spool.channels;

import io.spool.sys.Privileged;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
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
import java.nio.channels.MembershipKey;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * DatagramChannel.socket(): a java.net.MulticastSocket view of the
 * channel, as the JDK's DatagramSocketAdaptor, which overrides every
 * public method of DatagramSocket and MulticastSocket.
 *
 * <p>The JDK makes its adaptor without a socket of the superclass's own
 * underneath (the private DatagramSocket.NO_DELEGATE); every public
 * constructor of MulticastSocket creates one, through the JDK's provider
 * (or an installed DatagramSocketImplFactory). So ours is allocated
 * without running a constructor (sun.misc.Unsafe.allocateInstance, of
 * jdk.unsupported, which JNR needs anyway) and initialized by {@link
 * #init}: no file descriptor, and, as the JDK's, no superclass state,
 * which no method reaches. The placeholder interface of "any interface"
 * (index 0), which only the JDK can construct, comes once from a socket
 * of the JDK's own.
 */
final class SpoolDatagramSocketAdaptor extends MulticastSocket {
    // set once by init, before the adaptor is published (under the channel's state lock)
    private SpoolDatagramChannel dc;
    private volatile int timeout;

    @SuppressWarnings("unused")
    private SpoolDatagramSocketAdaptor() throws IOException {
        super((SocketAddress) null); // never run: see create
        throw new AssertionError();
    }

    static DatagramSocket create(SpoolDatagramChannel dc) {
        SpoolDatagramSocketAdaptor a = NoConstructor.allocate();
        a.init(dc);
        return a;
    }

    private void init(SpoolDatagramChannel dc) {
        this.dc = dc;
        this.sendLock = new ReentrantLock();
        this.outgoingInterfaceLock = new Object();
    }

    /** Allocates an adaptor without running a constructor. */
    private static final class NoConstructor {
        private static final MethodHandle ALLOCATE = Privileged.run(NoConstructor::allocator);

        private static MethodHandle allocator() {
            try {
                Class<?> unsafe = Class.forName("sun.misc.Unsafe");
                Field f = unsafe.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                return MethodHandles.lookup().findVirtual(unsafe, "allocateInstance",
                        MethodType.methodType(Object.class, Class.class)).bindTo(f.get(null));
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        static SpoolDatagramSocketAdaptor allocate() {
            try {
                return (SpoolDatagramSocketAdaptor) ALLOCATE.invoke(SpoolDatagramSocketAdaptor.class);
            } catch (Throwable e) {
                throw new InternalError(e);
            }
        }
    }

    /**
     * The JDK's placeholder for "any network interface" (named after the
     * wildcard address, index 0), which getNetworkInterface returns and
     * joinGroup uses when no outgoing interface is set; equal for every
     * socket of a JVM, so it is asked for once, of an unbound socket of the
     * JDK's that has none set.
     */
    private static volatile NetworkInterface anyInterface;

    private static NetworkInterface anyInterface() throws SocketException {
        NetworkInterface ni = anyInterface;
        if (ni == null) {
            try {
                ni = Privileged.io(() -> {
                    try (MulticastSocket jdk = new MulticastSocket((SocketAddress) null)) {
                        return jdk.getNetworkInterface();
                    }
                });
            } catch (SocketException e) {
                throw e;
            } catch (IOException e) {
                throw new SocketException(e.getMessage());
            }
            anyInterface = ni;
        }
        return ni;
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
        InetSocketAddress local = dc.localAddress();
        if (local == null || isClosed()) {
            return null;
        }
        if (local.getAddress().isAnyLocalAddress() || revealed(local.getAddress())) {
            return local;
        }
        return new InetSocketAddress(local.getPort()); // as the JDK's: the wildcard, to code that may not see it
    }

    /** Whether a SecurityManager lets this code resolve a (local) address (true without one). */
    private static boolean revealed(InetAddress a) {
        SecurityManager sm = Permissions.manager();
        if (sm != null) {
            try {
                sm.checkConnect(a.getHostAddress(), -1);
            } catch (SecurityException x) {
                return false;
            }
        }
        return true;
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
        return revealed(local.getAddress()) ? local.getAddress() : new InetSocketAddress(0).getAddress();
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

    // ---- java.net.MulticastSocket

    /** Orders a TTL change against the deprecated send(packet, ttl); set by init. */
    private ReentrantLock sendLock;

    /** setInterface's address, for getInterface while the interface is unchanged; set by init. */
    private Object outgoingInterfaceLock;
    private NetworkInterface outgoingNetworkInterface; // outgoingInterfaceLock
    private InetAddress outgoingInetAddress; // outgoingInterfaceLock

    @Override
    @Deprecated
    public void setTTL(byte ttl) throws IOException {
        setTimeToLive(Byte.toUnsignedInt(ttl));
    }

    @Override
    public void setTimeToLive(int ttl) throws IOException {
        sendLock.lock();
        try {
            setIntOption(StandardSocketOptions.IP_MULTICAST_TTL, ttl);
        } finally {
            sendLock.unlock();
        }
    }

    @Override
    @Deprecated
    public byte getTTL() throws IOException {
        return (byte) getTimeToLive();
    }

    @Override
    public int getTimeToLive() throws IOException {
        sendLock.lock();
        try {
            return getIntOption(StandardSocketOptions.IP_MULTICAST_TTL);
        } finally {
            sendLock.unlock();
        }
    }

    @Override
    @Deprecated
    public void joinGroup(InetAddress group) throws IOException {
        Objects.requireNonNull(group);
        try {
            joinGroup(new InetSocketAddress(group, 0), null);
        } catch (IllegalArgumentException iae) {
            // the 1-argument joinGroup does not specify IllegalArgumentException
            throw (SocketException) new SocketException("joinGroup failed").initCause(iae);
        }
    }

    @Override
    @Deprecated
    public void leaveGroup(InetAddress group) throws IOException {
        Objects.requireNonNull(group);
        try {
            leaveGroup(new InetSocketAddress(group, 0), null);
        } catch (IllegalArgumentException iae) {
            throw (SocketException) new SocketException("leaveGroup failed").initCause(iae);
        }
    }

    /** The JDK's checkGroup: the group of a multicast address, or the JDK's exception. */
    private static InetAddress checkGroup(SocketAddress mcastaddr) throws SocketException {
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
        return group;
    }

    @Override
    public void joinGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        InetAddress group = checkGroup(mcastaddr);
        NetworkInterface ni = netIf != null ? netIf : defaultNetworkInterface();
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        synchronized (this) {
            if (dc.findMembership(group, ni) != null) {
                Permissions.checkMulticast(group); // as the JDK's: checked even so
                throw new SocketException("Already a member of group");
            }
            dc.join(group, ni);
        }
    }

    @Override
    public void leaveGroup(SocketAddress mcastaddr, NetworkInterface netIf) throws IOException {
        InetAddress group = checkGroup(mcastaddr);
        NetworkInterface ni = netIf != null ? netIf : defaultNetworkInterface();
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        Permissions.checkMulticast(group);
        synchronized (this) {
            MembershipKey key = dc.findMembership(group, ni);
            if (key == null) {
                throw new SocketException("Not a member of group");
            }
            key.drop();
        }
    }

    @Override
    @Deprecated
    public void setInterface(InetAddress inf) throws SocketException {
        if (inf == null) {
            throw new SocketException("Invalid value 'null'");
        }
        NetworkInterface ni = NetworkInterface.getByInetAddress(inf);
        if (ni == null) {
            String address = inf.getHostAddress();
            if (!JdkRelease.FILTERED_INTERFACE_MESSAGE) {
                throw new SocketException("No network interface with address " + address);
            }
            throw new SocketException("No network interface found with address"
                    + (HostInfo.NON_SOCKET ? " " + address : ""));
        }
        synchronized (outgoingInterfaceLock) {
            setNetworkInterface(ni);
            outgoingNetworkInterface = ni;
            outgoingInetAddress = inf;
        }
    }

    @Override
    @Deprecated
    public InetAddress getInterface() throws SocketException {
        synchronized (outgoingInterfaceLock) {
            NetworkInterface ni = outgoingNetworkInterface();
            if (ni != null) {
                if (ni.equals(outgoingNetworkInterface)) {
                    return outgoingInetAddress;
                }
                // the interface was changed another way: its first address
                InetAddress ia = ni.inetAddresses().findFirst().orElse(null);
                if (ia == null && !JdkRelease.INTERFACE_WITHOUT_ADDRESS_IS_NULL) {
                    throw new SocketException("Network interface has no IP address");
                }
                outgoingNetworkInterface = ni;
                outgoingInetAddress = ia;
                return ia;
            }
        }
        return anyInetAddress(); // none set
    }

    @Override
    public void setNetworkInterface(NetworkInterface netIf) throws SocketException {
        try {
            setOption(StandardSocketOptions.IP_MULTICAST_IF, netIf);
        } catch (IOException e) {
            SpoolSocketAdaptor.translateToSocketException(e);
        }
    }

    @Override
    public NetworkInterface getNetworkInterface() throws SocketException {
        NetworkInterface ni = outgoingNetworkInterface();
        return ni != null ? ni : anyInterface();
    }

    @Override
    @Deprecated
    public void setLoopbackMode(boolean disable) throws SocketException {
        setBooleanOption(StandardSocketOptions.IP_MULTICAST_LOOP, !disable);
    }

    @Override
    @Deprecated
    public boolean getLoopbackMode() throws SocketException {
        return !getBooleanOption(StandardSocketOptions.IP_MULTICAST_LOOP);
    }

    @Override
    @Deprecated
    public void send(DatagramPacket p, byte ttl) throws IOException {
        sendLock.lock();
        try {
            int oldValue = getTimeToLive();
            try {
                setTTL(ttl);
                send(p);
            } finally {
                setTimeToLive(oldValue);
            }
        } finally {
            sendLock.unlock();
        }
    }

    /** IP_MULTICAST_IF, or null when not set. */
    private NetworkInterface outgoingNetworkInterface() throws SocketException {
        try {
            return getOption(StandardSocketOptions.IP_MULTICAST_IF);
        } catch (IOException e) {
            SpoolSocketAdaptor.translateToSocketException(e);
            return null; // not reached
        }
    }

    /**
     * The interface joinGroup and leaveGroup use when given none: the
     * outgoing one if set, else "any" (NetworkInterface.getDefault, which
     * the JDK asks first, is set on macOS only).
     */
    private NetworkInterface defaultNetworkInterface() throws SocketException {
        NetworkInterface ni = outgoingNetworkInterface();
        return ni != null ? ni : anyInterface();
    }

    private static InetAddress anyInetAddress() {
        return new InetSocketAddress(0).getAddress();
    }
}
