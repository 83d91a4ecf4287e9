package io.spool.channels;

import io.spool.sys.Datagrams;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Multicast;
import io.spool.sys.SockAddr;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.PortUnreachableException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.MembershipKey;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.SelectorProvider;
import java.util.Enumeration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A UDP channel. State, locking and close protocol follow the JDK's
 * DatagramChannelImpl; the descriptor is always O_NONBLOCK and a blocking
 * operation parks in poll(2) through a {@link Waiter}. A selector sees it
 * through readiness only (no read-ahead). Multicast: join, drop, block
 * and unblock as the JDK's (memberships in a {@link
 * SpoolMembershipKey.Registry}, keys invalid once the channel is closed),
 * with the JDK's socket options on a new socket (IP_MULTICAST_ALL off).
 */
public final class SpoolDatagramChannel extends DatagramChannel implements SpoolChannel {
    private final ProtocolFamily family;
    private final boolean ipv6;
    private final int fd;

    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Object stateLock = new Object();

    private static final int ST_UNCONNECTED = 0;
    private static final int ST_CONNECTED = 1;
    private static final int ST_CLOSING = 2;
    private static final int ST_CLOSED = 3;
    private int state; // stateLock

    // stateLock
    private Waiter readerWaiter;
    private Waiter writerWaiter;
    private InetSocketAddress localAddress;
    private InetSocketAddress remoteAddress;
    private InetSocketAddress initialLocalAddress; // before connect, to repair after disconnect
    private DatagramSocket socket;
    private SpoolMembershipKey.Registry registry; // multicast memberships, made by the first join

    public SpoolDatagramChannel(SelectorProvider sp, ProtocolFamily family) throws IOException {
        super(sp);
        Objects.requireNonNull(family, "'family' is null");
        if (family != StandardProtocolFamily.INET && family != StandardProtocolFamily.INET6) {
            throw new UnsupportedOperationException("Protocol family not supported");
        }
        if (family == StandardProtocolFamily.INET6 && !Sockets.ipv6Available()) {
            throw new UnsupportedOperationException("IPv6 not available");
        }
        this.family = family;
        this.ipv6 = family == StandardProtocolFamily.INET6;
        int s = Sockets.socket(Addresses.linuxFamily(family), Linux.SOCK_DGRAM);
        try {
            Multicast.initDatagramSocket(s, ipv6, JdkRelease.IPV6_MULTICAST_ALL_OFF);
        } catch (IOException e) {
            IO.closeQuietly(s);
            throw e;
        }
        this.fd = s;
        this.closer = new FdCloser(fd, false);
        this.cleanable = Waiter.CLEANER.register(this, closer);
    }

    /** A datagram socket this process inherited (System.inheritedChannel); close leaves /dev/null in its place. */
    SpoolDatagramChannel(SelectorProvider sp, ProtocolFamily family, int fd) throws IOException {
        super(sp);
        this.family = family;
        this.ipv6 = family == StandardProtocolFamily.INET6;
        this.fd = fd;
        this.closer = new FdCloser(fd, true);
        this.cleanable = Waiter.CLEANER.register(this, closer);
        synchronized (stateLock) {
            localAddress = Sockets.localAddress(fd);
            initialLocalAddress = localAddress;
            InetSocketAddress peer = Sockets.remoteAddress(fd);
            if (peer != null) {
                remoteAddress = peer;
                state = ST_CONNECTED;
            }
        }
    }

    /**
     * Closes the fd once: by close, or, as the JDK's channel does, when the
     * channel is collected without having been closed. Holds no reference
     * to the channel.
     */
    private static final class FdCloser implements Runnable {
        private final int fd;
        private final boolean inherited;
        private boolean closed;

        FdCloser(int fd, boolean inherited) {
            this.fd = fd;
            this.inherited = inherited;
        }

        synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                if (inherited) {
                    IO.release(fd);
                } else {
                    IO.close(fd);
                }
            }
        }

        @Override
        public void run() {
            try {
                close();
            } catch (IOException ignore) {
                // collected: no one to tell
            }
        }
    }

    private final FdCloser closer;
    private final Cleaner.Cleanable cleanable;

    @Override
    public int fd() {
        return fd;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public DatagramSocket socket() {
        synchronized (stateLock) {
            if (socket == null) {
                socket = SpoolDatagramSocketAdaptor.create(this);
            }
            return socket;
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            return Permissions.revealed(localAddress);
        }
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            return remoteAddress;
        }
    }

    InetSocketAddress localAddress() {
        synchronized (stateLock) {
            return localAddress;
        }
    }

    InetSocketAddress remoteAddress() {
        synchronized (stateLock) {
            return remoteAddress;
        }
    }

    // ---- options

    @Override
    public <T> DatagramChannel setOption(SocketOption<T> name, T value) throws IOException {
        Options.checkSet(Options.DATAGRAM, name, value);
        synchronized (stateLock) {
            ensureOpen();
            if (name == StandardSocketOptions.IP_MULTICAST_IF) {
                setMulticastInterface((NetworkInterface) value);
            } else if (name == Options.IP_DONTFRAGMENT) {
                int[] lo = dontFragmentLevel();
                Sockets.setInt(fd, lo[0], lo[1], (Boolean) value ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT);
            } else {
                Options.set(fd, ipv6, name, value);
            }
            return this;
        }
    }

    // jdk.net IP_DONTFRAGMENT is IP(V6)_MTU_DISCOVER set to DO (true) or DONT (false), as the JDK's
    private static final int IP_PMTUDISC_DONT = 0;
    private static final int IP_PMTUDISC_DO = 2;

    private int[] dontFragmentLevel() {
        return ipv6 ? new int[] {Linux.IPPROTO_IPV6, 23 /* IPV6_MTU_DISCOVER */}
                : new int[] {Linux.IPPROTO_IP, 10 /* IP_MTU_DISCOVER */};
    }

    /** As the JDK on Linux: IPV6_MULTICAST_IF by index, and IP_MULTICAST_IF (best effort on IPv6). */
    private void setMulticastInterface(NetworkInterface ni) throws IOException {
        if (ipv6) {
            int index = ni.getIndex();
            if (index == -1) {
                throw new IOException("Network interface cannot be identified");
            }
            Datagrams.setInterface6(fd, index);
        }
        Inet4Address target = anyInet4Address(ni);
        if (target != null) {
            try {
                Datagrams.setInterface4(fd, target);
            } catch (IOException e) {
                if (!ipv6) {
                    throw e;
                }
            }
        } else if (!ipv6) {
            throw new IOException("Network interface not configured for IPv4");
        }
    }

    private static Inet4Address anyInet4Address(NetworkInterface ni) {
        for (Enumeration<InetAddress> e = ni.getInetAddresses(); e.hasMoreElements();) {
            InetAddress a = e.nextElement();
            if (a instanceof Inet4Address) {
                return (Inet4Address) a;
            }
        }
        return null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Options.checkGet(Options.DATAGRAM, name);
        synchronized (stateLock) {
            ensureOpen();
            if (name == StandardSocketOptions.IP_MULTICAST_IF) {
                if (ipv6) {
                    int index = Datagrams.getInterface6(fd);
                    if (index == 0) {
                        return null;
                    }
                    NetworkInterface ni = NetworkInterface.getByIndex(index);
                    if (ni == null) {
                        throw new IOException("Unable to map index to interface");
                    }
                    return (T) ni;
                }
                Inet4Address ia = Datagrams.getInterface4(fd);
                if (ia == null) {
                    return null;
                }
                NetworkInterface ni = NetworkInterface.getByInetAddress(ia);
                if (ni == null) {
                    throw new IOException("Unable to map address to interface");
                }
                return (T) ni;
            }
            if (name == Options.IP_DONTFRAGMENT) {
                int[] lo = dontFragmentLevel();
                return (T) Boolean.valueOf(Sockets.getInt(fd, lo[0], lo[1]) == IP_PMTUDISC_DO);
            }
            return (T) Options.get(fd, ipv6, name);
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return Options.DATAGRAM;
    }

    // ---- blocking support

    private void park(int events, long millis) throws IOException {
        int to = millis <= 0 ? -1 : (int) Math.min(millis, Integer.MAX_VALUE);
        Waiter.current().park(fd, events, to);
    }

    /** The JDK's beginRead: binds if needed, returns the remote address (null if not connected). */
    private InetSocketAddress beginRead(boolean blocking, boolean mustBeConnected) throws IOException {
        if (blocking) {
            begin();
        }
        synchronized (stateLock) {
            ensureOpen();
            InetSocketAddress remote = remoteAddress;
            if (remote == null && mustBeConnected) {
                throw new NotYetConnectedException();
            }
            if (localAddress == null) {
                bindInternal(null);
            }
            if (blocking) {
                readerWaiter = Waiter.current();
            }
            return remote;
        }
    }

    private void endRead(boolean blocking, boolean completed) throws AsynchronousCloseException {
        if (blocking) {
            synchronized (stateLock) {
                readerWaiter = null;
                if (state == ST_CLOSING) {
                    tryFinishClose();
                }
            }
            end(completed);
        }
    }

    private InetSocketAddress beginWrite(boolean blocking, boolean mustBeConnected) throws IOException {
        if (blocking) {
            begin();
        }
        synchronized (stateLock) {
            ensureOpen();
            InetSocketAddress remote = remoteAddress;
            if (remote == null && mustBeConnected) {
                throw new NotYetConnectedException();
            }
            if (localAddress == null) {
                bindInternal(null);
            }
            if (blocking) {
                writerWaiter = Waiter.current();
            }
            return remote;
        }
    }

    private void endWrite(boolean blocking, boolean completed) throws AsynchronousCloseException {
        if (blocking) {
            synchronized (stateLock) {
                writerWaiter = null;
                if (state == ST_CLOSING) {
                    tryFinishClose();
                }
            }
            end(completed);
        }
    }

    private static int normalize(int n) {
        return n == IO.UNAVAILABLE ? 0 : n;
    }

    // ---- receive and send

    @Override
    public SocketAddress receive(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        readLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            SocketAddress sender = null;
            try {
                boolean connected = beginRead(blocking, false) != null;
                if (!connected && Permissions.manager() != null) {
                    sender = untrustedReceive(dst, blocking);
                    return sender;
                }
                int n = receive(dst, connected);
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        park(Linux.POLLIN, 0);
                        n = receive(dst, connected);
                    }
                }
                if (n > 0 || (n == 0 && isOpen())) {
                    sender = SockAddr.local().decode();
                }
                return sender;
            } finally {
                endRead(blocking, sender != null);
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * The JDK's untrustedReceive: under a SecurityManager, an unconnected
     * channel takes only datagrams from senders this code may accept from;
     * the others are dropped, unseen (received into a buffer of its own).
     */
    private SocketAddress untrustedReceive(ByteBuffer dst, boolean blocking) throws IOException {
        ByteBuffer bb = Memory.temporary(Math.max(dst.remaining(), 1));
        try {
            bb.limit(dst.remaining());
            for (;;) {
                int n = receive(bb, false);
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        park(Linux.POLLIN, 0);
                        n = receive(bb, false);
                    }
                }
                if (n < 0 || !isOpen()) {
                    return null;
                }
                InetSocketAddress isa = SockAddr.local().decode();
                try {
                    Permissions.checkAccept(isa);
                    bb.flip();
                    dst.put(bb);
                    return isa;
                } catch (SecurityException denied) {
                    bb.clear().limit(dst.remaining()); // dropped
                }
            }
        } finally {
            Memory.release(bb);
        }
    }

    /**
     * One recvmsg into dst; the sender is then in {@link SockAddr#local()}.
     * A datagram larger than dst is truncated, as on the JDK.
     */
    private int receive(ByteBuffer dst, boolean connected) throws IOException {
        int pos = dst.position();
        int rem = Math.max(dst.limit() - pos, 0);
        if (dst.isDirect() && rem > 0) {
            int n = Datagrams.receive(fd, Memory.address(dst) + pos, rem, connected);
            if (n > 0) {
                dst.position(pos + n);
            }
            return n;
        }
        // the JDK substitutes a buffer of at least one byte
        int size = Math.max(rem, 1);
        ByteBuffer tmp = Memory.temporary(size);
        try {
            int n = Datagrams.receive(fd, Memory.address(tmp), size, connected);
            if (n > 0 && rem > 0) {
                tmp.limit(n);
                dst.put(tmp);
            }
            return n;
        } finally {
            Memory.release(tmp);
        }
    }

    @Override
    public int send(ByteBuffer src, SocketAddress target) throws IOException {
        Objects.requireNonNull(src);
        InetSocketAddress isa = Addresses.check(target, family);
        writeLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            int n;
            boolean completed = false;
            try {
                InetSocketAddress remote = beginWrite(blocking, false);
                if (remote != null) {
                    if (!target.equals(remote)) {
                        throw new AlreadyConnectedException();
                    }
                    n = write0(src);
                    if (blocking) {
                        while (n == IO.UNAVAILABLE && isOpen()) {
                            park(Linux.POLLOUT, 0);
                            n = write0(src);
                        }
                    }
                    completed = n > 0;
                } else {
                    if (isa.getAddress().isMulticastAddress()) {
                        Permissions.checkMulticast(isa.getAddress());
                    } else {
                        Permissions.checkConnect(isa);
                    }
                    if (isa.getPort() == 0) {
                        throw new SocketException("Can't send to port 0");
                    }
                    n = sendTo(src, isa);
                    if (blocking) {
                        while (n == IO.UNAVAILABLE && isOpen()) {
                            park(Linux.POLLOUT, 0);
                            n = sendTo(src, isa);
                        }
                    }
                    completed = n >= 0;
                }
            } finally {
                endWrite(blocking, completed);
            }
            return normalize(n);
        } finally {
            writeLock.unlock();
        }
    }

    /** One sendmsg; an ICMP error of an earlier send is ignored when not connected, as the JDK does. */
    private int sendTo(ByteBuffer src, InetSocketAddress target) throws IOException {
        int pos = src.position();
        int rem = Math.max(src.limit() - pos, 0);
        int family = Addresses.linuxFamily(this.family);
        int n;
        if (src.isDirect()) {
            try {
                n = Datagrams.send(fd, Memory.address(src) + pos, rem, family, target.getAddress(), target.getPort());
            } catch (PortUnreachableException e) {
                if (isConnected()) {
                    throw e;
                }
                n = rem;
            }
        } else {
            ByteBuffer tmp = Memory.temporary(rem);
            try {
                tmp.put(src.duplicate());
                try {
                    n = Datagrams.send(fd, Memory.address(tmp), rem, family, target.getAddress(), target.getPort());
                } catch (PortUnreachableException e) {
                    if (isConnected()) {
                        throw e;
                    }
                    n = rem;
                }
            } finally {
                Memory.release(tmp);
            }
        }
        if (n > 0) {
            src.position(pos + n);
        }
        return n;
    }

    // ---- read and write (connected)

    /** The JDK's IOUtil.read through DatagramDispatcher: nothing to read into is 0, no call. */
    private int read0(ByteBuffer dst) throws IOException {
        int pos = dst.position();
        int rem = Math.max(dst.limit() - pos, 0);
        if (rem == 0) {
            return 0;
        }
        if (dst.isDirect()) {
            int n = Datagrams.read(fd, Memory.address(dst) + pos, rem);
            if (n > 0) {
                dst.position(pos + n);
            }
            return n;
        }
        ByteBuffer tmp = Memory.temporary(rem);
        try {
            int n = Datagrams.read(fd, Memory.address(tmp), rem);
            if (n > 0) {
                tmp.limit(n);
                dst.put(tmp);
            }
            return n;
        } finally {
            Memory.release(tmp);
        }
    }

    private int write0(ByteBuffer src) throws IOException {
        int pos = src.position();
        int rem = Math.max(src.limit() - pos, 0);
        if (rem == 0) {
            return 0;
        }
        int n;
        if (src.isDirect()) {
            n = Datagrams.write(fd, Memory.address(src) + pos, rem);
        } else {
            ByteBuffer tmp = Memory.temporary(rem);
            try {
                tmp.put(src.duplicate());
                n = Datagrams.write(fd, Memory.address(tmp), rem);
            } finally {
                Memory.release(tmp);
            }
        }
        if (n > 0) {
            src.position(pos + n);
        }
        return n;
    }

    /**
     * Scatter read of one datagram: read into one buffer of the total size,
     * then spread it (the same result as readv(2) for a datagram).
     */
    private long read0(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += dsts[i].remaining();
        }
        if (total == 0) {
            return 0;
        }
        int size = (int) Math.min(total, Integer.MAX_VALUE - 8);
        ByteBuffer tmp = Memory.temporary(size);
        try {
            int n = Datagrams.read(fd, Memory.address(tmp), size);
            if (n > 0) {
                tmp.limit(n);
                for (int i = offset; i < offset + length && tmp.hasRemaining(); i++) {
                    ByteBuffer b = dsts[i];
                    int take = Math.min(b.remaining(), tmp.remaining());
                    ByteBuffer slice = tmp.duplicate();
                    slice.limit(tmp.position() + take);
                    b.put(slice);
                    tmp.position(tmp.position() + take);
                }
            }
            return n;
        } finally {
            Memory.release(tmp);
        }
    }

    /** Gather write of one datagram (as writev(2)). */
    private long write0(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += srcs[i].remaining();
        }
        if (total == 0) {
            return 0;
        }
        int size = (int) Math.min(total, Integer.MAX_VALUE - 8);
        ByteBuffer tmp = Memory.temporary(size);
        try {
            for (int i = offset; i < offset + length && tmp.hasRemaining(); i++) {
                ByteBuffer d = srcs[i].duplicate();
                if (d.remaining() > tmp.remaining()) {
                    d.limit(d.position() + tmp.remaining());
                }
                tmp.put(d);
            }
            int n = Datagrams.write(fd, Memory.address(tmp), size);
            long left = Math.max(n, 0);
            for (int i = offset; i < offset + length && left > 0; i++) {
                ByteBuffer b = srcs[i];
                int take = (int) Math.min(left, b.remaining());
                b.position(b.position() + take);
                left -= take;
            }
            return n;
        } finally {
            Memory.release(tmp);
        }
    }

    @Override
    public int read(ByteBuffer buf) throws IOException {
        Objects.requireNonNull(buf);
        if (buf.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        readLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            int n = 0;
            try {
                beginRead(blocking, true);
                n = read0(buf);
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        park(Linux.POLLIN, 0);
                        n = read0(buf);
                    }
                }
            } finally {
                endRead(blocking, n > 0);
            }
            return normalize(n);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].isReadOnly()) {
                throw new IllegalArgumentException("Read-only buffer");
            }
        }
        readLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            long n = 0;
            try {
                beginRead(blocking, true);
                n = read0(dsts, offset, length);
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        park(Linux.POLLIN, 0);
                        n = read0(dsts, offset, length);
                    }
                }
            } finally {
                endRead(blocking, n > 0);
            }
            return n == IO.UNAVAILABLE ? 0 : n;
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public int write(ByteBuffer buf) throws IOException {
        Objects.requireNonNull(buf);
        writeLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            int n = 0;
            try {
                beginWrite(blocking, true);
                n = write0(buf);
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        park(Linux.POLLOUT, 0);
                        n = write0(buf);
                    }
                }
            } finally {
                endWrite(blocking, n > 0);
            }
            return normalize(n);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        writeLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            long n = 0;
            try {
                beginWrite(blocking, true);
                n = write0(srcs, offset, length);
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        park(Linux.POLLOUT, 0);
                        n = write0(srcs, offset, length);
                    }
                }
            } finally {
                endWrite(blocking, n > 0);
            }
            return n == IO.UNAVAILABLE ? 0 : n;
        } finally {
            writeLock.unlock();
        }
    }

    // ---- for the socket adaptor

    /** DatagramSocket.receive: blocking, with SO_TIMEOUT (0: none); fills p up to bufLength. */
    void blockingReceive(DatagramPacket p, int bufLength, long nanos) throws IOException {
        readLock.lock();
        try {
            ensureOpen();
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            boolean completed = false;
            try {
                boolean connected = beginRead(true, false) != null;
                ByteBuffer dst = Memory.temporary(Math.max(bufLength, 1));
                try {
                    dst.limit(bufLength);
                    long start = System.nanoTime();
                    int n = receiveWithin(dst, connected, start, nanos);
                    while (n >= 0 && isOpen() && !connected && !accepted(SockAddr.local().decode())) {
                        dst.clear().limit(bufLength); // dropped, as the JDK's trusted receive does
                        n = receiveWithin(dst, false, start, nanos);
                    }
                    if (n >= 0 && isOpen()) {
                        dst.flip();
                        int len = dst.remaining();
                        dst.get(p.getData(), p.getOffset(), len);
                        SpoolDatagramSocketAdaptor.received(p, len, bufLength);
                        p.setSocketAddress(SockAddr.local().decode());
                        completed = true;
                    }
                } finally {
                    Memory.release(dst);
                }
            } finally {
                endRead(true, completed);
            }
        } finally {
            readLock.unlock();
        }
    }

    /** A receive that waits, up to nanos after start (0: no limit), for a datagram or a close. */
    private int receiveWithin(ByteBuffer dst, boolean connected, long start, long nanos) throws IOException {
        int n = receive(dst, connected);
        while (n == IO.UNAVAILABLE && isOpen()) {
            long left = 0;
            if (nanos > 0) {
                left = nanos - (System.nanoTime() - start);
                if (left <= 0) {
                    throw new SocketTimeoutException("Receive timed out");
                }
            }
            park(Linux.POLLIN, nanos > 0 ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)) : 0);
            n = receive(dst, connected);
        }
        return n;
    }

    /** Whether a SecurityManager lets this code receive from sender (true without one). */
    private static boolean accepted(InetSocketAddress sender) {
        if (Permissions.manager() == null) {
            return true;
        }
        try {
            Permissions.checkAccept(sender);
            return true;
        } catch (SecurityException denied) {
            return false;
        }
    }

    /** DatagramSocket.send: to p's address, or to the connected peer when p has none. */
    void blockingSend(DatagramPacket p) throws IOException {
        writeLock.lock();
        try {
            ensureOpen();
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            InetSocketAddress target;
            if (p.getAddress() == null) {
                InetSocketAddress remote = remoteAddress();
                if (remote == null) {
                    throw new IllegalArgumentException("Address not set");
                }
                p.setAddress(remote.getAddress());
                p.setPort(remote.getPort());
                target = remote;
            } else {
                target = (InetSocketAddress) p.getSocketAddress();
            }
            send(ByteBuffer.wrap(p.getData(), p.getOffset(), p.getLength()), target);
        } finally {
            writeLock.unlock();
        }
    }

    // ---- bind, connect, disconnect

    @Override
    public DatagramChannel bind(SocketAddress local) throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    if (localAddress != null) {
                        throw new AlreadyBoundException();
                    }
                    bindInternal(local);
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
        return this;
    }

    private void bindInternal(SocketAddress local) throws IOException {
        InetSocketAddress isa = local == null
                ? new InetSocketAddress(Addresses.anyLocal(family), 0)
                : Addresses.check(local, family);
        Permissions.checkListen(isa.getPort());
        Sockets.bind(fd, Addresses.linuxFamily(family), isa.getAddress(), isa.getPort());
        localAddress = Sockets.localAddress(fd);
    }

    @Override
    public boolean isConnected() {
        synchronized (stateLock) {
            return state == ST_CONNECTED;
        }
    }

    @Override
    public DatagramChannel connect(SocketAddress sa) throws IOException {
        return connect(sa, true);
    }

    /** check false: the socket adaptor reconnects without AlreadyConnectedException. */
    DatagramChannel connect(SocketAddress sa, boolean check) throws IOException {
        InetSocketAddress isa = Addresses.check(sa, family);
        if (isa.getAddress().isMulticastAddress()) {
            Permissions.checkMulticast(isa.getAddress());
        } else {
            Permissions.checkConnect(isa);
            Permissions.checkAccept(isa);
        }
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    if (check && state == ST_CONNECTED) {
                        throw new AlreadyConnectedException();
                    }
                    if (isa.getPort() == 0) {
                        throw new SocketException("Can't connect to port 0");
                    }
                    if (localAddress == null) {
                        bindInternal(null);
                    }
                    initialLocalAddress = localAddress;
                    Sockets.connect(fd, Addresses.linuxFamily(family), isa.getAddress(), isa.getPort());
                    remoteAddress = isa;
                    state = ST_CONNECTED;
                    localAddress = Sockets.localAddress(fd);
                    // drop datagrams that arrived before the connect, as the JDK does
                    ByteBuffer tmp = Memory.temporary(100);
                    try {
                        while (Datagrams.receive(fd, Memory.address(tmp), 100, false) >= 0) {
                            // discard
                        }
                    } finally {
                        Memory.release(tmp);
                    }
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
        return this;
    }

    @Override
    public DatagramChannel disconnect() throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    if (!isOpen() || state != ST_CONNECTED) {
                        return this;
                    }
                    Datagrams.disconnect(fd, ipv6);
                    remoteAddress = null;
                    state = ST_UNCONNECTED;
                    localAddress = Sockets.localAddress(fd);
                    try {
                        if (!localAddress.equals(initialLocalAddress) && localAddress.getPort() == 0) {
                            // Linux drops an ephemeral port at disconnect: bind it again
                            InetSocketAddress target = initialLocalAddress;
                            Sockets.bind(fd, Addresses.linuxFamily(family), target.getAddress(), target.getPort());
                            localAddress = Sockets.localAddress(fd);
                        }
                    } finally {
                        initialLocalAddress = null;
                    }
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
        return this;
    }

    // ---- multicast: the JDK's innerJoin, drop, block and unblock (DatagramChannelImpl)

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf) throws IOException {
        return innerJoin(group, interf, null);
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf, InetAddress source) throws IOException {
        Objects.requireNonNull(source);
        return innerJoin(group, interf, source);
    }

    /**
     * Joins a group, any-source when source is null, or returns the key of
     * the same membership. As the JDK on Linux, an IPv6 socket joins an
     * IPv4 group with the IPv4 calls (IP_ADD_MEMBERSHIP at IPPROTO_IP on
     * the same socket) and an IPv6 group with the IPv6 ones.
     */
    private MembershipKey innerJoin(InetAddress group, NetworkInterface interf, InetAddress source)
            throws IOException {
        if (!group.isMulticastAddress()) {
            throw new IllegalArgumentException("Group not a multicast address");
        }
        if (group instanceof Inet6Address) {
            if (!ipv6) {
                throw new IllegalArgumentException("Only IPv6 sockets can join IPv6 multicast group");
            }
        } else if (!(group instanceof Inet4Address)) {
            throw new IllegalArgumentException("Address type not supported");
        }
        if (source != null) {
            checkSource(source, group);
        }
        Permissions.checkMulticast(group);
        synchronized (stateLock) {
            ensureOpen();
            if (registry == null) {
                registry = new SpoolMembershipKey.Registry();
            } else {
                MembershipKey key = registry.find(group, interf, source);
                if (key != null) {
                    return key;
                }
            }
            if (interf == null) {
                throw JdkRelease.nullInterface(group instanceof Inet4Address);
            }
            SpoolMembershipKey key;
            if (group instanceof Inet6Address) {
                int index = interf.getIndex();
                if (index == -1) {
                    throw new IOException("Network interface cannot be identified");
                }
                byte[] g = group.getAddress();
                byte[] s = source == null ? null : source.getAddress();
                if (Multicast.joinOrDrop6(true, fd, g, index, s) == IO.UNAVAILABLE) {
                    throw new UnsupportedOperationException();
                }
                key = SpoolMembershipKey.ipv6(this, group, interf, source, g, index, s);
            } else {
                Inet4Address target = anyInet4Address(interf);
                if (target == null) {
                    throw new IOException("Network interface not configured for IPv4");
                }
                int g = inet4AsInt(group);
                int t = inet4AsInt(target);
                int s = source == null ? 0 : inet4AsInt(source);
                if (Multicast.joinOrDrop4(true, fd, g, t, s) == IO.UNAVAILABLE) {
                    throw new UnsupportedOperationException();
                }
                key = SpoolMembershipKey.ipv4(this, group, interf, source, g, t, s);
            }
            registry.add(key);
            return key;
        }
    }

    /** The JDK's checks of a source to join or to block. */
    private static void checkSource(InetAddress source, InetAddress group) {
        if (source.isAnyLocalAddress()) {
            throw new IllegalArgumentException("Source address is a wildcard address");
        }
        if (source.isMulticastAddress()) {
            throw new IllegalArgumentException("Source address is multicast address");
        }
        if (source.getClass() != group.getClass()) {
            throw new IllegalArgumentException("Source address is different type to group");
        }
    }

    private static int inet4AsInt(InetAddress ia) {
        byte[] a = ia.getAddress();
        return ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
    }

    /** SpoolMembershipKey.drop: leaves the group once; the key is then invalid. */
    void drop(SpoolMembershipKey key) {
        synchronized (stateLock) {
            if (!key.isValid()) {
                return;
            }
            try {
                if (key.ipv6) {
                    Multicast.joinOrDrop6(false, fd, key.group6, key.index6, key.source6);
                } else {
                    Multicast.joinOrDrop4(false, fd, key.group4, key.interface4, key.source4);
                }
            } catch (IOException e) {
                throw new AssertionError(e); // as the JDK: cannot happen
            }
            key.invalidate();
            registry.remove(key);
        }
    }

    /** The any-source membership of a group on an interface, or null: for the socket adaptor. */
    MembershipKey findMembership(InetAddress group, NetworkInterface interf) {
        synchronized (stateLock) {
            return registry == null ? null : registry.find(group, interf, null);
        }
    }

    /** SpoolMembershipKey.block: filters a source out of an any-source membership. */
    void block(SpoolMembershipKey key, InetAddress source) throws IOException {
        synchronized (stateLock) {
            if (!key.isValid()) {
                throw new IllegalStateException("key is no longer valid");
            }
            checkSource(source, key.group());
            int n;
            if (key.ipv6) {
                n = Multicast.blockOrUnblock6(true, fd, key.group6, key.index6, source.getAddress());
            } else {
                n = Multicast.blockOrUnblock4(true, fd, key.group4, key.interface4, inet4AsInt(source));
            }
            if (n == IO.UNAVAILABLE) {
                throw new UnsupportedOperationException();
            }
        }
    }

    /** SpoolMembershipKey.unblock. */
    void unblock(SpoolMembershipKey key, InetAddress source) {
        synchronized (stateLock) {
            if (!key.isValid()) {
                throw new IllegalStateException("key is no longer valid");
            }
            try {
                if (key.ipv6) {
                    Multicast.blockOrUnblock6(false, fd, key.group6, key.index6, source.getAddress());
                } else {
                    Multicast.blockOrUnblock4(false, fd, key.group4, key.interface4, inet4AsInt(source));
                }
            } catch (IOException e) {
                throw new AssertionError(e); // as the JDK: cannot happen
            }
        }
    }

    // ---- blocking mode and close

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    // the descriptor stays O_NONBLOCK: blocking is done by parking
                }
            } finally {
                writeLock.unlock();
            }
        } finally {
            readLock.unlock();
        }
    }

    private boolean tryClose() throws IOException {
        if (readerWaiter == null && writerWaiter == null && !isRegistered()) {
            state = ST_CLOSED;
            try {
                closer.close();
            } finally {
                cleanable.clean(); // the cleaner lets go of it; the fd is closed already
            }
            return true;
        }
        return false;
    }

    private void tryFinishClose() {
        try {
            tryClose();
        } catch (IOException ignore) {
            // the descriptor is gone either way
        }
    }

    /** Close makes every membership key invalid (the kernel leaves the groups with the socket). */
    private void invalidateMemberships() {
        if (registry != null) {
            registry.invalidateAll();
        }
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        if (isBlocking()) {
            synchronized (stateLock) {
                state = ST_CLOSING;
                invalidateMemberships();
                if (!tryClose()) {
                    Waiter r = readerWaiter;
                    Waiter w = writerWaiter;
                    if (r != null) {
                        r.unpark();
                    }
                    if (w != null) {
                        w.unpark();
                    }
                }
            }
        } else {
            synchronized (stateLock) {
                state = ST_CLOSING;
                invalidateMemberships();
            }
            readLock.lock();
            readLock.unlock();
            writeLock.lock();
            writeLock.unlock();
            synchronized (stateLock) {
                if (state == ST_CLOSING) {
                    tryClose();
                }
            }
        }
    }

    @Override
    public void kill() {
        synchronized (stateLock) {
            if (state == ST_CLOSING) {
                tryFinishClose();
            }
        }
    }

    // ---- selector support: readiness only

    @Override
    public int translateInterestOps(int ops) {
        int ev = 0;
        if ((ops & SelectionKey.OP_READ) != 0) {
            ev |= Linux.POLLIN;
        }
        if ((ops & SelectionKey.OP_WRITE) != 0) {
            ev |= Linux.POLLOUT;
        }
        return ev;
    }

    @Override
    public boolean translateReadyOps(int events, int initialOps, SpoolSelectionKey key) {
        return SpoolChannel.translate(events, initialOps, key, SelectionKey.OP_READ, SelectionKey.OP_WRITE);
    }
}
