package io.spool.backend;

import io.spool.sys.Config;
import io.spool.sys.Counters;
import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Native;
import io.spool.sys.NativeErrors;
import io.spool.sys.Threads;
import io.spool.sys.Uring;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The io_uring backend: one ring per selector, no module needed (Linux
 * 6.0 or later; measured natively on 6.18 and under QEMU on Debian's 6.1). A poll is one {@code io_uring_enter} that submits the
 * queued registration changes, re-arms readiness and waits, plus a second,
 * non-waiting one when sockets registered with {@link Poller#F_RECV} came
 * ready (it receives ahead from them) or the poll reported 20 or more (it
 * runs deferred work the wait left: see {@code drainBudget}).
 *
 * <h2>Readiness is level-triggered, as epoll's</h2>
 * Each registration has at most one one-shot {@code POLL_ADD} in flight.
 * When it completes, the descriptor is reported, and the next poll arms it
 * again: a descriptor that is still ready completes at once, inside that
 * submission, and is reported again. (A multishot poll reports only new
 * wakeups, which would lose a level.) Every change of a registration and
 * every re-arm rides in the next poll's one enter.
 *
 * <h2>Receiving and accepting ahead</h2>
 * <ul>
 * <li><b>Read-ahead</b> is a {@code RECV} with {@code MSG_DONTWAIT} for each
 *   ready F_RECV socket, submitted in one enter after the wait. The flag
 *   makes io_uring complete it inside that submission (REQ_F_NOWAIT: an
 *   empty socket gives -EAGAIN, it never waits in the ring), so every byte
 *   received ahead is in the arena when the poll returns, under the
 *   selector's cycle lock, which is the ordering protocol of {@code
 *   SocketBatch}. A multishot receive would run on its own, whenever the
 *   ring's task work runs (on any system call of the selecting thread),
 *   so bytes could be received between a select and a direct read; and
 *   disarming it (a worker thread reading) would need the ring's one
 *   submitter thread. One select that receives is therefore two enters,
 *   the wait and the receives. A kernel where such a
 *   receive does not complete at once is caught: read-ahead is turned off
 *   for the poller and the receive is cancelled and waited for.</li>
 * <li><b>Accept-ahead</b> is one multishot {@code ACCEPT} per F_ACCEPT
 *   listener: every connection it takes comes back as a completion,
 *   handed to the listener's queue; removing F_ACCEPT cancels it, and
 *   what it accepted before the cancel is still delivered.</li>
 * <li><b>Write-behind</b> is a {@code SEND} with {@code MSG_DONTWAIT} per
 *   staged write, first in the poll's enter, unlinked (each socket has at
 *   most one, and sends to different sockets need no order). Like the
 *   receives they complete inside the submission, and the enter waits for
 *   one completion more than it sent, so the sends do not end the wait.
 *   The room a staged write may count on is probed for each socket that
 *   received ahead: a one-shot {@code POLL_ADD(POLLOUT)} completes inside
 *   its submission when the socket is writable (the poll is never hashed
 *   then); one that did not is removed by the next enter, as it holds its
 *   socket's file. A remove in the same submission would walk a bucket of
 *   the ring's cancel hash, which holds every armed poll (at most 256
 *   buckets: 40 polls each at 10,000 connections) for every probe. Writable,
 *   for TCP, means (tcp_poll) that the free send buffer is at least
 *   half of what is queued, so at least a third of {@code SO_SNDBUF}; the
 *   reported room is that, less the kernel's per-skb charge, as the
 *   module's {@code spool_sndspace} computes it. The MSS is read once per
 *   socket, {@code SO_SNDBUF} then and every 64th probe (it grows with
 *   the connection's window); while a socket waits for POLLOUT (a write
 *   found no room, so the room must be exact) its free buffer itself is
 *   read (SO_MEMINFO) at each report. A UNIX socket reports no room
 *   (write-behind stays TCP-only, as on the module).</li>
 * </ul>
 *
 * <h2>One submitter</h2>
 * The ring is set up with {@code SINGLE_ISSUER | DEFER_TASKRUN}, disabled,
 * and enabled by the first thread that needs it (the selecting thread):
 * that thread runs the ring's task work (completions of polls and
 * accepts) when it enters the kernel to wait, and is never interrupted
 * for it. (Why DEFER_TASKRUN: see setup.) Every call but {@link Poller#wakeup}
 * runs under the selector's cycle lock; one that runs on another kernel
 * task (another selecting thread, or a virtual thread on another carrier)
 * makes a new ring on the calling thread and arms every registration
 * again, so no ring is ever entered by a task that does not own it.
 *
 * <h2>Wakeup</h2>
 * A blocking eventfd with an {@code IORING_OP_READ} always in flight:
 * {@link #wakeup} writes it, the read completes, which both ends the wait
 * and resets the counter, and the next poll submits the next read. A
 * wakeup that comes while no read is in flight leaves the counter set,
 * and that read completes at once.
 */
public final class UringBackend implements Backend {
    static final int SQ_ENTRIES = 1024;
    static final int CQ_ENTRIES = 8192;
    /*
     * The setup flags: SINGLE_ISSUER, disabled until the selecting thread enables it, and
     * DEFER_TASKRUN unless {@code -Dspool.uringDeferTaskrun=false}. Since
     * 6.13 an enter runs at most max(20, min_complete) items of deferred
     * work (IO_LOCAL_TW_DEFAULT_MAX), so a select reports about 20 of the
     * sockets whose polls fired since the last one (plus those whose
     * re-arm found them ready), and the next select the rest; with
     * COOP_TASKRUN (the switch off) one wait runs all of them. Measured
     * natively, in three runs of the NIO echo server at 10,000
     * connections against COOP_TASKRUN in the same run, DEFER_TASKRUN
     * had p99 latency at 0.28-0.29x, CPU per request at 0.58-0.85x and
     * requests at 0.99-1.62x (most likely because the shorter turn sends
     * its staged replies sooner). Running
     * all of it in one enter (min_complete as large as the CQ, no time
     * to wait) gave that gain back in the one run tried, so it is not done.
     * The cost seen since: under the JDK's HttpServer at 10,000
     * connections, p99 latency in three runs, each beside the default
     * provider and then COOP_TASKRUN (bench.sh host, 1 pair each, A B A
     * B): DEFER_TASKRUN 6,528, 3,774 and 6,577 ms, COOP_TASKRUN 575, 697
     * and 539 ms, the default provider 345 to 551 ms. Some requests wait
     * seconds under DEFER_TASKRUN; why is not yet known (the deferred
     * work runs in order, and accept-ahead off did not change it).
     */
    private static final int BASE_SETUP = Uring.IORING_SETUP_SINGLE_ISSUER | Uring.IORING_SETUP_R_DISABLED;
    /** BASE_SETUP, with DEFER_TASKRUN unless switched off or the kernel (6.0) refused it (probe). */
    private static volatile int setup = BASE_SETUP
            | (Config.get().uringDeferTaskrun ? Uring.IORING_SETUP_DEFER_TASKRUN : 0);

    UringBackend() {
    }

    @Override
    public String name() {
        return "uring";
    }

    @Override
    public Poller openPoller() throws IOException {
        return new UringPoller(Config.get().writeBehind, SQ_ENTRIES, CQ_ENTRIES, setup);
    }

    /** A poller with write-behind on or off, whatever {@code spool.writeBehind} says (for tests). */
    Poller openPoller(boolean writeBehind) throws IOException {
        return new UringPoller(writeBehind, SQ_ENTRIES, CQ_ENTRIES, setup);
    }

    /** A poller whose rings have these sizes (for tests: a small CQ overflows). */
    Poller openPoller(boolean writeBehind, int sqEntries, int cqEntries) throws IOException {
        return new UringPoller(writeBehind, sqEntries, cqEntries, setup);
    }

    /**
     * A poller on COOP_TASKRUN, whatever {@code spool.uringDeferTaskrun}
     * says (for tests: one wait runs every poll that fired).
     */
    Poller openCoopPoller() throws IOException {
        return new UringPoller(Config.get().writeBehind, SQ_ENTRIES, CQ_ENTRIES, BASE_SETUP);
    }

    private static volatile String unavailable;
    /** io_uring_setup refused for a cause an operator can lift (Uring.Refused#fixable). */
    private static volatile boolean fixable;
    private static volatile boolean probed;

    /**
     * Why this machine cannot run the uring backend (io_uring refused, or a
     * kernel before 6.0, without SINGLE_ISSUER, or without an opcode it
     * needs), or null when it can. Probed once, with a small ring.
     */
    static String unavailable() {
        if (!probed) {
            synchronized (UringBackend.class) {
                if (!probed) {
                    unavailable = probe();
                    probed = true;
                }
            }
        }
        return unavailable;
    }

    private static String probe() {
        try (Uring u = probeRing()) {
            if ((u.setupFlags() & Uring.IORING_SETUP_SINGLE_ISSUER) == 0) {
                return "io_uring: this kernel has no IORING_SETUP_SINGLE_ISSUER (6.0 or later is needed)";
            }
            int feat = Uring.IORING_FEAT_EXT_ARG | Uring.IORING_FEAT_NODROP;
            if ((u.features() & feat) != feat) {
                return "io_uring: this kernel lacks IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP";
            }
            u.enable();
            boolean[] ops = u.probe();
            int[] needed = {Uring.IORING_OP_POLL_ADD, Uring.IORING_OP_POLL_REMOVE, Uring.IORING_OP_ASYNC_CANCEL,
                Uring.IORING_OP_ACCEPT, Uring.IORING_OP_RECV, Uring.IORING_OP_SEND, Uring.IORING_OP_READ};
            for (int op : needed) {
                if (!ops[op]) {
                    return "io_uring: this kernel lacks opcode " + op;
                }
            }
            return null;
        } catch (Uring.Refused e) {
            fixable = e.fixable();
            return e.getMessage();
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /**
     * A small ring set up as the pollers' will be; a kernel that refuses
     * DEFER_TASKRUN (6.0: Uring.open then falls back to a plain ring) is
     * asked again without it, and the pollers go without it too.
     */
    private static Uring probeRing() throws IOException {
        Uring u = Uring.open(8, 0, setup);
        if ((setup & Uring.IORING_SETUP_DEFER_TASKRUN) != 0
                && (u.setupFlags() & Uring.IORING_SETUP_DEFER_TASKRUN) == 0) {
            u.close();
            setup = BASE_SETUP;
            u = Uring.open(8, 0, setup);
        }
        return u;
    }

    /** Whether the kernel has io_uring but this process was refused it by something an operator can change. */
    static boolean refusedFixably() {
        return unavailable() != null && fixable;
    }

    /**
     * One ring. All methods but wakeup run under the selector's cycle lock
     * (SpoolSelector asserts it where it calls them), so the tables below
     * are guarded by that lock; wakeup touches only the eventfd.
     */
    static final class UringPoller implements Poller {
        // user_data: kind in bits 56..63, a generation in 32..55, the fd in 0..31
        private static final long K_POLL = 1L << 56;
        private static final long K_ACCEPT = 2L << 56;
        private static final long K_RECV = 3L << 56;
        private static final long K_WAKE = 4L << 56;
        private static final long K_CANCEL = 5L << 56;
        private static final long K_SEND = 6L << 56;
        private static final long K_ROOM = 7L << 56;
        /** What the kernel charges a send beyond its bytes, per skb (spool_sndspace's SPOOL_SKB_OVERHEAD, rounded up). */
        private static final int SKB_OVERHEAD = 2048;
        private static final long KIND = 0xffL << 56;
        private static final int RDHUP_IN = Linux.POLLIN | Linux.POLLERR | Linux.POLLHUP | Linux.EPOLLRDHUP;

        private Uring ring;
        /** The kernel task that owns the ring: a Java thread, and for a virtual thread its tid. */
        private Thread owner;
        private int ownerTid;
        private final int wakefd;
        private final ByteBuffer wakeBuf = Memory.allocate(8);
        private final long wakeBufAddr = Memory.address(wakeBuf);
        private boolean wakeArmed;
        private volatile boolean closed;
        private boolean woken;
        /** Read-ahead works: MSG_DONTWAIT receives complete inside their submission. */
        private boolean syncRecv = true;
        /**
         * Write-behind is on and works: MSG_DONTWAIT sends complete inside
         * their submission. Off, no send room is probed either.
         */
        private boolean syncSend;
        // queued sends (write-behind), submitted first by the next poll
        private int[] sendFd = new int[64];
        private long[] sendAddr = new long[64];
        private int[] sendLen = new int[64];
        private int nrSend;
        /**
         * Room probes that did not complete inside their submission, their
         * removes queued (or submitted but maybe not yet done): they hold
         * their sockets' files.
         */
        private boolean probesInFlight;
        /** The generation of the probes of the poll being reported: a late completion of an older one is not its answer. */
        private long probeGen;
        /** The receive arena: spool.arena bytes, doubled up to ARENA_GROWTH times that while receives lack room. */
        private ByteBuffer arena;
        private long arenaAddr;
        private final int arenaMax;
        private final int recvMax;
        /** The rings' sizes: SQ_ENTRIES and CQ_ENTRIES but in tests. */
        private final int sqEntries;
        private final int cqEntries;
        /** The rings' setup flags (a replaced ring gets the same). */
        private final int setup;

        // registrations, indexed by fd
        private int[] events = new int[64];
        private int[] flags = new int[64];
        private long[] cookies = new long[64];
        /** user_data of the POLL_ADD in flight, 0 for none. */
        private long[] armed = new long[64];
        /** Whether the fd is in toArm. */
        private boolean[] queued = new boolean[64];
        /** user_data of the multishot ACCEPT in flight, 0 for none. */
        private long[] accepting = new long[64];
        /** A TCP socket's SO_SNDBUF (read again every SNDBUF_REREAD probes); 0 not yet read, -1 not TCP. */
        private int[] sndbuf = new int[64];
        private int[] mss = new int[64];
        /** Whose sndbuf and mss these are: the socket's serial, the high half of its cookie (0: unnamed). */
        private int[] serials = new int[64];
        private int[] probesSinceRead = new int[64];
        /** The free send buffer read by this poll (SO_MEMINFO), or -1: only the bound of a writable socket is known. */
        private int[] freeNow = new int[64];
        private final int[] sndbufOut = new int[1];
        /** The kernel grows SO_SNDBUF as a connection's window grows: it is read again this often. */
        private static final int SNDBUF_REREAD = 64;
        private int gen;
        private int[] toArm = new int[64];
        private int nrToArm;
        private long[] cancels = new long[16];
        private int nrCancels;
        /** Multishot accepts in flight or being cancelled: user_data → the listener's cookie. */
        private final Map<Long, Long> accepts = new HashMap<>();

        // per ready fd of one poll: its arena slot, its receive's result, whether it polled writable
        private int[] slotOffset = new int[64];
        private int[] slotResult = new int[64];
        private int[] slotRoom = new int[64];
        // one poll's results, in completion order, one slot per ready fd
        private int[] readyFd = new int[64];
        private int[] readyEv = new int[64];
        private int nrReady;
        /** Completions reaped from a ring since replaced, handled by the next poll. */
        private long[] deferredUd = new long[0];
        private int[] deferredRes = new int[0];
        private int[] deferredFlags = new int[0];
        private int nrDeferred;

        UringPoller(boolean writeBehind, int sqEntries, int cqEntries, int setup) throws IOException {
            syncSend = writeBehind;
            this.setup = setup;
            this.sqEntries = sqEntries;
            this.cqEntries = cqEntries;
            int efd = C_eventfd();
            try {
                ring = Uring.open(sqEntries, cqEntries, setup);
            } catch (IOException e) {
                IO.closeQuietly(efd);
                throw e;
            }
            wakefd = efd;
            int len = Config.get().arena;
            arena = Memory.allocate(len);
            arenaAddr = Memory.address(arena);
            arenaMax = (int) Math.min(Integer.MAX_VALUE, (long) len * ARENA_GROWTH);
            recvMax = Config.get().recvMax;
        }

        /** A blocking close-on-exec eventfd: io_uring waits in a read of it. */
        private static int C_eventfd() throws IOException {
            Counters.call();
            int fd = Native.C.eventfd(0, Linux.EFD_CLOEXEC);
            if (fd < 0) {
                throw NativeErrors.io(Native.errno());
            }
            return fd;
        }

        @Override
        public int features() {
            return FEAT_ACCEPT | (syncRecv ? FEAT_RECV : 0) | (syncSend ? FEAT_SEND : 0);
        }

        @Override
        public boolean addSend(int fd, long address, int len) {
            if (!syncSend || len <= 0 || nrSend == sqEntries) {
                return false;
            }
            if (nrSend == sendFd.length) {
                sendFd = Arrays.copyOf(sendFd, nrSend * 2);
                sendAddr = Arrays.copyOf(sendAddr, nrSend * 2);
                sendLen = Arrays.copyOf(sendLen, nrSend * 2);
            }
            sendFd[nrSend] = fd;
            sendAddr[nrSend] = address;
            sendLen[nrSend] = len;
            nrSend++;
            return true;
        }

        // ---- ownership

        /** Whether the calling kernel task owns the ring (enabling it for the first caller). */
        private boolean owned() throws IOException {
            Thread t = Thread.currentThread();
            boolean virtual = Threads.isVirtual(t);
            if (owner == null) {
                if ((ring.setupFlags() & Uring.IORING_SETUP_R_DISABLED) != 0) {
                    ring.enable();
                }
                owner = t;
                ownerTid = virtual ? Threads.gettid() : 0;
                return true;
            }
            return owner == t && (!virtual || Threads.gettid() == ownerTid);
        }

        /** Makes sure the calling task owns the ring: a new ring if another owns it. */
        private void own() throws IOException {
            if (owned()) {
                return;
            }
            Uring old = ring;
            Uring fresh = Uring.open(sqEntries, cqEntries, setup);
            // what the old ring already posted is handled by the next poll, as final
            stash(old, ~Uring.IORING_CQE_F_MORE, false);
            old.close(); // cancels whatever it had in flight
            ring = fresh;
            owner = null;
            owned();
            wakeArmed = false;
            nrCancels = 0;
            accepts.clear();
            Arrays.fill(accepting, 0L);
            Arrays.fill(armed, 0L);
            for (int fd = 0; fd < events.length; fd++) {
                if (events[fd] != 0) {
                    queueArm(fd);
                }
            }
        }

        /** Keeps a completion for the next poll to report. */
        private void defer(long ud, int res, int cflags) {
            if (nrDeferred == deferredUd.length) {
                // doubled: thousands a poll at scale
                int c = Math.max(16, deferredUd.length * 2);
                deferredUd = Arrays.copyOf(deferredUd, c);
                deferredRes = Arrays.copyOf(deferredRes, c);
                deferredFlags = Arrays.copyOf(deferredFlags, c);
            }
            deferredUd[nrDeferred] = ud;
            deferredRes[nrDeferred] = res;
            deferredFlags[nrDeferred] = cflags;
            nrDeferred++;
        }

        /**
         * Keeps a completion posted after this poll's wait for the next
         * poll to report; but the wakeup's read is this poll's (a wakeup
         * while it runs ends it, and it returns anyway): the next poll
         * arms it again, and does not return for it.
         */
        private void keep(long ud, int res, int cflags) {
            if ((ud & KIND) == K_WAKE) {
                wakeArmed = false;
                woken = true;
            } else {
                defer(ud, res, cflags);
            }
        }

        /**
         * Keeps every completion r has posted for the next poll to report,
         * its flags masked with flagMask: the completions of an old ring
         * ({@code inPoll} false), or of a run after the wait ({@link #keep}).
         */
        private void stash(Uring r, int flagMask, boolean inPoll) {
            int n = r.ready();
            ByteBuffer cq = r.cqRing();
            for (int i = 0; i < n; i++) {
                int c = r.cqe(i);
                long ud = cq.getLong(c + Uring.CQE_USER_DATA);
                int res = cq.getInt(c + Uring.CQE_RES);
                int cflags = cq.getInt(c + Uring.CQE_FLAGS) & flagMask;
                if (inPoll) {
                    keep(ud, res, cflags);
                } else {
                    defer(ud, res, cflags);
                }
            }
            r.advance(n);
        }

        // ---- registrations (queued: the next poll submits them)

        private void ensure(int fd) {
            if (fd >= events.length) {
                int c = Math.max(fd + 1, events.length * 2);
                events = Arrays.copyOf(events, c);
                flags = Arrays.copyOf(flags, c);
                cookies = Arrays.copyOf(cookies, c);
                armed = Arrays.copyOf(armed, c);
                queued = Arrays.copyOf(queued, c);
                accepting = Arrays.copyOf(accepting, c);
                sndbuf = Arrays.copyOf(sndbuf, c);
                mss = Arrays.copyOf(mss, c);
                serials = Arrays.copyOf(serials, c);
                probesSinceRead = Arrays.copyOf(probesSinceRead, c);
                freeNow = Arrays.copyOf(freeNow, c);
            }
        }

        private void queueArm(int fd) {
            if (!queued[fd]) {
                queued[fd] = true;
                if (nrToArm == toArm.length) {
                    toArm = Arrays.copyOf(toArm, nrToArm * 2);
                }
                toArm[nrToArm++] = fd;
            }
        }

        private void queueCancel(long ud) {
            if (nrCancels == cancels.length) {
                cancels = Arrays.copyOf(cancels, nrCancels * 2);
            }
            cancels[nrCancels++] = ud;
        }

        private long nextUd(long kind, int fd) {
            gen = (gen + 1) & 0xffffff;
            return kind | ((long) gen << 32) | (fd & 0xffffffffL);
        }

        @Override
        public void register(int fd, int ev, int fl, long cookie) throws IOException {
            ensure(fd);
            int serial = (int) (cookie >>> 32);
            if (serial == 0 || serials[fd] != serial) {
                // maybe another socket than the last with this number: the same socket comes
                // back with its serial in the cookie's high half (see Poller.register)
                sndbuf[fd] = 0;
                probesSinceRead[fd] = 0;
                serials[fd] = serial;
            }
            modify(fd, ev, fl, cookie);
        }

        @Override
        public void modify(int fd, int ev, int fl, long cookie) throws IOException {
            ensure(fd);
            if (armed[fd] != 0 && ev != events[fd]) {
                queueCancel(armed[fd]); // the poll in flight asks for the old events
                armed[fd] = 0;
            }
            if (accepting[fd] != 0 && (fl & F_ACCEPT) == 0) {
                queueCancel(accepting[fd]); // what it took before the cancel is still delivered
                accepting[fd] = 0;
            }
            events[fd] = ev;
            flags[fd] = fl;
            cookies[fd] = cookie;
            if (ev != 0) {
                queueArm(fd);
            }
        }

        @Override
        public void unregister(int fd) throws IOException {
            modify(fd, 0, 0, 0);
        }

        @Override
        public void modifyNow(int fd, int ev, int fl, long cookie) throws IOException {
            // read-ahead is decided inside each poll, so a new F_RECV holds at once;
            // a change of events is as good batched (a stale poll is cancelled first)
            modify(fd, ev, fl, cookie);
        }

        /**
         * Cancels fd's requests now, so that the ring lets go of its file
         * before the descriptor is closed: a request in flight holds the
         * file, and a socket's close would not reach its peer.
         */
        @Override
        public void unregisterNow(int fd) throws IOException {
            if (closed || fd >= events.length) {
                return;
            }
            long poll = armed[fd];
            long acc = accepting[fd];
            modify(fd, 0, 0, 0);
            if (poll == 0 && acc == 0 && !probesInFlight) {
                return;
            }
            if (!owned()) {
                own(); // a new ring: the old one, closed, cancels all it had
                return;
            }
            submitCancels();
            // the cancelled requests complete in the ring's deferred work: run it until they have
            for (int round = 0; round < 4; round++) {
                ring.enter(0, true, -1);
                probesInFlight = false;
                if (posted(poll) && posted(acc)) {
                    break;
                }
            }
        }

        /**
         * Whether the final completion of request ud is posted: in the
         * completion queue, or kept for the next poll (0: none asked).
         */
        private boolean posted(long ud) {
            if (ud == 0) {
                return true;
            }
            for (int i = 0; i < nrDeferred; i++) {
                if (deferredUd[i] == ud && (deferredFlags[i] & Uring.IORING_CQE_F_MORE) == 0) {
                    return true; // kept for the next poll (a drain, or a receives' enter)
                }
            }
            int n = ring.ready();
            for (int i = 0; i < n; i++) {
                int c = ring.cqe(i);
                if (ring.cqRing().getLong(c + Uring.CQE_USER_DATA) == ud
                        && (ring.cqRing().getInt(c + Uring.CQE_FLAGS) & Uring.IORING_CQE_F_MORE) == 0) {
                    return true;
                }
            }
            return false;
        }

        private void submitCancels() throws IOException {
            for (int i = 0; i < nrCancels; i++) {
                long target = cancels[i];
                long kind = target & KIND;
                int op = kind == K_POLL || kind == K_ROOM ? Uring.IORING_OP_POLL_REMOVE : Uring.IORING_OP_ASYNC_CANCEL;
                int sqe = ring.prep(op, -1, target, 0, 0, K_CANCEL);
                ring.sqes().put(sqe + Uring.SQE_FLAGS, (byte) Uring.IOSQE_CQE_SKIP_SUCCESS);
            }
            nrCancels = 0;
        }

        // ---- the poll

        @Override
        public int poll(int timeoutMillis, Sink sink) throws IOException {
            woken = false;
            if (closed) {
                throw new IOException("ring closed");
            }
            own();
            nrReady = 0;
            acceptedNow = false;
            sendsDone = 0;
            // 1. the staged writes go first
            int sends = nrSend;
            nrSend = 0;
            if (sends > 0) {
                if (sendDone.length < sends) {
                    sendDone = new boolean[sendFd.length];
                }
                Arrays.fill(sendDone, 0, sends, false);
                Counters.CYCLE_SENDS.add(sends);
                for (int i = 0; i < sends; i++) {
                    ring.prep(Uring.IORING_OP_SEND, sendFd[i], sendAddr[i], sendLen[i],
                            Linux.MSG_DONTWAIT | Linux.MSG_NOSIGNAL, K_SEND | i);
                }
            }
            // 2. registration changes, and the re-arms of what the last polls reported
            submitCancels();
            for (int i = 0; i < nrToArm; i++) {
                int fd = toArm[i];
                queued[fd] = false;
                int ev = events[fd];
                if (ev == 0) {
                    continue;
                }
                if (armed[fd] == 0) {
                    long ud = nextUd(K_POLL, fd);
                    ring.prep(Uring.IORING_OP_POLL_ADD, fd, 0, 0, ev, ud);
                    armed[fd] = ud;
                }
                if ((flags[fd] & F_ACCEPT) != 0 && accepting[fd] == 0) {
                    long ud = nextUd(K_ACCEPT, fd);
                    int sqe = ring.prep(Uring.IORING_OP_ACCEPT, fd, 0, 0, Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, ud);
                    ring.sqes().putShort(sqe + Uring.SQE_IOPRIO, (short) Uring.IORING_ACCEPT_MULTISHOT);
                    accepting[fd] = ud;
                    accepts.put(ud, cookies[fd]);
                }
            }
            nrToArm = 0;
            if (!wakeArmed) {
                int sqe = ring.prep(Uring.IORING_OP_READ, wakefd, wakeBufAddr, 8, 0, K_WAKE);
                ring.sqes().putLong(sqe + Uring.SQE_OFF, -1L); // the file's position: an eventfd has none
                wakeArmed = true;
            }
            // 3. what was posted before this poll (a ring replaced, an unregisterNow's run of
            //    deferred work): reported now, re-armed by the next poll
            for (int i = 0; i < nrDeferred; i++) {
                complete(deferredUd[i], deferredRes[i], deferredFlags[i], sink);
            }
            nrDeferred = 0;
            reap(sink);
            // 4. one enter: submit, run the deferred work, wait
            Counters.WAITS.increment();
            Counters.CYCLES.increment();
            boolean wait = timeoutMillis != 0 && nrReady == 0 && !woken && !acceptedNow;
            if (ring.pending() > 0 || wait
                    || (ring.sqFlags() & (Uring.IORING_SQ_TASKRUN | Uring.IORING_SQ_CQ_OVERFLOW)) != 0) {
                long nanos = timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L;
                // each send completes inside the submission: wait for one completion more
                try {
                    ring.enter(wait ? sends - sendsDone + 1 : 0, true, nanos);
                } catch (IOException e) {
                    sendsFailed(sends, sink);
                    throw e;
                }
                probesInFlight = false;
            }
            reap(sink);
            drainBudget = nrReady >= Uring.LOCAL_WORK_PER_ENTER
                    && (ring.setupFlags() & Uring.IORING_SETUP_DEFER_TASKRUN) != 0
                    ? Math.min(cqEntries, Math.max(nrReady, TURN_EVENTS - nrReady)) : 0;
            if (sendsDone < sends) {
                reapOverflow(sink);
            }
            if (sendsDone < sends) {
                sendsLate(sends, sink);
            }
            return report(sink);
        }

        /**
         * With DEFER_TASKRUN, how much of the ring's deferred work this poll
         * runs after its wait, without waiting (0: none). An enter runs at
         * most max(20, min_complete) items of that work (6.13 and later),
         * oldest first; a poll re-armed on a socket that is ready already
         * completes inside the submission instead, and is not counted. So a
         * server that answers every request before its next select (the
         * JDK's HttpServer) found the same sockets ready at every re-arm,
         * served all of them in every turn, and the sockets whose polls fired
         * while they waited (deferred work) 20 a turn: at 10,000 connections
         * its p99 latency was 6.3 s against the default provider's 0.5 s.
         * A turn that reported 20 or more (its wait may have left work)
         * therefore runs more: as much as it reported, and enough to come
         * to {@link #TURN_EVENTS} events. Measured at 10,000 connections
         * (bench.sh host, beside the default provider): the HttpServer's
         * p99 became 0.73 s against 0.53 s; running all of it, 0.85 s against
         * 0.63 s, but a turn of thousands of sockets outgrew the receive
         * arena (read(2) calls came back); running as much as the turn
         * reported, 0.87 s against 0.44 s. The cost: under the NIO echo
         * server, whose small turns had served it well, requests/s went
         * from 1.13x the default provider's to 0.98x (3 pairs each). The
         * run rides in the receives' enter when there is one, or takes one
         * of its own (see {@link #drain}); what it completes is reported by
         * the next poll, which then does not wait.
         */
        private int drainBudget;
        /** The events a turn that drains comes to, at least: as many as the JDK's epoll selector takes in one wait. */
        private static final int TURN_EVENTS = 1024;

        /** Runs the drain budget's deferred work, if the receives' enter did not: the next poll reports it. */
        private void drain() throws IOException {
            if (drainBudget > 0) {
                int budget = drainBudget;
                drainBudget = 0;
                ring.enter(budget, true, 0);
                do {
                    stash(ring, -1, true);
                } while (moveOverflow());
            }
        }

        /**
         * Completions the CQ had no room for wait in the kernel's overflow
         * list (IORING_SQ_CQ_OVERFLOW; never dropped, IORING_FEAT_NODROP),
         * and with DEFER_TASKRUN some may wait in deferred work: a
         * GETEVENTS enter moves them in as the reaping frees room. They
         * were done inside the submission all the same; without this they
         * looked like requests that had not completed.
         */
        private boolean overflowed() {
            return (ring.sqFlags() & (Uring.IORING_SQ_CQ_OVERFLOW | Uring.IORING_SQ_TASKRUN)) != 0;
        }

        /** Moves overflowed completions into the CQ: whether any came. */
        private boolean moveOverflow() throws IOException {
            if (!overflowed()) {
                return false;
            }
            ring.enter(0, true, -1);
            return ring.ready() > 0;
        }

        private void reapOverflow(Sink sink) throws IOException {
            while (moveOverflow()) {
                reap(sink);
            }
        }

        /** Handles every completion posted so far. */
        private void reap(Sink sink) {
            int n;
            while ((n = ring.ready()) > 0) {
                ByteBuffer cq = ring.cqRing();
                for (int i = 0; i < n; i++) {
                    int c = ring.cqe(i);
                    complete(cq.getLong(c + Uring.CQE_USER_DATA), cq.getInt(c + Uring.CQE_RES),
                            cq.getInt(c + Uring.CQE_FLAGS), sink);
                }
                ring.advance(n);
            }
        }

        private void complete(long ud, int res, int cflags, Sink sink) {
            long kind = ud & KIND;
            int fd = (int) ud;
            if (kind == K_POLL) {
                if (fd < armed.length && armed[fd] == ud) {
                    armed[fd] = 0;
                    // io_uring adds RDHUP and NVAL to any poll: report what epoll would
                    int ev = res & (events[fd] | Linux.POLLERR | Linux.POLLHUP);
                    if (ev != 0) {
                        addReady(fd, ev);
                        queueArm(fd); // level-triggered: arm again next poll
                    }
                    // res < 0 (the fd was closed under the ring): not armed again
                    if (res > 0 && ev == 0 && events[fd] != 0) {
                        queueArm(fd);
                    }
                }
            } else if (kind == K_ACCEPT) {
                Long cookie = accepts.get(ud);
                boolean more = (cflags & Uring.IORING_CQE_F_MORE) != 0;
                if (res >= 0) {
                    Counters.ACCEPTS.increment();
                    Counters.ACCEPT_AHEAD.increment();
                    if (cookie != null) {
                        acceptedNow = true;
                        sink.accepted(cookie, res, null);
                    } else {
                        IO.closeQuietly(res);
                    }
                }
                if (!more) {
                    accepts.remove(ud);
                    if (fd < accepting.length && accepting[fd] == ud) {
                        accepting[fd] = 0;
                        // ended with a connection (the completion queue was full) or a connection
                        // that went away first: arm again; ended with an error (EMFILE, ...): no
                        // more accept-ahead on this registration, so that accept() meets the error
                        // itself, as on the JDK's provider
                        boolean transient_ = res >= 0 || res == -Errno.ECONNABORTED || res == -Errno.EINTR;
                        if (transient_ && events[fd] != 0 && (flags[fd] & F_ACCEPT) != 0) {
                            queueArm(fd);
                        }
                    }
                }
            } else if (kind == K_WAKE) {
                wakeArmed = false;
                woken = true;
            } else if (kind == K_SEND) {
                sendsDone++;
                sendDone[(int) ud] = true;
                if (res > 0) {
                    bytesSent += res;
                }
                sink.sent((int) ud, res);
            }
            // K_CANCEL: a cancel that found nothing (its request had completed); K_RECV, K_ROOM: see receive()
        }

        /** The least a receive ahead is given of the arena: past arena / MIN_SLOT ready sockets, the rest read directly. */
        private static final int MIN_SLOT = 1024;
        /** A ready fd's room while its probe has not answered. */
        private static final int PROBING = -1;
        /**
         * How many times spool.arena the arena may grow to. A receive that
         * filled a slot smaller than spool.recvMax, or a ready socket left
         * without one, costs a read(2) later: then the arena doubles, so the
         * memory follows the load (1,000 ready sockets with 1,100-byte
         * requests need more than the 1 MiB default) and an idle selector
         * keeps spool.arena.
         */
        static final int ARENA_GROWTH = 4;
        private int sendsDone;
        /**
         * Bytes the sends of this poll took, added to the counter once per
         * poll: an atomic add per send cost more, at 10,000 connections, than
         * the rest of its bookkeeping.
         */
        private long bytesSent;
        private boolean[] sendDone = new boolean[64];
        /** A connection was handed over before the wait: the poll must not sleep. */
        private boolean acceptedNow;

        /**
         * The enter failed: the sends it made are reported, the others as
         * not made (their bytes stay staged).
         */
        private void sendsFailed(int sends, Sink sink) {
            reap(sink); // the sends submitted completed inside the submission
            for (int i = 0; i < sends; i++) {
                if (!sendDone[i]) {
                    sink.sent(i, -Errno.EAGAIN);
                }
            }
        }

        /**
         * Some sends did not complete inside their submission (a kernel that
         * queues them): cancel and wait for them, and stage no more.
         */
        private void sendsLate(int sends, Sink sink) throws IOException {
            syncSend = false;
            Counters.FALLBACKS.increment();
            System.getLogger("io.spool").log(System.Logger.Level.WARNING,
                    "SPOOL: io_uring sends with MSG_DONTWAIT wait on this kernel: write-behind is off");
            for (int round = 0; sendsDone < sends && round < 1000; round++) {
                for (int i = 0; i < sends; i++) {
                    int sqe = ring.prep(Uring.IORING_OP_ASYNC_CANCEL, -1, K_SEND | i, 0, 0, K_CANCEL);
                    ring.sqes().put(sqe + Uring.SQE_FLAGS, (byte) Uring.IOSQE_CQE_SKIP_SUCCESS);
                }
                ring.enter(1, true, 100_000_000L);
                reap(sink);
            }
        }

        private void addReady(int fd, int ev) {
            if (nrReady == readyFd.length) {
                readyFd = Arrays.copyOf(readyFd, nrReady * 2);
                readyEv = Arrays.copyOf(readyEv, nrReady * 2);
            }
            readyFd[nrReady] = fd;
            readyEv[nrReady] = ev;
            nrReady++;
        }

        /** Receives ahead for the ready F_RECV sockets, then reports every ready fd. */
        private int report(Sink sink) throws IOException {
            int n = nrReady;
            int short_ = 0; // receives that will leave a read(2) to their channel: the arena grows
            int[] offset = null;
            int[] result = null;
            int[] room = null;
            int slot = 0; // each receive's share of the arena
            if ((syncRecv || syncSend) && n > 0) {
                int used = 0;
                // the arena is shared out: each receive gets an equal slot, at least MIN_SLOT
                int nrRecv = 0;
                for (int i = 0; i < n; i++) {
                    if ((flags[readyFd[i]] & F_RECV) != 0 && (readyEv[i] & RDHUP_IN) != 0) {
                        nrRecv++;
                    }
                }
                slot = nrRecv == 0 ? 0 : Math.min(recvMax, Math.max(MIN_SLOT, arena.capacity() / nrRecv));
                int recvs = 0;
                int probes = 0;
                probeGen = (probeGen + (1L << 32)) & ~KIND;
                for (int i = 0; i < n; i++) {
                    int fd = readyFd[i];
                    int ev = readyEv[i];
                    boolean writable = syncSend && (ev & Linux.POLLOUT) != 0
                            && (ev & (Linux.POLLERR | Linux.POLLHUP)) == 0;
                    if ((flags[fd] & F_RECV) == 0 && !writable) {
                        continue;
                    }
                    if (offset == null) {
                        if (slotOffset.length < n) {
                            int c = Math.max(n, slotOffset.length * 2);
                            slotOffset = new int[c];
                            slotResult = new int[c];
                            slotRoom = new int[c];
                        }
                        offset = slotOffset;
                        result = slotResult;
                        room = slotRoom;
                        Arrays.fill(result, 0, n, Integer.MIN_VALUE);
                        Arrays.fill(room, 0, n, 0);
                    }
                    if (writable) {
                        // POLLOUT is the probe's answer already
                        room[i] = isTcp(fd, true) ? 1 : 0;
                    }
                    if ((flags[fd] & F_RECV) == 0) {
                        continue;
                    }
                    if (syncRecv && (ev & RDHUP_IN) != 0 && arena.capacity() - used > 0) {
                        int len = Math.min(slot, arena.capacity() - used);
                        ring.prep(Uring.IORING_OP_RECV, fd, arenaAddr + used, len, Linux.MSG_DONTWAIT,
                                K_RECV | i);
                        offset[i] = used;
                        used += len;
                        recvs++;
                    } else if (syncRecv && (ev & RDHUP_IN) != 0) {
                        short_++; // no room left in the arena
                    }
                    if (syncSend && !writable && (ev & (Linux.POLLERR | Linux.POLLHUP)) == 0
                            && isTcp(fd, (events[fd] & Linux.POLLOUT) != 0)) {
                        ring.prep(Uring.IORING_OP_POLL_ADD, fd, 0, 0, Linux.POLLOUT, K_ROOM | probeGen | i);
                        room[i] = PROBING;
                        probes++;
                    }
                }
                try {
                    if (recvs > 0 || probes > 0) {
                        receive(recvs, result, room);
                    }
                } finally {
                    for (int i = 0; probes > 0 && i < n; i++) {
                        if (room[i] == PROBING) {
                            // not writable (or the enter failed): no room, and the poll still
                            // armed is removed by the next enter
                            room[i] = 0;
                            queueCancel(K_ROOM | probeGen | i);
                            probesInFlight = true;
                        }
                    }
                }
            }
            drain();
            Counters.EVENTS.add(n);
            long readAhead = 0;
            ByteBuffer data = null; // one view of the arena: each receiver copies its bytes at once
            for (int i = 0; i < n; i++) {
                int fd = readyFd[i];
                long cookie = cookies[fd];
                if (result != null && result[i] != Integer.MIN_VALUE) {
                    int r = result[i];
                    if (r > 0) {
                        readAhead += r;
                        if (data == null) {
                            data = arena.duplicate();
                        }
                        data.limit(offset[i] + r).position(offset[i]);
                        // filled: the receive took its whole slot, and the socket may hold more
                        int len = Math.min(slot, arena.capacity() - offset[i]);
                        if (r >= len && len < recvMax) {
                            short_++;
                        }
                        sink.received(cookie, data, 0, r >= len);
                    } else if (r == 0) {
                        sink.received(cookie, null, 0);
                    } else if (r != -Errno.EAGAIN) {
                        sink.received(cookie, null, -r);
                    }
                }
                if (room != null && room[i] > 0 && sndbuf[fd] > 0) {
                    sink.ready(cookie, readyEv[i], sndspace(fd));
                } else {
                    sink.ready(cookie, readyEv[i]);
                }
            }
            nrReady = 0;
            Counters.BYTES_READ.add(readAhead);
            Counters.READ_AHEAD_BYTES.add(readAhead);
            Counters.BYTES_WRITTEN.add(bytesSent);
            bytesSent = 0;
            if (short_ > 0 && arena.capacity() < arenaMax) {
                // every receive of this poll is copied out: the old arena is free
                arena = Memory.allocate((int) Math.min(arenaMax, 2L * arena.capacity()));
                arenaAddr = Memory.address(arena);
            }
            return n;
        }

        /**
         * Whether fd is a TCP socket, whose room a probe may measure: its MSS
         * is read once per socket (a socket registered again with the same
         * cookie keeps it), its SO_SNDBUF then and every
         * SNDBUF_REREAD probes (the kernel grows it with the window), and at
         * every probe while the socket waits for POLLOUT ({@code writing}:
         * a write found no room, so the room must be exact: the free buffer
         * itself is read then, SO_MEMINFO).
         */
        private boolean isTcp(int fd, boolean writing) {
            int b = sndbuf[fd];
            if (b < 0) {
                return false;
            }
            try {
                if (b == 0) {
                    mss[fd] = Math.max(io.spool.sys.Sockets.getInt(fd, Linux.IPPROTO_TCP, Linux.TCP_MAXSEG), 88);
                }
                freeNow[fd] = -1;
                if (writing) {
                    // a write found no room: the room must be exact, as the module's
                    freeNow[fd] = Math.max(0, io.spool.sys.Sockets.sendBufferFree(fd, sndbufOut));
                    sndbuf[fd] = Math.max(sndbufOut[0], 1);
                    probesSinceRead[fd] = 0;
                } else if (b == 0 || ++probesSinceRead[fd] >= SNDBUF_REREAD) {
                    probesSinceRead[fd] = 0;
                    sndbuf[fd] = Math.max(io.spool.sys.Sockets.getInt(fd, Linux.SOL_SOCKET, Linux.SO_SNDBUF), 1);
                }
            } catch (IOException notTcp) {
                sndbuf[fd] = -1; // a UNIX socket: no room reported, no write-behind
                return false;
            }
            return true;
        }

        /**
         * The bytes one send surely takes on a TCP socket that polls
         * writable: the free buffer (read, or else its bound: at least a
         * third of SO_SNDBUF, as tcp_poll reports POLLOUT only while free
         * >= queued / 2), less one skb's charge, scaled by the payload share
         * of each skb (spool_sndspace's formula).
         */
        private int sndspace(int fd) {
            long free = (freeNow[fd] >= 0 ? freeNow[fd] : sndbuf[fd] / 3) - SKB_OVERHEAD;
            if (free <= 0) {
                return 0;
            }
            long m = mss[fd];
            return (int) Math.min(Integer.MAX_VALUE, free * m / (m + SKB_OVERHEAD));
        }

        /**
         * Submits the receives, which complete inside the submission; their
         * results go to result[index], other completions wait for the next
         * poll. A receive that did not complete is cancelled and waited for,
         * and read-ahead is off from then on.
         */
        private void receive(int recvs, int[] result, int[] room) throws IOException {
            // submits the receives and probes (they complete inside the submission), and runs
            // the drain budget's deferred work: takeReceives keeps its completions for the next poll
            int budget = drainBudget;
            drainBudget = 0;
            ring.enter(budget, budget > 0, 0);
            int got = takeReceives(result, room);
            while (got < recvs && moveOverflow()) {
                got += takeReceives(result, room);
            }
            if (got < recvs) {
                syncRecv = false;
                Counters.FALLBACKS.increment();
                System.getLogger("io.spool").log(System.Logger.Level.WARNING,
                        "SPOOL: io_uring receives with MSG_DONTWAIT wait on this kernel: read-ahead is off");
                for (int i = 0; i < nrReady; i++) {
                    if (result[i] == Integer.MIN_VALUE && (flags[readyFd[i]] & F_RECV) != 0) {
                        int sqe = ring.prep(Uring.IORING_OP_ASYNC_CANCEL, -1, K_RECV | i, 0, 0, K_CANCEL);
                        ring.sqes().put(sqe + Uring.SQE_FLAGS, (byte) Uring.IOSQE_CQE_SKIP_SUCCESS);
                    }
                }
                while (got < recvs) {
                    ring.enter(1, true, 1_000_000_000L);
                    got += takeReceives(result, room);
                }
            }
        }

        /** Takes the receive completions out of the queue, leaving the rest in order for the next poll. */
        private int takeReceives(int[] result, int[] room) {
            int n = ring.ready();
            ByteBuffer cq = ring.cqRing();
            int got = 0;
            for (int i = 0; i < n; i++) {
                int c = ring.cqe(i);
                long ud = cq.getLong(c + Uring.CQE_USER_DATA);
                if ((ud & KIND) == K_ROOM) {
                    int res = cq.getInt(c + Uring.CQE_RES);
                    if ((ud & ~KIND & ~0xffffffffL) != probeGen) {
                        continue; // an older poll's probe, fired or cancelled since: its poll is reported
                    }
                    room[(int) ud] = res > 0 && (res & Linux.POLLOUT) != 0
                            && (res & (Linux.POLLERR | Linux.POLLHUP)) == 0 ? 1 : 0;
                } else if ((ud & KIND) == K_RECV) {
                    int idx = (int) ud;
                    int res = cq.getInt(c + Uring.CQE_RES);
                    // a cancelled receive received nothing
                    result[idx] = res == -Errno.ECANCELED ? -Errno.EAGAIN : res;
                    got++;
                } else {
                    keep(ud, cq.getInt(c + Uring.CQE_RES), cq.getInt(c + Uring.CQE_FLAGS));
                }
            }
            ring.advance(n);
            return got;
        }

        @Override
        public boolean woken() {
            return woken;
        }

        @Override
        public void wakeup() throws IOException {
            if (closed) {
                return;
            }
            Counters.WAKEUPS.increment();
            IO.signal(wakefd);
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            // connections accepted ahead and never handed over are closed
            int n = ring.ready();
            for (int i = 0; i < n; i++) {
                int c = ring.cqe(i);
                long ud = ring.cqRing().getLong(c + Uring.CQE_USER_DATA);
                int res = ring.cqRing().getInt(c + Uring.CQE_RES);
                if ((ud & KIND) == K_ACCEPT && res >= 0) {
                    IO.closeQuietly(res);
                }
            }
            for (int i = 0; i < nrDeferred; i++) {
                if ((deferredUd[i] & KIND) == K_ACCEPT && deferredRes[i] >= 0) {
                    IO.closeQuietly(deferredRes[i]);
                }
            }
            ring.close();
            IO.closeQuietly(wakefd);
        }
    }
}
