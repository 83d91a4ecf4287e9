package io.spool.channels;

import io.spool.backend.Poller;
import io.spool.sys.Counters;
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
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
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
 */
public final class SpoolSelector extends AbstractSelector implements Poller.Sink {
    private final Poller poller;

    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> selectedKeys = new HashSet<>();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> publicSelectedKeys = new UngrowableSet<>(selectedKeys);

    private final Object updateLock = new Object();
    private final Deque<SpoolSelectionKey> updateKeys = new ArrayDeque<>();
    private final Map<Integer, SpoolSelectionKey> fdToKey = new HashMap<>();

    private final Object interruptLock = new Object();
    private boolean interruptTriggered;

    private boolean inSelect;
    // state of the select in progress (selector thread only)
    private Consumer<SelectionKey> action;
    private int numKeysUpdated;

    public SpoolSelector(SelectorProvider provider, Poller poller) {
        super(provider);
        this.poller = poller;
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
            try {
                synchronized (publicSelectedKeys) {
                    return doSelect(action, timeout);
                }
            } finally {
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
        int to = (int) Math.min(timeout, Integer.MAX_VALUE);
        boolean blocking = (to != 0);
        processUpdateQueue();
        processDeregisterQueue();
        this.action = action;
        this.numKeysUpdated = 0;
        try {
            if (blocking) {
                begin();
            }
            long deadline = to > 0 ? System.nanoTime() + to * 1_000_000L : 0;
            for (;;) {
                int n = poller.poll(to, this);
                if (poller.woken()) {
                    synchronized (interruptLock) {
                        interruptTriggered = false;
                    }
                }
                if (n > 0 || poller.woken() || to == 0 || Thread.currentThread().isInterrupted()) {
                    break;
                }
                if (to > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    // a signal (EINTR) or a timeout rounded down: wait the rest
                    to = (int) Math.max(1, (left + 999_999) / 1_000_000);
                    continue;
                }
                // to == -1 and nothing: only a signal ends an untimed wait early
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
        processDeregisterQueue();
        return numKeysUpdated;
    }

    /** Backend callback: a descriptor is ready. */
    @Override
    public void ready(long cookie, int events) {
        SpoolSelectionKey ski = fdToKey.get((int) cookie);
        if (ski != null) {
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

    private void processUpdateQueue() throws IOException {
        synchronized (updateLock) {
            SpoolSelectionKey ski;
            while ((ski = updateKeys.pollFirst()) != null) {
                if (ski.isValid()) {
                    int fd = ski.fd();
                    fdToKey.putIfAbsent(fd, ski);
                    int newEvents = ski.translateInterestOps();
                    int registered = ski.registeredEvents;
                    if (newEvents != registered) {
                        if (newEvents == 0) {
                            poller.unregister(fd);
                        } else if (registered == 0) {
                            poller.register(fd, newEvents, 0, fd);
                        } else {
                            poller.modify(fd, newEvents, 0, fd);
                        }
                        ski.registeredEvents = newEvents;
                    }
                }
            }
        }
    }

    private void processDeregisterQueue() throws IOException {
        Set<SelectionKey> cks = cancelledKeys();
        synchronized (cks) {
            if (cks.isEmpty()) {
                return;
            }
            Iterator<SelectionKey> i = cks.iterator();
            while (i.hasNext()) {
                SpoolSelectionKey ski = (SpoolSelectionKey) i.next();
                i.remove();
                implDereg(ski);
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

    private void implDereg(SpoolSelectionKey ski) throws IOException {
        int fd = ski.fd();
        if (fdToKey.remove(fd) != null) {
            if (ski.registeredEvents != 0) {
                poller.unregister(fd);
                ski.registeredEvents = 0;
            }
        }
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
                try {
                    poller.wakeup();
                } catch (IOException e) {
                    throw new InternalError(e);
                }
                interruptTriggered = true;
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
            poller.close();
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
