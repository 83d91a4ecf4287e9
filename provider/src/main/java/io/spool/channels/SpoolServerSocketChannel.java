package io.spool.channels;

import io.spool.batching.AcceptQueue;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Privileged;
import io.spool.sys.SockAddr;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.net.ProtocolFamily;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/** A listening TCP or UNIX domain socket (the JDK 17 ServerSocketChannelImpl's behaviour). */
public final class SpoolServerSocketChannel extends ServerSocketChannel implements SpoolChannel {
    private final ProtocolFamily family;
    private final boolean ipv6;
    private final boolean unix;
    private final int fd;
    /** The fd came from the parent process (System.inheritedChannel). */
    private final boolean inherited;

    private final ReentrantLock acceptLock = new ReentrantLock();
    private final Object stateLock = new Object();

    private static final int ST_INUSE = 0;
    private static final int ST_CLOSING = 1;
    private static final int ST_CLOSED = 2;
    private int state;

    private Waiter waiter; // of the thread blocked in accept
    /** Accept-ahead: connections a cycle accepted already, at most the backlog (bind). */
    final AcceptQueue acceptQueue = new AcceptQueue();

    @Override
    public AcceptQueue acceptQueue() {
        return acceptQueue;
    }
    private SocketAddress acceptedPeer; // acceptLock: the peer of acceptOne's connection
    private SocketAddress localAddress;
    private ServerSocket socket;

    public SpoolServerSocketChannel(SelectorProvider sp, ProtocolFamily family) throws IOException {
        super(sp);
        this.family = family;
        this.ipv6 = family == StandardProtocolFamily.INET6;
        this.unix = family == StandardProtocolFamily.UNIX;
        this.fd = Sockets.socket(Addresses.linuxFamily(family), Linux.SOCK_STREAM);
        try {
            if (!unix) {
                // as the JDK's Net.serverSocket: SO_REUSEADDR on
                Sockets.setInt(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, 1);
            }
        } catch (IOException e) {
            IO.closeQuietly(fd);
            throw e;
        }
        this.inherited = false;
    }

    /** A listener this process inherited (System.inheritedChannel), bound and listening. */
    SpoolServerSocketChannel(SelectorProvider sp, ProtocolFamily family, int fd) throws IOException {
        super(sp);
        this.family = family;
        this.ipv6 = family == StandardProtocolFamily.INET6;
        this.unix = family == StandardProtocolFamily.UNIX;
        this.fd = fd;
        this.inherited = true;
        synchronized (stateLock) {
            this.localAddress = unix ? Sockets.unixLocalAddress(fd) : Sockets.localAddress(fd);
        }
    }

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
    public ServerSocket socket() {
        synchronized (stateLock) {
            if (socket == null) {
                if (unix) {
                    throw new UnsupportedOperationException("Not supported");
                }
                socket = Privileged.run(() -> SpoolServerSocketAdaptor.create(this));
            }
            return socket;
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            return Permissions.revealed(localAddress, unix);
        }
    }

    /** The local address as the socket adaptor sees it (never used for UNIX). */
    InetSocketAddress localAddress() {
        synchronized (stateLock) {
            return unix ? null : (InetSocketAddress) localAddress;
        }
    }

    boolean isBound() {
        synchronized (stateLock) {
            return localAddress != null;
        }
    }

    @Override
    public <T> ServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Options.checkSet(supportedOptions(), name, value);
        synchronized (stateLock) {
            ensureOpen();
            Options.set(fd, ipv6, name, value);
            return this;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Options.checkGet(supportedOptions(), name);
        synchronized (stateLock) {
            ensureOpen();
            return (T) Options.get(fd, ipv6, name);
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return unix ? Options.UNIX_SERVER : Options.SERVER;
    }

    @Override
    public ServerSocketChannel bind(SocketAddress local, int backlog) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (localAddress != null) {
                throw new AlreadyBoundException();
            }
            if (unix) {
                unixBind(local);
                acceptQueue.limit(Sockets.listen(fd, backlog < 1 ? 50 : backlog));
                localAddress = Sockets.unixLocalAddress(fd);
            } else {
                InetSocketAddress isa = (local == null)
                        ? new InetSocketAddress(Addresses.anyLocal(family), 0)
                        : Addresses.check(local, family);
                Permissions.checkListen(isa.getPort());
                Sockets.bind(fd, Addresses.linuxFamily(family), isa.getAddress(), isa.getPort());
                acceptQueue.limit(Sockets.listen(fd, backlog < 1 ? 50 : backlog));
                localAddress = Sockets.localAddress(fd);
            }
        }
        return this;
    }

    /**
     * As the JDK's: a path binds to it; null binds to a new name in the
     * temporary directory (jdk.net.unixdomain.tmpdir, else java.io.tmpdir),
     * socket_ and a random number, trying up to 10 names; the empty path
     * cannot be a listener's.
     */
    private void unixBind(SocketAddress local) throws IOException {
        Permissions.checkUnix();
        if (local != null) {
            Path path = Addresses.checkUnix(local).getPath();
            if (path.toString().isEmpty()) {
                throw new BindException("Server socket cannot bind to unnamed address");
            }
            Sockets.bindUnix(fd, path);
            return;
        }
        String dir = Privileged.property("jdk.net.unixdomain.tmpdir", "");
        if (dir.isEmpty()) {
            dir = Privileged.property("java.io.tmpdir", null);
        }
        for (int attempt = 0; attempt < 10; attempt++) {
            Path path;
            try {
                path = Path.of(dir, "socket_" + TempNames.RANDOM.nextInt(Integer.MAX_VALUE));
            } catch (java.nio.file.InvalidPathException e) {
                throw new BindException("Invalid temporary directory");
            }
            try {
                Sockets.bindUnix(fd, path);
                return;
            } catch (BindException e) {
                // taken: another name
            }
        }
        throw new BindException("Could not bind to temporary name");
    }

    private static final class TempNames {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    private void begin(boolean blocking) throws ClosedChannelException {
        if (blocking) {
            begin();
        }
        synchronized (stateLock) {
            ensureOpen();
            if (localAddress == null) {
                throw new NotYetBoundException();
            }
            if (blocking) {
                waiter = Waiter.current();
            }
        }
    }

    private void end(boolean blocking, boolean completed) throws AsynchronousCloseException {
        if (blocking) {
            synchronized (stateLock) {
                waiter = null;
                if (state == ST_CLOSING) {
                    tryFinishClose();
                }
            }
            end(completed);
        }
    }

    @Override
    public SocketChannel accept() throws IOException {
        int n = IO.UNAVAILABLE;
        SocketAddress peer = null;
        acceptLock.lock();
        try {
            JdkRelease.ensureOpenFirst(this);
            boolean blocking = isBlocking();
            try {
                begin(blocking);
                n = acceptOne();
                if (blocking) {
                    while (n == IO.UNAVAILABLE && isOpen()) {
                        Waiter.current().park(fd, Linux.POLLIN, -1);
                        n = acceptOne();
                    }
                }
                if (n >= 0) {
                    peer = acceptedPeer;
                }
            } finally {
                end(blocking, n >= 0);
            }
        } finally {
            acceptLock.unlock();
        }
        return n >= 0 ? finishAccept(n, peer) : null;
    }

    /** The next queued connection (accept-ahead), else accept4(2); sets acceptedPeer. */
    private int acceptOne() throws IOException {
        if (unix) {
            Permissions.checkUnix(); // as the JDK's, before each accept
        }
        AcceptQueue.Conn c = acceptQueue.poll();
        if (c != null) {
            io.spool.sys.Counters.ACCEPTS_FROM_MEMORY.increment();
            acceptedPeer = c.peer != null ? c.peer
                    : unix ? Sockets.unixRemoteAddress(c.fd) : Sockets.remoteAddress(c.fd);
            return c.fd;
        }
        int n = Sockets.accept(fd);
        if (n >= 0) {
            acceptedPeer = unix ? SockAddr.local().decodeUnix() : SockAddr.local().decode();
        }
        return n;
    }

    private SocketChannel finishAccept(int nfd, SocketAddress peer) throws IOException {
        try {
            if (!unix) {
                Permissions.checkAccept((InetSocketAddress) peer); // denied: the connection is closed
            }
            return new SpoolSocketChannel(provider(), family, nfd, peer);
        } catch (IOException | RuntimeException e) {
            IO.closeQuietly(nfd);
            throw e;
        }
    }

    /** ServerSocket.accept with SO_TIMEOUT (nanos 0: none). */
    SocketChannel blockingAccept(long nanos) throws IOException {
        int n = IO.UNAVAILABLE;
        SocketAddress peer = null;
        acceptLock.lock();
        try {
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            try {
                begin(true);
                long start = System.nanoTime();
                n = acceptOne();
                while (n == IO.UNAVAILABLE && isOpen()) {
                    int to = -1;
                    if (nanos > 0) {
                        long left = nanos - (System.nanoTime() - start);
                        if (left <= 0) {
                            throw new SocketTimeoutException("Accept timed out");
                        }
                        to = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left));
                    }
                    Waiter.current().park(fd, Linux.POLLIN, to);
                    n = acceptOne();
                }
                if (n >= 0) {
                    peer = acceptedPeer;
                }
            } finally {
                end(true, n >= 0);
            }
        } finally {
            acceptLock.unlock();
        }
        return finishAccept(n, peer);
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        acceptLock.lock();
        try {
            synchronized (stateLock) {
                ensureOpen();
            }
        } finally {
            acceptLock.unlock();
        }
    }

    private boolean tryClose() throws IOException {
        if (waiter == null && !isRegistered()) {
            state = ST_CLOSED;
            if (inherited) {
                IO.release(fd);
            } else {
                IO.close(fd);
            }
            return true;
        }
        return false;
    }

    private void tryFinishClose() {
        try {
            tryClose();
        } catch (IOException ignore) {
            // gone either way
        }
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        acceptQueue.close();
        synchronized (stateLock) {
            state = ST_CLOSING;
            if (!tryClose()) {
                Waiter w = waiter;
                if (w != null) {
                    w.unpark();
                }
            }
        }
        if (!isBlocking()) {
            acceptLock.lock();
            acceptLock.unlock();
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

    @Override
    public int translateInterestOps(int ops) {
        return (ops & SelectionKey.OP_ACCEPT) != 0 ? Linux.POLLIN : 0;
    }

    @Override
    public boolean translateReadyOps(int events, int initialOps, SpoolSelectionKey key) {
        return SpoolChannel.translate(events, initialOps, key, SelectionKey.OP_ACCEPT, 0);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(ServerSocketChannel.class.getName()).append('[');
        if (!isOpen()) {
            sb.append("closed");
        } else {
            SocketAddress addr;
            synchronized (stateLock) {
                addr = localAddress;
            }
            if (addr == null) {
                sb.append("unbound");
            } else {
                sb.append(Permissions.localAsString(addr, unix, true));
            }
        }
        sb.append(']');
        return sb.toString();
    }
}
