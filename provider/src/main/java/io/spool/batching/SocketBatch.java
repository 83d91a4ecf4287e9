package io.spool.batching;

import io.spool.backend.Poller;
import io.spool.sys.Config;
import io.spool.sys.ConnectionResetException;
import io.spool.sys.Counters;
import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.NativeErrors;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The batching state of one {@link SpoolSocketChannel} on the spool
 * backend: read-ahead bytes, and write-behind (staged) bytes.
 *
 * <h2>Read-ahead and the ordering protocol</h2>
 * The kernel receives into the selector's arena during the cycle ioctl, and
 * the selecting thread appends those bytes to this channel's buffer only
 * after the ioctl returns. A direct read(2) by another thread in between
 * could return later bytes before earlier ones. So:
 * <ol>
 * <li>A selector holds its {@code cycleLock} for the whole of a select:
 *   building the ctl and send batches, the ioctl, distributing the results
 *   (which appends here, under the channel's readLock) and running
 *   select(Consumer) actions. Lock order: cycleLock before readLock, never
 *   the reverse.</li>
 * <li>{@link #state} holds the ARMED bit (the fd is registered with
 *   SPOOL_F_RECV in {@link #recvOwner}'s pool) and a count of readers that
 *   run without the cycle lock. The selector arms only by a CAS from 0 (no
 *   lock-free reader inside), and arms and disarms only while holding its
 *   cycleLock; a reader enters lock-free only by a CAS on a state without
 *   ARMED. So a lock-free reader never overlaps a cycle that may receive
 *   for this fd: the ctl that disarms is applied by the cycle before it
 *   receives, and no cycle runs between queuing it and that cycle.</li>
 * <li>A reader that finds ARMED takes the owner's cycleLock ({@code tryLock};
 *   if a select holds it: wakeup, then {@code lock}; the lock is fair, so the
 *   next select waits for it). Holding it, no cycle is in flight and every
 *   byte received for this fd is in {@link #rbuf}, which it drains before
 *   any read(2).</li>
 * <li>A reader that is not the owner's selecting thread (a worker, as in
 *   Jetty or Tomcat) then disarms read-ahead for good, with a direct
 *   SPOOL_IOC_MODIFY, and later reads take the lock-free path. Reads on
 *   the selecting thread outside select (Netty, the JDK HttpServer) take the
 *   uncontended lock and stay on the read-ahead path.</li>
 * </ol>
 *
 * <h2>Write-behind</h2>
 * A non-blocking write on the home selector's selecting thread, which holds
 * (or can tryLock) the cycleLock, is copied into {@link #stage} and sent by
 * the next cycle. Every access to the staged bytes holds the cycleLock of
 * {@link #stagedOn} (so never during a cycle that sends them) and the
 * channel's writeLock. Another thread's write first flushes them, so the
 * byte order is the order of the writes. A send error is kept and thrown by
 * the next write.
 *
 * <p>The count a write returns is a promise that the socket takes those
 * bytes, so a write is staged only when it fits the send room the kernel
 * reported with the socket's last event ({@code spool_event.sndspace}: what
 * one send surely takes), less what was written since ({@link #credit}).
 * Any other write goes straight out, after the staged bytes, and returns
 * what the socket took, as the JDK's does: OP_WRITE backpressure is the
 * JDK's. Close, shutdownOutput and configureBlocking(true) write the staged
 * bytes without waiting; what the socket still refuses (only if the kernel
 * shrank the buffer under memory pressure) goes to the {@link Drainer},
 * never dropped and never waited for on the caller's thread.
 */
public final class SocketBatch {
    /** Per-channel staging capacity (spool.stageMax). */
    static final int STAGE_MAX = Config.get().stageMax;
    /** Read-ahead pauses (the fd is disarmed) while this many bytes wait unread. */
    static final int PAUSE_BYTES = Config.get().readAheadPause;
    /** At JVM exit, how long staged and draining bytes may wait for their sockets. */
    static final int FLUSH_TIMEOUT_MS = Config.get().flushTimeoutMs;
    /** "no buffered read result: read(2)" */
    public static final int NONE = Integer.MIN_VALUE;

    final BatchedSocket ch;
    /**
     * Names this socket among all that ever had its fd number (never 0):
     * a backend that keeps facts about a socket across registrations
     * (its MSS, its send buffer) keeps them while the serial stays the same.
     */
    public final int serial;
    private static final AtomicInteger SERIALS = new AtomicInteger();

    public SocketBatch(BatchedSocket ch) {
        this.ch = ch;
        int s;
        do {
            s = SERIALS.incrementAndGet();
        } while (s == 0);
        this.serial = s;
    }

    /** The socket this state belongs to. */
    public BatchedSocket socket() {
        return ch;
    }

    // ---- registration (selector threads, under their cycleLock)

    /** The one selector this channel is registered with, or null. */
    volatile Batcher home;
    /** Read-ahead never again: a worker thread read, or several selectors. */
    volatile boolean noReadAhead;
    private int selectors;

    public synchronized void registered(Batcher sel) {
        if (++selectors == 1) {
            home = sel;
        } else {
            home = null;
            noReadAhead = true;
        }
    }

    public synchronized void deregistered(Batcher sel) {
        selectors--;
        if (home == sel) {
            home = null;
        }
    }

    // ---- read-ahead

    static final int ARMED = 1;
    private static final int READER = 2;
    /** ARMED | (lock-free readers * READER); see the class comment. */
    final AtomicInteger state = new AtomicInteger();
    volatile Batcher recvOwner;

    // guarded by ch.readLock (appended to under the owner's cycleLock as well)
    private byte[] rbuf;
    private int rpos;
    private int rlim;
    private boolean eof;
    private int rerr;
    /** Unread bytes plus 1 for a pending EOF or error; read without a lock by the selector. */
    private volatile int pending;
    /** An EOF or a receive error waits unread; read without a lock by the selector. */
    private volatile boolean ended;

    /** {@link #memState}: an EOF or error waits unread, so the socket reads as ready until it is taken. */
    public static final int MEM_ENDED = 1;
    /** {@link #memState}: read-ahead is paused, spool.readAheadPause bytes or more waiting. */
    public static final int MEM_PAUSED = 2;

    /**
     * What of this socket's memory its registration depends on (any thread,
     * no lock): a selector registers again only when this changed, so that
     * a select costs nothing per connection whose bytes wait unread.
     */
    public int memState() {
        return (ended ? MEM_ENDED : 0) | (pending >= PAUSE_BYTES ? MEM_PAUSED : 0);
    }

    boolean isArmedBy(Batcher sel) {
        return recvOwner == sel && (state.get() & ARMED) != 0;
    }

    /** Selector, under its cycleLock: arms when no lock-free reader is inside. */
    boolean arm(Batcher sel) {
        assert sel.isHeldByCurrentThread();
        if (isArmedBy(sel)) {
            return true;
        }
        if (recvOwner != null || noReadAhead) {
            return false;
        }
        recvOwner = sel;
        if (state.compareAndSet(0, ARMED)) {
            return true;
        }
        recvOwner = null;
        return false;
    }

    /** Selector, under its cycleLock: the registration without F_RECV is queued or applied. */
    public void disarm(Batcher sel) {
        assert sel.isHeldByCurrentThread();
        if (recvOwner == sel) {
            state.getAndUpdate(s -> s & ~ARMED);
            recvOwner = null;
        }
    }

    /** {@link #syncRecv}: register without read-ahead. */
    public static final int RECV_OFF = 0;
    /** {@link #syncRecv}: register with read-ahead ({@code Poller.F_RECV}). */
    public static final int RECV_ON = 1;
    /** {@link #syncRecv}: without, and ask again at the next select (a lock-free reader was inside). */
    public static final int RECV_RETRY = 2;

    /**
     * Registration sync (selector, under its cycle lock): whether the
     * socket's registration carries read-ahead now. It does while the home
     * selector reads it ({@code readInterest}), no worker reads it, it is
     * connected, fewer than spool.readAheadPause bytes wait unread and no EOF
     * or error does (nothing more can come); this arms or disarms to match.
     */
    public int syncRecv(Batcher sel, boolean readInterest) {
        assert sel.isHeldByCurrentThread();
        if (sel.readAhead && readInterest && home == sel && !noReadAhead && ch.isConnected()
                && unread() < PAUSE_BYTES && !ended) {
            if (arm(sel)) {
                return RECV_ON;
            }
            if (recvOwner == null) {
                return RECV_RETRY;
            }
        }
        disarm(sel);
        return RECV_OFF;
    }

    public boolean hasPending() {
        return pending > 0;
    }

    public int unread() {
        return pending;
    }

    /**
     * Before a read: returns the selector whose cycleLock is now held, or
     * null when the read runs lock-free (then {@link #exitRead(Batcher)}
     * gives the reader count back).
     */
    public Batcher enterRead() throws IOException {
        for (;;) {
            int s = state.get();
            if ((s & ARMED) == 0) {
                Batcher st = stagedOn;
                if (st != null && !st.onSelectingThread()) {
                    // staged bytes must go out before another thread's read
                    st.lockCycle();
                    if (stagedOn == st) {
                        flushQuietly();
                    }
                    st.unlock();
                }
                if (state.compareAndSet(s, s + READER)) {
                    Batcher h = home;
                    if (h != null && !h.onSelectingThread() && !noReadAhead) {
                        noReadAhead = true; // a worker reads this channel: never arm it
                    }
                    return null;
                }
                continue;
            }
            Batcher owner = recvOwner;
            if (owner == null) {
                Thread.onSpinWait();
                continue;
            }
            owner.lockCycle();
            if (recvOwner != owner || (state.get() & ARMED) == 0) {
                owner.unlock();
                continue;
            }
            if (!owner.onSelectingThread()) {
                // a worker: no read-ahead for this channel any more
                owner.disarmForWorker(this);
                if (stagedOn == owner) {
                    flushQuietly();
                }
            }
            return owner;
        }
    }

    public void exitRead(Batcher held) {
        if (held != null) {
            held.unlock();
        } else {
            state.addAndGet(-READER);
        }
    }

    /**
     * Distribution (selector thread, cycleLock held): bytes received for
     * this channel; {@code filled}: the receive took all the room the cycle
     * gave it, so the socket may hold more.
     */
    public void received(ByteBuffer data, int errno, boolean filled) {
        ch.readLock().lock();
        try {
            readOn = data != null && filled;
            if (data == null) {
                if (errno == 0) {
                    eof = true;
                } else if (rerr == 0) {
                    rerr = errno;
                }
            } else if (!eof && rerr == 0) {
                int n = data.remaining();
                if (rbuf == null) {
                    rbuf = new byte[n]; // most requests arrive whole: no zeroing of spare room
                } else if (rbuf.length - rlim < n) {
                    int live = rlim - rpos;
                    byte[] nb = rbuf;
                    if (live + n > rbuf.length) {
                        nb = new byte[Math.max(live + n, rbuf.length * 2)];
                    }
                    System.arraycopy(rbuf, rpos, nb, 0, live);
                    rbuf = nb;
                    rpos = 0;
                    rlim = live;
                }
                data.get(rbuf, rlim, n);
                rlim += n;
            }
            updatePending();
        } finally {
            ch.readLock().unlock();
        }
    }

    /** Unread read-ahead bytes (for available()). */
    public int bufferedBytes() {
        return bufferedCount;
    }

    private volatile int bufferedCount;

    private void updatePending() {
        bufferedCount = rlim - rpos;
        ended = eof || rerr != 0;
        int p = rlim - rpos + (ended ? 1 : 0);
        if (rlim == rpos && rbuf != null) {
            rbuf = null; // no memory held per idle connection
            rpos = 0;
            rlim = 0;
        }
        pending = p;
    }

    /**
     * A read under readLock: buffered bytes first, then EOF or the error,
     * else read(2). Returns a count, IO.EOF or IO.UNAVAILABLE; a reset
     * throws {@link ConnectionResetException}.
     */
    public int read(ByteBuffer dst) throws IOException {
        throwReadLater();
        if (pending > 0) {
            int r = takeBuffered(dst);
            if (r != NONE) {
                if (r > 0 && readOn && rlim == rpos && dst.hasRemaining()) {
                    readOn = false;
                    try {
                        r += Math.max(0, IO.read(ch.fd(), dst));
                    } catch (IOException e) {
                        readLater = e; // after the bytes, as the kernel reports it
                    }
                }
                return r;
            }
        }
        return IO.read(ch.fd(), dst);
    }

    /**
     * The last read-ahead filled its room, so the socket may hold the rest
     * of what the peer sent: a read that empties the buffer reads on from the
     * socket, as a read(2) would have taken it all. A request split in two
     * would otherwise be answered in two writes, and the second, small one
     * waits under Nagle for the peer's delayed ACK (about 40 ms). Guarded
     * by the read lock.
     */
    private boolean readOn;
    /** The error that reading on met after some bytes: thrown by the next read (read lock). */
    private IOException readLater;

    private void throwReadLater() throws IOException {
        IOException late = readLater;
        if (late != null) {
            readLater = null;
            throw late;
        }
    }

    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        throwReadLater();
        if (pending > 0) {
            long total = 0;
            for (int i = offset; i < offset + length && rlim > rpos; i++) {
                int r = takeBytes(dsts[i]);
                total += r;
            }
            if (total > 0) {
                Counters.READS_FROM_MEMORY.increment();
                updatePending();
                if (readOn && rlim == rpos) {
                    readOn = false;
                    try {
                        total += Math.max(0, IO.read(ch.fd(), dsts, offset, length));
                    } catch (IOException e) {
                        readLater = e;
                    }
                }
                return total;
            }
            boolean any = false;
            for (int i = offset; i < offset + length; i++) {
                any |= dsts[i].hasRemaining();
            }
            if (!any) {
                return 0;
            }
            int r = takeStatus();
            if (r != NONE) {
                return r;
            }
        }
        return IO.read(ch.fd(), dsts, offset, length);
    }

    private int takeBuffered(ByteBuffer dst) throws IOException {
        if (rlim > rpos) {
            int n = takeBytes(dst);
            Counters.READS_FROM_MEMORY.increment();
            updatePending();
            return n;
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        return takeStatus();
    }

    private int takeBytes(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), rlim - rpos);
        if (n > 0) {
            dst.put(rbuf, rpos, n);
            rpos += n;
        }
        return n;
    }

    /** EOF or the receive error, in order after the bytes; consumed once. */
    private int takeStatus() throws IOException {
        if (rerr != 0) {
            int e = rerr;
            rerr = 0;
            eof = false;
            updatePending();
            Counters.READS_FROM_MEMORY.increment();
            if (e == Errno.ECONNRESET && resetReportedByWrite) {
                resetReportedByWrite = false;
                return IO.EOF; // a write reported this reset already
            }
            if (e == Errno.ECONNRESET && resetUnreported) {
                resetUnreported = false;
                if (sendErrno == Errno.ECONNRESET) {
                    sendErrno = Errno.EPIPE; // reported here: the next write sees a broken pipe
                }
            }
            if (NativeErrors.isConnectionReset(e)) {
                throw new ConnectionResetException();
            }
            throw NativeErrors.io(e);
        }
        if (eof) {
            eof = false;
            updatePending();
            Counters.READS_FROM_MEMORY.increment();
            return IO.EOF;
        }
        return NONE;
    }

    // ---- write-behind

    /** The selector whose next cycle sends {@link #stage}; null when nothing is staged. */
    volatile Batcher stagedOn;
    // guarded by stagedOn's cycleLock and ch.writeLock
    private ByteBuffer stage;
    /** stage's address, read once per buffer (a JNI call on JDK 17). */
    private long stageAddr;
    private int sendPos;
    private int stageLen;
    /** The registration carries POLLOUT for the staged bytes (selector thread). */
    boolean internalOut;
    /** A failed send, thrown by the next write. */
    private volatile int sendErrno;
    /**
     * A send failed, or a read found the connection reset: nothing is staged
     * any more, writes go straight out and fail as the JDK's do (instead of
     * being taken and dropped with no error).
     */
    volatile boolean broken;

    /** The channel saw a reset: no more write-behind, writes fail as the JDK's. */
    public void markBroken() {
        broken = true;
    }

    public boolean needsOut() {
        return stagedOn != null && stageLen > sendPos && sendBlocked;
    }

    private boolean sendBlocked;
    /** In the selector's list of staged channels (its cycleLock). */
    boolean listed;
    Batcher queuedBy;
    long queuedIn;

    /**
     * Before a write, without locks: the selector whose cycleLock is now held
     * (staged bytes exist, or this thread may stage), or null.
     */
    public Batcher enterWrite() {
        for (;;) {
            Batcher st = stagedOn;
            if (st != null) {
                st.lockCycle();
                if (stagedOn != st) {
                    st.unlock();
                    continue;
                }
                return st;
            }
            Batcher h = home;
            // tryLock is reentrant: inside a select(Consumer) action it counts one more hold
            if (h != null && h.writeBehind && h.onSelectingThread() && h.tryLockCycle()) {
                return h;
            }
            return null;
        }
    }

    public void exitWrite(Batcher held) {
        if (held != null) {
            held.unlock();
        }
    }

    // ---- send room: what the socket surely takes (see the class comment)

    /** Percent of the kernel's reported room that may be staged (spool.sendCredit). */
    static final int CREDIT_PERCENT = Config.get().sendCredit;
    /**
     * Bytes the next cycle's send surely gets taken, beyond what is staged:
     * the room the kernel last reported for this socket, less what was
     * written since. Written only by the home selector's selecting thread
     * (the distribution of a cycle, and its writes); 0 until a cycle reports.
     */
    private volatile int credit;
    /** Another thread wrote directly: the room a cycle reports may not count its bytes. */
    private volatile boolean otherWriter;

    /** Distribution (selecting thread, cycleLock): the kernel's room for this socket, after the cycle's sends. */
    public void roomReported(int room) {
        assert home == null || home.isHeldByCurrentThread();
        if (otherWriter) {
            return;
        }
        long c = (long) room * CREDIT_PERCENT / 100;
        if (stage != null) {
            c -= stageLen - sendPos; // still owed: it goes out before anything staged now
        }
        credit = (int) Math.max(0, Math.min(Integer.MAX_VALUE, c));
    }

    /** A write went straight to the socket (any thread, writeLock held). */
    public void wroteDirectly(long n) {
        Batcher h = home;
        if (h == null || !h.onSelectingThread()) {
            otherWriter = true;
            credit = 0;
        } else if (n > 0) {
            credit = (int) Math.max(0, credit - n);
        }
    }

    /** SO_SNDBUF changed: the room reported before may be gone. */
    public void sendBufferChanged() {
        credit = 0;
    }

    /**
     * A non-blocking write under writeLock, holding {@code held}'s cycleLock
     * (from {@link #enterWrite}). Returns the bytes taken, or NONE: the
     * caller writes directly (and then calls {@link #wroteDirectly}).
     *
     * <p>A write is staged only whole, and only when it fits in the room the
     * kernel reported ({@link #credit}), so the count returned is never more
     * than the socket takes: OP_WRITE backpressure works as on the JDK. Any
     * other write goes straight out after what is staged, and returns what
     * the socket took, as the JDK's does.
     */
    public int write(ByteBuffer src, Batcher held) throws IOException {
        assert ch.writeLock().isHeldByCurrentThread() && (held == null || held.isHeldByCurrentThread());
        throwSendError();
        if (held == null) {
            return NONE;
        }
        int want = src.remaining();
        boolean mayStage = mayStage(held);
        if (stagedOn == held) {
            if (mayStage && want <= credit && stageLen - sendPos + want <= STAGE_MAX) {
                return stageFrom(src, held);
            }
            flush();
            if (stagedOn == held) {
                return 0; // what is staged is not all out yet: the socket takes nothing more
            }
        }
        if (mayStage && want <= credit && want <= STAGE_MAX) {
            return stageFrom(src, held);
        }
        if (mayStage) {
            Counters.UNSTAGED_WRITES.increment();
        }
        return NONE;
    }

    private boolean mayStage(Batcher held) {
        return held != null && held == home && held.writeBehind && held.onSelectingThread()
                && ch.isOutputOpen() && !broken && residue == null && !otherWriter;
    }

    private void throwSendError() throws IOException {
        int e = sendErrno;
        if (e != 0) {
            sendErrno = 0;
            throw sendError(e);
        }
    }

    public long write(ByteBuffer[] srcs, int offset, int length, Batcher held) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += srcs[i].remaining();
        }
        if (total > STAGE_MAX || total > credit || !mayStage(held)) {
            throwSendError();
            if (held != null && stagedOn == held) {
                flush();
                if (stagedOn == held) {
                    return 0;
                }
            }
            return NONE;
        }
        ByteBuffer tmp = ByteBuffer.allocate((int) total);
        for (int i = offset; i < offset + length; i++) {
            tmp.put(srcs[i].duplicate());
        }
        tmp.flip();
        int r = write(tmp, held);
        if (r == NONE) {
            return NONE;
        }
        int left = r;
        for (int i = offset; i < offset + length && left > 0; i++) {
            int take = Math.min(left, srcs[i].remaining());
            srcs[i].position(srcs[i].position() + take);
            left -= take;
        }
        return r;
    }

    private int stageFrom(ByteBuffer src, Batcher sel) {
        assert sel.isHeldByCurrentThread() && ch.writeLock().isHeldByCurrentThread();
        int want = src.remaining();
        if (stage == null) {
            stage = StagePool.take(want, sel);
            stageAddr = Memory.address(stage);
            sendPos = 0;
            stageLen = 0;
        } else if (stageLen + want > stage.capacity()) {
            // move what the cycles have not sent yet to the front, or into a bigger buffer
            ByteBuffer d = stage.duplicate();
            d.limit(stageLen).position(sendPos);
            int live = stageLen - sendPos;
            if (live + want > stage.capacity() && stage.capacity() < StagePool.maxSize()) {
                ByteBuffer bigger = StagePool.take(live + want, sel);
                bigger.put(d);
                StagePool.give(stage, sel);
                stage = bigger;
                stageAddr = Memory.address(stage);
            } else {
                stage.clear();
                stage.put(d);
            }
            stageLen = live;
            sendPos = 0;
        }
        int n = Math.min(src.remaining(), stage.capacity() - stageLen);
        ByteBuffer d = stage.duplicate();
        d.clear().position(stageLen);
        ByteBuffer s = src.duplicate();
        s.limit(s.position() + n);
        d.put(s);
        src.position(src.position() + n);
        stageLen += n;
        credit -= n;
        if (stagedOn == null) {
            stagedOn = sel;
            sel.staged(this);
        }
        Counters.STAGED_WRITES.increment();
        return n;
    }

    /** Cycle building (selector thread, cycleLock): queue the send. */
    /** Staged bytes no send has taken yet. */
    boolean hasUnsent() {
        return stage != null && stageLen > sendPos;
    }

    boolean addSend(Poller poller) {
        assert stagedOn == null || stagedOn.isHeldByCurrentThread();
        if (!hasUnsent()) {
            return false;
        }
        return poller.addSend(ch.fd(), stageAddr + sendPos, stageLen - sendPos);
    }

    /**
     * What one send may cost the socket's buffer beyond its bytes (an skb of
     * its own, in the kernel's accounting): charged per cycle send, so that
     * many small sends on one report of the room still fit it.
     */
    private static final int SEND_OVERHEAD = 2048;

    /** The cycle's result for the send queued by {@link #addSend}. */
    void sent(int result) {
        assert stagedOn == null || stagedOn.isHeldByCurrentThread();
        credit = Math.max(0, credit - SEND_OVERHEAD);
        if (result > 0) {
            sendPos += result;
            sendBlocked = sendPos < stageLen;
        } else if (result == -Errno.EAGAIN || result == 0) {
            sendBlocked = true;
        } else {
            sendErrno = -result;
            broken = true;
            sendPos = stageLen;
            if (-result == Errno.ECONNRESET) {
                resetSeenBySend();
            }
        }
        if (sendPos >= stageLen) {
            releaseStage();
        }
    }

    /**
     * The cycle's send took the socket's one-time ECONNRESET, so recv(2) now
     * reports only end of stream. The JDK, whose write went out before the
     * reset came, reports "Connection reset" on the next read: so does this,
     * after the bytes already received (cycleLock held: lock order kept).
     */
    private void resetSeenBySend() {
        ch.readLock().lock();
        try {
            if (rerr == 0) {
                rerr = Errno.ECONNRESET;
                eof = false;
                updatePending();
                resetUnreported = true;
            }
        } finally {
            ch.readLock().unlock();
        }
    }

    /**
     * The reset a cycle's send took is reported once, as the kernel reports
     * it once: by the next write (which throws it; a read then sees end of
     * stream) or by the next read (a write then fails with EPIPE).
     */
    private volatile boolean resetUnreported;
    private volatile boolean resetReportedByWrite;

    private IOException sendError(int e) {
        if (e == Errno.ECONNRESET && resetUnreported) {
            resetUnreported = false;
            resetReportedByWrite = true;
        }
        return NativeErrors.io(e);
    }

    private void releaseStage() {
        ByteBuffer b = stage;
        Batcher st = stagedOn;
        stage = null;
        sendPos = 0;
        stageLen = 0;
        sendBlocked = false;
        stagedOn = null;
        if (b != null) {
            StagePool.give(b, st); // to st's cache when this thread holds its cycle lock
        }
    }

    /**
     * Writes staged bytes now, not blocking (holding stagedOn's cycleLock and
     * writeLock). What the socket does not take stays staged.
     */
    void flush() throws IOException {
        assert stagedOn == null || stagedOn.isHeldByCurrentThread();
        if (stage == null) {
            return;
        }
        while (sendPos < stageLen) {
            Counters.STAGED_FLUSHES.increment();
            long n = IO.write(ch.fd(), stageAddr + sendPos, stageLen - sendPos);
            if (n == IO.UNAVAILABLE) {
                sendBlocked = true;
                return;
            }
            sendPos += (int) n;
        }
        releaseStage();
    }

    private void flushQuietly() {
        ch.writeLock().lock();
        try {
            flush();
        } catch (IOException e) {
            sendErrno = Errno.EPIPE;
            broken = true;
            releaseStage();
        } finally {
            ch.writeLock().unlock();
        }
    }

    // ---- what a close, shutdownOutput or configureBlocking(true) leaves

    /** Staged bytes the socket could not take when the channel left write-behind (writeLock). */
    private volatile Drainer.Residue residue;

    /**
     * Before close, shutdownOutput and configureBlocking(true), from any
     * thread holding no lock: takes the staged bytes away from the cycles
     * and writes what the socket takes now, never waiting. The rest (rare:
     * only what the kernel stopped taking after it reported the room) goes
     * to the {@link Drainer}, which owns it from then on.
     *
     * @return the drain under way for this channel, or null
     */
    public Drainer.Residue detachStaged() {
        Batcher st = stagedOn;
        if (st == null) {
            return residue;
        }
        st.lockCycle();
        ch.writeLock().lock(); // lock order: cycleLock, then writeLock; held until the bytes are placed
        try {
            ByteBuffer b;
            int pos;
            int len;
            try {
                if (stagedOn != st) {
                    return residue;
                }
                b = stage;
                pos = sendPos;
                len = stageLen;
                stage = null;
                releaseStage(); // stagedOn = null; b is not pooled (stage was nulled)
            } finally {
                st.unlock();
            }
            try {
                while (pos < len) {
                    Counters.STAGED_FLUSHES.increment();
                    long n = IO.write(ch.fd(), Memory.address(b) + pos, len - pos);
                    if (n == IO.UNAVAILABLE) {
                        residue = Drainer.adopt(ch.fd(), b, pos, len);
                        return residue;
                    }
                    pos += (int) n;
                }
                StagePool.give(b);
            } catch (IOException e) {
                sendErrno = Errno.EPIPE;
                broken = true;
            }
            return residue;
        } finally {
            ch.writeLock().unlock();
        }
    }

    /**
     * Before any write (writeLock held): whether a drain of earlier bytes
     * still runs. A blocking write waits for it, as a blocking write waits
     * for room; a non-blocking one then takes nothing. A drain that failed
     * makes this write fail, as the send would have.
     */
    public boolean drainPending(boolean blocking) throws IOException {
        Drainer.Residue r = residue;
        if (r == null) {
            return false;
        }
        while (!r.isDone()) {
            if (!blocking || !ch.isOpen() || !ch.isOutputOpen()) {
                return true;
            }
            try {
                r.await(50); // close and interrupt close the channel: seen on the next turn
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        residue = null;
        int e = r.errno();
        if (e != 0) {
            broken = true;
            throw NativeErrors.io(e == Errno.ECONNRESET ? Errno.EPIPE : e);
        }
        return false;
    }

    /** At exit: the caller holds stagedOn's cycleLock, or no cycle can run. */
    void flushAtExit() {
        ByteBuffer b = stage;
        int pos = sendPos;
        int len = stageLen;
        stage = null;
        releaseStage();
        writeOut(b, pos, len);
    }

    /**
     * At exit only: the JDK's bytes outlive the process in the kernel; these
     * get up to spool.flushTimeoutMs. A peer that takes none in that time is
     * reset, so it never reads a short stream as a whole one.
     */
    private void writeOut(ByteBuffer b, int pos, int len) {
        if (b == null) {
            return;
        }
        long deadline = System.nanoTime() + FLUSH_TIMEOUT_MS * 1_000_000L;
        try {
            while (pos < len) {
                Counters.STAGED_FLUSHES.increment();
                long n = IO.write(ch.fd(), Memory.address(b) + pos, len - pos);
                if (n == IO.UNAVAILABLE) {
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) {
                        Counters.DRAIN_ABORTS.increment();
                        Sockets.abort(ch.fd());
                        return;
                    }
                    IO.poll(ch.fd(), Linux.POLLOUT, -1, (int) Math.min(left, 1000));
                    continue;
                }
                pos += (int) n;
            }
        } catch (IOException e) {
            sendErrno = Errno.EPIPE;
            broken = true;
        }
    }
}
