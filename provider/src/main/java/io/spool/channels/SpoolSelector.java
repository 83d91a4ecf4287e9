package io.spool.channels;

import io.spool.backend.Poller;
import io.spool.batching.AcceptQueue;
import io.spool.batching.Batcher;
import io.spool.batching.SocketBatch;
import io.spool.sys.Counters;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashSet;
import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The selector, over a backend {@link Poller}. Its key-set and locking
 * contracts follow the JDK's SelectorImpl and EPollSelectorImpl: interest
 * changes are queued and applied by the next select, cancelled keys are
 * deregistered at the start and end of a select, and a wakeup is
 * remembered until a select consumes it.
 *
 * <p>On the spool backend a select is one cycle call, which also carries the
 * registration changes, the staged writes (write-behind), accept-ahead and
 * read-ahead; {@link SocketBatch} documents how channels and the selector's
 * cycle lock (in its {@link Batcher}) keep the bytes in order. Keys whose channel holds
 * unread read-ahead bytes, EOF or an error (with OP_READ interest) or
 * accepted connections (OP_ACCEPT) are ready from memory, whatever the
 * kernel says, and then the cycle does not sleep.
 * Switches: {@code -Dspool.readAhead=false}, {@code -Dspool.writeBehind=false},
 * {@code -Dspool.acceptAhead=false}.
 */
public final class SpoolSelector extends AbstractSelector implements Poller.Sink {
    private final Poller poller;

    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> selectedKeys = new HashSet<>();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> publicSelectedKeys = new UngrowableSet<>(selectedKeys);

    private final Object updateLock = new Object();
    private final Deque<SpoolSelectionKey> updateKeys = new ArrayDeque<>();
    /**
     * Registered keys by fd (selecting thread, cycle lock): an array, as the
     * pollers' own tables, since every event of a select looks one up; the
     * JDK's HashMap boxes each fd above 127.
     */
    private SpoolSelectionKey[] fdToKey = new SpoolSelectionKey[64];

    private final Object interruptLock = new Object();
    private boolean interruptTriggered;
    /** A select's cycle may sleep in the kernel now (guarded by interruptLock). */
    private boolean sleeping;

    private boolean inSelect;
    // state of the select in progress (selector thread only)
    private Consumer<SelectionKey> action;
    private int numKeysUpdated;

    // ---- batching (a backend with features); the bytes are the batcher's, the keys are ours
    /** The cycle lock, the staged channels and the batching switches; see SocketBatch for the protocol. */
    final Batcher batcher;
    private final int features;
    private long selectSeq;
    // under the cycle lock
    /** Keys ready from memory: read-ahead bytes, EOF or an error, or accepted connections. */
    private final LinkedHashSet<SpoolSelectionKey> memReady = new LinkedHashSet<>();
    /** Hand-overs into memory (read-ahead bytes, accepted connections) so far; guarded by the cycle lock. */
    private long memArrivals;
    /** Keys whose registration must be brought up to date at the next select. */
    private final LinkedHashSet<SpoolSelectionKey> resync = new LinkedHashSet<>();
    /** Keys registered with POLLOUT for staged bytes, not for OP_WRITE. */
    private final LinkedHashSet<SpoolSelectionKey> outKeys = new LinkedHashSet<>();
    /** Listeners whose accept-ahead queue is full (AcceptQueue#full): registered without F_ACCEPT. */
    private final LinkedHashSet<SpoolSelectionKey> acceptFull = new LinkedHashSet<>();

    public SpoolSelector(SelectorProvider provider, Poller poller) {
        super(provider);
        this.poller = poller;
        this.features = poller.features();
        this.batcher = new Batcher(poller, new Batcher.Host() {
            @Override
            public void wakeup() {
                SpoolSelector.this.wakeup();
            }

            @Override
            public void stopReceiving(SocketBatch b) {
                SpoolSelector.this.stopReceiving(b);
            }
        });
    }

    private void ensureOpen() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
    }

    @Override
    public Set<SelectionKey> keys() {
        ensureOpen();
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        ensureOpen();
        return publicSelectedKeys;
    }

    // ---- select

    private int lockAndDoSelect(Consumer<SelectionKey> action, long timeout) throws IOException {
        synchronized (this) {
            ensureOpen();
            if (inSelect) {
                throw new IllegalStateException("select in progress");
            }
            inSelect = true;
            batcher.lockForSelect();
            try {
                synchronized (publicSelectedKeys) {
                    return doSelect(action, timeout);
                }
            } finally {
                batcher.unlock();
                inSelect = false;
            }
        }
    }

    @Override
    public int select(long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return lockAndDoSelect(null, (timeout == 0) ? -1 : timeout);
    }

    @Override
    public int select() throws IOException {
        return lockAndDoSelect(null, -1);
    }

    @Override
    public int selectNow() throws IOException {
        return lockAndDoSelect(null, 0);
    }

    @Override
    public int select(Consumer<SelectionKey> action, long timeout) throws IOException {
        Objects.requireNonNull(action);
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return lockAndDoSelect(action, (timeout == 0) ? -1 : timeout);
    }

    @Override
    public int select(Consumer<SelectionKey> action) throws IOException {
        Objects.requireNonNull(action);
        return lockAndDoSelect(action, -1);
    }

    @Override
    public int selectNow(Consumer<SelectionKey> action) throws IOException {
        Objects.requireNonNull(action);
        return lockAndDoSelect(action, 0);
    }

    private int doSelect(Consumer<SelectionKey> action, long timeout) throws IOException {
        Counters.SELECTS.increment();
        batcher.beginSelect();
        selectSeq++;
        int to = (int) Math.min(timeout, Integer.MAX_VALUE);
        processUpdateQueue();
        processDeregisterQueue(true);
        boolean sendsLeft = false;
        if (features != 0) {
            resyncBatched();
            if (memReadyPending()) {
                to = 0; // ready from memory: do not sleep in the kernel
            }
            sendsLeft = !batcher.queueSends();
        }
        boolean blocking = (to != 0);
        // the poller's batch of sends was full: the cycles that send the rest do not wait
        int wait = to;
        if (sendsLeft) {
            to = 0;
        }
        this.action = action;
        this.numKeysUpdated = 0;
        try {
            if (blocking) {
                begin();
            }
            long deadline = wait > 0 ? System.nanoTime() + wait * 1_000_000L : 0;
            for (;;) {
                int n;
                boolean consumed = false;
                synchronized (interruptLock) {
                    if (interruptTriggered) {
                        to = 0; // wakeup() came first: return at once, and consume it
                        consumed = true;
                    } else if (to != 0) {
                        sleeping = true; // from here, wakeup() must reach the kernel
                    }
                }
                batcher.inCycle(true);
                long arrivals = memArrivals;
                try {
                    n = poller.poll(to, this);
                } finally {
                    batcher.inCycle(false);
                    synchronized (interruptLock) {
                        sleeping = false;
                        if (consumed || poller.woken()) {
                            interruptTriggered = false;
                        }
                    }
                }
                // a poll may hand over bytes or connections (read-ahead, accept-ahead) and
                // report no descriptor: they are ready all the same, and no wait may follow
                if (n > 0 || memArrivals != arrivals || poller.woken() || consumed
                        || Thread.currentThread().isInterrupted()) {
                    break;
                }
                if (sendsLeft && blocking) {
                    // the staged sends the last cycle had no room for, then the wait asked for
                    sendsLeft = !batcher.queueSends();
                    if (sendsLeft) {
                        continue;
                    }
                    // the rest is queued: the next cycle sends it, and waits what is left of the
                    // timeout, if anything (the timeout bounds the wait, not the sending)
                    to = wait < 0 ? wait : (int) Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000);
                    continue;
                } else if (to == 0) {
                    break;
                }
                if (to > 0) {
                    // a signal (EINTR), a timeout rounded down, or cycles that sent: wait the rest
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    to = (int) Math.max(1, (left + 999_999) / 1_000_000);
                    continue;
                }
                // to == -1 and nothing: only a signal ends an untimed wait early
            }
            if (features != 0) {
                reportMemReady();
            }
        } catch (RuntimeException | Error e) {
            this.action = null;
            throw e;
        } finally {
            if (blocking) {
                end();
            }
        }
        this.action = null;
        processDeregisterQueue(false);
        return numKeysUpdated;
    }

    // ---- batching: what a select does around the cycle (selector thread, cycle lock held)

    /** Re-registers keys whose batching state changed since the last select. */
    private void resyncBatched() throws IOException {
        batcher.forEachWaitingForRoom(b -> {
            SpoolSelectionKey k = keyOf(b);
            if (k != null) {
                resync.add(k);
            }
        });
        resync.addAll(outKeys);
        // a listener whose application took connections from a full queue accepts ahead again
        if (!acceptFull.isEmpty()) {
            Iterator<SpoolSelectionKey> i = acceptFull.iterator();
            while (i.hasNext()) {
                SpoolSelectionKey k = i.next();
                if (!k.isValid() || !k.spoolChannel().acceptQueue().full()) {
                    i.remove();
                    resync.add(k);
                }
            }
        }
        // a key whose bytes wait in memory registers again only when what its registration
        // depends on changed: a select must not cost anything per unread connection
        for (SpoolSelectionKey k : memReady) {
            SocketBatch b = k.spoolChannel().socketBatch();
            if (b != null && b.memState() != k.syncedMem) {
                resync.add(k);
            }
        }
        if (resync.isEmpty()) {
            return;
        }
        SpoolSelectionKey[] ks = resync.toArray(new SpoolSelectionKey[0]);
        resync.clear();
        for (SpoolSelectionKey k : ks) {
            if (k.isValid() && keyAt(k.fd()) == k) {
                sync(k);
            }
        }
    }

    /** Whether a key is ready from memory; drops keys that are not. */
    private boolean memReadyPending() {
        boolean any = false;
        Iterator<SpoolSelectionKey> i = memReady.iterator();
        while (i.hasNext()) {
            SpoolSelectionKey k = i.next();
            if (!k.isValid() || !hasMemory(k)) {
                i.remove();
            } else if ((k.nioInterestOps() & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) {
                any = true;
            }
        }
        return any;
    }

    private static boolean hasMemory(SpoolSelectionKey k) {
        SocketBatch b = k.spoolChannel().socketBatch();
        if (b != null) {
            return b.hasPending();
        }
        AcceptQueue q = k.spoolChannel().acceptQueue();
        return q != null && q.size() > 0;
    }

    private void reportMemReady() {
        if (memReady.isEmpty()) {
            return;
        }
        // an action may close or cancel (and so deregister) as it runs: it walks a copy
        Iterable<SpoolSelectionKey> ks = action == null ? memReady
                : Arrays.asList(memReady.toArray(new SpoolSelectionKey[0]));
        for (SpoolSelectionKey k : ks) {
            if (k.lastReported != selectSeq && k.isValid() && hasMemory(k)) {
                k.lastReported = selectSeq;
                numKeysUpdated += processReadyEvents(Linux.POLLIN, k, action);
            }
        }
    }

    /**
     * A registration's cookie: the fd in the low half, which is what the
     * backend's reports are looked up by, and for a stream socket its
     * SocketBatch.serial in the high half, so that a backend can tell the
     * same socket registered again (a key cancelled and a new one made, as
     * the JDK's HttpServer does per request) from another socket that got
     * the same fd number.
     */
    private static long cookie(SpoolSelectionKey k) {
        SocketBatch b = k.spoolChannel().socketBatch();
        long fd = k.fd() & 0xffffffffL;
        return b == null ? fd : (long) b.serial << 32 | fd;
    }

    /** This selector's key for a socket's batching state, if it has one. */
    private SpoolSelectionKey keyOf(SocketBatch b) {
        SpoolSelectionKey k = keyAt(b.socket().fd());
        return k != null && k.spoolChannel().socketBatch() == b ? k : null;
    }

    /** Poller callback: the result of a queued send. */
    @Override
    public void sent(int index, int result) {
        batcher.sent(index, result);
    }

    /** Poller callback: read-ahead bytes (or EOF, or an error) for a socket. */
    @Override
    public void received(long cookie, ByteBuffer data, int errno) {
        received(cookie, data, errno, false);
    }

    /** Poller callback: as above, {@code filled} when the receive took all the room it had. */
    @Override
    public void received(long cookie, ByteBuffer data, int errno, boolean filled) {
        assert batcher.isHeldByCurrentThread();
        SpoolSelectionKey ski = keyAt((int) cookie);
        SocketBatch b = ski == null ? null : ski.spoolChannel().socketBatch();
        if (b != null) {
            b.received(data, errno, filled);
            memReady.add(ski);
            memArrivals++;
        }
    }

    /** Poller callback: a connection accepted ahead on a listener. */
    @Override
    public void accepted(long cookie, int fd, SocketAddress peer) {
        assert batcher.isHeldByCurrentThread();
        SpoolSelectionKey ski = keyAt((int) cookie);
        AcceptQueue q = ski == null ? null : ski.spoolChannel().acceptQueue();
        if (q != null) {
            q.add(fd, peer);
            memReady.add(ski);
            memArrivals++;
            if (q.full() && (ski.registeredFlags & Poller.F_ACCEPT) != 0) {
                resync.add(ski); // the next select registers it without F_ACCEPT
            }
        } else {
            IO.closeQuietly(fd);
        }
    }

    /** Batcher callback: a worker reads this socket; its registration loses F_RECV now (cycle lock held). */
    private void stopReceiving(SocketBatch b) {
        assert batcher.isHeldByCurrentThread();
        SpoolSelectionKey k = keyOf(b);
        if (k != null && (k.registeredFlags & Poller.F_RECV) != 0) {
            int flags = k.registeredFlags & ~Poller.F_RECV;
            try {
                poller.modifyNow(k.fd(), k.registeredEvents, flags, cookie(k));
            } catch (IOException ignore) {
                // as epoll_ctl failures: the next select resyncs
            }
            k.registeredFlags = flags;
        }
    }

    /** Backend callback: a descriptor is ready. */
    @Override
    public void ready(long cookie, int events) {
        ready(cookie, events, 0);
    }

    /** Backend callback: a descriptor is ready, and a socket's send room after this cycle's sends. */
    @Override
    public void ready(long cookie, int events, int sendRoom) {
        SpoolSelectionKey ski = keyAt((int) cookie);
        if (ski != null) {
            SocketBatch b = sendRoom > 0 ? ski.spoolChannel().socketBatch() : null;
            if (b != null) {
                assert batcher.isHeldByCurrentThread();
                b.roomReported(sendRoom); // before the ready key's action can write
            }
            if ((events & Linux.POLLIN) == 0 && !memReady.isEmpty() && memReady.contains(ski) && hasMemory(ski)) {
                // bytes, EOF or connections wait in memory: this one report says so too,
                // since reportMemReady skips a key reported in this select
                events |= Linux.POLLIN;
            }
            ski.lastReported = selectSeq;
            numKeysUpdated += processReadyEvents(events, ski, action);
        }
    }

    private int processReadyEvents(int events, SpoolSelectionKey ski, Consumer<SelectionKey> action) {
        if (action != null) {
            ski.translateAndSetReadyOps(events);
            if ((ski.nioReadyOps() & ski.nioInterestOps()) != 0) {
                action.accept(ski);
                ensureOpen();
                return 1;
            }
        } else {
            if (selectedKeys.contains(ski)) {
                if (ski.translateAndUpdateReadyOps(events)) {
                    return 1;
                }
            } else {
                ski.translateAndSetReadyOps(events);
                if ((ski.nioReadyOps() & ski.nioInterestOps()) != 0) {
                    selectedKeys.add(ski);
                    return 1;
                }
            }
        }
        return 0;
    }

    /** The key registered for fd, or null. */
    private SpoolSelectionKey keyAt(int fd) {
        return fd >= 0 && fd < fdToKey.length ? fdToKey[fd] : null;
    }

    private void processUpdateQueue() throws IOException {
        synchronized (updateLock) {
            SpoolSelectionKey ski;
            while ((ski = updateKeys.pollFirst()) != null) {
                if (ski.isValid()) {
                    int fd = ski.fd();
                    if (fd >= fdToKey.length) {
                        fdToKey = Arrays.copyOf(fdToKey, Math.max(fd + 1, fdToKey.length * 2));
                    }
                    if (fdToKey[fd] == null) {
                        fdToKey[fd] = ski;
                    }
                    sync(ski);
                }
            }
        }
    }

    /**
     * Brings the backend's registration of a key up to date: its interest,
     * plus on the spool backend POLLOUT while staged bytes wait for room
     * (never shown as OP_WRITE unless asked for), and the read-ahead or
     * accept-ahead flag.
     */
    private void sync(SpoolSelectionKey ski) throws IOException {
        assert batcher.isHeldByCurrentThread();
        int fd = ski.fd();
        int newEvents = ski.translateInterestOps();
        int newFlags = 0;
        if (features != 0) {
            SpoolChannel ch = ski.spoolChannel();
            int ops = ski.nioInterestOps();
            SocketBatch b = ch.socketBatch();
            if (b != null) {
                if (b.needsOut() && (newEvents & Linux.POLLOUT) == 0) {
                    newEvents |= Linux.POLLOUT;
                    outKeys.add(ski);
                } else {
                    outKeys.remove(ski);
                }
                int mem = b.memState();
                ski.syncedMem = mem;
                if ((mem & SocketBatch.MEM_ENDED) != 0) {
                    // an EOF or error waits in memory: the key reads as ready until it is taken,
                    // whatever the kernel says, and a level-triggered poll would only repeat it
                    newEvents &= ~Linux.POLLIN;
                }
                int recv = b.syncRecv(batcher, (ops & SelectionKey.OP_READ) != 0);
                if (recv == SocketBatch.RECV_ON) {
                    newFlags = Poller.F_RECV;
                } else if (recv == SocketBatch.RECV_RETRY) {
                    resync.add(ski); // a lock-free reader was inside: try next time
                }
            } else if (batcher.acceptAhead && ch.acceptQueue() != null && (ops & SelectionKey.OP_ACCEPT) != 0) {
                if (ch.acceptQueue().full()) {
                    acceptFull.add(ski); // no more ahead than the backlog: see AcceptQueue
                } else {
                    newFlags = Poller.F_ACCEPT;
                }
            }
        }
        int registered = ski.registeredEvents;
        if (newEvents != registered || (newEvents != 0 && newFlags != ski.registeredFlags)) {
            if (newEvents == 0) {
                poller.unregister(fd);
                newFlags = 0;
            } else if (registered == 0) {
                poller.register(fd, newEvents, newFlags, cookie(ski));
            } else {
                poller.modify(fd, newEvents, newFlags, cookie(ski));
            }
            ski.registeredEvents = newEvents;
            ski.registeredFlags = newFlags;
        }
    }

    /**
     * Deregisters cancelled keys. {@code mayBatch}: before the cycle, when
     * the unregister of a channel that is still open may ride in it; any
     * other unregister is done at once, so that the kernel lets go of the
     * file before the fd can be closed.
     */
    private void processDeregisterQueue(boolean mayBatch) throws IOException {
        Set<SelectionKey> cks = cancelledKeys();
        synchronized (cks) {
            if (cks.isEmpty()) {
                return;
            }
            Iterator<SelectionKey> i = cks.iterator();
            while (i.hasNext()) {
                SpoolSelectionKey ski = (SpoolSelectionKey) i.next();
                i.remove();
                implDereg(ski, mayBatch);
                selectedKeys.remove(ski);
                keys.remove(ski);
                deregister(ski);
                SelectableChannel ch = ski.channel();
                if (!ch.isOpen() && !ch.isRegistered()) {
                    ski.spoolChannel().kill();
                }
            }
        }
    }

    private void implDereg(SpoolSelectionKey ski, boolean mayBatch) throws IOException {
        assert batcher.isHeldByCurrentThread();
        int fd = ski.fd();
        if (keyAt(fd) != null) {
            fdToKey[fd] = null;
            if (ski.registeredEvents != 0) {
                if (features != 0 && !(mayBatch && ski.channel().isOpen())) {
                    poller.unregisterNow(fd);
                } else {
                    poller.unregister(fd);
                }
                ski.registeredEvents = 0;
                ski.registeredFlags = 0;
            }
        }
        SocketBatch b = ski.spoolChannel().socketBatch();
        if (b != null) {
            b.disarm(batcher);
            b.deregistered(batcher);
        }
        memReady.remove(ski);
        outKeys.remove(ski);
        resync.remove(ski);
        acceptFull.remove(ski);
    }

    /** Queues an interest change for the next select. */
    void setEventOps(SpoolSelectionKey ski) {
        ensureOpen();
        synchronized (updateLock) {
            updateKeys.addLast(ski);
        }
    }

    // ---- registration

    @Override
    protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object attachment) {
        if (!(ch instanceof SpoolChannel)) {
            throw new IllegalSelectorException();
        }
        SpoolSelectionKey k = new SpoolSelectionKey((SpoolChannel) ch, this);
        if (attachment != null) {
            k.attach(attachment);
        }
        SocketBatch sb = ((SpoolChannel) ch).socketBatch();
        if (sb != null) {
            sb.registered(batcher);
        }
        ensureOpen();
        keys.add(k);
        try {
            k.interestOps(ops);
        } catch (ClosedSelectorException e) {
            keys.remove(k);
            k.cancel();
            throw e;
        }
        return k;
    }

    // ---- wakeup and close

    @Override
    public Selector wakeup() {
        synchronized (interruptLock) {
            if (!interruptTriggered) {
                interruptTriggered = true;
                if (sleeping) {
                    // only a cycle that may sleep needs the kernel; any other
                    // select sees interruptTriggered before its cycle
                    try {
                        poller.wakeup();
                    } catch (IOException e) {
                        throw new InternalError(e);
                    }
                }
            }
        }
        return this;
    }

    @Override
    protected void implCloseSelector() throws IOException {
        wakeup();
        synchronized (this) {
            synchronized (interruptLock) {
                interruptTriggered = true; // no wakeups after this
            }
            batcher.lockForSelect();
            try {
                poller.close();
                batcher.close(); // the pool is gone: staged bytes go out directly, or drain
                memReady.clear();
                outKeys.clear();
                resync.clear();
                acceptFull.clear();
                for (SelectionKey k : keys) {
                    SpoolSelectionKey ski = (SpoolSelectionKey) k;
                    SocketBatch b = ski.spoolChannel().socketBatch();
                    if (b != null) {
                        b.disarm(batcher);
                        b.deregistered(batcher);
                    }
                }
            } finally {
                batcher.unlock();
            }
            synchronized (publicSelectedKeys) {
                Iterator<SelectionKey> i = keys.iterator();
                while (i.hasNext()) {
                    SpoolSelectionKey ski = (SpoolSelectionKey) i.next();
                    deregister(ski);
                    SelectableChannel ch = ski.channel();
                    if (!ch.isOpen() && !ch.isRegistered()) {
                        ski.spoolChannel().kill();
                    }
                    selectedKeys.remove(ski);
                    i.remove();
                }
            }
        }
    }

    /** A set that allows removal but not addition, like the JDK's Util.ungrowableSet. */
    private static final class UngrowableSet<E> extends AbstractSet<E> {
        private final Set<E> s;

        UngrowableSet(Set<E> s) {
            this.s = s;
        }

        @Override
        public int size() {
            return s.size();
        }

        @Override
        public boolean isEmpty() {
            return s.isEmpty();
        }

        @Override
        public boolean contains(Object o) {
            return s.contains(o);
        }

        @Override
        public Object[] toArray() {
            return s.toArray();
        }

        @Override
        public <T> T[] toArray(T[] a) {
            return s.toArray(a);
        }

        @Override
        public Iterator<E> iterator() {
            return s.iterator();
        }

        @Override
        public boolean remove(Object o) {
            return s.remove(o);
        }

        @Override
        public boolean removeAll(Collection<?> c) {
            return s.removeAll(c);
        }

        @Override
        public boolean retainAll(Collection<?> c) {
            return s.retainAll(c);
        }

        @Override
        public void clear() {
            s.clear();
        }

        @Override
        public boolean add(E o) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean addAll(Collection<? extends E> coll) {
            throw new UnsupportedOperationException();
        }
    }
}
