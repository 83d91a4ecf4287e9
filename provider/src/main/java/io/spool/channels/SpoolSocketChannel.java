package io.spool.channels;

import io.spool.batching.BatchedSocket;
import io.spool.batching.Batcher;
import io.spool.batching.Drainer;
import io.spool.batching.SocketBatch;
import io.spool.sys.ConnectionResetException;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Privileged;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP socket channel. State machine, locking and close protocol follow
 * the JDK 17 SocketChannelImpl; the descriptor is always O_NONBLOCK and a
 * blocking operation parks in poll(2) through a {@link Waiter}.
 */
public final class SpoolSocketChannel extends SocketChannel implements SpoolChannel {
    private final ProtocolFamily family;
    private final boolean ipv6;
    /** A UNIX domain socket: paths for addresses, no socket() adaptor, fewer options. */
    private final boolean unix;
    private final int fd;
    /** The fd came from the parent process (System.inheritedChannel). */
    private final boolean inherited;

    final ReentrantLock readLock = new ReentrantLock();
    final ReentrantLock writeLock = new ReentrantLock();
    /** Read-ahead and write-behind state (spool backend); its comment gives the lock protocol. */
    final SocketBatch batch = new SocketBatch(new BatchedSocket() {
        @Override
        public int fd() {
            return fd;
        }

        @Override
        public ReentrantLock readLock() {
            return readLock;
        }

        @Override
        public ReentrantLock writeLock() {
            return writeLock;
        }

        @Override
        public boolean isOpen() {
            return SpoolSocketChannel.this.isOpen();
        }

        @Override
        public boolean isConnected() {
            return SpoolSocketChannel.this.isConnected();
        }

        @Override
        public boolean isOutputOpen() {
            return SpoolSocketChannel.this.isOutputOpen();
        }
    });

    @Override
    public SocketBatch socketBatch() {
        return batch;
    }
    private final Object stateLock = new Object();

    private volatile boolean isInputClosed;
    private volatile boolean isOutputClosed;
    private boolean connectionReset; // readLock
    /** The last write was staged (write-behind), for its JFR event; written under writeLock. */
    private volatile boolean lastWriteStaged;

    private static final int ST_UNCONNECTED = 0;
    private static final int ST_CONNECTIONPENDING = 1;
    private static final int ST_CONNECTED = 2;
    private static final int ST_CLOSING = 3;
    private static final int ST_CLOSED = 4;
    private volatile int state;

    // stateLock: the waiters of threads in blocking operations
    private Waiter readerWaiter;
    private Waiter writerWaiter;
    private SocketAddress localAddress;
    private SocketAddress remoteAddress;
    private Socket socket;

    public SpoolSocketChannel(SelectorProvider sp, ProtocolFamily family) throws IOException {
        super(sp);
        this.family = family;
        this.ipv6 = family == StandardProtocolFamily.INET6;
        this.unix = family == StandardProtocolFamily.UNIX;
        this.fd = Sockets.socket(Addresses.linuxFamily(family), Linux.SOCK_STREAM);
        this.inherited = false;
    }

    /** A channel for an accepted connection. */
    SpoolSocketChannel(SelectorProvider sp, ProtocolFamily family, int fd, SocketAddress remote)
            throws IOException {
        this(sp, family, fd, remote, false);
    }

    /**
     * A channel for a connected socket this process did not open: accepted,
     * or inherited (System.inheritedChannel; close then leaves /dev/null in
     * its place).
     */
    SpoolSocketChannel(SelectorProvider sp, ProtocolFamily family, int fd, SocketAddress remote, boolean inherited)
            throws IOException {
        super(sp);
        this.inherited = inherited;
        this.family = family;
        this.ipv6 = family == StandardProtocolFamily.INET6;
        this.unix = family == StandardProtocolFamily.UNIX;
        this.fd = fd;
        synchronized (stateLock) {
            this.localAddress = unix ? Sockets.unixLocalAddress(fd) : Sockets.localAddress(fd);
            this.remoteAddress = remote;
            this.state = ST_CONNECTED;
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

    private void ensureOpenAndConnected() throws ClosedChannelException {
        int s = this.state;
        if (s < ST_CONNECTED) {
            throw new NotYetConnectedException();
        } else if (s > ST_CONNECTED) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public Socket socket() {
        synchronized (stateLock) {
            if (socket == null) {
                if (unix) {
                    throw new UnsupportedOperationException("Not supported");
                }
                socket = Privileged.run(() -> SpoolSocketAdaptor.create(this));
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

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            return remoteAddress;
        }
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Options.checkSet(supportedOptions(), name, value);
        synchronized (stateLock) {
            ensureOpen();
            Options.set(fd, ipv6, name, value);
            if (name == StandardSocketOptions.SO_SNDBUF) {
                batch.sendBufferChanged();
            }
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
        return unix ? Options.UNIX_SOCKET : Options.SOCKET;
    }

    // ---- blocking support

    /**
     * readLock: how many more blocking reads wait for data before they
     * read. A platform thread's blocking read that finds no data costs
     * read, poll and read again; when reads on this channel keep finding
     * none (a request-response peer), waiting first saves the first read.
     * Every {@link #POLL_FIRST_RUN}+1-th read tries the read first again,
     * so a channel whose data is waiting goes back to one call per read.
     * A virtual thread never waits first: its park costs more than a read.
     */
    private int pollFirst;
    private static final int POLL_FIRST_RUN = 7;

    /** Before a blocking read: waits for data first if recent reads found none. */
    private void pollFirst(long millis) throws IOException {
        if (pollFirst > 0) {
            pollFirst--;
            Waiter w = Waiter.current();
            if (w.cheapWait() && !batch.hasPending()) {
                w.park(fd, Linux.POLLIN, millis <= 0 ? -1 : (int) Math.min(millis, Integer.MAX_VALUE));
            }
        }
    }

    /** After a blocking read's first try: whether it found no data. */
    private void waited(boolean none) {
        if (none) {
            pollFirst = POLL_FIRST_RUN;
        }
    }

    private void park(int events, long millis) throws IOException {
        int to = millis <= 0 ? -1 : (int) Math.min(millis, Integer.MAX_VALUE);
        Waiter.current().park(fd, events, to);
    }

    private void beginRead(boolean blocking) throws ClosedChannelException {
        if (blocking) {
            begin();
            synchronized (stateLock) {
                ensureOpen();
                readerWaiter = Waiter.current();
            }
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

    private void beginWrite(boolean blocking) throws ClosedChannelException {
        if (blocking) {
            begin();
            synchronized (stateLock) {
                ensureOpen();
                if (isOutputClosed) {
                    throw new ClosedChannelException();
                }
                writerWaiter = Waiter.current();
            }
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

    private static SocketException connectionReset() {
        return new SocketException("Connection reset");
    }

    /** A read found the connection reset: remembered, and thrown as the JDK's (readLock held). */
    private SocketException resetSeen() {
        connectionReset = true;
        batch.markBroken(); // no more write-behind: a later write fails as the JDK's
        return connectionReset();
    }

    /**
     * A blocking write's next try, after a park: if a shutdownOutput or a
     * close woke it, the write that fails for that (EPIPE) ends the loop
     * instead, as the JDK's, whose blocked write(2) the signal interrupts:
     * the caller returns what it wrote, or throws AsynchronousCloseException.
     */
    private int writeUnlessShut(ByteBuffer buf) throws IOException {
        try {
            return IO.write(fd, buf);
        } catch (IOException e) {
            if (isOutputClosed || !isOpen()) {
                return 0;
            }
            throw e;
        }
    }

    private long writeUnlessShut(ByteBuffer[] srcs, int offset, int length) throws IOException {
        try {
            return IO.write(fd, srcs, offset, length);
        } catch (IOException e) {
            if (isOutputClosed || !isOpen()) {
                return 0;
            }
            throw e;
        }
    }

    private static int normalize(long n) {
        return n == IO.UNAVAILABLE ? 0 : (int) n;
    }

    private static long normalizeLong(long n) {
        return n == IO.UNAVAILABLE ? 0 : n;
    }

    // ---- read and write

    @Override
    public int read(ByteBuffer buf) throws IOException {
        Objects.requireNonNull(buf);
        if (buf.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        Batcher cyc = batch.enterRead();
        try {
            Object ev = SocketEvents.beginRead();
            if (ev == null) {
                return read0(buf);
            }
            boolean fromMemory = batch.hasPending();
            int n = 0;
            try {
                n = read0(buf);
                return n;
            } finally {
                SocketEvents.endRead(ev, peer(), n, fromMemory, 0);
            }
        } finally {
            batch.exitRead(cyc);
        }
    }

    private int read0(ByteBuffer buf) throws IOException {
        readLock.lock();
        try {
            ensureOpenAndConnected();
            boolean blocking = isBlocking();
            int n = 0;
            try {
                beginRead(blocking);
                if (connectionReset) {
                    throw connectionReset();
                }
                if (isInputClosed) {
                    return IO.EOF;
                }
                if (blocking) {
                    pollFirst(0);
                }
                n = batch.read(buf);
                if (blocking) {
                    waited(n == IO.UNAVAILABLE);
                    while (n == IO.UNAVAILABLE && isOpen() && !isInputClosed) {
                        park(Linux.POLLIN, 0);
                        n = IO.read(fd, buf);
                    }
                }
            } catch (ConnectionResetException e) {
                throw resetSeen();
            } finally {
                endRead(blocking, n > 0);
                if (n <= 0 && isInputClosed) {
                    return IO.EOF;
                }
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
        Batcher cyc = batch.enterRead();
        try {
            Object ev = SocketEvents.beginRead();
            if (ev == null) {
                return read0(dsts, offset, length);
            }
            boolean fromMemory = batch.hasPending();
            long n = 0;
            try {
                n = read0(dsts, offset, length);
                return n;
            } finally {
                SocketEvents.endRead(ev, peer(), n, fromMemory, 0);
            }
        } finally {
            batch.exitRead(cyc);
        }
    }

    private long read0(ByteBuffer[] dsts, int offset, int length) throws IOException {
        readLock.lock();
        try {
            ensureOpenAndConnected();
            boolean blocking = isBlocking();
            long n = 0;
            try {
                beginRead(blocking);
                if (connectionReset) {
                    throw connectionReset();
                }
                if (isInputClosed) {
                    return IO.EOF;
                }
                if (blocking) {
                    pollFirst(0);
                }
                n = batch.read(dsts, offset, length);
                if (blocking) {
                    waited(n == IO.UNAVAILABLE);
                    while (n == IO.UNAVAILABLE && isOpen() && !isInputClosed) {
                        park(Linux.POLLIN, 0);
                        n = IO.read(fd, dsts, offset, length);
                    }
                }
            } catch (ConnectionResetException e) {
                throw resetSeen();
            } finally {
                endRead(blocking, n > 0);
                if (n <= 0 && isInputClosed) {
                    return IO.EOF;
                }
            }
            return normalizeLong(n);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public int write(ByteBuffer buf) throws IOException {
        Objects.requireNonNull(buf);
        Batcher cyc = batch.enterWrite();
        try {
            Object ev = SocketEvents.beginWrite();
            if (ev == null) {
                return write0(buf, cyc);
            }
            int n = 0;
            try {
                n = write0(buf, cyc);
                return n;
            } finally {
                SocketEvents.endWrite(ev, peer(), n, lastWriteStaged);
            }
        } finally {
            batch.exitWrite(cyc);
        }
    }

    private int write0(ByteBuffer buf, Batcher cyc) throws IOException {
        writeLock.lock();
        try {
            ensureOpenAndConnected();
            boolean blocking = isBlocking();
            int n = 0;
            try {
                beginWrite(blocking);
                if (batch.drainPending(blocking)) {
                    return 0; // earlier bytes still drain: they go first
                }
                lastWriteStaged = false;
                if (!blocking) {
                    int r = batch.write(buf, cyc); // write-behind
                    if (r != SocketBatch.NONE) {
                        lastWriteStaged = r > 0;
                        n = r;
                        return r;
                    }
                }
                n = IO.write(fd, buf);
                if (blocking) {
                    // a blocking write returns when all is written, as send(2) on a blocking fd
                    int total = Math.max(n, 0);
                    while (buf.hasRemaining() && isOpen() && !isOutputClosed) {
                        park(Linux.POLLOUT, 0);
                        n = writeUnlessShut(buf);
                        total += Math.max(n, 0);
                    }
                    n = total;
                }
                batch.wroteDirectly(n);
            } finally {
                endWrite(blocking, n > 0);
                if (n <= 0 && isOutputClosed) {
                    throw new AsynchronousCloseException();
                }
            }
            return normalize(n);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        Batcher cyc = batch.enterWrite();
        try {
            Object ev = SocketEvents.beginWrite();
            if (ev == null) {
                return write0(srcs, offset, length, cyc);
            }
            long n = 0;
            try {
                n = write0(srcs, offset, length, cyc);
                return n;
            } finally {
                SocketEvents.endWrite(ev, peer(), n, lastWriteStaged);
            }
        } finally {
            batch.exitWrite(cyc);
        }
    }

    private long write0(ByteBuffer[] srcs, int offset, int length, Batcher cyc) throws IOException {
        writeLock.lock();
        try {
            ensureOpenAndConnected();
            boolean blocking = isBlocking();
            long n = 0;
            try {
                beginWrite(blocking);
                if (batch.drainPending(blocking)) {
                    return 0; // earlier bytes still drain: they go first
                }
                lastWriteStaged = false;
                if (!blocking) {
                    long r = batch.write(srcs, offset, length, cyc); // write-behind
                    if (r != SocketBatch.NONE) {
                        lastWriteStaged = r > 0;
                        n = r;
                        return r;
                    }
                }
                n = IO.write(fd, srcs, offset, length);
                if (blocking) {
                    long total = Math.max(n, 0);
                    while (remaining(srcs, offset, length) && isOpen() && !isOutputClosed) {
                        park(Linux.POLLOUT, 0);
                        n = writeUnlessShut(srcs, offset, length);
                        total += Math.max(n, 0);
                    }
                    n = total;
                }
                batch.wroteDirectly(n);
            } finally {
                endWrite(blocking, n > 0);
                if (n <= 0 && isOutputClosed) {
                    throw new AsynchronousCloseException();
                }
            }
            return normalizeLong(n);
        } finally {
            writeLock.unlock();
        }
    }

    private static boolean remaining(ByteBuffer[] bufs, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (bufs[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /** Writes a byte of urgent data (Socket.sendUrgentData). */
    int sendOutOfBandData(byte b) throws IOException {
        batch.detachStaged();
        writeLock.lock();
        try {
            ensureOpenAndConnected();
            boolean blocking = isBlocking();
            int n = 0;
            try {
                beginWrite(blocking);
                if (batch.drainPending(true)) {
                    return 0; // closed while earlier bytes drained
                }
                n = Sockets.sendOOB(fd, b);
            } finally {
                endWrite(blocking, n > 0);
                if (n <= 0 && isOutputClosed) {
                    throw new AsynchronousCloseException();
                }
            }
            return normalize(n);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        if (block) {
            batch.detachStaged(); // a blocking write then waits for what the socket did not take yet
        }
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

    /** The local address; an InetSocketAddress unless the channel is UNIX (the socket adaptor's view). */
    InetSocketAddress localAddress() {
        synchronized (stateLock) {
            return unix ? null : (InetSocketAddress) localAddress;
        }
    }

    /** The peer's address; an InetSocketAddress unless the channel is UNIX (the socket adaptor's view). */
    InetSocketAddress remoteAddress() {
        synchronized (stateLock) {
            return unix ? null : (InetSocketAddress) remoteAddress;
        }
    }

    /** The peer's address, of any family (for events). */
    private SocketAddress peer() {
        synchronized (stateLock) {
            return remoteAddress;
        }
    }

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        readLock.lock();
        try {
            writeLock.lock();
            try {
                synchronized (stateLock) {
                    ensureOpen();
                    if (state == ST_CONNECTIONPENDING) {
                        throw new ConnectionPendingException();
                    }
                    if (localAddress != null) {
                        throw new AlreadyBoundException();
                    }
                    if (unix) {
                        localAddress = unixBind(local);
                    } else {
                        InetSocketAddress isa = (local == null)
                                ? new InetSocketAddress(Addresses.anyLocal(family), 0)
                                : Addresses.check(local, family);
                        Permissions.checkListen(isa.getPort());
                        Sockets.bind(fd, Addresses.linuxFamily(family), isa.getAddress(), isa.getPort());
                        localAddress = Sockets.localAddress(fd);
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

    /**
     * As the JDK's: null and the empty path leave the socket unnamed (it
     * stays so, the kernel does not autobind it on connect); a path binds.
     */
    private SocketAddress unixBind(SocketAddress local) throws IOException {
        Permissions.checkUnix();
        if (local == null) {
            return UNNAMED;
        }
        java.nio.file.Path path = Addresses.checkUnix(local).getPath();
        if (path.toString().isEmpty()) {
            return UNNAMED;
        }
        Sockets.bindUnix(fd, path);
        return Sockets.unixLocalAddress(fd);
    }

    private static final UnixDomainSocketAddress UNNAMED = UnixDomainSocketAddress.of("");

    @Override
    public boolean isConnected() {
        return state == ST_CONNECTED;
    }

    @Override
    public boolean isConnectionPending() {
        return state == ST_CONNECTIONPENDING;
    }

    private void beginConnect(boolean blocking, SocketAddress sa) throws IOException {
        if (blocking) {
            begin();
        }
        synchronized (stateLock) {
            ensureOpen();
            int s = this.state;
            if (s == ST_CONNECTED) {
                throw new AlreadyConnectedException();
            }
            if (s == ST_CONNECTIONPENDING) {
                throw new ConnectionPendingException();
            }
            this.state = ST_CONNECTIONPENDING;
            remoteAddress = sa;
            if (blocking) {
                readerWaiter = Waiter.current();
            }
        }
    }

    private void endConnect(boolean blocking, boolean completed) throws IOException {
        endRead(blocking, completed);
        if (completed) {
            synchronized (stateLock) {
                if (state == ST_CONNECTIONPENDING) {
                    localAddress = unix ? Sockets.unixLocalAddress(fd) : Sockets.localAddress(fd);
                    state = ST_CONNECTED;
                }
            }
        }
    }

    /** The JDK's checkRemote: the address checks, the SecurityManager's, the wildcard as loopback. */
    private SocketAddress checkRemote(SocketAddress sa) {
        if (unix) {
            Permissions.checkUnix();
            return Addresses.checkUnix(sa);
        }
        InetSocketAddress isa = Addresses.check(sa, family);
        Permissions.checkConnect(isa);
        InetAddress address = isa.getAddress();
        if (address.isAnyLocalAddress()) {
            return new InetSocketAddress(Addresses.loopback(!(address instanceof Inet4Address)), isa.getPort());
        }
        return isa;
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        SocketAddress sa = checkRemote(remote);
        try {
            readLock.lock();
            try {
                writeLock.lock();
                try {
                    JdkRelease.ensureOpenFirst(this);
                    boolean blocking = isBlocking();
                    boolean connected = false;
                    try {
                        beginConnect(blocking, sa);
                        connected = unix ? unixConnect((UnixDomainSocketAddress) sa, blocking)
                                : inetConnect((InetSocketAddress) sa, blocking);
                    } finally {
                        endConnect(blocking, connected);
                    }
                    return connected;
                } finally {
                    writeLock.unlock();
                }
            } finally {
                readLock.unlock();
            }
        } catch (IOException ioe) {
            close();
            throw HostInfo.of(ioe, sa);
        }
    }

    /** connect(2), and in blocking mode the wait for it: whether it completed. */
    private boolean inetConnect(InetSocketAddress sa, boolean blocking) throws IOException {
        int n = Sockets.connect(fd, Addresses.linuxFamily(family), sa.getAddress(), sa.getPort());
        if (n > 0) {
            return true;
        }
        if (!blocking) {
            return false;
        }
        boolean polled = false;
        while (!polled && isOpen()) {
            park(Linux.POLLOUT, 0);
            polled = Sockets.pollConnect(fd);
        }
        return polled && isOpen();
    }

    /**
     * connect(2) of a UNIX socket, which connects at once or fails: it
     * never goes on in the background. Only a full backlog makes a
     * blocking connect wait; the JDK's waits in the kernel, this one
     * tries again every 5 ms, woken early by close or interrupt.
     */
    private boolean unixConnect(UnixDomainSocketAddress sa, boolean blocking) throws IOException {
        int n = Sockets.connectUnix(fd, sa.getPath(), blocking);
        while (n <= 0 && isOpen()) {
            park(0, 5);
            n = Sockets.connectUnix(fd, sa.getPath(), blocking);
        }
        return n > 0 && isOpen();
    }

    @Override
    public boolean finishConnect() throws IOException {
        try {
            readLock.lock();
            try {
                writeLock.lock();
                try {
                    if (isConnected()) {
                        return true;
                    }
                    JdkRelease.ensureOpenFirst(this);
                    boolean blocking = isBlocking();
                    boolean connected = false;
                    try {
                        if (blocking) {
                            begin();
                        }
                        synchronized (stateLock) {
                            ensureOpen();
                            if (state != ST_CONNECTIONPENDING) {
                                throw new NoConnectionPendingException();
                            }
                            if (blocking) {
                                readerWaiter = Waiter.current();
                            }
                        }
                        boolean polled = Sockets.pollConnect(fd);
                        if (blocking) {
                            while (!polled && isOpen()) {
                                park(Linux.POLLOUT, 0);
                                polled = Sockets.pollConnect(fd);
                            }
                        }
                        connected = polled && isOpen();
                    } finally {
                        endConnect(blocking, connected);
                    }
                    return connected;
                } finally {
                    writeLock.unlock();
                }
            } finally {
                readLock.unlock();
            }
        } catch (IOException ioe) {
            close();
            throw HostInfo.of(ioe, peer());
        }
    }

    // ---- close

    private boolean tryClose() throws IOException {
        if (readerWaiter == null && writerWaiter == null && !isRegistered()) {
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
            // the descriptor is gone either way
        }
    }

    private void implCloseBlockingMode() throws IOException {
        synchronized (stateLock) {
            state = ST_CLOSING;
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
    }

    private void implCloseNonBlockingMode() throws IOException {
        boolean connected;
        synchronized (stateLock) {
            connected = (state == ST_CONNECTED);
            state = ST_CLOSING;
        }
        readLock.lock();
        readLock.unlock();
        writeLock.lock();
        writeLock.unlock();
        synchronized (stateLock) {
            if (state == ST_CLOSING && !tryClose() && connected && isRegistered()) {
                // closed while registered: the peer reads EOF now, the fd goes at deregistration
                try {
                    int linger = Sockets.getLinger(fd);
                    if (linger != 0) {
                        if (linger > 0) {
                            Sockets.setLinger(fd, -1);
                        }
                        if (drain == null || !drain.shutdownAfter()) {
                            Sockets.shutdown(fd, Linux.SHUT_WR); // else the drainer sends EOF after the bytes
                        }
                    }
                } catch (IOException ignore) {
                    // best effort, as the JDK
                }
            }
        }
    }

    /** The drain of staged bytes that this close left (see {@link Drainer}), or null. */
    private Drainer.Residue drain;

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        Drainer.Residue r = batch.detachStaged();
        if (r != null && !r.isDone()) {
            lingerOver(r);
        }
        drain = r;
        if (isBlocking()) {
            implCloseBlockingMode();
        } else {
            implCloseNonBlockingMode();
        }
    }

    /**
     * SO_LINGER on a close that left bytes draining, as the kernel treats
     * the bytes it holds: 0 discards them with a reset; a positive value
     * makes close wait for them up to that long; off, close returns at once.
     */
    private void lingerOver(Drainer.Residue r) {
        int linger;
        try {
            linger = Sockets.getLinger(fd);
        } catch (IOException e) {
            return;
        }
        if (linger == 0) {
            r.cancel();
        } else if (linger > 0) {
            try {
                r.await(linger * 1000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
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

    @Override
    public SocketChannel shutdownInput() throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (!isConnected()) {
                throw new NotYetConnectedException();
            }
            if (!isInputClosed) {
                Sockets.shutdown(fd, Linux.SHUT_RD);
                isInputClosed = true;
                Waiter r = readerWaiter;
                if (r != null) {
                    r.unpark();
                }
            }
            return this;
        }
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        Drainer.Residue r = batch.detachStaged();
        synchronized (stateLock) {
            ensureOpen();
            if (!isConnected()) {
                throw new NotYetConnectedException();
            }
            if (!isOutputClosed) {
                // first the flag: a writer that the shutdown wakes must see it,
                // and stop, rather than write again and fail with EPIPE
                isOutputClosed = true;
                try {
                    if (r == null || !r.shutdownAfter()) {
                        Sockets.shutdown(fd, Linux.SHUT_WR); // else the drainer sends EOF after the bytes
                    }
                } catch (IOException e) {
                    isOutputClosed = false;
                    throw e;
                }
                Waiter w = writerWaiter;
                if (w != null) {
                    w.unpark();
                }
            }
            return this;
        }
    }

    boolean isInputOpen() {
        return !isInputClosed;
    }

    boolean isOutputOpen() {
        return !isOutputClosed;
    }

    // ---- for the socket adaptor

    /** Connect with a timeout (Socket.connect); closes the channel on failure. */
    void blockingConnect(SocketAddress remote, long nanos) throws IOException {
        InetSocketAddress sa = (InetSocketAddress) checkRemote(remote); // never UNIX: no adaptor
        try {
            readLock.lock();
            try {
                writeLock.lock();
                try {
                    if (!isBlocking()) {
                        throw new IllegalBlockingModeException();
                    }
                    boolean connected = false;
                    try {
                        beginConnect(true, sa);
                        int n = Sockets.connect(fd, Addresses.linuxFamily(family), sa.getAddress(), sa.getPort());
                        if (n > 0) {
                            connected = true;
                        } else {
                            long start = System.nanoTime();
                            boolean polled = Sockets.pollConnect(fd);
                            while (!polled && isOpen()) {
                                long left = 0;
                                if (nanos > 0) {
                                    left = nanos - (System.nanoTime() - start);
                                    if (left <= 0) {
                                        throw new SocketTimeoutException("Connect timed out");
                                    }
                                }
                                park(Linux.POLLOUT, nanos > 0 ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)) : 0);
                                polled = Sockets.pollConnect(fd);
                            }
                            connected = polled && isOpen();
                        }
                    } finally {
                        endConnect(true, connected);
                    }
                } finally {
                    writeLock.unlock();
                }
            } finally {
                readLock.unlock();
            }
        } catch (IOException ioe) {
            close();
            throw HostInfo.of(ioe, sa);
        }
    }

    /** Socket input stream read, with SO_TIMEOUT (0: none). */
    int blockingRead(byte[] b, int off, int len, long nanos) throws IOException {
        Object ev = SocketEvents.beginRead();
        if (ev == null) {
            return blockingRead0(b, off, len, nanos);
        }
        boolean fromMemory = batch.hasPending();
        int n = 0;
        try {
            n = blockingRead0(b, off, len, nanos);
            return n;
        } finally {
            SocketEvents.endRead(ev, peer(), n, fromMemory, TimeUnit.NANOSECONDS.toMillis(nanos));
        }
    }

    private int blockingRead0(byte[] b, int off, int len, long nanos) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        readLock.lock();
        try {
            ensureOpenAndConnected();
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            int n = 0;
            try {
                beginRead(true);
                if (connectionReset) {
                    throw connectionReset();
                }
                if (isInputClosed) {
                    return IO.EOF;
                }
                ByteBuffer dst = ByteBuffer.wrap(b, off, len);
                long start = System.nanoTime();
                pollFirst(nanos > 0 ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)) : 0);
                n = batch.read(dst);
                waited(n == IO.UNAVAILABLE);
                while (n == IO.UNAVAILABLE && isOpen() && !isInputClosed) {
                    long left = 0;
                    if (nanos > 0) {
                        left = nanos - (System.nanoTime() - start);
                        if (left <= 0) {
                            throw new SocketTimeoutException("Read timed out");
                        }
                    }
                    park(Linux.POLLIN, nanos > 0 ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)) : 0);
                    n = IO.read(fd, dst);
                }
            } catch (ConnectionResetException e) {
                throw resetSeen();
            } finally {
                endRead(true, n > 0);
                if (n <= 0 && isInputClosed) {
                    return IO.EOF;
                }
            }
            return n;
        } finally {
            readLock.unlock();
        }
    }

    /** Socket output stream write: all bytes, blocking. */
    void blockingWriteFully(byte[] b, int off, int len) throws IOException {
        Object ev = SocketEvents.beginWrite();
        if (ev == null) {
            blockingWriteFully0(b, off, len);
            return;
        }
        boolean done = false;
        try {
            blockingWriteFully0(b, off, len);
            done = true;
        } finally {
            SocketEvents.endWrite(ev, peer(), done ? len : 0, false);
        }
    }

    private void blockingWriteFully0(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return;
        }
        writeLock.lock();
        try {
            ensureOpenAndConnected();
            if (!isBlocking()) {
                throw new IllegalBlockingModeException();
            }
            ByteBuffer src = ByteBuffer.wrap(b, off, len);
            try {
                beginWrite(true);
                while (src.hasRemaining() && isOpen()) {
                    int n = IO.write(fd, src);
                    while (n == IO.UNAVAILABLE && isOpen() && !isOutputClosed) {
                        park(Linux.POLLOUT, 0);
                        n = writeUnlessShut(src);
                    }
                    if (isOutputClosed) {
                        break;
                    }
                }
            } finally {
                endWrite(true, !src.hasRemaining());
            }
            if (src.hasRemaining() && isOutputClosed) {
                throw new AsynchronousCloseException();
            }
        } finally {
            writeLock.unlock();
        }
    }

    int available() throws IOException {
        synchronized (stateLock) {
            ensureOpenAndConnected();
            return isInputClosed ? 0 : Sockets.available(fd) + batch.bufferedBytes();
        }
    }

    // ---- selector support

    @Override
    public int translateInterestOps(int ops) {
        int ev = 0;
        if ((ops & SelectionKey.OP_READ) != 0) {
            ev |= Linux.POLLIN;
        }
        if ((ops & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) {
            ev |= Linux.POLLOUT;
        }
        return ev;
    }

    @Override
    public boolean translateReadyOps(int events, int initialOps, SpoolSelectionKey key) {
        int intOps = key.nioInterestOps();
        int oldOps = key.nioReadyOps();
        int newOps = initialOps;
        if ((events & Linux.POLLNVAL) != 0) {
            return false;
        }
        if ((events & (Linux.POLLERR | Linux.POLLHUP)) != 0) {
            newOps = intOps;
            key.nioReadyOps(newOps);
            return (newOps & ~oldOps) != 0;
        }
        boolean connected = isConnected();
        if ((events & Linux.POLLIN) != 0 && (intOps & SelectionKey.OP_READ) != 0 && connected) {
            newOps |= SelectionKey.OP_READ;
        }
        if ((events & Linux.POLLOUT) != 0 && (intOps & SelectionKey.OP_CONNECT) != 0 && isConnectionPending()) {
            newOps |= SelectionKey.OP_CONNECT;
        }
        if ((events & Linux.POLLOUT) != 0 && (intOps & SelectionKey.OP_WRITE) != 0 && connected) {
            newOps |= SelectionKey.OP_WRITE;
        }
        key.nioReadyOps(newOps);
        return (newOps & ~oldOps) != 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(SocketChannel.class.getName()).append('[');
        if (!isOpen()) {
            sb.append("closed");
        } else {
            synchronized (stateLock) {
                switch (state) {
                    case ST_UNCONNECTED:
                        sb.append("unconnected");
                        break;
                    case ST_CONNECTIONPENDING:
                        sb.append("connection-pending");
                        break;
                    case ST_CONNECTED:
                        sb.append("connected");
                        if (isInputClosed) {
                            sb.append(" ishut");
                        }
                        if (isOutputClosed) {
                            sb.append(" oshut");
                        }
                        break;
                    default:
                        break;
                }
                if (localAddress != null) {
                    sb.append(" local=").append(Permissions.localAsString(localAddress, unix, false));
                }
                if (remoteAddress != null) {
                    sb.append(" remote=").append(remoteAddress);
                }
            }
        }
        sb.append(']');
        return sb.toString();
    }
}
