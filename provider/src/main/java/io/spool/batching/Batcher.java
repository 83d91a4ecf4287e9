package io.spool.batching;

import io.spool.backend.Poller;
import io.spool.sys.Config;
import io.spool.sys.Counters;
import io.spool.sys.Privileged;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One selector's batching: its cycle lock, the channels whose staged bytes
 * its next cycle sends, and the switches the backend and the configuration
 * leave on. The selector owns one and keeps its keys; this owns the bytes.
 *
 * <h2>A select, as the batching sees it</h2>
 * <ol>
 * <li>{@link #beginSelect} (under {@link #lockForSelect}, held to the end).</li>
 * <li>The selector syncs its keys' registrations, asking each socket's
 *   {@link SocketBatch#syncRecv} whether it carries read-ahead, and
 *   {@link #forEachWaitingForRoom} which sockets need POLLOUT for their
 *   staged bytes.</li>
 * <li>{@link #queueSends} queues one send per channel with staged bytes.</li>
 * <li>The backend's one call: it applies the registrations, sends, waits,
 *   receives and accepts. Its results come back through the selector's
 *   {@link Poller.Sink}: {@link #sent} here, {@link SocketBatch#received},
 *   {@link SocketBatch#roomReported} and {@link AcceptQueue#add} on the
 *   channels' own state.</li>
 * <li>{@link #cycleEnded}.</li>
 * </ol>
 * On a backend without batching ({@link Poller#features()} 0) the switches
 * are off, nothing is ever staged or armed, and only the cycle lock and
 * the selecting thread are used.
 *
 * <h2>Threads</h2>
 * The cycle lock is held by a select for its whole length, and by a
 * channel's I/O on another thread when it must not overlap a cycle
 * ({@link SocketBatch} gives the protocol). Lock order: the cycle lock,
 * then a channel's readLock or writeLock; never the reverse.
 */
public final class Batcher {
    /** What the batching asks of the selector that owns it. */
    public interface Host {
        /** Makes a select that sleeps in the kernel return (Selector.wakeup). */
        void wakeup();

        /**
         * A worker thread reads {@code b}'s socket: register it without
         * read-ahead now, not at the next select (cycle lock held).
         */
        void stopReceiving(SocketBatch b);
    }

    /**
     * Held for the whole of a select. Fair, so that a channel's reader that
     * waits for it goes before the next select.
     */
    private final ReentrantLock cycleLock = new ReentrantLock(true);
    /** The thread of the last select. */
    private volatile Thread selectingThread;
    private final Poller poller;
    private final Host host;
    /** Read-ahead is on (the backend receives, and spool.readAhead). */
    public final boolean readAhead;
    /** Write-behind is on (the backend sends and reports room, and spool.writeBehind). */
    public final boolean writeBehind;
    /** Accept-ahead is on (the backend accepts, and spool.acceptAhead). */
    public final boolean acceptAhead;

    // under cycleLock
    private long cycle;
    private final ArrayList<SocketBatch> staged = new ArrayList<>();
    /** Staging buffers for reuse (cycleLock). */
    private final StagePool.Cache stageCache = new StagePool.Cache();
    /** The sends queued for the cycle in flight, by their index in the backend's batch. */
    private final ArrayList<SocketBatch> sending = new ArrayList<>();
    /** A cycle is in the backend now. */
    private volatile boolean inCycle;

    /** Batchers that may hold staged bytes, flushed by a shutdown hook at exit. */
    private static final Set<Batcher> WRITE_BEHIND = Collections.synchronizedSet(
            Collections.newSetFromMap(new WeakHashMap<>()));
    private static final Object HOOK_LOCK = new Object();
    private static boolean hookInstalled;

    public Batcher(Poller poller, Host host) {
        this.poller = poller;
        this.host = host;
        int f = poller.features();
        this.readAhead = (f & Poller.FEAT_RECV) != 0 && Config.get().readAhead;
        this.writeBehind = (f & Poller.FEAT_SEND) != 0 && Config.get().writeBehind;
        this.acceptAhead = (f & Poller.FEAT_ACCEPT) != 0 && Config.get().acceptAhead;
        if (writeBehind) {
            synchronized (HOOK_LOCK) {
                if (!hookInstalled) {
                    Privileged.run(() -> {
                        Runtime.getRuntime().addShutdownHook(new Thread(Batcher::flushAllAtExit, "spool-exit-flush"));
                        return null;
                    });
                    hookInstalled = true;
                }
            }
            WRITE_BEHIND.add(this);
        }
    }

    // ---- the cycle lock

    /** A select takes the lock, waiting as long as a channel's I/O holds it. */
    public void lockForSelect() {
        cycleLock.lock();
    }

    public void unlock() {
        cycleLock.unlock();
    }

    public boolean isHeldByCurrentThread() {
        return cycleLock.isHeldByCurrentThread();
    }

    /**
     * Takes the cycle lock for a channel's I/O outside a select; if a select
     * holds it, wakes the select so it returns promptly. Reentrant.
     */
    void lockCycle() {
        if (cycleLock.tryLock()) {
            return;
        }
        host.wakeup();
        cycleLock.lock();
    }

    /** Takes the lock only if no one holds it, or this thread does (reentrant). */
    boolean tryLockCycle() {
        return cycleLock.tryLock();
    }

    /** Whether the current thread is the one that selects: the one that may stage. */
    boolean onSelectingThread() {
        return Thread.currentThread() == selectingThread;
    }

    // ---- the cycle

    /** The start of a select (lock held): the calling thread is the selecting thread from now on. */
    public void beginSelect() {
        assert cycleLock.isHeldByCurrentThread();
        selectingThread = Thread.currentThread();
        cycle++;
    }

    /**
     * Hands {@code action} each channel whose staged bytes wait for room
     * (its registration must carry POLLOUT); forgets channels that have
     * nothing staged here any more.
     */
    public void forEachWaitingForRoom(Consumer<SocketBatch> action) {
        assert cycleLock.isHeldByCurrentThread();
        // compacted in one pass: removing one by one shifted the rest each time, and at
        // 10,000 connections thousands leave the list in a cycle
        int n = staged.size();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            SocketBatch b = staged.get(i);
            if (b.stagedOn != this) {
                b.listed = false;
                continue;
            }
            staged.set(kept++, b);
            if (b.needsOut()) {
                action.accept(b);
            }
        }
        staged.subList(kept, n).clear();
    }

    /**
     * Queues this cycle's sends: at most one per channel, even if it is
     * listed twice. Returns false when the poller's batch filled up first:
     * staged bytes are left that no send carries and no POLLOUT waits for,
     * so the cycle must not wait, and the next one queues them.
     */
    public boolean queueSends() {
        assert cycleLock.isHeldByCurrentThread();
        for (SocketBatch b : staged) {
            if (b.stagedOn == this && !(b.queuedBy == this && b.queuedIn == cycle)) {
                if (b.addSend(poller)) {
                    b.queuedBy = this;
                    b.queuedIn = cycle;
                    sending.add(b);
                } else if (b.hasUnsent() && (poller.features() & Poller.FEAT_SEND) != 0) {
                    return false; // the batch is full
                }
            }
        }
        return true;
    }

    /** The backend is about to run the cycle (true) or has returned (false). */
    public void inCycle(boolean in) {
        inCycle = in;
        if (!in) {
            sending.clear();
        }
    }

    /** Poller callback: the result of the {@code index}th send queued by {@link #queueSends}. */
    public void sent(int index, int result) {
        assert cycleLock.isHeldByCurrentThread();
        sending.get(index).sent(result);
    }

    /** A channel staged bytes for the next cycle (cycle lock held). */
    void staged(SocketBatch b) {
        assert cycleLock.isHeldByCurrentThread();
        if (!b.listed) {
            b.listed = true;
            staged.add(b);
        }
    }

    /** A worker thread reads this channel: no read-ahead for it, for good (cycle lock held). */
    void disarmForWorker(SocketBatch b) {
        assert cycleLock.isHeldByCurrentThread();
        b.noReadAhead = true;
        if (b.recvOwner != this) {
            return;
        }
        host.stopReceiving(b);
        b.disarm(this);
        Counters.WORKER_DISARMS.increment();
    }

    /**
     * The selector closes (lock held, the backend closed): staged bytes go
     * out directly, or to the {@link Drainer}.
     */
    public void close() {
        assert cycleLock.isHeldByCurrentThread();
        for (SocketBatch b : staged.toArray(new SocketBatch[0])) {
            if (b.stagedOn == this) {
                b.detachStaged();
            }
        }
        for (SocketBatch b : staged) {
            b.listed = false;
        }
        staged.clear();
        stageCache.close();
        WRITE_BEHIND.remove(this);
    }

    /** This selector's staging buffers (cycleLock held). */
    StagePool.Cache stageCache() {
        assert cycleLock.isHeldByCurrentThread();
        return stageCache;
    }

    // ---- exit

    private static void flushAllAtExit() {
        Batcher[] all;
        synchronized (WRITE_BEHIND) {
            all = WRITE_BEHIND.toArray(new Batcher[0]);
        }
        for (Batcher s : all) {
            s.flushAtExit();
        }
    }

    private void flushAtExit() {
        boolean locked = false;
        try {
            if (!cycleLock.tryLock()) {
                host.wakeup();
                locked = cycleLock.tryLock(2, TimeUnit.SECONDS);
            } else {
                locked = true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!locked && inCycle) {
            return; // a cycle still runs: it sends them
        }
        try {
            for (SocketBatch b : staged.toArray(new SocketBatch[0])) {
                if (b.stagedOn == this) {
                    b.flushAtExit();
                }
            }
        } finally {
            if (locked) {
                cycleLock.unlock();
            }
        }
    }
}
